"""The rule model: every rewrite or flag is one class with a stable id, a name, a message and examples.

`EMR0xx` ids rewrite, `EMR1xx` ids flag. A rule's examples are the source of its tests, of
`emrlab explain ID` and of the README's rules table, so they must be real before/after pairs.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import ClassVar

from emrlab.converters.findings import Severity


@dataclass(frozen=True)
class Example:
    """One input cell (Databricks text) and what a target makes of it (the cells' sources, in order).

    `after` is None for a rule that flags without rewriting: the example then asserts the finding.
    Python rules' examples list the cells of the notebook body, prologue cells excluded, except that a
    parameters cell the example creates is listed.
    """

    before: str
    after: tuple[str, ...] | None
    target: str = "jupyter"
    language: str = "python"
    path_map: tuple[tuple[str, str], ...] = ()
    flags: tuple[str, ...] = ()  # flag ids the example raises besides the rule's own


class Rule:
    """Base of all rules; subclasses set the class attributes and a docstring that says why."""

    id: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    severity: ClassVar[Severity] = Severity.INFO
    fix: ClassVar[str] = ""  # what a person should do about a finding (flags must say)
    examples: ClassVar[tuple[Example, ...]] = ()
    # Reported on the caller's `%run` cell even when raised inside an inlined notebook.
    reported_through_run: ClassVar[bool] = False

    @classmethod
    def why(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def kind(cls) -> str:
        return "rewrite" if cls.id.startswith("EMR0") else "flag"
