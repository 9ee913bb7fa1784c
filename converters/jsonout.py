"""JSON text exactly as `json.dumps(value, indent=1, ensure_ascii=False[, sort_keys=True])` writes it,
about three times faster: the standard library's C encoder does not indent, its Python one is slow.

Plain JSON data (dicts with string keys, lists, tuples, strings, numbers, booleans, None) takes the fast
path; anything else goes to `json.dumps` itself, so the output never differs. `json_copy` copies such
data as `copy.deepcopy` would, without deepcopy's per-object bookkeeping.
"""

from __future__ import annotations

import copy
import json
from json.encoder import encode_basestring
from typing import Any

_INFINITY = float("inf")
_MAX_DEPTH = 200


class _NotPlainError(Exception):
    """The value holds something other than plain JSON data."""


def dumps(value: Any, sort_keys: bool = False) -> str:
    """`json.dumps(value, indent=1, ensure_ascii=False, sort_keys=sort_keys)`."""
    parts: list[str] = []
    try:
        _encode(value, parts, "\n", sort_keys, 0)
    except _NotPlainError:
        return json.dumps(value, indent=1, ensure_ascii=False, sort_keys=sort_keys)
    return "".join(parts)


def _encode(value: Any, parts: list[str], newline: str, sort_keys: bool, depth: int) -> None:
    kind = type(value)
    if kind is str:
        parts.append(encode_basestring(value))
    elif value is None:
        parts.append("null")
    elif kind is bool:
        parts.append("true" if value else "false")
    elif kind is int:
        parts.append(int.__repr__(value))
    elif kind is float:
        parts.append(_float(value))
    elif kind is dict:
        if not value:
            parts.append("{}")
            return
        if depth > _MAX_DEPTH:
            raise _NotPlainError
        inner = newline + " "
        keys = list(value)
        if any(type(key) is not str for key in keys):
            raise _NotPlainError  # json.dumps converts or rejects such keys
        if sort_keys:
            keys.sort()
        separator = "{" + inner
        for key in keys:
            item = value[key]
            if type(item) is str:  # most values: no call needed
                parts += (separator, encode_basestring(key), ": ", encode_basestring(item))
            else:
                parts += (separator, encode_basestring(key), ": ")
                _encode(item, parts, inner, sort_keys, depth + 1)
            separator = "," + inner
        parts.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            parts.append("[]")
            return
        if depth > _MAX_DEPTH:
            raise _NotPlainError
        inner = newline + " "
        if all(type(item) is str for item in value):  # a cell's source lines: joined at C speed
            parts += ("[", inner, ("," + inner).join(map(encode_basestring, value)), newline, "]")
            return
        separator = "[" + inner
        for item in value:
            parts.append(separator)
            _encode(item, parts, inner, sort_keys, depth + 1)
            separator = "," + inner
        parts.append(newline + "]")
    else:
        raise _NotPlainError


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def json_copy(value: Any) -> Any:
    """A deep copy of plain JSON data (`copy.deepcopy` for anything else, or for data that holds one
    container twice: deepcopy keeps such sharing)."""
    try:
        return _copy(value, set())
    except _NotPlainError:
        return copy.deepcopy(value)


def _copy(value: Any, seen: set[int]) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is not dict and kind is not list:
        raise _NotPlainError
    if id(value) in seen or len(seen) > 100_000:
        raise _NotPlainError
    seen.add(id(value))
    if kind is dict:
        return {key: _copy(item, seen) for key, item in value.items()}
    return [_copy(item, seen) for item in value]
