"""A rewritten cell's new code without generating the whole module's code again.

The rule pass records the nodes it replaced, narrowed to the parts that changed. Each one's old code is
found in the cell's text, exactly once after the previous one and inside its statement (or inside the
node a hook replaced, its anchor); the new code goes in its place. Where that cannot be made sure of,
the caller generates the whole module's code instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import libcst as cst


class Replacement(NamedTuple):
    """Replace `original`'s code by `new`'s. It lies in `source[window[0]:window[1]]`, inside the code
    of `anchor` (the node a hook replaced, if not this one)."""

    original: cst.CSTNode
    new: cst.CSTNode
    window: tuple[int, int]
    indented: bool  # inside an indented block: its code must not span lines to be patched alone
    anchor: cst.CSTNode | None


def splice(
    source: str, replacements: Iterable[Replacement], code: Callable[[cst.CSTNode], str]
) -> str | None:
    """`source` with each replaced node's code swapped for its new code; None when a node's code is not
    found exactly once where it must be (after the previous replacement, in its statement or anchor)."""
    parts: list[str] = []
    position = 0
    anchors: dict[int, tuple[int, int]] = {}
    for original, new, (start, end), indented, anchor in replacements:
        old_text, new_text = code(original), code(new)
        if not old_text or (indented and ("\n" in old_text or "\n" in new_text)):
            return None  # lines inside a block carry the block's indentation: not patched alone
        found = _find_once(source, old_text, max(position, start), end)
        if found is None and anchor is not None:
            span = anchors.get(id(anchor))
            if span is None:
                anchor_text = code(anchor)
                at = _find_once(source, anchor_text, max(position, start), end)
                if at is None:
                    return None
                span = anchors[id(anchor)] = (at, at + len(anchor_text))
            found = _find_once(source, old_text, max(position, span[0]), span[1])
        if found is None:
            return None
        parts += (source[position:found], new_text)
        position = found + len(old_text)
    parts.append(source[position:])
    return "".join(parts)


def _find_once(source: str, text: str, start: int, end: int) -> int | None:
    found = source.find(text, start, end)
    if found < 0 or source.find(text, found + 1, end) >= 0:
        return None
    return found


def code_of(module: cst.Module) -> Callable[[cst.CSTNode], str]:
    """The code of a node of `module`, as `module.code_for_node` gives it (directly for small ones)."""

    def code(node: cst.CSTNode) -> str:
        text = quick_code(node)
        return module.code_for_node(node) if text is None else text

    return code


def quick_code(node: Any) -> str | None:
    """The code of a name, literal, f-string text or dotted name without parentheses (what libcst would
    generate for it), or None for any other node."""
    cls = type(node)
    if cls is cst.Name or cls is cst.SimpleString or cls is cst.Integer or cls is cst.Float:
        return None if node.lpar or node.rpar else str(node.value)
    if cls is cst.FormattedStringText:
        return str(node.value)
    if cls is cst.Attribute and not node.lpar and not node.rpar:
        dot = node.dot
        before, after = dot.whitespace_before, dot.whitespace_after
        if type(dot) is not cst.Dot or type(before) is not cst.SimpleWhitespace:
            return None
        if type(after) is not cst.SimpleWhitespace:
            return None
        value, attr = quick_code(node.value), quick_code(node.attr)
        if value is None or attr is None:
            return None
        return f"{value}{before.value}.{after.value}{attr}"
    return None


def changed_fields(old: Any, new: Any, order: tuple[str, ...]) -> set[str] | None:
    """The fields of two nodes of one type that differ; None when a list of nodes differs."""
    changed = set()
    for name in order:
        a, b = getattr(old, name), getattr(new, name)
        if a is b:
            continue
        if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
            if len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True)):
                continue
            if not a and not b:
                continue
            return None
        if isinstance(a, cst.CSTNode) and isinstance(b, cst.CSTNode):
            changed.add(name)
        elif a != b:
            return None
    return changed


Fields = Callable[[cst.CSTNode], tuple[tuple[str, ...], tuple[str, ...]]]


def parts(old: Any, new: Any, fields: Fields) -> list[tuple[cst.CSTNode, cst.CSTNode]] | None:
    """(old, new) pairs of the smallest patchable nodes that differ between two trees, in source order;
    None when a difference lies outside any patchable node. `fields(node)`: the fields of the node's
    type that may hold syntax nodes, and all its fields, in source order."""
    if not isinstance(old, cst.CSTNode) or not isinstance(new, cst.CSTNode):
        return None
    if type(old) is type(new):
        syntax, order = fields(old)
        changed = changed_fields(old, new, order)
        if changed is not None and changed <= set(syntax):
            pairs: list[tuple[cst.CSTNode, cst.CSTNode]] = []
            for name in syntax:
                if name in changed:
                    inner = parts(getattr(old, name), getattr(new, name), fields)
                    if inner is None:
                        break
                    pairs += inner
            else:
                return pairs
    return [(old, new)] if expression(old) and expression(new) else None


def expression(node: Any) -> bool:
    """An expression, whose code does not depend on where it is (a starred element's comma does)."""
    return isinstance(node, cst.BaseExpression) and not isinstance(node, cst.BaseElement)
