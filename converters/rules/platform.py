"""Databricks platform features with no EMR rewrite, flagged with what to use instead."""

from __future__ import annotations

import libcst as cst

from emrlab.converters.findings import Severity
from emrlab.converters.pyengine import PythonRule, RuleContext, argument, dotted, root_name, string_value
from emrlab.converters.pynodes import literal_value
from emrlab.converters.rulebase import Example

MLFLOW_URIS = ("databricks", "databricks-uc")


class AutoLoader(PythonRule):
    """Auto Loader (`format("cloudFiles")`) is a Databricks-only streaming source."""

    id = "EMR120"
    name = "auto-loader"
    message = "Auto Loader (cloudFiles) exists only on Databricks"
    severity = Severity.ERROR
    fix = (
        'use Spark\'s file source with the same format (spark.readStream.format("json").load(path)), '
        "with S3 event notifications or a maxFilesPerTrigger option for large buckets"
    )
    candidates = ("cloudFiles",)
    examples = (
        Example(
            'df = spark.readStream.format("cloudFiles").option("cloudFiles.format", "json").load(p)', None
        ),
    )

    def leave_SimpleString(
        self, original: cst.SimpleString, updated: cst.SimpleString, rc: RuleContext
    ) -> cst.SimpleString:
        if literal_value(original) == "cloudFiles":
            rc.flag(AutoLoader, original)
        return updated


class MlflowDatabricks(PythonRule):
    """MLflow's `databricks` / `databricks-uc` tracking and registry URIs point at a Databricks workspace."""

    id = "EMR121"
    name = "mlflow-databricks"
    message = "MLflow is pointed at Databricks' tracking server or Unity Catalog registry"
    severity = Severity.ERROR
    fix = "point MLflow at your own tracking server or a SageMaker managed MLflow tracking server ARN"
    # The calls' own names, not "mlflow": most statements naming mlflow (imports, runs, metrics) are fine.
    candidates = ("set_tracking_uri", "set_registry_uri", "login")
    examples = (
        Example('mlflow.set_tracking_uri("databricks")', None),
        Example('mlflow.set_registry_uri("databricks-uc")', None),
        Example("mlflow.login()", None),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call, rc: RuleContext) -> cst.Call:
        name = dotted(original.func)
        if name not in ("mlflow.set_tracking_uri", "mlflow.set_registry_uri", "mlflow.login"):
            return updated
        uri_arg = argument(original, 0, "uri")
        uri = string_value(uri_arg.value) if uri_arg else None
        if name == "mlflow.login" or (
            uri is not None and (uri in MLFLOW_URIS or uri.startswith("databricks://"))
        ):
            rc.flag(MlflowDatabricks, original)
        return updated


class TaskValues(PythonRule):
    """`dbutils.jobs.taskValues` passes small values between tasks of a Databricks job."""

    id = "EMR123"
    name = "task-values"
    message = "dbutils.jobs.taskValues exists only in Databricks jobs"
    severity = Severity.ERROR
    fix = (
        "pass the value through your orchestrator (Step Functions output, Airflow XCom) or a small JSON on S3"
    )
    candidates = ("taskValues",)
    examples = (Example('dbutils.jobs.taskValues.set(key="rows", value=n)', None),)

    def leave_Call(self, original: cst.Call, updated: cst.Call, rc: RuleContext) -> cst.Call:
        name = dotted(original.func)
        head = root_name(original.func)
        if (
            name
            and name.startswith("dbutils.jobs.taskValues.")
            and head is not None
            and rc.is_databricks(head)
        ):
            rc.handled(original)
            rc.flag(TaskValues, original)
        return updated
