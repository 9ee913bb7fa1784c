"""Databricks idioms in SQL text: widgets (`CREATE WIDGET`, `${x}`, `:x`), paths, table formats, Unity
Catalog names. Works statement by statement on the text `split_sql` produced."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from emrlab.converters.model import Widget

_WIDGET = re.compile(
    r"^\s*CREATE\s+WIDGET\s+(TEXT|DROPDOWN|COMBOBOX|MULTISELECT)\s+`?(\w+)`?\s+DEFAULT\s+(['\"])(.*?)\3"
    r"(?:\s+CHOICES\s+(.*?))?\s*;?\s*$",
    re.I | re.S,
)
_REMOVE_WIDGET = re.compile(r"^\s*REMOVE\s+WIDGET\s+`?\w+`?\s*;?\s*$", re.I)
_DOLLAR = re.compile(r"\$\{(\w+)\}")
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[`\w.]+", re.I)
_HAS_FORMAT = re.compile(r"\bUSING\s+\w+|\bSTORED\s+AS\b|\bLIKE\b", re.I)
_THREE_PART = re.compile(
    r"\b(?:FROM|JOIN|TABLE|INTO|UPDATE|EXISTS)\s+(`?[A-Za-z_]\w*`?\.`?\w+`?\.`?\w+`?)(?!\s*\()", re.I
)
_FILE_FORMATS = {"parquet", "delta", "json", "csv", "orc", "avro", "text", "binaryfile"}
_CATALOG = re.compile(r"^\s*(?:USE\s+CATALOG|CREATE\s+CATALOG|ALTER\s+CATALOG)\b|\bsystem\.\w+\.\w+", re.I)


@dataclass
class SqlAnalysis:
    """What one statement holds that needs attention, and its text with safe rewrites applied."""

    text: str
    widget: Widget | None = None
    dropped: bool = False
    dollar_params: list[str] = field(default_factory=list)
    marker_params: list[str] = field(default_factory=list)
    catalog_names: list[str] = field(default_factory=list)
    made_delta: bool = False
    format_unclear: bool = False


def analyse(statement: str, known_widgets: set[str]) -> SqlAnalysis:
    result = SqlAnalysis(statement)
    widget = _WIDGET.match(statement)
    if widget:
        kind, name, default = widget.group(1).lower(), widget.group(2), widget.group(4)
        choices = tuple(re.findall(r"['\"]([^'\"]*)['\"]", widget.group(5) or ""))
        result.widget = Widget(name, default, kind, None, choices)
        result.dropped = True
        return result
    if _REMOVE_WIDGET.match(statement):
        result.dropped = True
        return result
    code = _code_only(statement)
    result.dollar_params = sorted(set(_DOLLAR.findall(statement)))  # substituted inside strings too
    result.marker_params = sorted({m for m in re.findall(r"(?<![:\w]):(\w+)\b", code) if m in known_widgets})
    result.catalog_names = [
        name
        for name in _THREE_PART.findall(code)
        if name.split(".")[0].strip("`").lower() not in _FILE_FORMATS
    ]
    if _CATALOG.search(code):
        result.catalog_names.append(_CATALOG.search(code).group(0).strip())  # type: ignore[union-attr]
    if _CREATE_TABLE.match(code) and not _HAS_FORMAT.search(code):
        delta = _with_using_delta(statement)
        if delta is None:
            result.format_unclear = True
        else:
            result.text, result.made_delta = delta, True
    return result


def _code_only(sql: str) -> str:
    """`sql` with string literals and comments blanked (same length), for pattern matching."""
    out = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(" " * (end - i))
            i = end
        elif ch in "'\"":
            j = i + 1
            while j < n and sql[j] != ch:
                j += 2 if sql[j] == "\\" else 1
            out.append(ch + " " * (min(j, n) - i - 1) + (ch if j < n else ""))
            i = j + 1
        else:
            found = _SPECIAL.search(sql, i + 1)  # plain text up to the next comment or quote
            end = n if found is None else found.start()
            out.append(sql[i:end])
            i = end
    return "".join(out)[:n]


_SPECIAL = re.compile(r"--|/\*|['\"]")


def _with_using_delta(statement: str) -> str | None:
    """`CREATE TABLE t (cols) ...` / `CREATE TABLE t AS SELECT` with `USING DELTA` added, or None."""
    code = _code_only(statement)
    head = _CREATE_TABLE.match(code)
    assert head is not None
    position = head.end()
    rest = code[position:]
    stripped = rest.lstrip()
    if stripped.startswith("("):
        depth, index = 0, position + (len(rest) - len(stripped))
        while index < len(code):
            if code[index] == "(":
                depth += 1
            elif code[index] == ")":
                depth -= 1
                if depth == 0:
                    return statement[: index + 1] + " USING DELTA" + statement[index + 1 :]
            index += 1
        return None
    if re.match(r"\s*(AS\b|PARTITIONED\b|COMMENT\b|TBLPROPERTIES\b|LOCATION\b|;|$)", rest, re.I):
        return statement[:position] + " USING DELTA" + statement[position:]
    return None


def substitution_call(literal: str) -> str:
    """Python that fills `${name}` from the notebook's parameters at run time."""
    return f"emrlab.runtime.widgets.substitute({literal})"
