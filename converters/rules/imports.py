"""Imports: Databricks-only libraries flagged from a data file; third-party ones EMR does not ship go to
the batch's requirements.txt."""

from __future__ import annotations

import ast
import functools
import json
import sys
from collections import deque
from collections.abc import Iterator
from importlib import resources
from typing import Any

from emrlab.converters.findings import Severity
from emrlab.converters.pyengine import PythonRule, RuleContext
from emrlab.converters.rulebase import Example, Rule


@functools.cache
def library_data() -> dict[str, Any]:
    text = resources.files("emrlab.converters").joinpath("data/libraries.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class Imports(PythonRule):
    """Some libraries exist only on Databricks (Delta Live Tables, Feature Store, the Databricks SDK ...).
    Which ones, what to use instead and since which EMR release live in `data/libraries.json`, not in
    code. Imports of other third-party packages that EMR does not ship are collected into the batch's
    requirements.txt (for a bootstrap action or `%pip`)."""

    id = "EMR125"
    name = "incompatible-library"
    message = "this library does not work on EMR"
    severity = Severity.ERROR
    fix = "see the suggested alternative"
    candidates = ("import",)
    examples = (
        Example("import dlt\n\n@dlt.table\ndef orders():\n    return spark.read.table('raw')", None),
        Example("from databricks.sdk import WorkspaceClient", None),
    )

    uses_ast = True

    def check(self, tree: ast.Module, rc: RuleContext) -> None:
        for node in _statements(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    _check(alias.name, node, rc)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                if node.module == "databricks":  # from databricks import feature_store
                    for alias in node.names:
                        _check(f"databricks.{alias.name}", node, rc)
                else:
                    _check(node.module, node, rc)


_BLOCKS = (ast.stmt, ast.excepthandler, ast.match_case)


def _statements(tree: ast.Module) -> Iterator[ast.AST]:
    """The statements of `tree` in `ast.walk`'s order (breadth first) without visiting expressions:
    only statements, `except` clauses and `case` blocks hold statements."""
    todo: deque[ast.AST] = deque([tree])
    while todo:
        node = todo.popleft()
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is list:
                todo.extend(item for item in value if isinstance(item, _BLOCKS))
        yield node


def _check(module: str, node: ast.stmt, rc: RuleContext) -> None:
    data = library_data()
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        entry = data["modules"].get(".".join(parts[:size]))
        if entry is not None:
            if entry["status"] == "replaced" and ".".join(parts[:size]) == "databricks.koalas":
                return  # EMR020 rewrites it
            severity = "databricks-only" if entry["status"] == "databricks-only" else "replaced"
            rule = Imports if severity == "databricks-only" else LibraryReplaced
            since = f" (EMR {entry['since'].removeprefix('emr-')}+)" if entry.get("since") else ""
            message, fix = f"{module}: {entry['message']}", f"use {entry['alternative']}{since}"
            rc.flag_at(rule, node.lineno, node.col_offset + 1, message, fix)
            return
    top = parts[0]
    if top in sys.stdlib_module_names or top in data["emr_ships"] or top in rc.ctx.workspace.local_modules:
        return
    if top == "databricks" or top.startswith("_"):
        return
    requirement = data["distributions"].get(top, top)
    if requirement not in rc.ctx.requirements:
        rc.ctx.requirements.append(requirement)


class LibraryReplaced(Rule):
    """A library with a Databricks-specific flavour whose EMR-side alternative needs a code change."""

    id = "EMR128"
    name = "library-replaced"
    message = "this library has a different equivalent on EMR"
    severity = Severity.WARNING
    fix = "see the suggested alternative"
    examples = (Example("from horovod.spark import run", None),)
