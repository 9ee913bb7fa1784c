"""Databricks' `display` and `displayHTML` become emrlab.runtime's."""

from __future__ import annotations

import libcst as cst

from emrlab.converters.pyengine import PythonRule, RuleContext, with_func
from emrlab.converters.rulebase import Example


class Display(PythonRule):
    """Databricks' `display(df)` renders a Spark DataFrame as a table (10,000 rows at most) and
    `displayHTML` renders HTML. `emrlab.runtime.display` shows the first rows of a DataFrame as a table
    and says when it truncated; pandas frames and figures go to IPython's display, and under
    spark-submit everything is printed. A `display` the notebook defines or imports itself is left alone."""

    id = "EMR016"
    name = "display"
    message = "display/displayHTML now use emrlab.runtime"
    candidates = ("display",)
    examples = (
        Example("display(df.groupBy('day').count())", ("emrlab.runtime.display(df.groupBy('day').count())",)),
        Example('displayHTML("<b>done</b>")', ('emrlab.runtime.displayHTML("<b>done</b>")',)),
        Example(
            "from IPython.display import display\ndisplay(pdf)",
            ("from IPython.display import display\ndisplay(pdf)",),
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call, rc: RuleContext) -> cst.BaseExpression:
        func = original.func
        if not isinstance(func, cst.Name) or func.value not in ("display", "displayHTML"):
            return updated
        if not rc.is_databricks(func):
            return updated
        rc.replaced()
        rc.use_runtime()
        # Databricks-only keyword options (streamName, checkpointLocation, ...) have no meaning here.
        args = [a for a in updated.args if a.keyword is None] or list(updated.args)
        return with_func(
            updated.with_changes(args=_strip_trailing_comma(args)), f"emrlab.runtime.{func.value}"
        )


def _strip_trailing_comma(args: list[cst.Arg]) -> list[cst.Arg]:
    if args and args[-1].comma is not cst.MaybeSentinel.DEFAULT:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return args
