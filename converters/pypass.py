"""One cell's rule pass: which statements to walk, the walk itself, and the cell's new code.

Only statements whose text holds a candidate are walked (walking costs about as much as parsing, and
most statements hold no idiom). Function, class, loop and `with` bodies are pruned the same way,
statement by statement, when their header holds no candidate. Statement boundaries come from Python's
fast `ast`; if it and libcst disagree, the whole cell is walked.

The new code is the cell's text with the replaced nodes' text swapped in (`pysplice.splice`), or, when
that is not exact, the code of the whole new module.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import libcst as cst

from emrlab.converters.pyliterals import Literal
from emrlab.converters.pynodes import parse_module
from emrlab.converters.pypartial import statement_span
from emrlab.converters.pysplice import code_of, splice
from emrlab.converters.pywalk import HookTable, WalkContext, Walker


class Parsed:
    """A cell's `ast` and, when first asked, its libcst module (or why it does not parse): Python's
    parser is several times faster, and a cell whose hot statements are parsed alone needs no more."""

    def __init__(self, cell: object, source: str) -> None:
        self.cell = cell  # kept alive, so that its id names no other cell while cached
        self.source = source
        self._module: cst.Module | cst.ParserSyntaxError | None = None
        self._tree: ast.Module | bool | None = False
        self.hot: dict[Any, Any] = {}  # (candidates, literal ones) -> its hot statements' parse (`pypartial`)

    @property
    def module(self) -> cst.Module | cst.ParserSyntaxError:
        """The whole cell's libcst module, or libcst's error."""
        if self._module is None:
            try:
                self._module = parse_module(self.source)
            except cst.ParserSyntaxError as exc:
                self._module = exc
        return self._module

    def tree(self) -> ast.Module | None:
        """Python's `ast` of the cell (statement lines, imports), None if it does not parse."""
        if self._tree is False:
            try:
                self._tree = ast.parse(self.source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                self._tree = None
        assert self._tree is not True
        return self._tree


class ParseCache:
    """The parses of the last cells rewritten: a notebook inlined by several `%run`s is the same cells
    (the workspace keeps it loaded), parsed once."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[int, Parsed] = OrderedDict()

    def get(self, cell: object, source: str) -> Parsed:
        parsed = self._entries.get(id(cell))
        if parsed is not None and parsed.cell is cell and parsed.source == source:
            self._entries.move_to_end(id(cell))
            return parsed
        parsed = self._entries[id(cell)] = Parsed(cell, source)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return parsed


class RulePass:
    """The hooks of a cell's active rules, run once over the parts of the cell that may need them."""

    def __init__(self, hooks: HookTable, rc: WalkContext) -> None:
        self.hooks = hooks
        self.walker = Walker(hooks, rc)

    def visit(self, node: cst.CSTNode, window: tuple[int, int], indented: bool) -> Any:
        if self.hooks.needs_full_visit:
            self.walker.spliceable = False
            return node.visit(_Transformer(self.walker, self.hooks.all_bits))
        return self.walker.walk(node, window, indented)

    def run(
        self, module: cst.Module, tree: ast.Module | None, source: str, candidates: Collection[str]
    ) -> Any:
        """The module with the pass run over its relevant statements."""
        if "\r" in source:
            self.walker.spliceable = False  # ast counts `\r` as a line break, str.split does not
        if tree is None:
            return self.visit(module, (0, len(source)), False)
        pruner = _Pruner(source, self, candidates)
        body = pruner.block(module.body, tree.body, False)
        if body is None:
            return self.visit(module, (0, len(source)), False)
        if all(new is old for new, old in zip(body, module.body, strict=True)):
            return module
        return module.with_changes(body=body)

    def run_hot(
        self,
        module: cst.Module,
        skip: int,
        nodes: list[ast.stmt],
        source: str,
        candidates: Collection[str],
        literals: Mapping[int, list[Literal]],
    ) -> Any:
        """The pass over a module of the cell's hot statements (`pypartial`): `skip` placeholders, then
        one statement per group of `nodes`, whose lines are those of `source`; the statements starting
        at a line of `literals` are placeholders whose literals the string hooks get instead. None if
        libcst and ast group the statements differently."""
        pruner = _Pruner(source, self, candidates, literals)
        body = pruner.block(module.body[skip:], nodes, False)
        if body is None:
            return None
        if all(new is old for new, old in zip(body, module.body[skip:], strict=True)):
            return module
        return module.with_changes(body=[*module.body[:skip], *body])

    def code(self, module: cst.Module, rewritten: cst.Module, source: str) -> str:
        """The new module's code: `source` patched where nodes were replaced, if that is exact."""
        patched = self.patched(module, rewritten, source)
        return rewritten.code if patched is None else patched

    def patched(self, module: cst.Module, rewritten: cst.Module, source: str) -> str | None:
        """`source` patched where nodes of `module` were replaced; None where that is not exact."""
        if rewritten is module and not self.walker.replacements:
            return source
        if self.walker.spliceable:
            return splice(source, self.walker.replacements, code_of(module))
        return None


class _Transformer(cst.CSTTransformer):
    """libcst's full visit, for hooks on node types the fast walk skips."""

    def __init__(self, walker: Walker, bits: int) -> None:
        super().__init__()
        self.walker = walker
        self.bits = bits

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        updated = super().on_leave(original_node, updated_node)
        if isinstance(original_node, cst.Attribute):
            self.walker._attribute(original_node)
        hooks = self.walker.table.get(type(original_node))
        return self.walker._leave(original_node, updated, hooks, self.bits) if hooks else updated


class _Pruner:
    def __init__(
        self,
        source: str,
        rule_pass: RulePass,
        candidates: Collection[str],
        literals: Mapping[int, list[Literal]] | None = None,
    ) -> None:
        self.source = source
        self.rule_pass = rule_pass
        self.literals = literals or {}
        self.pattern = candidates_pattern(frozenset(candidates))
        lines = source.split("\n")
        self.starts = [0, *itertools.accumulate(len(line) + 1 for line in lines)]  # of each line

    def offset(self, line: int) -> int:
        """Where 1-based `line` starts (the end of the source past the last line)."""
        starts = self.starts
        return min(starts[max(0, min(line - 1, len(starts) - 1))], len(self.source))

    def hot(self, first: int, last: int) -> bool:
        """Whether lines `first`..`last` hold a candidate."""
        start, end = self.offset(first), self.offset(last + 1)
        return start < end and self.pattern.search(self.source, start, end) is not None

    def block(self, statements: Sequence[Any], nodes: list[ast.stmt], indented: bool) -> list[Any] | None:
        """The statements with the hot ones walked; None when libcst and ast group them differently."""
        groups = _groups(nodes)
        if len(groups) != len(statements):
            return None
        return [self.statement(s, g, indented) for s, g in zip(statements, groups, strict=True)]

    def statement(self, statement: Any, group: list[tuple[int, int, ast.stmt]], indented: bool) -> Any:
        first, last, node = group[0][0], group[-1][1], group[0][2]
        strings = None if indented else self.literals.get(first)
        if strings is not None:
            self.rule_pass.walker.literals(strings)
            return statement
        if not self.hot(first, last):
            return statement
        inner: list[ast.stmt] = getattr(node, "body", None) or []
        simple_body = (
            len(group) == 1
            and isinstance(statement, _PRUNABLE)
            and isinstance(getattr(statement, "body", None), cst.IndentedBlock)
            and isinstance(inner, list)
            and bool(inner)
            and not getattr(node, "orelse", None)
        )
        if simple_body and not self.hot(first, statement_span(inner[0])[0] - 1):
            block = statement.body
            body = self.block(block.body, inner, True)
            if body is not None:
                if all(new is old for new, old in zip(body, block.body, strict=True)):
                    return statement
                return statement.with_changes(body=block.with_changes(body=body))
        window = (self.offset(first), self.offset(last + 1))
        return self.rule_pass.visit(statement, window, indented)


_PATTERNS: dict[frozenset[str], re.Pattern[str]] = {}
_NARROWED: dict[str, str] = {}  # candidate -> the regex matching only where its rule may act


def narrow(candidate: str, pattern: str) -> None:
    """Let text hold `candidate` for the pass only where `pattern` matches it (its rule's hooks act
    nowhere else: a statement matching no such pattern is neither parsed nor walked)."""
    if _NARROWED.setdefault(candidate, pattern) != pattern:
        raise ValueError(f"two patterns for the candidate {candidate!r}")
    _PATTERNS.clear()


def candidates_pattern(candidates: frozenset[str]) -> re.Pattern[str]:
    """Any of `candidates`, each where its narrowing pattern matches (compiled once per set)."""
    pattern = _PATTERNS.get(candidates)
    if pattern is None:
        ordered = sorted(candidates, key=len, reverse=True)
        alternatives = "|".join(_NARROWED.get(c) or re.escape(c) for c in ordered)
        pattern = _PATTERNS[candidates] = re.compile(alternatives or "(?!)")
    return pattern


_PRUNABLE = (cst.FunctionDef, cst.ClassDef, cst.With, cst.For, cst.While, cst.If)


def _groups(nodes: list[ast.stmt]) -> list[list[tuple[int, int, ast.stmt]]]:
    """ast statements (with their first and last lines) grouped as libcst sees them: `a = 1; b = 2` on
    one line is one statement."""
    groups: list[list[tuple[int, int, ast.stmt]]] = []
    for node in nodes:
        first, last = statement_span(node)
        if groups and first == groups[-1][-1][1]:
            groups[-1].append((first, last, node))
        else:
            groups.append([(first, last, node)])
    return groups
