"""Find the IPython-only lines of a Python cell (`%magic`, `!cmd`, `x = !cmd`, automagic `pip install`).

A small scanner tracks strings and brackets so that a `%s` inside a triple-quoted SQL string or a `%`
operator on a continuation line is never taken for a magic.
"""

from __future__ import annotations

import re

_MAGIC = re.compile(
    r"^[ \t]*(?:(?:[A-Za-z_][\w.]*[ \t]*=[ \t]*)?(?:%{1,2}[A-Za-z_]|![^=]|!$)"  # %magic, !cmd, x = !cmd
    r"|pip[ \t]+(?:install|uninstall)\b)"  # automagic pip
)


_ANY_MAGIC = re.compile(_MAGIC.pattern, re.M)


def magic_lines(source: str) -> list[int]:
    """0-based indexes of the lines that start with an IPython line magic or shell escape."""
    if _ANY_MAGIC.search(source) is None:
        return []  # no line could be one: skip the scan
    found = []
    in_string: str | None = None
    depth = 0
    continued = False
    for index, line in enumerate(source.split("\n")):
        at_statement_start = in_string is None and depth == 0 and not continued
        if at_statement_start and _MAGIC.match(line):
            found.append(index)
            continued = line.rstrip().endswith("\\")
            continue
        in_string, depth = _scan(line, in_string, depth)
        continued = in_string is None and line.rstrip().endswith("\\") and not line.lstrip().startswith("#")
    return found


def _scan(line: str, in_string: str | None, depth: int) -> tuple[str | None, int]:
    """Carry the string/bracket state across one line."""
    i, n = 0, len(line)
    while i < n:
        if in_string is not None:
            if line[i] == "\\":
                i += 2
                continue
            if line.startswith(in_string, i):
                i += len(in_string)
                in_string = None
                continue
            i += 1
            continue
        ch = line[i]
        if ch == "#":
            break
        if ch in "\"'":
            quote = ch * 3 if line.startswith(ch * 3, i) else ch
            in_string = quote
            i += len(quote)
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        i += 1
    if in_string in ("'", '"'):
        in_string = None  # an unterminated one-line string ends at the line's end
    return in_string, depth
