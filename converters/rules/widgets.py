"""Databricks widgets: definitions move to the `parameters` cell, reads go through emrlab.runtime.widgets."""

from __future__ import annotations

import libcst as cst

from emrlab.converters.model import Widget
from emrlab.converters.pyengine import (
    PythonRule,
    RuleContext,
    argument,
    dotted,
    root_name,
    string_value,
    with_func,
)
from emrlab.converters.rulebase import Example

DEFINE = {"text": 2, "dropdown": 3, "combobox": 3, "multiselect": 3}  # label position
READ = {"get": "get", "getArgument": "get", "getAll": "get_all"}


class Widgets(PythonRule):
    """On Databricks `dbutils.widgets.text("env", "dev")` creates a parameter and `get("env")` reads it
    (always a string). Notebook runners on EMR (papermill, EMR Studio executions) pass parameters through
    the cell tagged `parameters`, so literal definitions move there, and reads become
    `emrlab.runtime.widgets.get`, which returns the parameter's current value as a string. Definitions
    with computed names or defaults stay, as runtime calls that define the value if it is absent."""

    id = "EMR010"
    name = "widgets"
    message = "widget definitions moved to the parameters cell; reads go through emrlab.runtime.widgets"
    candidates = ("widgets", "getArgument")
    examples = (
        Example(
            'dbutils.widgets.text("env", "dev", "Environment")\nenv = dbutils.widgets.get("env")',
            (
                "# Parameters (Databricks widgets). Papermill and EMR notebook executions override them.\n"
                'env = "dev"',
                '# dbutils.widgets.text("env", "dev", "Environment")  '
                "(emrlab: moved to the parameters cell)\n"
                'env = emrlab.runtime.widgets.get("env")',
            ),
        ),
        Example(
            'day = getArgument("day", "2024-01-01")',
            ('day = emrlab.runtime.widgets.get("day", "2024-01-01")',),
        ),
        Example(
            "dbutils.widgets.removeAll()",
            ("# dbutils.widgets.removeAll()  (emrlab: not needed outside Databricks)",),
        ),
        Example(
            'for name in names:\n    dbutils.widgets.text(name, "")',
            ('for name in names:\n    emrlab.runtime.widgets.text(name, "")',),
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call, rc: RuleContext) -> cst.BaseExpression:
        name = dotted(original.func)
        if name == "getArgument" and isinstance(original.func, cst.Name) and rc.is_databricks(original.func):
            rc.replaced()
            rc.use_runtime()
            return with_func(updated, "emrlab.runtime.widgets.get")
        if not name or not name.startswith("dbutils.widgets.") or name.count(".") != 2:
            return updated
        head = root_name(original.func)
        if head is None or not rc.is_databricks(head):
            return updated
        method = name.rsplit(".", 1)[1]
        if method in READ:
            if method == "getAll":
                rc.ctx.notes.widgets_listed = True
            rc.replaced(original)
            rc.use_runtime()
            return with_func(updated, f"emrlab.runtime.widgets.{READ[method]}")
        if method in DEFINE or method in ("remove", "removeAll"):
            rc.replaced(original)
            rc.use_runtime()
            return with_func(updated, f"emrlab.runtime.widgets.{method}")
        return updated

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr, rc: RuleContext) -> cst.BaseSmallStatement:
        """A statement that only defines or removes a widget: hoist or drop it."""
        call = original.value
        if not isinstance(call, cst.Call):
            return updated
        name = dotted(call.func)
        head = root_name(call.func)
        if not name or not name.startswith("dbutils.widgets.") or head is None or not rc.is_databricks(head):
            return updated
        method = name.rsplit(".", 1)[1]
        if method in ("remove", "removeAll"):
            return rc.remove(original, "not needed outside Databricks")
        widget = _literal_widget(call, method)
        if widget is None:
            return updated
        rc.ctx.widgets.setdefault(widget.name, widget)
        where = (
            "set by the %run cell that inlines this notebook"
            if rc.ctx.run_stack
            else "moved to the parameters cell"
        )
        return rc.remove(original, where)


def _literal_widget(call: cst.Call, method: str) -> Widget | None:
    """The widget a definition with literal arguments creates, or None if anything is computed."""
    if method not in DEFINE:
        return None
    name = string_value((argument(call, 0, "name") or cst.Arg(cst.Name("x"))).value)
    default_arg = argument(call, 1, "defaultValue")
    default = string_value(default_arg.value) if default_arg else None
    if name is None or default is None:
        return None
    label_arg = argument(call, DEFINE[method], "label")
    label = string_value(label_arg.value) if label_arg else None
    choices: tuple[str, ...] = ()
    if method != "text":
        choices_arg = argument(call, 2, "choices")
        if choices_arg is None or not isinstance(choices_arg.value, (cst.List, cst.Tuple)):
            return None
        values = [string_value(e.value) for e in choices_arg.value.elements]
        if any(v is None for v in values):
            return None
        choices = tuple(v for v in values if v is not None)
    return Widget(name, default, method, label, choices)
