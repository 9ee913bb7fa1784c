"""Mask IPython syntax before libcst parses a cell, restore it after (as nbQA does).

Each IPython line (`%magic`, `!cmd`, `x = !cmd`) becomes a placeholder statement at the same indentation,
its continuation lines placeholder comments, so line numbers and block structure survive the round trip.
Also tells why a cell that still does not parse fails: Python 2, a `<FILL_IN>` placeholder, or a real
syntax error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from emrlab.converters.pylines import magic_lines

_PLACEHOLDER = "__emrlab_ipython_{}__"
_CONTINUATION = "# __emrlab_ipython_{}_{}__"
_RESTORE = re.compile(
    r"^([ \t]*)(?:__emrlab_ipython_(\d+)__|# __emrlab_ipython_(\d+)_(\d+)__|__emrlab_removed_(\d+)__)[ \t]*$",
    re.M,
)

Failure = Literal["python2", "placeholder", "syntax"]
_PYTHON2 = re.compile(
    r"^[ \t]*print[ \t]+[^\s(=.,)\[]"  # print statement
    r"|^[ \t]*print[ \t]*$"
    r"|^[ \t]*exec[ \t]+[\"'\w]"
    r"|\bexcept[ \t]+[\w.()]+[ \t]*,[ \t]*\w+[ \t]*:"
    r"|^[ \t]*raise[ \t]+\w+[ \t]*,"
    r"|`[^`\n]+`"
    r"|\bur[\"']"
    r"|<>"
    r"|\b0[0-7]+[lL]?\b(?![.\w])",
    re.M,
)
_FILL_IN = re.compile(r"<\s*FILL[ _-]?IN\s*>|\bFILL_IN\b|<FILL[ _]IN[^>]*>", re.I)


@dataclass
class Masked:
    """A cell with its IPython lines masked: `lines[i]` holds the original lines for placeholder i."""

    source: str
    lines: dict[int, list[str]] = field(default_factory=dict)
    dropped: set[int] = field(default_factory=set)
    removed: list[str] = field(default_factory=list)  # text that replaces statements rules removed

    def placeholder(self, text: str) -> str:
        """A name standing for a removed statement; restored as `text` (a comment, or `pass  # ...`
        where a block would otherwise be left empty)."""
        self.removed.append(text)
        return f"__emrlab_removed_{len(self.removed) - 1}__"

    def drop(self, index: int) -> list[str]:
        """Remove masked line `index` from the restored cell (a rule moved it elsewhere)."""
        self.dropped.add(index)
        return self.lines[index]

    def restore(self, code: str) -> str:
        def put_back(match: re.Match[str]) -> str:
            indent = match.group(1)
            if match.group(5) is not None:
                text = self.removed[int(match.group(5))]
                if indent and text.startswith("#"):
                    return f"{indent}pass  {text}"  # keeps a block that held only this statement valid
                return indent + text
            if match.group(2) is not None:
                index = int(match.group(2))
                return "\x00" if index in self.dropped else self.lines[index][0]
            index, part = int(match.group(3)), int(match.group(4))
            return "\x00" if index in self.dropped else self.lines[index][part]

        restored = _RESTORE.sub(put_back, code)
        restored = re.sub(r"__emrlab_removed_\d+__", "pass", restored)  # one of several statements on a line
        return "\n".join(line for line in restored.split("\n") if line != "\x00")


def mask(source: str) -> Masked:
    masked = Masked(source)
    indexes = magic_lines(source)
    if not indexes:
        return masked
    lines = source.split("\n")
    for index in indexes:
        line = lines[index]
        indent = line[: len(line) - len(line.lstrip())]
        original = [line]
        lines[index] = indent + _PLACEHOLDER.format(index)
        part = index
        while original[-1].rstrip().endswith("\\") and part + 1 < len(lines):
            part += 1
            original.append(lines[part])
            lines[part] = indent + _CONTINUATION.format(index, len(original) - 1)
        masked.lines[index] = original
    masked.source = "\n".join(lines)
    return masked


def placeholder_text(masked: Masked, index: int) -> str:
    """The original IPython text of placeholder `index`, joined."""
    return "\n".join(masked.lines[index]).strip()


def placeholder_index(name: str) -> int | None:
    match = re.fullmatch(r"__emrlab_ipython_(\d+)__", name)
    return int(match.group(1)) if match else None


def why_unparseable(source: str) -> Failure:
    if _FILL_IN.search(source):
        return "placeholder"
    if _PYTHON2.search(_strip_strings(source)):
        return "python2"
    return "syntax"


def _strip_strings(source: str) -> str:
    """The source with string literals emptied, so Python 2 patterns are not matched inside strings."""
    return re.sub(r"(?s)(\"\"\".*?\"\"\"|'''.*?'''|\"[^\"\n]*\"|'[^'\n]*')", '""', source)
