"""Build Databricks exports for tests from plain Python values (no binary fixtures to keep in sync)."""

from __future__ import annotations

import base64
import json
import urllib.parse
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

TOKENS = {"python": "#", "r": "#", "sql": "--", "scala": "//"}
EXTENSIONS = {"python": ".py", "r": ".r", "sql": ".sql", "scala": ".scala"}


def source_text(language: str, cells: Iterable[str], header_suffix: str = "") -> str:
    """A SOURCE export: header, cells joined by the COMMAND separator. Cells are given as they appear
    in the file (write `# MAGIC ...` lines yourself, or use `magic_cell`)."""
    token = TOKENS[language]
    body = f"\n\n{token} COMMAND ----------\n\n".join(cells)
    return f"{token} Databricks notebook source{header_suffix}\n{body}\n"


def magic_cell(language: str, text: str, trailing_space: bool = False) -> str:
    """`text` wrapped in MAGIC lines the way Databricks writes them (bare `# MAGIC` on empty lines)."""
    token = TOKENS[language]
    return "\n".join(
        f"{token} MAGIC {line}" if line or trailing_space else f"{token} MAGIC" for line in text.split("\n")
    )


def command(text: str, position: float, **extra: Any) -> dict[str, Any]:
    return {
        "version": "CommandV1",
        "origId": int(position * 1000) + 7,
        "guid": f"guid-{int(position * 1000)}",
        "subtype": "command",
        "commandType": "auto",
        "position": position,
        "command": text,
        "results": None,
        **extra,
    }


def notebook_v1(
    name: str, language: str, commands: Iterable[str | Mapping[str, Any]], **extra: Any
) -> dict[str, Any]:
    """NotebookV1 JSON; plain strings become commands at positions 1.0, 2.0, ..."""
    built = [dict(c) if isinstance(c, Mapping) else command(c, float(i + 1)) for i, c in enumerate(commands)]
    return {
        "version": "NotebookV1",
        "origId": 4242,
        "name": name,
        "language": language,
        "commands": built,
        "dashboards": [],
        "guid": "nb-guid",
        "globalVars": {},
        "iPythonMetadata": None,
        "inputWidgets": {},
        **extra,
    }


def widget(name: str, default: str, kind: str = "text", choices: list[str] | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {"widgetType": kind, "name": name, "defaultValue": default, "label": name.title()}
    if choices is not None:
        info["options"] = {"widgetType": kind, "choices": choices}
    return {"nuid": f"nuid-{name}", "currentValue": default, "widgetInfo": info}


def write_dbc(path: Path, entries: Mapping[str, Any], folders: Iterable[str] = ()) -> Path:
    """A .dbc archive: JSON values are serialised, bytes and str written as they are."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder in folders:
            archive.writestr(
                folder, json.dumps({"version": "FolderV1", "name": folder.strip("/"), "children": []})
            )
        for name, value in entries.items():
            data = value if isinstance(value, (bytes, str)) else json.dumps(value)
            archive.writestr(name, data)
    return path


def ipynb_export(
    cells: Iterable[tuple[str, str] | tuple[str, str, Mapping[str, Any]]],
    language: str = "python",
    widgets: Mapping[str, Any] | None = None,
    minor: int = 0,
) -> dict[str, Any]:
    """A Databricks JUPYTER export: (cell_type, source[, databricks cell metadata]) per cell."""
    built = []
    for spec in cells:
        kind, source = spec[0], spec[1]
        meta = dict(spec[2]) if len(spec) > 2 else {}  # type: ignore[misc]
        cell: dict[str, Any] = {
            "cell_type": kind,
            "source": source.splitlines(keepends=True),
            "metadata": {"application/vnd.databricks.v1+cell": {"nuid": f"n{len(built)}", **meta}},
        }
        if kind == "code":
            cell.update(execution_count=0, outputs=[])
        built.append(cell)
    return {
        "cells": built,
        "metadata": {
            "application/vnd.databricks.v1+notebook": {
                "language": language,
                "notebookName": "export",
                "widgets": dict(widgets or {}),
                "dashboards": [],
            },
            "language_info": {"name": language},
        },
        "nbformat": 4,
        "nbformat_minor": minor,
    }


def html_export(notebook: Mapping[str, Any]) -> str:
    """A Databricks HTML export page embedding `notebook` the way Databricks does."""
    quoted = urllib.parse.quote(json.dumps(notebook))
    model = base64.b64encode(quoted.encode()).decode()
    return (
        '<!DOCTYPE html><html><head><meta name="databricks-html-version" content="1">'
        f"<script>var __DATABRICKS_NOTEBOOK_MODEL = '{model}';</script></head><body></body></html>"
    )
