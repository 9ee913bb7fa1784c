"""Translate a whole notebook for a target: prologue cells, then every input cell by its rule."""

from __future__ import annotations

from dataclasses import dataclass

from emrlab.converters.config import Options
from emrlab.converters.findings import Finding
from emrlab.converters.jsonout import json_copy
from emrlab.converters.magics import split_magic
from emrlab.converters.model import Cell, Notebook, Origin
from emrlab.converters.pyengine import LibcstRewriter, bound_names
from emrlab.converters.remote import local_cell, prologue, reads_sqldf, run_remotely
from emrlab.converters.rules import PYTHON_RULES, RULE_FOR_MAGIC
from emrlab.converters.rules.flags import HugeCell, UnknownMagic
from emrlab.converters.rules.language import STUDIO_KERNEL_LANGUAGE
from emrlab.converters.rules.parameters import WidgetParameters
from emrlab.converters.targets import spark_session_cell
from emrlab.converters.translate import Context, OutCell, PythonRewriter
from emrlab.converters.workspace import Workspace


@dataclass
class Translation:
    """A translated notebook: its output cells in order, its findings and the packages it installs."""

    cells: list[OutCell]
    findings: list[Finding]
    requirements: list[str]


def translate_notebook(
    notebook: Notebook, options: Options, workspace: Workspace, rewrite_python: PythonRewriter | None = None
) -> Translation:
    ctx = Context(notebook, options, workspace, rewrite_python=rewrite_python or default_rewriter())
    ctx.notes.reads_sqldf = options.target == "emrlab" and reads_sqldf(notebook)
    body = translate_cells(notebook, ctx)
    prologue = [cell for cell in _prologue(notebook, ctx) if cell is not None]
    return Translation(prologue + body, ctx.findings, ctx.requirements)


def _prologue(notebook: Notebook, ctx: Context) -> list[OutCell | None]:
    """Hoisted `%pip`, parameters and Spark session (or runtime setup) cells, unless the input already
    has them (emrlab's own output). The `emrlab` target's are in `emrlab.converters.remote`."""
    roles = {cell.metadata.get("emrlab", {}).get("role") for cell in notebook.cells}
    tags = {tag for cell in notebook.cells for tag in cell.metadata.get("tags", ())}
    origin = Origin(notebook.source, None)
    if ctx.target == "emrlab":  # no hoisted %pip: it becomes sc.install_pypi_package in place
        parameters = None if "parameters" in tags else WidgetParameters.cell(notebook, ctx)
        widgets = WidgetParameters.widgets(notebook, ctx)
        return list(prologue(notebook, ctx, parameters, widgets, {r for r in roles if isinstance(r, str)}))
    pip = (
        OutCell("code", "\n".join(ctx.notes.hoisted_pip), origin, role="pip")
        if ctx.notes.hoisted_pip
        else None
    )
    parameters = None if "parameters" in tags else WidgetParameters.cell(notebook, ctx)
    runtime = ctx.notes.runtime_used and not roles & {"spark-session", "setup"}
    session = None if "spark-session" in roles else spark_session_cell(notebook, ctx.target, runtime)
    setup = None
    if runtime and ctx.target == "emr-studio":
        code = "# emrlab.runtime stands in for dbutils (ship it with `emrlab runtime-zip`).\n"
        code += "import emrlab.runtime"
        if STUDIO_KERNEL_LANGUAGE[notebook.language] != "python":
            code = f"%%pyspark\n{code}"
        setup = OutCell("code", code, origin, role="setup")
    return [pip, parameters, session, setup]


def default_rewriter() -> PythonRewriter:
    """The libcst step with every Python rule (built once per process)."""
    global _REWRITER
    if _REWRITER is None:
        _REWRITER = LibcstRewriter(PYTHON_RULES)
    return _REWRITER


_REWRITER: PythonRewriter | None = None


def translate_cells(notebook: Notebook, ctx: Context) -> list[OutCell]:
    ctx.bound = ctx.bound | bound_names(notebook)
    cells: list[OutCell] = []
    for cell in notebook.cells:
        cells.extend(translate_cell(cell, ctx))
    return cells


def translate_cell(cell: Cell, ctx: Context) -> list[OutCell]:
    """The output cells for one input cell; every one of them names the input cell as its origin."""
    local = local_cell(cell, ctx) if ctx.target == "emrlab" else None
    if local is not None:
        out = local
    elif cell.kind != "code":
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
    if ctx.target == "emrlab" and local is None:  # Python runs in the remote session: %%emr cells
        run_remotely(out)
    if out and cell.metadata:
        out[0].metadata = {**json_copy(cell.metadata), **out[0].metadata}
    if cell.title:
        for out_cell in out:
            out_cell.metadata.setdefault("emrlab", {})["title"] = cell.title
        if cell.show_title:
            out.insert(0, OutCell("markdown", f"#### {cell.title}", cell.origin, role="title"))
    return out


def _too_big(source: str, limit: int) -> bool:
    return len(source) * 4 > limit and len(source.encode()) > limit
