"""libcst node helpers shared by the Python rules: parsing, cached parsed expressions, dotted names,
literals."""

from __future__ import annotations

import threading

import libcst as cst

from emrlab.converters.codegen import py_str

_EXPRESSIONS: dict[str, cst.BaseExpression] = {}
_PARSING = threading.Lock()
_VALIDATE = cst.CSTNode.__post_init__


class ParseCount:
    """How much text `parse_module` has given libcst in this process (the fast paths' measure)."""

    calls = 0
    chars = 0


PARSED = ParseCount()


def _trusted(self: cst.CSTNode) -> None:
    """No validation: the node was built by libcst's own parser from valid source."""


def parse_module(source: str) -> cst.Module:
    """`cst.parse_module(source)` without validating every node the parser builds (about a quarter of the
    parse's time; libcst's own comment on `CSTNode.__post_init__` says parse-time validation is wasted).
    Nodes the rules build are still validated: the switch is off only inside this call."""
    with _PARSING:
        PARSED.calls += 1
        PARSED.chars += len(source)
        cst.CSTNode.__post_init__ = _trusted  # type: ignore[method-assign]
        try:
            return cst.parse_module(source)
        finally:
            cst.CSTNode.__post_init__ = _VALIDATE  # type: ignore[method-assign]


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
        value = literal_value(node)
        return value if isinstance(value, str) else None
    return None


def literal_value(node: cst.SimpleString) -> str | bytes:
    """`node.evaluated_value`, without `ast.literal_eval` for the common literal: no backslash and no
    prefix other than r/u (the text between the quotes is then the value)."""
    text = node.value
    if "\\" not in text:
        prefix = node.prefix
        if prefix in ("", "r", "R", "u", "U"):
            quote = node.quote
            return text[len(prefix) + len(quote) : -len(quote)]
    return node.evaluated_value


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
