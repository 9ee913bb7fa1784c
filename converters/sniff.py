"""Tell an input's format from its first bytes, using the file name only where content is silent."""

from __future__ import annotations

import re
from typing import Literal

from emrlab.converters.archive import is_zip

Format = Literal["source", "dbc", "ipynb", "html", "archive", "folder", "other"]
HEAD_BYTES = 64 * 1024

# Line 1 of a SOURCE export; 2016-era exports append " exported at <date>", so match a prefix.
SOURCE_HEADER = re.compile(rb"^\xef?\xbb?\xbf?(#|--|//) Databricks notebook source")
DBC_EXTENSIONS = (".python", ".scala", ".sql", ".r")
SOURCE_EXTENSIONS = (".py", ".sql", ".scala", ".r")
NOTEBOOK_SUFFIXES = (".ipynb", ".html", ".htm", *DBC_EXTENSIONS, *SOURCE_EXTENSIONS)
HTML_MARKERS = (b"__DATABRICKS_NOTEBOOK_MODEL", b"databricks-html-version")


def sniff(name: str, head: bytes) -> Format:
    """The format of an input named `name` whose content starts with `head`."""
    lower = name.lower()
    if is_zip(head):
        return "archive"
    if SOURCE_HEADER.match(head):
        return "source"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        if b'"NotebookV1"' in head:
            return "dbc"
        if b'"FolderV1"' in head:
            return "folder"  # a .dbc folder record: folders come from entry paths instead
        if lower.endswith(".ipynb") or (b'"cell_type"' in head and b'"cells"' in head):
            return "ipynb"
    if lower.endswith((".html", ".htm")) and any(marker in head for marker in HTML_MARKERS):
        return "html"
    if lower.endswith(".ipynb"):
        return "ipynb"  # empty or broken: the reader says what is wrong with it
    if lower.endswith(DBC_EXTENSIONS) and not lower.endswith(SOURCE_EXTENSIONS):
        return "dbc"  # `.python` entries of a .dbc archive; the reader reports bad JSON
    if lower.endswith(".dbc"):
        return "archive"
    return "other"


def workspace_path(relpath: str) -> str:
    """A notebook's workspace path: its relative path without the notebook extension."""
    lower = relpath.lower()
    for suffix in (".dbquery.ipynb", *NOTEBOOK_SUFFIXES):
        if lower.endswith(suffix):
            return relpath[: -len(suffix)]
    return relpath
