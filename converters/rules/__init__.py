"""The registry of rules: every rewrite and flag, looked up by id."""

from __future__ import annotations

from emrlab.converters.pyengine import PythonRule
from emrlab.converters.rulebase import Example, Rule
from emrlab.converters.rules.compat import DatabricksConf, DatabricksConfRemoved, Koalas, SparkFormatName
from emrlab.converters.rules.dbfs import DbutilsFs, FsMount
from emrlab.converters.rules.delta import DeltaByDefault, DeltaOnEmr
from emrlab.converters.rules.display import Display
from emrlab.converters.rules.flags import (
    CellNotRunnable,
    CellPlaceholder,
    CellPython2,
    CellSyntaxError,
    DbutilsUnhandled,
    FsCommandUnknown,
    HugeCell,
    LineMagicDropped,
    PipOptionUnsupported,
    RunCycle,
    RunTargetMissing,
    UnknownMagic,
)
from emrlab.converters.rules.fs import FsCell
from emrlab.converters.rules.imports import Imports, LibraryReplaced
from emrlab.converters.rules.language import LanguageCell, ScalaDatabricksApi
from emrlab.converters.rules.library import DbutilsObject, InstallPyPI, RestartPython
from emrlab.converters.rules.markdown import MarkdownCell
from emrlab.converters.rules.notebooks import ContextSecret, NotebookContext, NotebookWorkflow
from emrlab.converters.rules.parameters import WidgetParameters
from emrlab.converters.rules.paths import (
    DatabricksDatasets,
    DatabricksPaths,
    FusePath,
    ShellPath,
    UnmappedPath,
)
from emrlab.converters.rules.platform import AutoLoader, MlflowDatabricks, TaskValues
from emrlab.converters.rules.python import PipInstall, PythonCell
from emrlab.converters.rules.run import RunInline
from emrlab.converters.rules.secrets import DbutilsSecrets, SecretNotRedacted
from emrlab.converters.rules.shell import ShellCell
from emrlab.converters.rules.sql import SqlCell, TableFormatUnclear, UnityCatalog
from emrlab.converters.rules.widgets import Widgets
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
# One instance each, in the order their hooks run on a node (rewrites before generic flags).
PYTHON_RULES: tuple[PythonRule, ...] = (
    Widgets(),
    DbutilsFs(),
    DbutilsSecrets(),
    NotebookWorkflow(),
    NotebookContext(),
    Display(),
    RestartPython(),
    InstallPyPI(),
    DbutilsObject(),
    Koalas(),
    SparkFormatName(),
    DeltaByDefault(),
    DatabricksConf(),
    DatabricksPaths(),
    AutoLoader(),
    MlflowDatabricks(),
    TaskValues(),
    Imports(),
)
ALL_RULES: tuple[type[Rule], ...] = tuple(
    sorted(
        [
            *(type(r) for r in CELL_RULES),
            *(type(r) for r in PYTHON_RULES),
            CellPython2,
            CellPlaceholder,
            CellSyntaxError,
            DbutilsUnhandled,
            FsMount,
            UnmappedPath,
            DatabricksDatasets,
            FusePath,
            SecretNotRedacted,
            ContextSecret,
            DeltaOnEmr,
            DatabricksConfRemoved,
            LibraryReplaced,
            UnityCatalog,
            ScalaDatabricksApi,
            ShellPath,
            TableFormatUnclear,
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


__all__ = [
    "ALL_RULES",
    "CELL_RULES",
    "PYTHON_RULES",
    "RULE_FOR_MAGIC",
    "Example",
    "Rule",
    "markdown_table",
    "rule_by_id",
]
