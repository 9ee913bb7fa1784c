"""Render a translation as a notebook (nbformat v4.5, validated) or as a `.py` Spark job."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import fastjsonschema

from emrlab.converters.config import Target
from emrlab.converters.jsonout import dumps, json_copy
from emrlab.converters.model import JSON, Notebook
from emrlab.converters.targets import kernel
from emrlab.converters.translate import OutCell
from emrlab.converters.translator import Translation

_VALID_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_validator: Any = None


def notebook_json(notebook: Notebook, translation: Translation, target: Target) -> JSON:
    """The output notebook as nbformat JSON; emrlab's own metadata on a re-conversion is kept."""
    kernelspec, language_info = kernel(target, notebook.language)
    previous = notebook.metadata.get("emrlab")
    meta: JSON = {
        "source": notebook.source,
        "format": notebook.format,
        "language": notebook.language,
        "target": target,
    }
    if notebook.widgets:
        meta["widgets"] = [w.to_json() for w in notebook.widgets]
    if "exit_value" in notebook.metadata:
        meta["exit_value"] = notebook.metadata["exit_value"]
    return {
        "cells": _cells(translation.cells),
        "metadata": {
            "kernelspec": kernelspec,
            "language_info": language_info,
            "emrlab": json_copy(previous) if isinstance(previous, dict) else meta,
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _cells(out_cells: list[OutCell]) -> list[JSON]:
    cells: list[JSON] = []
    used: set[str] = set()
    seen_origins: Counter[tuple[str, int | None]] = Counter()
    for out in out_cells:
        origin = out.origin
        key = (origin.path, origin.cell) if origin else ("", None)
        seen_origins[key] += 1
        metadata = json_copy(out.metadata)
        emrlab = metadata.setdefault("emrlab", {})
        if origin is not None:
            emrlab.setdefault("origin", origin.to_json())
        if out.role:
            emrlab.setdefault("role", out.role)
        if out.tags:
            metadata["tags"] = [
                *metadata.get("tags", []),
                *(t for t in out.tags if t not in metadata.get("tags", [])),
            ]
        wanted = origin.id if origin and origin.id and seen_origins[key] == 1 and not out.role else None
        cell: JSON = {
            "cell_type": out.kind,
            "id": _cell_id(wanted, key, out.role, seen_origins[key], used),
            "metadata": metadata,
            "source": out.source,
        }
        if out.kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        cells.append(cell)
    return cells


def _cell_id(wanted: str | None, key: tuple[str, int | None], role: str, nth: int, used: set[str]) -> str:
    """The input's id when it is valid and free, else a stable hash of where the cell came from."""
    if wanted and _VALID_ID.match(wanted) and wanted not in used:
        used.add(wanted)
        return wanted
    seed = f"{key[0]}\0{key[1]}\0{role}\0{nth}"
    while True:
        candidate = hashlib.sha1(seed.encode()).hexdigest()[:12]
        if candidate not in used:
            used.add(candidate)
            return candidate
        seed += "+"


def validate(nb: JSON) -> None:
    """Raise ValueError if `nb` is not a valid nbformat 4.5 notebook.

    nbformat's own schema file, compiled once with fastjsonschema. `import nbformat` is avoided: it imports
    jsonschema, whose format checkers (rfc3987-syntax, pulled in by Jupyter) take seconds to build.
    The schema's `cell` is `oneOf` three definitions told apart by `cell_type`, and fastjsonschema
    tries all three for every cell; so the notebook is checked without its cells and each cell against
    the definition its `cell_type` names (the same verdict: nothing else in the schema ties cells
    together), and only a notebook that fails is checked whole, for the schema's own message.
    """
    notebook, by_type = _validators()
    cells = nb.get("cells")
    try:
        if type(cells) is not list or any(
            type(c) is not dict or c.get("cell_type") not in by_type for c in cells
        ):
            notebook(nb)
            return
        notebook({**nb, "cells": []})
        for cell in cells:
            by_type[cell["cell_type"]](cell)
    except fastjsonschema.JsonSchemaException:
        try:
            notebook(nb)
        except fastjsonschema.JsonSchemaException as exc:
            raise ValueError(f"generated notebook is not valid nbformat: {exc}") from exc
        raise ValueError(
            "generated notebook is not valid nbformat: a cell does not match its cell_type"
        ) from None


def _validators() -> tuple[Any, dict[str, Any]]:
    """The whole schema's validator and one per cell type (compiled once)."""
    global _validator
    if _validator is None:
        schema = json.loads(_NBFORMAT_SCHEMA.read_text(encoding="utf-8"))
        cells = {
            kind: fastjsonschema.compile(
                {
                    "$schema": schema["$schema"],
                    "definitions": schema["definitions"],
                    "$ref": f"#/definitions/{kind}_cell",
                }
            )
            for kind in ("raw", "markdown", "code")
        }
        _validator = (fastjsonschema.compile(schema), cells)
    return _validator  # type: ignore[no-any-return]


def _nbformat_schema() -> Path:
    """nbformat's v4.5 schema file, found without importing nbformat."""
    spec = importlib.util.find_spec("nbformat")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("nbformat is not installed: pip install nbformat")
    return Path(next(iter(spec.submodule_search_locations))) / "v4" / "nbformat.v4.5.schema.json"


_NBFORMAT_SCHEMA = _nbformat_schema()


def notebook_bytes(nb: JSON) -> bytes:
    """Serialise like Jupyter does (indent 1, UTF-8, trailing newline) so diffs stay small."""
    return (dumps(nb, sort_keys=True) + "\n").encode("utf-8")


def script_text(notebook: Notebook, translation: Translation) -> str:
    """A Spark job in jupytext's percent format: `# %%` markers name each cell's origin."""
    lines = [
        f"# Converted by emrlab from {notebook.source}",
        "# Run with spark-submit, as an EMR step or as an EMR Serverless job run.",
    ]
    for out in translation.cells:
        where = _where(out, notebook)
        lines.append("")
        if out.kind == "markdown":
            lines.append(f"# %% [markdown]{where}")
            lines.extend(f"# {line}".rstrip() for line in out.source.split("\n"))
        elif out.kind == "raw":
            lines.append(f"# %% [raw]{where} {out.language}, kept verbatim: it does not run in this job")
            lines.extend(f"# {line}".rstrip() for line in out.source.split("\n"))
        else:
            lines.append(f"# %%{where}")
            lines.append(out.source)
    return "\n".join(lines) + "\n"


def _where(out: OutCell, notebook: Notebook) -> str:
    if out.role in ("parameters", "spark-session"):
        return f" {out.role}"
    if out.origin is None or out.origin.cell is None:
        return ""
    prefix = "" if out.origin.path == notebook.source else f"{out.origin.path} "
    return f" {prefix}cell {out.origin.cell}"
