"""SOURCE-format exports (`.py`, `.sql`, `.scala`, `.r`): the `COMMAND` separator and `MAGIC` lines."""

from __future__ import annotations

import re

from emrlab.converters.findings import InputError
from emrlab.converters.model import Cell, Language, Notebook, Origin

_HEADER = re.compile(r"^(#|--|//) Databricks notebook source[^\n]*(\n|$)")
_TOKEN_LANGUAGE: dict[str, Language] = {"#": "python", "--": "sql", "//": "scala"}


def read_source(text: str, path: str, where: str) -> Notebook:
    """Parse a SOURCE export. `path` is the workspace path, `where` names the input for people."""
    header = _HEADER.match(text)
    if header is None:
        raise InputError(
            where, "no `Databricks notebook source` header on line 1; is it a Databricks export?"
        )
    token = header.group(1)
    language = _TOKEN_LANGUAGE[token]
    if token == "#" and where.lower().endswith(".r"):
        language = "r"
    body = text[header.end() :].rstrip("\n")
    chunks = body.split(f"\n\n{token} COMMAND ----------\n\n") if body else []
    cells = [_cell(chunk, token, Origin(where, index)) for index, chunk in enumerate(chunks)]
    return Notebook(path, where, language, "source", cells)


def _cell(chunk: str, token: str, origin: Origin) -> Cell:
    lines = chunk.split("\n")
    title, show_title = None, False
    match = re.match(rf"^{re.escape(token)} DBTITLE (\d),(.*)$", lines[0])
    if match:
        show_title, title = match.group(1) != "0", match.group(2)
        lines = lines[1:]
    magic, bare = f"{token} MAGIC ", f"{token} MAGIC"
    if lines and lines[0].startswith(bare):
        lines = [_unmagic(line, magic, bare) for line in lines]
    return Cell("\n".join(lines), origin, title=title, show_title=show_title)


def _unmagic(line: str, magic: str, bare: str) -> str:
    if line.startswith(magic):
        return line[len(magic) :]
    if line == bare:
        return ""
    return line
