"""Small, safe pieces of generated Python: string literals, identifiers, SQL statement splitting."""

from __future__ import annotations

import keyword
import re


def py_str(text: str) -> str:
    """A Python literal for `text` that reads well: a raw triple-quoted string where that is exact."""
    plain = text.isprintable() or text.replace("\n", "").replace("\t", "").isprintable()
    if plain and '"""' not in text and not text.endswith(('"', "\\")) and ("\n" in text or "\\" in text):
        return f'r"""{text}"""'
    if plain and "'''" not in text and not text.endswith(("'", "\\")) and ("\n" in text or "\\" in text):
        return f"r'''{text}'''"
    if plain and '"' not in text and "\\" not in text and "\n" not in text:
        return f'"{text}"'
    return repr(text)


def identifier(name: str) -> str:
    """A Python identifier for a widget or parameter name (`my-param` -> `my_param`)."""
    ident = re.sub(r"\W", "_", name) or "_"
    if ident[0].isdigit():
        ident = "_" + ident
    if keyword.iskeyword(ident):  # soft keywords (match, type) are valid names
        ident += "_"
    return ident


def split_sql(sql: str) -> list[str]:
    """Split a SQL cell into statements on `;` outside strings and comments.

    A piece holding only comments or blanks is joined to the statement before it (or after it, at the
    start), so nothing the user wrote is lost and `spark.sql` gets one statement at a time.
    """
    pieces: list[str] = []
    start = 0
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            i = _skip_quoted(sql, i, ch)
            continue
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
            continue
        if sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if ch == ";":
            pieces.append(sql[start : i + 1])
            start = i + 1
        found = _SQL_SPECIAL.search(sql, i + 1)  # skip plain text up to the next quote, comment or `;`
        i = n if found is None else found.start()
    pieces.append(sql[start:])
    statements: list[str] = []
    pending = ""
    for piece in pieces:
        if is_blank_sql(piece):
            if statements:
                statements[-1] += piece
            else:
                pending += piece
            continue
        statements.append(pending + piece)
        pending = ""
    if not statements:
        return [sql] if sql.strip() else []
    return [s.strip("\n") for s in statements]


_SQL_SPECIAL = re.compile(r"['\"`;]|--|/\*")


def _skip_quoted(sql: str, i: int, quote: str) -> int:
    j = i + 1
    while j < len(sql):
        if sql[j] == "\\" and quote != "`":
            j += 2
            continue
        if sql[j] == quote:
            if sql.startswith(quote * 2, j):  # '' escapes a quote in SQL
                j += 2
                continue
            return j + 1
        j += 1
    return j


def is_blank_sql(sql: str) -> bool:
    """True when `sql` has nothing but whitespace, comments and semicolons."""
    text = re.sub(r"/\*.*?\*/", "", sql, flags=re.S)
    text = re.sub(r"--[^\n]*", "", text)
    return not text.replace(";", "").strip()
