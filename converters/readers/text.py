"""Bytes to text for every reader: strict UTF-8 with an actionable error, BOM and CRLF normalised."""

from __future__ import annotations

import json
from typing import Any

from emrlab.converters.findings import InputError


def decode(data: bytes, where: str) -> str:
    if not data.strip():
        raise InputError(where, "empty file; re-export the notebook")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            where,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); re-export it, or convert "
            "it with `iconv -f <its encoding> -t utf-8`",
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def load_json(data: bytes, where: str) -> Any:
    text = decode(data, where)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            where, f"invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); re-export it"
        ) from None


def expect(value: Any, kind: type | tuple[type, ...], where: str, key: str) -> Any:
    """`value` if it has the expected type, else an InputError naming the key."""
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        value = None  # JSON true is not a number
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        got = "missing" if value is None else f"a {type(value).__name__}"
        raise InputError(where, f"`{key}` should be a {names}, but it is {got}; re-export the notebook")
    return value


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (for optional metadata)."""
    return value if isinstance(value, dict) else {}


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
