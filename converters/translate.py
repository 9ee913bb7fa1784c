"""Translate a notebook's cells for a target: dispatch each cell to the rule for its magic or language.

The output is a list of `OutCell`s, each naming the input cell it came from, plus the findings.
Python cells go through `Context.rewrite_python`, the seam where the libcst rewriting plugs in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from emrlab.converters.config import Options, Target
from emrlab.converters.findings import Finding
from emrlab.converters.magics import MagicCell
from emrlab.converters.model import JSON, Cell, CellKind, Language, Notebook, Origin, Widget
from emrlab.converters.rulebase import Rule
from emrlab.converters.workspace import Workspace

Role = str  # "parameters", "spark-session", "title", "run", or "" for a translated cell
PythonRewriter = Callable[[str, Cell, "Context"], str]


@dataclass
class OutCell:
    """One output cell: its kind and text, the input cell it came from, and what else it carries.

    `language` says what language the text is in (for raw cells kept verbatim and for scripts).
    """

    kind: CellKind
    source: str
    origin: Origin | None
    role: Role = ""
    language: str = "python"
    metadata: JSON = field(default_factory=dict)
    tags: tuple[str, ...] = ()


def keep_python(source: str, cell: Cell, ctx: Context) -> str:
    """The default Python step: the code as it is (the libcst rules replace this)."""
    return source


@dataclass
class Notes:
    """What the translation of one output notebook learns along the way (shared with `%run` children)."""

    runtime_used: bool = False  # some cell calls emrlab.runtime: the setup cell imports it
    widgets_listed: bool = False  # getAll() is used: the parameters cell names its widgets
    hoisted_pip: list[str] = field(default_factory=list)  # %pip lines moved to the top (jupyter)
    reads_sqldf: bool = False  # the notebook being written reads `_sqldf` (emrlab: SQL cells bind it)


@dataclass
class Context:
    """What a rule needs while translating one notebook.

    For a notebook inlined by `%run`, `inlined_by` is the caller's top-level `%run` cell: findings about
    `%run` itself are reported there; the inlined notebook's other findings are reported when it
    converts on its own. `root_language` is the language of the notebook being written (the one whose
    kernel runs the inlined cells too).
    """

    notebook: Notebook
    options: Options
    workspace: Workspace
    findings: list[Finding] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    run_stack: tuple[str, ...] = ()
    rewrite_python: PythonRewriter = keep_python
    inlined_by: Cell | None = None
    root_source: str = ""
    root_language: Language | None = None
    notes: Notes = field(default_factory=Notes)
    widgets: dict[str, Widget] = field(default_factory=dict)  # defined by code (dbutils.widgets.text ...)
    bound: frozenset[str] = frozenset()  # Databricks names the notebook binds itself (a local `display`)

    @property
    def target(self) -> Target:
        return self.options.target

    @property
    def kernel_language(self) -> Language:
        """The language of the output notebook's kernel: the caller's, for cells inlined by `%run`."""
        return self.root_language or self.notebook.language

    def flag(
        self,
        rule: type[Rule],
        cell: Cell,
        message: str = "",
        fix: str = "",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        """Record a finding of `rule` on `cell` (the rule's own message unless a sharper one is given)."""
        if not self.options.enabled(rule.id, rule.name):
            return
        message = message or rule.message
        if self.inlined_by is not None:
            if not rule.reported_through_run:
                return
            message = f"{message} (in {self.notebook.path}, inlined here by %run)"
            cell, line, column = self.inlined_by, None, None
        source = self.root_source or self.notebook.source
        self.findings.append(
            Finding(
                rule.id,
                self.options.severity_of(rule.id, rule.name, rule.severity),
                source,
                cell.origin.cell,
                message,
                fix or rule.fix,
                line,
                column,
            )
        )

    def child(self, notebook: Notebook, run_cell: Cell) -> Context:
        """The context for a notebook that `run_cell` inlines."""
        return Context(
            notebook,
            self.options,
            self.workspace,
            self.findings,
            self.requirements,
            (*self.run_stack, self.notebook.path),
            self.rewrite_python,
            self.inlined_by or run_cell,
            self.root_source or self.notebook.source,
            self.kernel_language,
            self.notes,
            {},
            self.bound,
        )


class CellRule(Rule):
    """A rule that translates a whole cell whose magic (or notebook language) it owns."""

    owns: frozenset[str] = frozenset()

    def translate(self, cell: Cell, magic: MagicCell, ctx: Context) -> list[OutCell]:
        raise NotImplementedError
