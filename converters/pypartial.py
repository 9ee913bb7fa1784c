"""A libcst module of only the top-level statements of a cell that the rules may change.

Parsing costs more than everything else the rules do, and most of a cell's text usually holds no
candidate. So the cell's statements are found with Python's fast `ast`, and libcst parses only the hot
ones (with whatever lies between them and the previous statement: comments, blank lines) into one
module, in order. A rule sees the same nodes there as in the whole cell's module, because libcst gives
every line the same owner in both:

- a run of statements starting at the cell's first one keeps the cell's header; any other run follows
  a placeholder `pass`, so the lines before its first statement stay that statement's `leading_lines`;
- a boundary with a cold neighbour is cut only where every line between the two statements is empty
  or a comment at column 0 (libcst gives those to the next statement, never to the previous block's
  footer); elsewhere the neighbour is parsed too (it is not walked: it holds no candidate);
- a run ending at the cell's last statement takes the rest of the cell (its footer);
- inside a hot block statement, and for a cold neighbour taken along, a statement holding no candidate
  is parsed as `pass` at its indentation: a simple statement owns no line after it, and a block
  statement is replaced only when no comment follows it (libcst gives the comments after a block to
  that block's footer). The pass never walks such a statement (its lines hold no candidate), so the
  hot nodes are the same as in the whole cell's module.

A hot statement whose idioms all sit in plain literals of a `literal_only` rule (the path map) is parsed
as `pass` too, like a cold one: the pass runs that rule's hook on its literals found with `ast`
(`pyliterals`).

The new text is the cell's text with the replaced nodes' text swapped in (`pysplice`); where that is
not exact, or a rule needs something of the whole cell (scopes), the caller parses the whole cell.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Callable
from typing import NamedTuple

import libcst as cst

from emrlab.converters.pyliterals import Literal
from emrlab.converters.pynodes import parse_module
from emrlab.converters.translate import Context

_PLACEHOLDER = "pass\n"


class Partial(NamedTuple):
    """The hot statements' module; `skip` placeholder statements lead it, then one statement for each
    of the `nodes` groups (ast statements, as `pypass` groups them)."""

    module: cst.Module
    skip: int
    nodes: list[ast.stmt]
    chars: int  # how much of the cell's text libcst parsed
    literals: dict[int, list[Literal]]  # statements parsed as `pass`, by first line: their literals


class Hot(NamedTuple):
    """What libcst parses of a cell: the text, the number of placeholders it starts with, the ast
    statements it holds, and the literals of those parsed as `pass` (by first line, `pyliterals`)."""

    text: str
    skip: int
    nodes: list[ast.stmt]
    literals: dict[int, list[Literal]]


# (cell's text, statements, their span, line -> offset) -> their literals, or None (`pyliterals`)
LiteralsOf = Callable[[str, list[ast.stmt], tuple[int, int], Callable[[int], int]], list[Literal] | None]


def hot_statements(
    source: str, tree: ast.Module, pattern: re.Pattern[str], most: float, literals: LiteralsOf | None = None
) -> Hot | None:
    """The hot statements (with `literals` naming those whose literals are rewritten without libcst);
    None when libcst would parse more than `most` of the cell's text (then parse the whole cell)."""
    groups = _top_groups(tree.body)
    if not groups:
        return Hot("", 0, [], {})
    lines = source.split("\n")
    starts = [0, *itertools.accumulate(len(line) + 1 for line in lines)]

    def offset(line: int) -> int:  # where 1-based `line` starts
        return min(starts[min(line - 1, len(starts) - 1)], len(source))

    hot = [pattern.search(source, offset(first), offset(last + 1)) is not None for first, last, _ in groups]
    if not any(hot):
        return Hot("", 0, [], {})
    clean: dict[int, bool] = {}  # boundary before group i -> whether it may be cut

    def cut(i: int) -> bool:
        if i not in clean:
            gap = lines[groups[i - 1][1] : groups[i][0] - 1]
            clean[i] = all(not line or line[0] == "#" for line in gap)
        return clean[i]

    taken = list(hot)
    changed = True
    while changed:  # a boundary that is not clean must not be cut: take both sides
        changed = False
        for i in range(1, len(groups)):
            if taken[i - 1] != taken[i] and not cut(i):
                taken[i - 1] = taken[i] = changed = True
    parts: list[str] = []
    skip = 0
    nodes: list[ast.stmt] = []
    size = 0

    def is_hot(first: int, last: int) -> bool:
        return pattern.search(source, offset(first), offset(last + 1)) is not None

    thin = _Thinner(lines, is_hot)
    found: dict[int, list[Literal]] = {}
    for i, group in enumerate(groups):
        if not taken[i]:
            continue
        start = 0 if i == 0 else offset(groups[i - 1][1] + 1)  # with the lines before it
        if i and not taken[i - 1] and not parts:
            parts.append(_PLACEHOLDER)
            skip = 1
        end = len(source) if i == len(groups) - 1 else offset(group[1] + 1)
        first, last, group_nodes = group
        strings = None
        if hot[i] and literals is not None and thin.replaceable(group_nodes, last):
            strings = literals(source, group_nodes, (offset(first), offset(last + 1)), offset)
        if strings is not None:
            found[first] = strings
            spans = [(first, last)]
        else:
            spans = thin.group(group, hot[i])
        for first, last in spans:
            span_end = offset(last + 1)
            ends_line = source[span_end - 1 : span_end] == "\n"
            parts += (source[start : offset(first)], thin.placeholder(first, ends_line))
            size += offset(first) - start
            start = span_end
        parts.append(source[start:end])
        size += end - start
        nodes += group[2]
    if size > most * len(source):
        return None
    return Hot("".join(parts), skip, nodes, found)


def parse_hot(
    source: str,
    tree: ast.Module,
    pattern: re.Pattern[str],
    most: float = 1.0,
    literals: LiteralsOf | None = None,
) -> Partial | None:
    """The module of the hot statements, or None when the whole cell should be parsed instead (most of
    it is hot, or libcst refuses the part: let the whole cell's parse report it)."""
    found = hot_statements(source, tree, pattern, most, literals)
    if found is None:
        return None
    try:
        module = parse_module(found.text)
    except cst.ParserSyntaxError:
        return None
    chars = len(found.text) - len(_PLACEHOLDER) * found.skip
    return Partial(module, found.skip, found.nodes, chars, found.literals)


class _Thinner:
    """The line spans (1-based, inclusive) of a group's statements that libcst may parse as `pass`."""

    def __init__(self, lines: list[str], is_hot: Callable[[int, int], bool]) -> None:
        self.lines = lines
        self.is_hot = is_hot

    def group(self, group: tuple[int, int, list[ast.stmt]], hot: bool) -> list[tuple[int, int]]:
        first, last, nodes = group
        if not hot:  # a cold neighbour, parsed only because a comment ties it to a hot one
            return [(first, last)] if self.replaceable(nodes, last) else []
        return self._inside(nodes[0]) if len(nodes) == 1 else []

    def placeholder(self, first: int, ends_line: bool) -> str:
        """`pass` with the indentation of line `first` (and a line break if the replaced text had one)."""
        line = self.lines[first - 1]
        indent = line[: len(line) - len(line.lstrip())]
        return indent + ("pass\n" if ends_line else "pass")

    def _inside(self, node: ast.stmt) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for body in _bodies(node):
            if not self._own_lines(body[0]):
                continue  # `if x: y()`: the body shares the header's line
            for first, last, nodes in _top_groups(body):
                if not self.is_hot(first, last):
                    if self.replaceable(nodes, last):
                        spans.append((first, last))
                elif len(nodes) == 1:
                    spans += self._inside(nodes[0])
        return spans

    def replaceable(self, nodes: list[ast.stmt], last: int) -> bool:
        """Whether statements `nodes`, ending at line `last`, may be parsed as `pass`."""
        return all(not _bodies(n) for n in nodes) or self._no_comment_after(last)

    def _own_lines(self, node: ast.stmt) -> bool:
        """Whether `node` starts its line (nothing but indentation before it)."""
        decorators = getattr(node, "decorator_list", None)
        if decorators:
            line = self.lines[statement_span(node)[0] - 1]
            return line.lstrip().startswith("@")
        return not self.lines[node.lineno - 1][: node.col_offset].strip()

    def _no_comment_after(self, last: int) -> bool:
        """Whether no comment lies between line `last` and the next line of code."""
        for line in itertools.islice(self.lines, last, None):
            text = line.strip()
            if text.startswith("#"):
                return False
            if text:
                return True
        return True


def _bodies(node: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists a block statement holds (body, else, finally, handlers, cases)."""
    found = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            found.append(value)
    for holder in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
        if holder.body:
            found.append(holder.body)
    return found


def statement_span(node: ast.stmt) -> tuple[int, int]:
    """The first line (its first decorator's, if any) and the last line of a statement."""
    decorators = getattr(node, "decorator_list", None)
    first = min(node.lineno, *(d.lineno for d in decorators)) if decorators else node.lineno
    return first, node.end_lineno or node.lineno


def _top_groups(nodes: list[ast.stmt]) -> list[tuple[int, int, list[ast.stmt]]]:
    """Top-level statements with their first and last lines, grouped as libcst sees them (`a; b`)."""
    groups: list[tuple[int, int, list[ast.stmt]]] = []
    for node in nodes:
        first, last = statement_span(node)
        if groups and first == groups[-1][1]:
            groups[-1][2].append(node)
            groups[-1] = (groups[-1][0], last, groups[-1][2])
        else:
            groups.append((first, last, [node]))
    return groups


class WholeCellNeededError(Exception):
    """A rule asked for something only the whole cell's module has (scopes): parse it all and redo."""


class Undo:
    """What a cell's rule pass may change in its context, as it was, to undo a pass given up on."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.findings = len(ctx.findings)
        self.requirements = len(ctx.requirements)
        self.notes = dict(vars(ctx.notes))
        self.hoisted = list(ctx.notes.hoisted_pip)
        self.widgets = dict(ctx.widgets)

    def __call__(self) -> None:
        ctx = self.ctx
        del ctx.findings[self.findings :]
        del ctx.requirements[self.requirements :]
        vars(ctx.notes).update(self.notes)
        ctx.notes.hoisted_pip[:] = self.hoisted  # the same list: `%run` children share it
        ctx.widgets.clear()
        ctx.widgets.update(self.widgets)
