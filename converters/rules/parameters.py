"""Databricks widgets become a `parameters` cell (papermill and EMR notebook executions inject there)."""

from __future__ import annotations

from emrlab.converters.codegen import identifier, py_str
from emrlab.converters.model import Notebook, Origin
from emrlab.converters.rulebase import Rule
from emrlab.converters.translate import Context, OutCell

HEADER = "# Parameters (Databricks widgets). Papermill and EMR notebook executions override them."


class WidgetParameters(Rule):
    """Widget definitions stored in `.dbc` and `.ipynb` exports become one code cell tagged `parameters`
    holding each widget's default as a string (widget values are always strings on Databricks). Notebook
    runners (papermill, EMR Studio's notebook executions) inject their values after that cell. Scripts
    read the same names from `--name value` arguments."""

    id = "EMR009"
    name = "widget-parameters"
    message = "widgets became a parameters cell"

    @staticmethod
    def cell(notebook: Notebook, ctx: Context) -> OutCell | None:
        """The parameters cell: the export's widgets, then those the code defines (see EMR010)."""
        widgets = list(notebook.widgets)
        known = {w.name for w in widgets}
        widgets += [w for name, w in ctx.widgets.items() if name not in known]
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
