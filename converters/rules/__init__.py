"""The registry of rules: every rewrite and flag, looked up by id."""

from __future__ import annotations

from emrlab.converters.rulebase import Example, Rule
from emrlab.converters.rules.flags import (
    CellNotRunnable,
    FsCommandUnknown,
    HugeCell,
    LineMagicDropped,
    PipOptionUnsupported,
    RunCycle,
    RunTargetMissing,
    UnknownMagic,
)
from emrlab.converters.rules.fs import FsCell
from emrlab.converters.rules.language import LanguageCell
from emrlab.converters.rules.markdown import MarkdownCell
from emrlab.converters.rules.parameters import WidgetParameters
from emrlab.converters.rules.python import PipInstall, PythonCell
from emrlab.converters.rules.run import RunInline
from emrlab.converters.rules.shell import ShellCell
from emrlab.converters.rules.sql import SqlCell
from emrlab.converters.translate import CellRule

CELL_RULES: tuple[CellRule, ...] = (
    MarkdownCell(),
    SqlCell(),
    RunInline(),
    ShellCell(),
    FsCell(),
    PythonCell(),
    LanguageCell(),
)
ALL_RULES: tuple[type[Rule], ...] = tuple(
    sorted(
        [
            *(type(r) for r in CELL_RULES),
            PipInstall,
            WidgetParameters,
            RunTargetMissing,
            RunCycle,
            CellNotRunnable,
            UnknownMagic,
            HugeCell,
            LineMagicDropped,
            PipOptionUnsupported,
            FsCommandUnknown,
        ],
        key=lambda rule: rule.id,
    )
)
RULE_FOR_MAGIC: dict[str, CellRule] = {magic: rule for rule in CELL_RULES for magic in rule.owns}


def markdown_table() -> str:
    """The rules table of the README, generated from the rules themselves."""
    lines = ["| id | name | kind | severity | what it does |", "|---|---|---|---|---|"]
    for rule in ALL_RULES:
        message = rule.message.replace("|", "\\|")
        lines.append(f"| {rule.id} | `{rule.name}` | {rule.kind()} | {rule.severity.label} | {message} |")
    return "\n".join(lines) + "\n"


def rule_by_id(rule_id: str) -> type[Rule] | None:
    wanted = rule_id.upper()
    return next((r for r in ALL_RULES if r.id == wanted or r.name == rule_id.lower()), None)


__all__ = ["ALL_RULES", "CELL_RULES", "RULE_FOR_MAGIC", "Example", "Rule", "markdown_table", "rule_by_id"]
