"""The notebook model every reader produces and the translator consumes.

A `Notebook` is an ordered list of `Cell`s in display order. A cell keeps its text as the user wrote it
(Databricks' `MAGIC` comment wrapping removed, the magic line itself kept), so the translator sees one
shape whatever the input format was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Language = Literal["python", "sql", "scala", "r"]
LANGUAGES: tuple[Language, ...] = ("python", "sql", "scala", "r")
CellKind = Literal["code", "markdown", "raw"]
JSON = dict[str, Any]


@dataclass(frozen=True)
class Origin:
    """Where a cell came from: the input as the user names it, and the cell's display index there.

    `cell` is None for cells emrlab generates for the whole notebook (parameters, Spark session).
    """

    path: str
    cell: int | None
    id: str | None = None

    def to_json(self) -> JSON:
        data: JSON = {"path": self.path, "cell": self.cell}
        if self.id:
            data["id"] = self.id
        return data

    @classmethod
    def from_json(cls, data: object) -> Origin | None:
        if not isinstance(data, dict):
            return None
        path, cell, id_ = data.get("path"), data.get("cell"), data.get("id")
        if not isinstance(path, str) or not (cell is None or isinstance(cell, int)):
            return None
        return cls(path, cell, id_ if isinstance(id_, str) else None)


@dataclass(frozen=True)
class Widget:
    """A Databricks input widget: its name and default value (always a string, as on Databricks)."""

    name: str
    default: str
    kind: str = "text"
    label: str | None = None
    choices: tuple[str, ...] = ()

    def to_json(self) -> JSON:
        data: JSON = {"name": self.name, "default": self.default, "type": self.kind}
        if self.label:
            data["label"] = self.label
        if self.choices:
            data["choices"] = list(self.choices)
        return data


@dataclass
class Cell:
    """One input cell: its text (magic line included), where it came from and what Databricks knew of it."""

    source: str
    origin: Origin
    kind: CellKind = "code"
    title: str | None = None
    show_title: bool = False
    metadata: JSON = field(default_factory=dict)


@dataclass
class Notebook:
    """A notebook read from any supported format.

    `path` is its workspace path (posix, relative to the input root, no extension): what `%run` resolves
    against. `source` names the input for people, e.g. `exports/shop.dbc!Shop/etl.python`.
    """

    path: str
    source: str
    language: Language
    format: str
    cells: list[Cell]
    widgets: list[Widget] = field(default_factory=list)
    metadata: JSON = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]
