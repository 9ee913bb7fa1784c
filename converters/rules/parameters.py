"""Databricks widgets become a `parameters` cell (papermill and EMR notebook executions inject there)."""

from __future__ import annotations

from emrlab.converters.codegen import identifier, py_str
from emrlab.converters.model import Notebook, Origin, Widget
from emrlab.converters.rulebase import Example, Rule
from emrlab.converters.translate import Context, OutCell

HEADER = "# Parameters (Databricks widgets). Papermill and EMR notebook executions override them."


class WidgetParameters(Rule):
    """Widget definitions stored in `.dbc` and `.ipynb` exports become one code cell tagged `parameters`
    holding each widget's default as a string (widget values are always strings on Databricks). Notebook
    runners (papermill, EMR Studio's notebook executions) inject their values after that cell. Scripts
    read the same names from `--name value` arguments. The `emrlab` target keeps the parameters cell in
    the local kernel (where papermill injects) and sends the values on to the remote Spark session in
    the cell after it (see `emrlab.converters.remote`)."""

    id = "EMR009"
    name = "widget-parameters"
    message = "widgets became a parameters cell"
    examples = (
        Example(
            'dbutils.widgets.text("env", "dev")\nprint(dbutils.widgets.get("env"))',
            (
                f'{HEADER}\nenv = "dev"',
                "# The parameters above live in this kernel (papermill injects its values after them). This "
                "sends\n# each one, as a string, to the Spark session: emrlab.runtime.widgets.get reads them "
                "there.\nfrom emrlab.runtime.widgets import as_text as _emrlab_as_text\n\n"
                "_emrlab_code = ''.join(\n    '%s = %r\\n' % (name, _emrlab_as_text(value)) "
                'for name, value in [("env", env)]\n)\nget_ipython().run_cell_magic("emr", "", _emrlab_code)',
                '%%emr\n# dbutils.widgets.text("env", "dev")  (emrlab: moved to the parameters cell)\n'
                'print(emrlab.runtime.widgets.get("env"))',
            ),
            target="emrlab",
        ),
    )

    @staticmethod
    def widgets(notebook: Notebook, ctx: Context) -> list[Widget]:
        """The notebook's parameters: the export's widgets, then those the code defines (see EMR010)."""
        widgets = list(notebook.widgets)
        known = {w.name for w in widgets}
        return widgets + [w for name, w in ctx.widgets.items() if name not in known]

    @staticmethod
    def cell(notebook: Notebook, ctx: Context) -> OutCell | None:
        """The parameters cell: `--name value` arguments for scripts, assignments for every notebook
        target (`emr-studio`, `jupyter`, `emrlab`)."""
        widgets = WidgetParameters.widgets(notebook, ctx)
        if not widgets:
            return None
        origin = Origin(notebook.source, None)
        if ctx.target == "script":
            lines = [
                "# Parameters (Databricks widgets): override with --<name> <value>.",
                "import argparse",
                "",
                "_parser = argparse.ArgumentParser()",
            ]
            lines += [
                f"_parser.add_argument({py_str('--' + w.name)}, dest={py_str(identifier(w.name))}, "
                f"default={py_str(w.default)})"
                for w in widgets
            ]
            lines.append("_args, _ = _parser.parse_known_args()")
            lines += [f"{identifier(w.name)} = _args.{identifier(w.name)}" for w in widgets]
        else:
            lines = [HEADER, *(f"{identifier(w.name)} = {py_str(w.default)}" for w in widgets)]
        if ctx.notes.widgets_listed:  # dbutils.widgets.getAll() needs the names
            lines.append(f"__emrlab_widgets__ = ({''.join(py_str(w.name) + ', ' for w in widgets).rstrip()})")
        return OutCell("code", "\n".join(lines), origin, role="parameters", tags=("parameters",))
