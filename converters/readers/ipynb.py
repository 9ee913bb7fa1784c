"""Jupyter notebooks: Databricks' JUPYTER exports (their `application/vnd.databricks.v1+*` metadata,
widgets and SQL-language notebooks, nbformat 4.0 with keys missing) and plain `.ipynb` files."""

from __future__ import annotations

from typing import Any

from emrlab.converters.findings import InputError
from emrlab.converters.model import JSON, Cell, CellKind, Notebook, Origin, Widget
from emrlab.converters.readers.dbc import notebook_language, widget_from_spec
from emrlab.converters.readers.text import as_dict, as_str, expect

NOTEBOOK_KEY = "application/vnd.databricks.v1+notebook"
CELL_KEY = "application/vnd.databricks.v1+cell"


def read_ipynb(data: Any, path: str, where: str) -> Notebook:
    data = expect(data, dict, where, "notebook")
    if "worksheets" in data:
        raise InputError(
            where, "nbformat 3 notebook; upgrade it with `jupyter nbconvert --to notebook --nbformat 4`"
        )
    raw_cells = expect(data.get("cells"), list, where, "cells")
    metadata = as_dict(data.get("metadata"))
    databricks = as_dict(metadata.get(NOTEBOOK_KEY))
    language = notebook_language(_language(metadata, databricks), where, default="python")
    notebook = Notebook(path, where, language, "ipynb-databricks" if databricks else "ipynb", [])
    for index, raw in enumerate(raw_cells):
        notebook.cells.append(_cell(expect(raw, dict, where, f"cells[{index}]"), where, index))
    widgets = databricks.get("widgets")
    if isinstance(widgets, dict):
        found = (widget_from_spec(key, spec) for key, spec in widgets.items())
        notebook.widgets = [w for w in found if isinstance(w, Widget)]
    if isinstance(metadata.get("emrlab"), dict):
        notebook.metadata["emrlab"] = metadata["emrlab"]
    return notebook


def _language(metadata: JSON, databricks: JSON) -> Any:
    if "language" in databricks:
        return databricks["language"]
    info = metadata.get("language_info")
    if isinstance(info, dict) and isinstance(info.get("name"), str):
        name = info["name"].lower()
        return {"pyspark": "python", "ipython": "python", "spark": "scala", "sparkr": "r"}.get(name, name)
    kernel = metadata.get("kernelspec")
    if isinstance(kernel, dict) and isinstance(kernel.get("language"), str) and kernel["language"]:
        return kernel["language"]
    return None


def _cell(raw: JSON, where: str, index: int) -> Cell:
    key = f"cells[{index}]"
    kind = raw.get("cell_type")
    if kind not in ("code", "markdown", "raw"):
        raise InputError(where, f"`{key}.cell_type` is {kind!r}; expected code, markdown or raw")
    source = raw.get("source", "")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        source = "".join(source)
    source = expect(source, str, where, f"{key}.source")
    metadata = dict(as_dict(raw.get("metadata")))
    databricks = as_dict(metadata.pop(CELL_KEY, None))
    title = as_str(databricks.get("title"))
    cell_kind: CellKind = kind
    cell_id = raw.get("id") if isinstance(raw.get("id"), str) else databricks.get("nuid")
    origin = Origin(where, index, cell_id if isinstance(cell_id, str) else None)
    return Cell(
        source,
        origin,
        cell_kind,
        title=title or None,
        show_title=bool(databricks.get("showTitle")),
        metadata=metadata,
    )
