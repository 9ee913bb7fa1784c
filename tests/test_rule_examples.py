"""Every rule's own examples are its tests: the before cell, translated for the example's target, must
give exactly the after cells; flag rules must also report their finding."""

from __future__ import annotations

import pytest

from emrlab.converters.config import Options
from emrlab.converters.model import Cell, Notebook, Origin
from emrlab.converters.readers.source import read_source
from emrlab.converters.rulebase import Example, Rule
from emrlab.converters.rules import ALL_RULES
from emrlab.converters.translator import translate_notebook
from emrlab.converters.workspace import Workspace

CASES = [
    pytest.param(rule, example, id=f"{rule.id}-{rule.name}-{n}")
    for rule in ALL_RULES
    for n, example in enumerate(rule.examples)
]


def translate_example(rule: type[Rule], example: Example) -> tuple[list[str], dict[str, str]]:
    files = getattr(rule, "example_workspace", {})
    others = {path: read_source(text, path, f"{path}.py") for path, text in files.items()}
    workspace = Workspace([*others, "example"], lambda path: others[path])
    cell = Cell(example.before, Origin("example.py", 0))
    notebook = Notebook("example", "example.py", example.language, "source", [cell])  # type: ignore[arg-type]
    options = Options(target=example.target, jobs=1, path_map=example.path_map)  # type: ignore[arg-type]
    translation = translate_notebook(notebook, options, workspace)
    created_parameters = not notebook.widgets
    body = [
        c.source
        for c in translation.cells
        if c.role not in ("spark-session", "setup") and (c.role != "parameters" or created_parameters)
    ]
    return body, {f.rule: f.fix for f in translation.findings}


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_example(rule: type[Rule], example: Example) -> None:
    body, found = translate_example(rule, example)
    if example.after is not None:
        assert tuple(body) == example.after
    expected = set(example.flags) | ({rule.id} if rule.kind() == "flag" else set())
    assert set(found) == expected
    if rule.kind() == "flag":
        assert found[rule.id], "a flag's finding must suggest a fix"


def test_every_rule_is_documented() -> None:
    ids = [rule.id for rule in ALL_RULES]
    assert len(ids) == len(set(ids)), "rule ids must be unique"
    for rule in ALL_RULES:
        assert rule.why(), f"{rule.id} needs a docstring that says why"
        assert rule.name == rule.name.lower() and " " not in rule.name
        assert rule.id[:4] in ("EMR0", "EMR1")
