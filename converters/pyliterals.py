"""Statements whose idioms all sit in plain string literals, rewritten from Python's `ast` alone.

A rule whose hooks act on a string literal by its value alone (`PythonRule.literal_only`: the path map)
needs no libcst tree where a statement holds no other rule's candidate: its hook can run on a
`SimpleString` built from the literal's text, which is the node libcst would have parsed there. The
statement is then parsed as `pass` (`pypartial`), and the pass runs the hook on each such literal in
source order, when it reaches the statement (`pypass`), so findings keep their order.

Only literals whose node that would be is certain qualify: one token (no implicit concatenation), no
backslash, no line break, ASCII text (ast columns are UTF-8 bytes); a statement holding an f-string, or
`dbutils` (the walk notes those uses), is left to libcst.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import NamedTuple

_PREFIXES = frozenset("rRuU")


class Literal(NamedTuple):
    """A string literal's code and where it lies in the cell's text."""

    code: str
    start: int
    end: int


def literal_strings(
    source: str,
    nodes: list[ast.stmt],
    span: tuple[int, int],
    offset: Callable[[int], int],
    *,
    literal: re.Pattern[str],
    others: re.Pattern[str],
) -> list[Literal] | None:
    """The literals of statements `nodes` (lying in `source[span[0]:span[1]]`, `offset(line)` giving
    where a line starts) holding one of the `literal` candidates, in source order; None when the
    statements hold one of the `others` or a literal that does not qualify."""
    start, end = span
    text = source[start:end]
    if "\\" in text or not text.isascii() or others.search(text):
        return None
    found: list[tuple[int, int, Literal]] = []
    for node in nodes:
        for inner in ast.walk(node):
            if isinstance(inner, ast.JoinedStr):
                return None
            if not isinstance(inner, ast.Constant) or not isinstance(inner.value, str):
                continue
            if inner.end_lineno is None or inner.end_col_offset is None:
                return None
            at = offset(inner.lineno) + inner.col_offset
            code = source[at : offset(inner.end_lineno) + inner.end_col_offset]
            if literal.search(code) is None:
                continue
            if "\n" in code or not _one_token(code, inner.value):
                return None
            found.append((inner.lineno, inner.col_offset, Literal(code, at, at + len(code))))
    found.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in found]


def _one_token(code: str, value: str) -> bool:
    """Whether `code` is a single string token whose value is the text between its quotes."""
    i = 0
    while i < len(code) and code[i] in _PREFIXES:
        i += 1
    quote = code[i : i + 3] if code[i : i + 3] in ('"""', "'''") else code[i : i + 1]
    if quote not in ('"', "'", '"""', "'''") or len(code) < i + 2 * len(quote) or not code.endswith(quote):
        return False
    return code[i + len(quote) : len(code) - len(quote)] == value
