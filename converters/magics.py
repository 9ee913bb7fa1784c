"""Recognise a Databricks cell magic (`%md`, `%sql`, `%run` ...) and split it from the cell's body."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Databricks cell magics and their aliases (seen in real exports) -> canonical name. EMR Studio's and
# sparkmagic's spellings are included so that converting emrlab's own output again is a no-op.
CELL_MAGICS = {
    "md": "md",
    "md-sandbox": "md",
    "sql": "sql",
    "python": "python",
    "py": "python",
    "pyspark": "python",
    "scala": "scala",
    "scalaspark": "scala",
    "r": "r",
    "rspark": "r",
    "sh": "sh",
    "bash": "sh",
    "fs": "fs",
    "run": "run",
}
# The `emrlab` target's cell magics (`%%emr`, `%%emr sql`, `%%emr scala`), read back as their language.
EMR_CELL_MAGICS = {"": "python", "sql": "sql", "scala": "scala"}
LANGUAGE_MAGICS = {"python", "sql", "scala", "r"}
_MAGIC_LINE = re.compile(r"^[ \t]*(%{1,2})([A-Za-z][\w-]*)(?:[ \t]+(.*))?[ \t]*$")
_BLANK_PREFIX = re.compile(r"^(?:[ \t]*\n)*")


@dataclass(frozen=True)
class MagicCell:
    """A cell split into its magic (canonical name, as written) and the rest.

    `args` is the text after the magic name on the first line, `body` the lines after it. For a cell
    with no cell magic, `magic` is None and `body` is the whole source.
    """

    magic: str | None
    written: str
    args: str
    body: str

    @property
    def text(self) -> str:
        """The magic's content: the first line's arguments and the body, as one text."""
        if self.args and self.body:
            return f"{self.args}\n{self.body}"
        return self.args or self.body


@functools.lru_cache(maxsize=4096)
def split_magic(source: str) -> MagicCell:
    prefix = _BLANK_PREFIX.match(source)
    start = prefix.end() if prefix else 0
    first, _, body = source[start:].partition("\n")
    match = _MAGIC_LINE.match(first)
    if match is None:
        return MagicCell(None, "", "", source)
    percent, name, args = match.group(1), match.group(2), match.group(3) or ""
    if name == "emr":  # only the exact forms emrlab writes; `%emr connect` and options are not cells
        kind = EMR_CELL_MAGICS.get(args.strip()) if percent == "%%" else None
        return MagicCell(kind, first.strip(), "", body) if kind else MagicCell(None, "", "", source)
    canonical = CELL_MAGICS.get(name)
    if canonical is None:
        return MagicCell(None, "", "", source)
    return MagicCell(canonical, percent + name, args.rstrip(), body)
