"""Readers: one entry's bytes to a `Notebook` (or None for a file that is not a notebook)."""

from __future__ import annotations

from emrlab.converters.archive import Locator
from emrlab.converters.config import Limits
from emrlab.converters.findings import InputError
from emrlab.converters.model import Notebook
from emrlab.converters.readers.dbc import language_from_name, read_notebook_v1
from emrlab.converters.readers.html import read_html
from emrlab.converters.readers.ipynb import read_ipynb
from emrlab.converters.readers.source import read_source
from emrlab.converters.readers.text import decode, load_json
from emrlab.converters.sniff import Format, workspace_path

__all__ = ["read_bytes", "read_entry"]


def read_entry(relpath: str, where: str, locator: Locator, fmt: Format, limits: Limits) -> Notebook | None:
    """Read one entry; None means it is not a notebook and is copied through unchanged."""
    if fmt in ("other", "archive", "folder"):
        return None
    return read_bytes(locator.read(where, limits), relpath, where, fmt)


def read_bytes(data: bytes, relpath: str, where: str, fmt: Format) -> Notebook | None:
    path = workspace_path(relpath)
    if fmt == "source":
        return read_source(decode(data, where), path, where)
    if fmt == "html":
        return read_html(decode(data, where), path, where)
    loaded = load_json(data, where)
    if fmt == "ipynb":
        return read_ipynb(loaded, path, where)
    if isinstance(loaded, dict) and "language" not in loaded:
        language = language_from_name(relpath)
        if language is None:
            raise InputError(where, "NotebookV1 without `language` and no language extension; re-export it")
        loaded = {**loaded, "language": language}
    return read_notebook_v1(loaded, path, where, "dbc")
