"""Small Databricks-isms with an exact open-source equivalent: Koalas, the spark-csv format name, and
Databricks-only Spark settings."""

from __future__ import annotations

import libcst as cst

from emrlab.converters.findings import Severity
from emrlab.converters.pyengine import PythonRule, RuleContext, argument, dotted, expression, string_value
from emrlab.converters.pynodes import literal_value
from emrlab.converters.rulebase import Example, Rule

FORMATS = {"com.databricks.spark.csv": "csv", "com.databricks.spark.avro": "avro"}


class Koalas(PythonRule):
    """Koalas became `pyspark.pandas` in Spark 3.2; `databricks.koalas` is not installed on EMR."""

    id = "EMR020"
    name = "koalas"
    message = "databricks.koalas is pyspark.pandas"
    candidates = ("koalas",)
    examples = (
        Example("import databricks.koalas as ks", ("import pyspark.pandas as ks",)),
        Example("from databricks import koalas as ks", ("import pyspark.pandas as ks",)),
        Example("from databricks.koalas import DataFrame", ("from pyspark.pandas import DataFrame",)),
    )

    def leave_Import(self, original: cst.Import, updated: cst.Import, rc: RuleContext) -> cst.Import:
        names = []
        for alias in updated.names:
            if dotted(alias.name) == "databricks.koalas":
                rc.replaced()
                alias = alias.with_changes(name=expression("pyspark.pandas"))
            names.append(alias)
        return updated.with_changes(names=names)

    def leave_ImportFrom(
        self, original: cst.ImportFrom, updated: cst.ImportFrom, rc: RuleContext
    ) -> cst.BaseSmallStatement:
        module = dotted(original.module) if original.module else None
        if module == "databricks.koalas" or (module or "").startswith("databricks.koalas."):
            rc.replaced()
            assert original.module is not None
            new = "pyspark.pandas" + (module or "")[len("databricks.koalas") :]
            return updated.with_changes(module=expression(new))
        names = original.names
        if module == "databricks" and not isinstance(names, cst.ImportStar) and len(names) == 1:
            alias = names[0]
            if isinstance(alias.name, cst.Name) and alias.name.value == "koalas":
                rc.replaced()
                new_alias = cst.ImportAlias(expression("pyspark.pandas"), asname=alias.asname)  # type: ignore[arg-type]
                return cst.Import([new_alias])
        return updated


class SparkFormatName(PythonRule):
    """Spark 2 merged the spark-csv and spark-avro packages: their long format names are plain `csv`
    and `avro` now (avro still needs the spark-avro package, which EMR ships)."""

    id = "EMR021"
    name = "format-name"
    message = "old Databricks data source name replaced by Spark's built-in one"
    candidates = ("com.databricks.spark",)
    examples = (
        Example(
            'df = spark.read.format("com.databricks.spark.csv").load(path)',
            ('df = spark.read.format("csv").load(path)',),
        ),
    )

    def leave_SimpleString(
        self, original: cst.SimpleString, updated: cst.SimpleString, rc: RuleContext
    ) -> cst.BaseExpression:
        value = literal_value(original)
        if isinstance(value, str) and value in FORMATS:
            rc.replaced()
            return cst.SimpleString(f'"{FORMATS[value]}"')
        return updated


class DatabricksConf(PythonRule):
    """`spark.databricks.*` settings only mean something on Databricks runtimes (except
    `spark.databricks.delta.*`, which open-source Delta Lake honours): setting them is removed, with a
    finding, so nobody expects their effect on EMR."""

    id = "EMR023"
    name = "databricks-conf"
    message = "Databricks-only Spark setting removed"
    candidates = ("spark.databricks",)
    narrowed = (("spark.databricks", r"spark\.databricks\.(?!delta\.)"),)  # Delta's settings stay
    examples = (
        Example(
            'spark.conf.set("spark.databricks.io.cache.enabled", "true")',
            (
                '# spark.conf.set("spark.databricks.io.cache.enabled", "true")  '
                "(emrlab: Databricks-only setting)",
            ),
            flags=("EMR127",),
        ),
        Example(
            'spark.conf.set("spark.databricks.delta.schema.autoMerge.enabled", "true")',
            ('spark.conf.set("spark.databricks.delta.schema.autoMerge.enabled", "true")',),
        ),
    )

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr, rc: RuleContext) -> cst.BaseSmallStatement:
        call = original.value
        if not isinstance(call, cst.Call) or dotted(call.func) not in ("spark.conf.set", "spark.conf.unset"):
            return updated
        key_arg = argument(call, 0, "key")
        key = string_value(key_arg.value) if key_arg else None
        if (
            key is None
            or not key.startswith("spark.databricks.")
            or key.startswith("spark.databricks.delta.")
        ):
            return updated
        rc.flag(DatabricksConfRemoved, original, f"{key} only exists on Databricks; the setting was removed")
        return rc.remove(original, "Databricks-only setting")


class DatabricksConfRemoved(Rule):
    """A Databricks-only setting (IO cache, cluster usage tags, service settings) was removed: whatever
    it tuned on Databricks needs its own answer on EMR, if any."""

    id = "EMR127"
    name = "databricks-conf-removed"
    message = "a Databricks-only Spark setting was removed"
    severity = Severity.WARNING
    fix = "check whether the behaviour it tuned matters on EMR (e.g. EMR's own caching settings)"
