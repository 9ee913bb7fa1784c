"""Per-idiom accounting: how many Databricks idioms in Python cells were rewritten, flagged or left
untouched by a conversion (used by the benchmark and by the tests over our fixtures)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from emrlab.converters.magics import split_magic
from emrlab.converters.model import Notebook
from emrlab.converters.translator import Translation


@dataclass(frozen=True)
class Idiom:
    name: str
    pattern: re.Pattern[str]
    rewritable: bool  # emrlab can rewrite it (paths: given a --path-map entry)


def _call(dotted: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.]){re.escape(dotted)}\s*\(")


IDIOMS: tuple[Idiom, ...] = (
    *(
        Idiom(f"dbutils.fs.{m}", _call(f"dbutils.fs.{m}"), True)
        for m in ("ls", "cp", "mv", "rm", "mkdirs", "put", "head")
    ),
    Idiom(
        "dbutils.fs.mount/unmount",
        re.compile(r"(?<![\w.])dbutils\.fs\.(?:mount|unmount|mounts|refreshMounts)\s*\("),
        False,
    ),
    *(
        Idiom(f"dbutils.secrets.{m}", _call(f"dbutils.secrets.{m}"), True)
        for m in ("get", "getBytes", "list", "listScopes")
    ),
    Idiom("dbutils.widgets.get", _call("dbutils.widgets.get"), True),
    Idiom(
        "dbutils.widgets.<define>",
        re.compile(r"(?<![\w.])dbutils\.widgets\.(?:text|dropdown|combobox|multiselect)\s*\("),
        True,
    ),
    Idiom("getArgument", re.compile(r"(?<![\w.])(?:dbutils\.widgets\.)?getArgument\s*\("), True),
    Idiom("dbutils.widgets.remove", re.compile(r"(?<![\w.])dbutils\.widgets\.remove(?:All)?\s*\("), True),
    Idiom("dbutils.notebook.exit", _call("dbutils.notebook.exit"), True),
    Idiom("dbutils.notebook.run", _call("dbutils.notebook.run"), True),
    Idiom(
        "getContext().notebookPath",
        re.compile(r"getContext\(\)\s*\.\s*(?:notebookPath|currentRunId|clusterId|tags)\(\)"),
        True,
    ),
    Idiom(
        "getContext().apiToken/apiUrl", re.compile(r"getContext\(\)\s*\.\s*(?:apiToken|apiUrl)\(\)"), False
    ),
    Idiom("dbutils.library.restartPython", _call("dbutils.library.restartPython"), True),
    Idiom("dbutils.library.installPyPI", _call("dbutils.library.installPyPI"), True),
    Idiom("dbutils.jobs.taskValues", re.compile(r"(?<![\w.])dbutils\.jobs\.taskValues\."), False),
    Idiom("display(", re.compile(r"(?<![\w.])display\s*\("), True),
    Idiom("displayHTML(", re.compile(r"(?<![\w.])displayHTML\s*\("), True),
    Idiom("dbfs:/", re.compile(r"(?<![\w:/.])dbfs:/"), True),
    Idiom("/dbfs/", re.compile(r"(?<![\w:/.])/dbfs/"), True),
    Idiom("/mnt/", re.compile(r"(?<![\w:/.])/mnt/"), True),
    Idiom("/FileStore", re.compile(r"(?<![\w:/.])/FileStore\b"), True),
    Idiom("/Volumes/", re.compile(r"(?<![\w:/.])/Volumes/"), True),
    Idiom("/databricks-datasets", re.compile(r"(?<![\w:/.])/databricks-datasets\b"), False),
    # A Databricks path in a shell line (`!cmd`, `%sh`) cannot become s3://: shell tools do not read S3.
    # It is its own idiom (flagged); the path idioms above count Python code only.
    SHELL_PATH := Idiom(
        "Databricks path in a shell line",
        re.compile(r"(?<![\w:/.])(?:dbfs:/|/dbfs/|/mnt/|/FileStore\b|/Volumes/|/databricks-datasets\b)"),
        False,
    ),
)


@dataclass
class Tally:
    rewritten: int = 0
    flagged: int = 0
    untouched: int = 0

    @property
    def total(self) -> int:
        return self.rewritten + self.flagged + self.untouched

    def rate(self) -> float:
        return self.rewritten / self.total if self.total else 1.0


def tally_notebook(notebook: Notebook, translation: Translation, tallies: dict[str, Tally]) -> None:
    """Add one notebook's Python cells to `tallies` (idiom name -> counts)."""
    outputs: dict[int, list[str]] = {}
    for out in translation.cells:
        if out.origin and out.origin.path == notebook.source and out.origin.cell is not None:
            outputs.setdefault(out.origin.cell, []).append(out.source)
    flagged_cells = {f.cell for f in translation.findings}
    for index, cell in enumerate(notebook.cells):
        magic = split_magic(cell.source) if cell.kind == "code" else None
        if magic is None or (magic.magic or notebook.language) != "python":
            continue
        before, shell = _split_shell(_code(magic.text if magic.magic else magic.body))
        after, _ = _split_shell(_code("\n".join(outputs.get(index, []))))
        for idiom in IDIOMS:
            found = len(idiom.pattern.findall(shell if idiom is SHELL_PATH else before))
            if not found:
                continue
            # An idiom with no rewrite counts as flagged (or untouched) even when its line was commented out.
            left = min(found, len(idiom.pattern.findall(after))) if idiom.rewritable else found
            tally = tallies.setdefault(idiom.name, Tally())
            tally.rewritten += found - left
            if index in flagged_cells:
                tally.flagged += left
            else:
                tally.untouched += left


def _split_shell(text: str) -> tuple[str, str]:
    """(Python lines, shell lines): `!cmd` and IPython line magics such as `%sh` are shell."""
    python: list[str] = []
    shell: list[str] = []
    for line in text.split("\n"):
        (shell if line.lstrip().startswith(("!", "%")) else python).append(line)
    return "\n".join(python), "\n".join(shell)


def _code(text: str) -> str:
    """Python text without comments (a rewritten call left as `# ...  (emrlab: ...)` is gone)."""
    return _COMMENT.sub("", text)


_COMMENT = re.compile(r"(?m)(?:^|(?<=\s))#.*$")


def rewritable(name: str) -> bool:
    return next(i.rewritable for i in IDIOMS if i.name == name)
