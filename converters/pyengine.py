"""The Python rewrite step: one libcst parse and one pass per cell, running every enabled Python rule.

A cell whose text holds none of the rules' candidate strings is returned untouched without parsing (the
prefilter). IPython lines are masked before parsing and restored after. A cell that does not parse is
kept verbatim with a finding saying whether it is Python 2, a `<FILL_IN>` placeholder or a syntax error.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import libcst as cst
from libcst.metadata import MetadataWrapper, ScopeProvider

from emrlab.converters.codegen import py_str
from emrlab.converters.model import Cell, Notebook
from emrlab.converters.pymask import Masked, mask, why_unparseable
from emrlab.converters.rulebase import Rule
from emrlab.converters.translate import Context

# Names Databricks predefines in every notebook; a notebook that binds one itself keeps its own.
DATABRICKS_NAMES = ("dbutils", "display", "displayHTML", "getArgument", "sqlContext", "table", "sql")
RUNTIME = "emrlab.runtime"
_HOOK = re.compile(r"^leave_([A-Z]\w*)$")


class PythonRule(Rule):
    """A rule that rewrites or flags Python through libcst hooks.

    Subclasses set `candidates` (strings one of which must appear in a cell for the rule to run) and
    define `leave_<NodeType>(self, original, updated, rc)` methods returning the (possibly new) node.
    """

    candidates: ClassVar[tuple[str, ...]] = ()
    uses_ast: ClassVar[bool] = False  # a flag-only rule that reads Python's `ast` instead of libcst

    def check(self, tree: ast.Module, rc: RuleContext) -> None:
        """For `uses_ast` rules: inspect the cell's ast (fast: no libcst visit needed)."""

    @classmethod
    def hooks(cls) -> dict[str, str]:
        """Node type name -> method name, for every `leave_X` hook the rule defines."""
        found = {}
        for attribute in dir(cls):
            match = _HOOK.match(attribute)
            if match:
                found[match.group(1)] = attribute
        return found


class RuleContext:
    """What a Python rule sees of the cell it is rewriting: positions, scopes, flags, shared notes."""

    def __init__(self, ctx: Context, cell: Cell, masked: Masked, wrapper: MetadataWrapper) -> None:
        self.ctx = ctx
        self.cell = cell
        self.masked = masked
        self.module = wrapper.module
        self._wrapper = wrapper
        self._resolved: dict[type[Any], Any] = {}
        self.changed = False
        self._dbutils: dict[cst.Name, None] = {}  # Databricks `dbutils` names seen, in order
        self._handled: set[int] = set()

    def _metadata(self, provider: type[Any]) -> Any:
        """Metadata computed only when a rule first asks (positions and scopes cost more than parsing)."""
        if provider not in self._resolved:
            self._resolved[provider] = self._wrapper.resolve(provider)
        return self._resolved[provider]

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

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
        if not _may_bind(name.value, self.masked.source):
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
        rf"|\b(?:def|lambda)\b[^:]*\b{name}\b|\b(?:global|nonlocal)\b.*\b{name}\b"
    )


_BINDINGS: dict[str, re.Pattern[str]] = {}


def _may_bind(name: str, source: str) -> bool:
    if name not in _BINDINGS:
        _BINDINGS[name] = _binding_pattern(name)
    pattern = _BINDINGS[name]
    return ":=" in source or any(pattern.search(line) for line in source.split("\n") if name in line)


def _bound(assignment: Any) -> bool:
    return type(assignment).__name__ != "BuiltinAssignment"


class _Pass(cst.CSTTransformer):
    def __init__(self, rules: Sequence[PythonRule]) -> None:
        super().__init__()
        self.dispatch: dict[str, list[Callable[..., Any]]] = {}
        for rule in rules:
            for node_type, method in rule.hooks().items():
                self.dispatch.setdefault(node_type, []).append(getattr(rule, method))
        self.rc: RuleContext | None = None

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        updated = super().on_leave(original_node, updated_node)
        rc = self.rc
        assert rc is not None
        value = original_node.value if isinstance(original_node, cst.Attribute) else None
        if isinstance(value, cst.Name) and value.value == "dbutils" and rc.is_databricks(value):
            rc.saw_dbutils(value)
        for hook in self.dispatch.get(type(original_node).__name__, ()):
            if not isinstance(updated, type(original_node)):
                break  # an earlier rule replaced or removed the node
            updated = hook(original_node, updated, self.rc)
        return updated


class LibcstRewriter:
    """The `Context.rewrite_python` step for a set of rules (built once per batch, reused per cell)."""

    def __init__(self, rules: Iterable[PythonRule]) -> None:
        self.rules = list(rules)
        self.candidates = sorted({c for rule in self.rules for c in rule.candidates})

    def __call__(self, source: str, cell: Cell, ctx: Context) -> str:
        if source.lstrip().startswith("%%") or not source.strip():
            return source  # an IPython cell magic: not Python
        masked = mask(source)
        try:
            module = cst.parse_module(masked.source)
        except cst.ParserSyntaxError as exc:
            report_unparseable(source, cell, ctx, exc)
            return source
        if not any(c in source for c in self.candidates):
            return source  # the prefilter: nothing any rule looks for
        active = [
            r
            for r in self.rules
            if ctx.options.enabled(r.id, r.name) and any(c in source for c in r.candidates)
        ]
        if not active:
            return source
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        rc = RuleContext(ctx, cell, masked, wrapper)
        try:
            tree: ast.Module | None = ast.parse(masked.source)
        except (SyntaxError, ValueError):
            tree = None
        for rule in active:
            if rule.uses_ast and tree is not None:
                rule.check(tree, rc)
        visiting = [r for r in active if not r.uses_ast]
        rewritten = module
        if visiting:
            transformer = _Pass(visiting)
            transformer.rc = rc
            candidates = {c for r in visiting for c in r.candidates}
            rewritten = _visit_relevant(module, tree, masked.source, transformer, candidates)
        rc.finish()
        if not rc.changed:
            return source
        return masked.restore(rewritten.code)


def _visit_relevant(
    module: cst.Module, tree: ast.Module | None, source: str, transformer: _Pass, candidates: set[str]
) -> cst.Module:
    """Run the pass only over statements whose text holds a candidate (visiting costs as much as
    parsing, and most statements hold no idiom). Function, class, loop and `with` bodies are pruned the
    same way, statement by statement, when their header holds no candidate. Statement boundaries come
    from Python's fast `ast`; if it and libcst disagree, the whole cell is visited."""
    if tree is None:
        return module.visit(transformer)
    pruner = _Pruner(source.split("\n"), transformer, candidates)
    body = pruner.block(list(module.body), tree.body)
    return module.visit(transformer) if body is None else module.with_changes(body=body)


class _Pruner:
    def __init__(self, lines: list[str], transformer: _Pass, candidates: set[str]) -> None:
        self.lines = lines
        self.transformer = transformer
        self.candidates = candidates

    def hot(self, first: int, last: int) -> bool:
        text = "\n".join(self.lines[first - 1 : last])
        return any(c in text for c in self.candidates)

    def block(self, statements: list[Any], nodes: list[ast.stmt]) -> list[Any] | None:
        """The statements with the hot ones visited; None when libcst and ast group them differently."""
        groups = _groups(nodes)
        if len(groups) != len(statements):
            return None
        return [self.statement(s, g) for s, g in zip(statements, groups, strict=True)]

    def statement(self, statement: Any, group: list[ast.stmt]) -> Any:
        first, last = _span(group[0])[0], _span(group[-1])[1]
        if not self.hot(first, last):
            return statement
        node = group[0]
        inner: list[ast.stmt] = getattr(node, "body", None) or []
        simple_body = (
            len(group) == 1
            and isinstance(statement, _PRUNABLE)
            and isinstance(getattr(statement, "body", None), cst.IndentedBlock)
            and isinstance(inner, list)
            and bool(inner)
            and not getattr(node, "orelse", None)
        )
        if simple_body and not self.hot(first, _span(inner[0])[0] - 1):
            body = self.block(list(statement.body.body), inner)
            if body is not None:
                return statement.with_changes(body=statement.body.with_changes(body=body))
        return statement.visit(self.transformer)


_PRUNABLE = (cst.FunctionDef, cst.ClassDef, cst.With, cst.For, cst.While, cst.If)


def _span(node: ast.stmt) -> tuple[int, int]:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)]), node.end_lineno or node.lineno


def _groups(nodes: list[ast.stmt]) -> list[list[ast.stmt]]:
    """ast statements grouped as libcst sees them: `a = 1; b = 2` on one line is one statement."""
    groups: list[list[ast.stmt]] = []
    for node in nodes:
        if groups and _span(node)[0] == _span(groups[-1][-1])[1]:
            groups[-1].append(node)
        else:
            groups.append([node])
    return groups


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
        if any(pattern.search(line) for line in text.split("\n") if name in line):
            found.add(name)
    return frozenset(found)


def _top_binding(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"^[ \t]*(?:def|class)[ \t]+{name}\b|\bimport\b.*\b{name}\b(?![ \t]+as\b)|\bas[ \t]+{name}\b"
        rf"|^[ \t]*{name}[ \t]*(?::[^=]*)?=[^=]|\bfor[ \t]+{name}[ \t]+in\b"
    )


_TOP_BINDINGS: dict[str, re.Pattern[str]] = {}


# --- helpers shared by the rules -----------------------------------------------------------------

_EXPRESSIONS: dict[str, cst.BaseExpression] = {}


def expression(code: str) -> cst.BaseExpression:
    """A parsed expression (cached): `expression("emrlab.runtime.fs.ls")`."""
    if code not in _EXPRESSIONS:
        _EXPRESSIONS[code] = cst.parse_expression(code)
    return _EXPRESSIONS[code]


def dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for an attribute chain ending in a name, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def root_name(node: cst.BaseExpression) -> cst.Name | None:
    while isinstance(node, (cst.Attribute, cst.Call, cst.Subscript)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node if isinstance(node, cst.Name) else None


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain string literal (not an f-string, not concatenated), else None."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def argument(call: cst.Call, position: int, keyword: str) -> cst.Arg | None:
    """The argument given at `position` or as `keyword=`."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[position] if position < len(positional) else None


def with_func(call: cst.Call, code: str) -> cst.Call:
    return call.with_changes(func=expression(code))


def literal(value: str) -> cst.SimpleString:
    return cst.SimpleString(py_str(value))
