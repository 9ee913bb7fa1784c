"""Translate a whole notebook for a target: prologue cells, then every input cell by its rule."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from emrlab.converters.config import Options
from emrlab.converters.findings import Finding
from emrlab.converters.magics import split_magic
from emrlab.converters.model import Cell, Notebook
from emrlab.converters.rules import RULE_FOR_MAGIC
from emrlab.converters.rules.flags import HugeCell, UnknownMagic
from emrlab.converters.rules.language import STUDIO_KERNEL_LANGUAGE
from emrlab.converters.rules.parameters import WidgetParameters
from emrlab.converters.targets import spark_session_cell
from emrlab.converters.translate import Context, OutCell, PythonRewriter, keep_python
from emrlab.converters.workspace import Workspace


@dataclass
class Translation:
    """A translated notebook: its output cells in order, its findings and the packages it installs."""

    cells: list[OutCell]
    findings: list[Finding]
    requirements: list[str]


def translate_notebook(
    notebook: Notebook, options: Options, workspace: Workspace, rewrite_python: PythonRewriter = keep_python
) -> Translation:
    ctx = Context(notebook, options, workspace, rewrite_python=rewrite_python)
    body = translate_cells(notebook, ctx)
    prologue = [cell for cell in _prologue(notebook, ctx) if cell is not None]
    return Translation(prologue + body, ctx.findings, ctx.requirements)


def _prologue(notebook: Notebook, ctx: Context) -> list[OutCell | None]:
    """Parameters and Spark session cells, unless the input already has them (emrlab's own output)."""
    roles = {cell.metadata.get("emrlab", {}).get("role") for cell in notebook.cells}
    tags = {tag for cell in notebook.cells for tag in cell.metadata.get("tags", ())}
    parameters = None if "parameters" in tags else WidgetParameters.cell(notebook, ctx)
    session = None if "spark-session" in roles else spark_session_cell(notebook, ctx.target)
    return [parameters, session]


def translate_cells(notebook: Notebook, ctx: Context) -> list[OutCell]:
    cells: list[OutCell] = []
    for cell in notebook.cells:
        cells.extend(translate_cell(cell, ctx))
    return cells


def translate_cell(cell: Cell, ctx: Context) -> list[OutCell]:
    """The output cells for one input cell; every one of them names the input cell as its origin."""
    if cell.kind != "code":
        out = [OutCell(cell.kind, cell.source, cell.origin, language=cell.kind)]
    elif _too_big(cell.source, ctx.options.limits.max_cell_bytes):
        size, limit = len(cell.source.encode()), ctx.options.limits.max_cell_bytes
        ctx.flag(HugeCell, cell, HugeCell.message.format(size=size, limit=limit))
        out = [OutCell("code", cell.source, cell.origin, language=ctx.notebook.language)]
    else:
        magic = split_magic(cell.source)
        language_line = magic.body.lstrip().startswith("%") and ctx.notebook.language != "python"
        if magic.magic is None and language_line:
            written = magic.body.lstrip().split(maxsplit=1)[0]
            ctx.flag(UnknownMagic, cell, UnknownMagic.message.format(magic=written))
            out = [OutCell("raw", cell.source, cell.origin, language=ctx.notebook.language)]
        else:
            out = RULE_FOR_MAGIC[magic.magic or ctx.notebook.language].translate(cell, magic, ctx)
    if ctx.target == "emr-studio" and STUDIO_KERNEL_LANGUAGE[ctx.kernel_language] != "python":
        for out_cell in out:  # a Scala or R kernel runs the Python we generate through %%pyspark
            if (
                out_cell.kind == "code"
                and out_cell.language == "python"
                and not out_cell.source.startswith("%%")
            ):
                out_cell.source = f"%%pyspark\n{out_cell.source}"
    if out and cell.metadata:
        out[0].metadata = {**copy.deepcopy(cell.metadata), **out[0].metadata}
    if cell.title:
        for out_cell in out:
            out_cell.metadata.setdefault("emrlab", {})["title"] = cell.title
        if cell.show_title:
            out.insert(0, OutCell("markdown", f"#### {cell.title}", cell.origin, role="title"))
    return out


def _too_big(source: str, limit: int) -> bool:
    return len(source) * 4 > limit and len(source.encode()) > limit
