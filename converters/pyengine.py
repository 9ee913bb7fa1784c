"""The Python rewrite step: one libcst parse and one pass per cell, running every enabled Python rule.

A cell whose text holds none of the rules' candidate strings is returned untouched after parsing (the
prefilter; the parse only tells whether it is valid). IPython lines are masked before parsing and
restored after. A cell that does not parse is kept verbatim with a finding saying whether it is Python 2,
a `<FILL_IN>` placeholder or a syntax error. The pass itself (`pypass`, `pywalk`) calls each rule's
hooks only where the rule's candidates are, and patches the cell's text where nodes were replaced
(`pysplice`) rather than generating the code of the whole module.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable
from typing import Any, ClassVar

import libcst as cst
from libcst.metadata import MetadataWrapper, ScopeProvider

from emrlab.converters.model import Cell, Notebook
from emrlab.converters.pyliterals import literal_strings
from emrlab.converters.pymask import Masked, mask, why_unparseable
from emrlab.converters.pynodes import argument as argument
from emrlab.converters.pynodes import dotted as dotted
from emrlab.converters.pynodes import expression as expression
from emrlab.converters.pynodes import literal as literal
from emrlab.converters.pynodes import root_name as root_name
from emrlab.converters.pynodes import string_value as string_value
from emrlab.converters.pynodes import with_func as with_func
from emrlab.converters.pypartial import LiteralsOf, Undo, WholeCellNeededError, parse_hot
from emrlab.converters.pypass import ParseCache, Parsed, RulePass, candidates_pattern, narrow
from emrlab.converters.pysplice import quick_code
from emrlab.converters.pywalk import HookTable
from emrlab.converters.rulebase import Rule
from emrlab.converters.translate import Context

# Names Databricks predefines in every notebook; a notebook that binds one itself keeps its own.
DATABRICKS_NAMES = ("dbutils", "display", "displayHTML", "getArgument", "sqlContext", "table", "sql")
RUNTIME = "emrlab.runtime"
_HOOK = re.compile(r"^leave_([A-Z]\w*)$")
_UNCHANGED = "\x00unchanged"  # the cell keeps its source (compared by identity)


class PythonRule(Rule):
    """A rule that rewrites or flags Python through libcst hooks.

    Subclasses set `candidates` (strings one of which must appear in a cell for the rule to run) and
    define `leave_<NodeType>(self, original, updated, rc)` methods returning the (possibly new) node.
    A hook acts only on nodes holding one of the rule's candidates in a name or a string (the pass
    calls it on no other node; a string with a backslash escape counts as holding every candidate).
    """

    candidates: ClassVar[tuple[str, ...]] = ()
    uses_ast: ClassVar[bool] = False  # a flag-only rule that reads Python's `ast` instead of libcst
    # Its only hook is `leave_SimpleString` (and f-string text), acting on the literal's code alone: a
    # statement holding only its candidates, in plain literals, needs no libcst parse (`pyliterals`).
    literal_only: ClassVar[bool] = False
    # (candidate, a regex matching only where the rule may act: `spark.databricks` but not `...delta.`)
    narrowed: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for candidate, pattern in cls.narrowed:
            narrow(candidate, pattern)
        if cls.literal_only and not set(cls.hooks()) <= {"SimpleString", "FormattedStringText"}:
            raise TypeError(f"{cls.__name__} is literal_only but hooks other nodes")  # `pyliterals`

    def check(self, tree: ast.Module, rc: RuleContext) -> None:
        """For `uses_ast` rules: inspect the cell's ast (fast: no libcst visit needed)."""

    @classmethod
    def hooks(cls) -> dict[str, str]:
        """Node type name -> method name, for every `leave_X` hook the rule defines."""
        found = _HOOKS.get(cls)
        if found is None:
            found = _HOOKS[cls] = {}
            for attribute in dir(cls):
                match = _HOOK.match(attribute)
                if match:
                    found[match.group(1)] = attribute
        return dict(found)


_HOOKS: dict[type[PythonRule], dict[str, str]] = {}


class RuleContext:
    """What a Python rule sees of the cell it is rewriting: positions, scopes, flags, shared notes."""

    def __init__(
        self, ctx: Context, cell: Cell, masked: Masked, module: cst.Module, whole: bool = True
    ) -> None:
        """`module`: the cell's, or (not `whole`) only its hot statements' (`pypartial`)."""
        self.ctx = ctx
        self.cell = cell
        self.masked = masked
        self.module = module
        self._whole = whole
        self._resolved: dict[type[Any], Any] = {}
        self.changed = False
        self._dbutils: dict[cst.Name, None] = {}  # Databricks `dbutils` names seen, in order
        self._handled: set[int] = set()
        self._may_bind: dict[str, bool] = {}

    def _metadata(self, provider: type[Any]) -> Any:
        """Metadata computed only when a rule first asks (positions and scopes cost more than parsing)."""
        if provider not in self._resolved:
            if not self._whole:
                raise WholeCellNeededError(f"{provider.__name__} needs the whole cell")
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._resolved[provider] = wrapper.resolve(provider)
        return self._resolved[provider]

    def code(self, node: cst.CSTNode) -> str:
        text = quick_code(node)
        return self.module.code_for_node(node) if text is None else text

    def replaced(self, node: cst.CSTNode | None = None) -> None:
        """Note that the cell changed; `node` (a call on dbutils) is now taken care of."""
        self.changed = True
        if node is not None:
            self.handled(node)

    def handled(self, node: cst.CSTNode) -> None:
        """A rule dealt with this dbutils use (rewrote or flagged it): no generic finding for it."""
        name = root_name(node) if isinstance(node, cst.BaseExpression) else None
        if name is not None:
            self._handled.add(id(name))

    def saw_dbutils(self, name: cst.Name) -> None:
        self._dbutils[name] = None

    def finish(self) -> None:
        """Flag every Databricks `dbutils` use no rule handled, once per line."""
        from emrlab.converters.rules.flags import DbutilsUnhandled

        lines: set[int] = set()
        for name in self._dbutils:
            if id(name) in self._handled:
                continue
            where = self.position(name)
            if where and where[0] in lines:
                continue
            if where:
                lines.add(where[0])
            self.flag(DbutilsUnhandled, name)

    def remove(self, statement: cst.BaseSmallStatement, note: str, replacement: str = "") -> cst.Expr:
        """Drop a statement, leaving `# <code>  (emrlab: note)` (or `replacement`) in its place."""
        self.changed = True
        text = replacement or f"# {self.code(statement).strip()}  (emrlab: {note})"
        return cst.Expr(cst.Name(self.masked.placeholder(text)))

    def position(self, node: cst.CSTNode) -> tuple[int, int] | None:
        """(line, column) of `node` in the cell, found by its text: far cheaper than libcst's
        PositionProvider, and exact unless the same text occurs earlier in the cell."""
        text = self.code(node).strip()
        offset = self.masked.source.find(text) if text else -1
        if offset < 0:
            return None
        line_start = self.masked.source.rfind("\n", 0, offset) + 1
        return self.masked.source.count("\n", 0, offset) + 1, offset - line_start + 1

    def flag_at(self, rule: type[Rule], line: int, column: int, message: str = "", fix: str = "") -> None:
        self.ctx.flag(rule, self.cell, message, fix, line, column)

    def flag(self, rule: type[Rule], node: cst.CSTNode | None, message: str = "", fix: str = "") -> None:
        where = self.position(node) if node is not None else None
        line, column = where if where else (None, None)
        self.ctx.flag(rule, self.cell, message, fix, line, column)

    def is_databricks(self, name: cst.Name) -> bool:
        """True when `name` is Databricks' predefined one: not bound by this notebook or this cell."""
        if name.value in self.ctx.bound:
            return False
        may_bind = self._may_bind.get(name.value)
        if may_bind is None:
            may_bind = self._may_bind[name.value] = _may_bind(name.value, self.masked.source)
        if not may_bind:
            return True  # the cell cannot bind it: skip the (costly) scope analysis
        try:
            scope = self._metadata(ScopeProvider)[name]
        except KeyError:
            return True
        if scope is None:
            return True
        return not any(_bound(assignment) for assignment in scope[name.value])

    def use_runtime(self) -> None:
        self.ctx.notes.runtime_used = True


def _binding_pattern(name: str) -> re.Pattern[str]:
    """Any text that could bind `name` in a cell: definitions, imports, assignments, parameters, loops."""
    return re.compile(
        rf"^[ \t]*(?:def|class)[ \t]+{name}\b|\bimport\b.*\b{name}\b|\bas[ \t]+{name}\b"
        rf"|\b{name}[ \t]*(?::[^=]*)?=[^=]|\bfor\b.*\b{name}\b.*\bin\b"
        rf"|\b(?:def|lambda)\b[^:]*\b{name}\b|\b(?:global|nonlocal)\b.*\b{name}\b",
        re.MULTILINE,
    )


_BINDINGS: dict[str, re.Pattern[str]] = {}


def _may_bind(name: str, source: str) -> bool:
    if name not in _BINDINGS:
        _BINDINGS[name] = _binding_pattern(name)
    pattern = _BINDINGS[name]
    return ":=" in source or _any_line(pattern, name, source)


def _any_line(pattern: re.Pattern[str], name: str, text: str) -> bool:
    """Whether `pattern` (compiled with re.MULTILINE) matches a line of `text` holding `name`."""
    at = text.find(name)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        if pattern.search(text, start, end):  # `^` matches at `start`: a line starts there
            return True
        at = text.find(name, end)
    return False


def _bound(assignment: Any) -> bool:
    return type(assignment).__name__ != "BuiltinAssignment"


class LibcstRewriter:
    """The `Context.rewrite_python` step for a set of rules (built once per batch, reused per cell)."""

    def __init__(self, rules: Iterable[PythonRule], partial: bool = True) -> None:
        """`partial=False` always parses whole cells (the reference the hot-statements parse must match)."""
        self.rules = list(rules)
        self.partial = partial
        self.candidates = sorted({c for rule in self.rules for c in rule.candidates})
        self._enabled: dict[tuple[tuple[str, ...], tuple[str, ...]], list[PythonRule]] = {}
        self._hooks: dict[tuple[PythonRule, ...], HookTable] = {}
        self._finders: dict[tuple[PythonRule, ...], LiteralsOf | None] = {}
        self._parsed = ParseCache()

    def __call__(self, source: str, cell: Cell, ctx: Context) -> str:
        if source.lstrip().startswith("%%") or not source.strip():
            return source  # an IPython cell magic: not Python
        masked = mask(source)
        parsed = self._parsed.get(cell, masked.source)
        tree = parsed.tree()
        if tree is None and isinstance(parsed.module, cst.ParserSyntaxError):
            report_unparseable(source, cell, ctx, parsed.module)
            return source
        undo = Undo(ctx)
        if masked.lines:
            flag_shell_paths(["\n".join(lines) for lines in masked.lines.values()], cell, ctx)
        if not any(c in source for c in self.candidates):
            return source  # the prefilter: nothing any rule looks for
        active = [r for r in self.enabled(ctx) if any(c in source for c in r.candidates)]
        if not active:
            return source
        if tree is not None and self._hot_only(masked.source, ctx, active):
            code = self._hot(masked, cell, ctx, parsed, active)
            if code is not None:
                return source if code is _UNCHANGED else masked.restore(code)
            undo()  # redo the cell with the whole cell's module
            masked = mask(source)
            if masked.lines:
                flag_shell_paths(["\n".join(lines) for lines in masked.lines.values()], cell, ctx)
        module = parsed.module
        if isinstance(module, cst.ParserSyntaxError):  # Python accepts what libcst does not
            undo()
            report_unparseable(source, cell, ctx, module)
            return source
        rc = RuleContext(ctx, cell, masked, module)
        visiting = tuple(r for r in active if not r.uses_ast)
        candidates = {c for r in visiting for c in r.candidates}
        for rule in active:
            if rule.uses_ast and tree is not None:
                rule.check(tree, rc)
        rewritten = module
        rule_pass = None
        if visiting:
            rule_pass = RulePass(self.hooks(visiting), rc)
            rewritten = rule_pass.run(module, tree, masked.source, candidates)
        rc.finish()
        if not rc.changed:
            return source
        code = rule_pass.code(module, rewritten, masked.source) if rule_pass else rewritten.code
        return masked.restore(code)

    def _hot_only(self, source: str, ctx: Context, active: list[PythonRule]) -> bool:
        """Whether the pass may try the hot statements alone: the fast walk does (libcst's full visit
        is not needed) and ast counts lines as str.split does. (A rule needing scopes, when the cell
        may bind a Databricks name, makes the pass start again with the whole cell.)"""
        if "\r" in source or not self.partial:
            return False
        visiting = tuple(r for r in active if not r.uses_ast)
        return not visiting or not self.hooks(visiting).needs_full_visit

    def _hot(
        self, masked: Masked, cell: Cell, ctx: Context, parsed: Parsed, active: list[PythonRule]
    ) -> str | None:
        """The pass with libcst parsing only the cell's hot statements: the new masked code, or
        `_UNCHANGED`, or None when only the whole cell's module gives the exact result."""
        visiting = tuple(r for r in active if not r.uses_ast)
        candidates = {c for r in visiting for c in r.candidates}
        tree = parsed.tree()
        assert tree is not None
        finder = self._literals(visiting)
        key = (frozenset(candidates), finder)  # which statements skip libcst depends on the finder too
        if key not in parsed.hot:  # a notebook inlined by several `%run`s: parsed once
            parsed.hot[key] = parse_hot(masked.source, tree, candidates_pattern(key[0]), literals=finder)
        partial = parsed.hot[key]
        if partial is None:
            return None
        rc = RuleContext(ctx, cell, masked, partial.module, whole=False)
        try:
            for rule in active:
                if rule.uses_ast:
                    rule.check(tree, rc)
            rewritten: cst.Module | None = partial.module
            rule_pass = None
            if visiting and partial.nodes:
                rule_pass = RulePass(self.hooks(visiting), rc)
                rewritten = rule_pass.run_hot(
                    partial.module, partial.skip, partial.nodes, masked.source, candidates, partial.literals
                )
                if rewritten is None:
                    return None
            rc.finish()
        except WholeCellNeededError:
            return None
        if not rc.changed:
            return _UNCHANGED
        if rule_pass is None or rewritten is None:
            return masked.source
        return rule_pass.patched(partial.module, rewritten, masked.source)

    def _literals(self, visiting: tuple[PythonRule, ...]) -> LiteralsOf | None:
        """What finds the statements whose idioms are all plain literals of `literal_only` rules."""
        if visiting not in self._finders:
            plain = frozenset(c for r in visiting if r.literal_only for c in r.candidates)
            others = frozenset(c for r in visiting if not r.literal_only for c in r.candidates)
            self._finders[visiting] = None
            if plain and not self.hooks(visiting).needs_full_visit:
                self._finders[visiting] = functools.partial(
                    literal_strings,
                    literal=candidates_pattern(plain),
                    others=candidates_pattern(others | {"dbutils"}),  # the walk notes dbutils uses
                )
        return self._finders[visiting]

    def enabled(self, ctx: Context) -> list[PythonRule]:
        """The rules the options enable (asked once per selection)."""
        key = (ctx.options.select, ctx.options.ignore)
        rules = self._enabled.get(key)
        if rules is None:
            rules = self._enabled[key] = [r for r in self.rules if ctx.options.enabled(r.id, r.name)]
        return rules

    def hooks(self, rules: tuple[PythonRule, ...]) -> HookTable:
        """The rules' hooks by node type, in rule order (built once per set of rules)."""
        table = self._hooks.get(rules)
        if table is None:
            table = self._hooks[rules] = HookTable(
                [(rule.candidates, {t: getattr(rule, m) for t, m in rule.hooks().items()}) for rule in rules]
            )
        return table


def flag_shell_paths(texts: Iterable[str], cell: Cell, ctx: Context) -> None:
    """Databricks paths in shell or IPython lines: shell tools cannot reach S3, so flag, never rewrite."""
    from emrlab.converters.pathmap import PATH
    from emrlab.converters.rules.paths import ShellPath

    for text in texts:
        for match in PATH.finditer(text):
            ctx.flag(ShellPath, cell, f"shell command uses the Databricks path {match.group(0)!r}")


def report_unparseable(source: str, cell: Cell, ctx: Context, error: cst.ParserSyntaxError) -> None:
    from emrlab.converters.rules.flags import CellPlaceholder, CellPython2, CellSyntaxError

    kind = why_unparseable(source)
    rule = {"python2": CellPython2, "placeholder": CellPlaceholder, "syntax": CellSyntaxError}[kind]
    message = rule.message
    if kind == "syntax":
        message = f"{rule.message}: {error.message} (line {error.raw_line}, column {error.raw_column + 1})"
    ctx.flag(rule, cell, message, line=error.raw_line, column=error.raw_column + 1)


def bound_names(notebook: Notebook) -> frozenset[str]:
    """Databricks names this notebook binds itself (`from IPython.display import display`, `def display`)."""
    text = "\n".join(c.source for c in notebook.cells if c.kind == "code")
    found = set()
    for name in DATABRICKS_NAMES:
        if name not in text:
            continue
        pattern = _TOP_BINDINGS.get(name) or _TOP_BINDINGS.setdefault(name, _top_binding(name))
        if _any_line(pattern, name, text):
            found.add(name)
    return frozenset(found)


def _top_binding(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"^[ \t]*(?:def|class)[ \t]+{name}\b|\bimport\b.*\b{name}\b(?![ \t]+as\b)|\bas[ \t]+{name}\b"
        rf"|^[ \t]*{name}[ \t]*(?::[^=]*)?=[^=]|\bfor[ \t]+{name}[ \t]+in\b",
        re.MULTILINE,
    )


_TOP_BINDINGS: dict[str, re.Pattern[str]] = {}
