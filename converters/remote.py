"""The `emrlab` target: Python-kernel notebooks whose Spark code runs remotely through emrlab's magics.

Layout of a converted notebook (nbformat 4.5, kernel `python3`); the first two cells are always there:

1. `%load_ext emrlab` (local, role `spark-session`): loads the `%emr` magics.
2. `%emr connect ARGS` (local, role `spark-session`): ARGS from `--connect` or `[convert] connect` in
   emrlab.toml, default `--local` (the local Livy-compatible endpoint). Livy predefines `spark`, `sc`
   and `sqlContext` in the session, so there is no SparkSession cell.
3. With widgets, the `parameters` cell (local, tagged `parameters`): `name = "default"` per widget, as
   for the other notebook targets. Papermill and EMR notebook executions inject their values right
   after it, into the local kernel: they only ever write plain Python there.
4. With widgets, the parameters sender (local, role `send-parameters`). The decision on how widget
   values reach the remote session: this cell reads each parameter's *current* local value (the
   default or the injected one), makes it a string as Databricks would (`emrlab.runtime.widgets.
   as_text`) and runs one `%%emr` statement (through IPython's `run_cell_magic`) that assigns the same
   global names in the remote session, plus `__emrlab_widgets__` when `getAll()` needs the names.
   `emrlab.runtime.widgets.get("x")` reads the caller's globals, so in remote code it returns the
   injected value. A literal `%%emr` cell could not do this: its body is sent as written, before any
   injected value is known.
5. When converted code calls `emrlab.runtime`, `%%emr` + `import emrlab.runtime` (remote, role
   `setup`; `%emr connect` puts the runtime into the session).
6. The notebook's cells in order, each naming its input cell (`metadata.emrlab.origin`):
   Python (and `%python`) -> `%%emr` cells, IPython lines translated as for any Livy session (`!cmd`
   through subprocess, other line magics commented out); `%sql` -> one `%%emr sql` cell per statement,
   shown as a table, except that a cell with widget parameters or dropped statements, or any SQL in a
   notebook that reads `_sqldf`, becomes a `%%emr` cell of `spark.sql(...)` calls binding `_sqldf`, as
   the `jupyter` target writes; `%scala` -> `%%emr scala`; `%r` -> a raw cell, flagged EMR103 (Livy
   sessions of the magics run Python and Scala); `%sh` -> subprocess inside `%%emr` (on the driver);
   `%fs` -> `emrlab.runtime.fs` inside `%%emr`; `%pip` -> `sc.install_pypi_package` inside `%%emr`
   (EMR's notebook-scoped libraries, as for `emr-studio`); `%md` -> markdown; `%run` -> inlined.

Converting an `emrlab` notebook again for this target keeps cells 1-4 as they are (the connect line
takes the current options) and reads `%%emr`, `%%emr sql` and `%%emr scala` back as their languages
(`emrlab.converters.magics`), so the output does not change. Any input cell tagged `parameters` (e.g.
in the `jupyter` target's output, or a papermill notebook) likewise stays local and gets a sender for
the names it assigns.
"""

from __future__ import annotations

import ast

from emrlab.converters.codegen import identifier, py_str
from emrlab.converters.config import Options
from emrlab.converters.model import Cell, Notebook, Origin, Widget
from emrlab.converters.translate import Context, OutCell

REMOTE_MAGIC = {"python": "%%emr", "sql": "%%emr sql", "scala": "%%emr scala"}
LOAD_EXT = "%load_ext emrlab"
SEND_ROLE = "send-parameters"
WIDGETS_NAMES = "__emrlab_widgets__"  # the widget names, for dbutils.widgets.getAll()
SEND_HEADER = (
    "# The parameters above live in this kernel (papermill injects its values after them). This sends\n"
    "# each one, as a string, to the Spark session: emrlab.runtime.widgets.get reads them there."
)


def connect_line(options: Options) -> str:
    """The notebook's `%emr connect` line."""
    return f"%emr connect {options.connect.strip()}"


def prologue(
    notebook: Notebook, ctx: Context, parameters: OutCell | None, widgets: list[Widget], roles: set[str]
) -> list[OutCell]:
    """The cells before the notebook's own (layout items 1-5), minus those the input already has;
    `parameters` is the parameters cell of `widgets` (None when the input has its own)."""
    origin = Origin(notebook.source, None)
    cells: list[OutCell] = []
    if not any(_own_session_cell(cell) for cell in notebook.cells):
        cells.append(OutCell("code", LOAD_EXT, origin, role="spark-session"))
        cells.append(OutCell("code", connect_line(ctx.options), origin, role="spark-session"))
    if parameters is not None:
        cells.append(parameters)
        if SEND_ROLE not in roles:
            names = [identifier(w.name) for w in widgets]
            cells.append(send_parameters_cell(names, ctx.notes.widgets_listed, origin))
    imported = any("import emrlab.runtime" in cell.source for cell in notebook.cells)
    if ctx.notes.runtime_used and "setup" not in roles and not imported:
        code = "# emrlab.runtime stands in for dbutils (`%emr connect` puts it in the session).\n"
        cells.append(OutCell("code", f"%%emr\n{code}import emrlab.runtime", origin, role="setup"))
    return cells


def send_parameters_cell(names: list[str], listed: bool, origin: Origin) -> OutCell:
    """The local cell that defines parameters `names` in the remote session (layout item 4)."""
    pairs = ", ".join(f"({py_str(name)}, {name})" for name in names)
    lines = [
        SEND_HEADER,
        "from emrlab.runtime.widgets import as_text as _emrlab_as_text",
        "",
        "_emrlab_code = ''.join(",
        f"    '%s = %r\\n' % (name, _emrlab_as_text(value)) for name, value in [{pairs}]",
        ")",
    ]
    if listed:  # dbutils.widgets.getAll() reads the names from __emrlab_widgets__
        lines.append(f"_emrlab_code += '{WIDGETS_NAMES} = %r\\n' % (tuple({WIDGETS_NAMES}),)")
    lines.append('get_ipython().run_cell_magic("emr", "", _emrlab_code)')
    return OutCell("code", "\n".join(lines), origin, role=SEND_ROLE)


def local_cell(cell: Cell, ctx: Context) -> list[OutCell] | None:
    """The output of an input cell the local kernel runs, None for every other cell: this target's own
    `%load_ext` / `%emr connect` (the connect line taking the current options) and parameters sender,
    and any cell tagged `parameters` (emrlab's or papermill's), followed by a sender for its names
    unless the notebook has one."""
    if cell.kind != "code":
        return None
    if _own_session_cell(cell):
        source = connect_line(ctx.options) if cell.source.startswith("%emr connect") else cell.source
        return [OutCell("code", source, cell.origin)]
    if _role(cell) == SEND_ROLE:
        return [OutCell("code", cell.source, cell.origin)]
    tags = cell.metadata.get("tags")
    if not isinstance(tags, list) or "parameters" not in tags:
        return None
    out = [OutCell("code", cell.source, cell.origin)]
    names, listed = parameter_names(cell.source)
    if names and not any(_role(other) == SEND_ROLE for other in ctx.notebook.cells):
        out.append(send_parameters_cell(names, listed, cell.origin))
    return out


def parameter_names(source: str) -> tuple[list[str], bool]:
    """The names a parameters cell assigns, and whether it lists them in `__emrlab_widgets__`."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [], False
    names: list[str] = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in names]
    listed = WIDGETS_NAMES in names
    return [name for name in names if name != WIDGETS_NAMES], listed


def _role(cell: Cell) -> object:
    emrlab = cell.metadata.get("emrlab")
    return emrlab.get("role") if isinstance(emrlab, dict) else None


def _own_session_cell(cell: Cell) -> bool:
    """This target's `%load_ext emrlab` or `%emr connect` cell."""
    return _role(cell) == "spark-session" and (
        cell.source == LOAD_EXT or cell.source.startswith("%emr connect")
    )


def run_remotely(cells: list[OutCell]) -> None:
    """Make the Python code cells `%%emr` cells (other languages already carry their `%%emr` magic)."""
    for out in cells:
        python = out.kind == "code" and out.language == "python"
        if python and out.source.strip() and not out.source.startswith("%%"):
            out.source = f"{REMOTE_MAGIC['python']}\n{out.source}"


def reads_sqldf(notebook: Notebook) -> bool:
    """Whether some cell of `notebook` mentions `_sqldf` (Databricks binds it to a SQL cell's result)."""
    return any("_sqldf" in cell.source for cell in notebook.cells)
