"""Databricks paths in text: find them, and rewrite them through the user's path map.

Databricks resolves `dbfs:/x`, `/dbfs/x` (the FUSE view) and scheme-less `/mnt/x`, `/FileStore/x` to the
same DBFS location, so a map entry for one spelling applies to all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A Databricks path inside a string: stops at whitespace, quotes and SQL/Python punctuation.
PATH = re.compile(
    r"(?<![\w:/.])(dbfs:/|/dbfs/|/mnt/|/FileStore\b|/Volumes/|/databricks-datasets\b)[^\s'\"`,;()\]{}]*"
)
DATASETS = "/databricks-datasets"


def canonical(path: str) -> str:
    """The DBFS spelling of a path: `/dbfs/mnt/x` and `/mnt/x` are both `dbfs:/mnt/x`."""
    if path.startswith("dbfs:/"):
        return "dbfs:/" + path[len("dbfs:/") :].lstrip("/")
    if path.startswith("/dbfs/"):
        return "dbfs:/" + path[len("/dbfs/") :]
    if path.startswith("/") and path != "/Volumes" and not path.startswith("/Volumes/"):
        return "dbfs:" + path
    return path


@dataclass(frozen=True)
class PathMap:
    """`FROM=TO` prefixes, longest first; FROM in any Databricks spelling."""

    entries: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, pairs: tuple[tuple[str, str], ...]) -> PathMap:
        found = _MAPS.get(pairs)
        if found is None:
            found = _MAPS[pairs] = cls._of(pairs)
        return found

    @classmethod
    def _of(cls, pairs: tuple[tuple[str, str], ...]) -> PathMap:
        normal = [(canonical(src).rstrip("/"), dst.rstrip("/")) for src, dst in pairs]
        return cls(tuple(sorted(normal, key=lambda pair: len(pair[0]), reverse=True)))

    def map(self, path: str) -> str | None:
        """The mapped path, or None when no entry covers it."""
        key = canonical(path)
        for source, dest in self.entries:
            if key == source or key.startswith(source + "/"):
                return dest + key[len(source) :]
        return None


_MAPS: dict[tuple[tuple[str, str], ...], PathMap] = {}


def rewrite_text(text: str, paths: PathMap) -> tuple[str, list[str], list[str]]:
    """(text with mapped paths, paths left unmapped, /databricks-datasets paths)."""
    unmapped: list[str] = []
    datasets: list[str] = []

    def replace(match: re.Match[str]) -> str:
        path = match.group(0)
        if path.startswith(DATASETS):
            datasets.append(path)
            return path
        mapped = paths.map(path)
        if mapped is None:
            unmapped.append(path)
            return path
        return mapped

    return PATH.sub(replace, text), unmapped, datasets
