"""`dbutils.notebook.exit/run` and `getContext()` chains become emrlab.runtime calls."""

from __future__ import annotations

import libcst as cst

from emrlab.converters.findings import Severity
from emrlab.converters.pyengine import PythonRule, RuleContext, dotted, expression, root_name, with_func
from emrlab.converters.rulebase import Example, Rule

CONTEXT = {
    "notebookPath": "notebook_path",
    "currentRunId": "current_run_id",
    "clusterId": "cluster_id",
    "tags": "tags",
}
SECRET_CONTEXT = {"apiToken", "apiUrl", "browserHostName", "workspaceId", "userName", "toJson"}


class NotebookWorkflow(PythonRule):
    """`dbutils.notebook.exit(value)` ends a run successfully with a value; `run(path, timeout, args)` runs
    another notebook as a job and returns that value. `emrlab.runtime.notebook` does the same on EMR:
    `exit` stops the notebook (later cells do not run) or the script (exit status 0), and `run` executes
    the converted child (papermill for notebooks, a subprocess for scripts) with the arguments as its
    widget values."""

    id = "EMR014"
    name = "notebook-workflow"
    message = "dbutils.notebook call now uses emrlab.runtime.notebook"
    candidates = ("notebook",)
    examples = (
        Example('dbutils.notebook.exit("done")', ('emrlab.runtime.notebook.exit("done")',)),
        Example(
            'result = dbutils.notebook.run("./child", 600, {"day": "2024-01-01"})',
            ('result = emrlab.runtime.notebook.run("./child", 600, {"day": "2024-01-01"})',),
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call, rc: RuleContext) -> cst.BaseExpression:
        name = dotted(original.func)
        head = root_name(original.func)
        if name in ("dbutils.notebook.exit", "dbutils.notebook.run") and head and rc.is_databricks(head):
            rc.replaced(original)
            rc.use_runtime()
            return with_func(updated, f"emrlab.runtime.notebook.{name.rsplit('.', 1)[1]}")
        return updated


class NotebookContext(PythonRule):
    """`dbutils.notebook.entry_point.getDbutils().notebook().getContext()` reaches into Databricks' JVM.
    The notebook path, run id, tags and cluster id have runtime helpers (the cluster id is read from the
    EMR instance's `job-flow.json`); tokens, API URLs and user names do not exist on EMR and are flagged."""

    id = "EMR015"
    name = "notebook-context"
    message = "getContext() chain now uses emrlab.runtime.context"
    candidates = ("getContext",)
    examples = (
        Example(
            "path = dbutils.notebook.entry_point.getDbutils().notebook().getContext().notebookPath().get()",
            ("path = emrlab.runtime.context.notebook_path()",),
        ),
        Example(
            "token = dbutils.notebook.entry_point.getDbutils().notebook().getContext().apiToken().get()",
            ("token = dbutils.notebook.entry_point.getDbutils().notebook().getContext().apiToken().get()",),
            flags=("EMR117",),
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call, rc: RuleContext) -> cst.BaseExpression:
        chain = _methods(original)
        if "getContext" not in chain[:-1]:
            return updated
        head = root_name(original)
        if head is None or head.value != "dbutils" or not rc.is_databricks(head):
            return updated
        after = chain[chain.index("getContext") + 1 :]
        if len(after) not in (1, 2) or (len(after) == 2 and after[1] != "get"):
            return updated
        method, with_get = after[0], len(after) == 2
        if method in CONTEXT:
            rc.replaced(original)
            rc.use_runtime()
            return cst.Call(expression(f"emrlab.runtime.context.{CONTEXT[method]}"))
        if method in SECRET_CONTEXT and not with_get:
            rc.handled(original)
            rc.flag(ContextSecret, original, f"getContext().{method}() is Databricks-only")
        return updated


def _methods(call: cst.Call) -> list[str]:
    """Names of the calls along a chain, outermost last: `a.b().c().d()` -> [b, c, d]."""
    names: list[str] = []
    node: cst.BaseExpression = call
    while isinstance(node, (cst.Call, cst.Attribute)):
        if isinstance(node, cst.Call):
            if not isinstance(node.func, cst.Attribute):
                break
            names.append(node.func.attr.value)
            node = node.func.value
        else:
            node = node.value
    return names[::-1]


class ContextSecret(Rule):
    """API tokens, workspace URLs and user names from the notebook context are for calling Databricks'
    REST API, which does not exist on EMR."""

    id = "EMR117"
    name = "context-databricks-only"
    message = "this notebook-context value is Databricks-only"
    severity = Severity.ERROR
    fix = "remove the Databricks REST call it feeds, or take the value from configuration or IAM instead"
