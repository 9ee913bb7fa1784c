"""Table writes without a format are Delta on Databricks but Parquet on EMR: make `delta` explicit."""

from __future__ import annotations

import libcst as cst

from emrlab.converters.findings import Severity
from emrlab.converters.pyengine import PythonRule, RuleContext
from emrlab.converters.rulebase import Example, Rule

WRITES = {"saveAsTable", "toTable"}


class DeltaByDefault(PythonRule):
    """`df.write.saveAsTable("t")` creates a Delta table on Databricks (Delta is its default format) and a
    Parquet table on EMR. To keep the table's semantics (ACID, time travel, MERGE) the format is made
    explicit as `delta`, with a finding about enabling Delta Lake on the cluster. Writes that name a
    format are left alone; a writer built elsewhere is flagged rather than guessed."""

    id = "EMR022"
    name = "delta-default"
    message = "table write made explicitly Delta (Databricks' default)"
    candidates = ("saveAsTable", "toTable")
    # a write right after `.format("delta")` names its format: nothing to do there
    narrowed = tuple(
        (name, rf"""(?<!\.format\("delta"\)\.)(?<!\.format\('delta'\)\.){name}""")
        for name in ("saveAsTable", "toTable")
    )
    examples = (
        Example(
            'df.write.mode("overwrite").saveAsTable("sales.orders")',
            ('df.write.mode("overwrite").format("delta").saveAsTable("sales.orders")',),
            flags=("EMR126",),
        ),
        Example(
            'df.write.format("parquet").saveAsTable("t")', ('df.write.format("parquet").saveAsTable("t")',)
        ),
        Example(
            'a.write.format("delta").saveAsTable("x"); b.writeStream.toTable("y")',
            ('a.write.format("delta").saveAsTable("x"); b.writeStream.format("delta").toTable("y")',),
            flags=("EMR126",),
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call, rc: RuleContext) -> cst.BaseExpression:
        func = original.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in WRITES:
            return updated
        if any(a.keyword is not None and a.keyword.value == "format" for a in original.args):
            return updated
        chain = _chain(func.value)
        if "format" in chain:
            return updated
        if "write" not in chain and "writeStream" not in chain:
            rc.flag(
                DeltaOnEmr,
                original,
                "table write from a writer built elsewhere: on EMR its default format "
                "is Parquet, on Databricks Delta",
            )
            return updated
        assert isinstance(updated.func, cst.Attribute)
        formatted = cst.Call(
            cst.Attribute(updated.func.value, cst.Name("format")), [cst.Arg(cst.SimpleString('"delta"'))]
        )
        rc.replaced()
        rc.flag(DeltaOnEmr, original)
        return updated.with_changes(func=updated.func.with_changes(value=formatted))


def _chain(node: cst.BaseExpression) -> set[str]:
    """Attribute and method names along a call chain (`df.write.mode(...)` -> {write, mode})."""
    names = set()
    while isinstance(node, (cst.Attribute, cst.Call)):
        if isinstance(node, cst.Call):
            node = node.func
            continue
        names.add(node.attr.value)
        node = node.value
    return names


class DeltaOnEmr(Rule):
    """Delta tables on EMR need Delta Lake enabled: EMR 6.9+ ships it (the `delta-defaults` classification
    `delta.enabled=true`, or the Spark settings `spark.sql.extensions` and
    `spark.sql.catalog.spark_catalog`)."""

    id = "EMR126"
    name = "delta-on-emr"
    message = "this table is Delta (as on Databricks): enable Delta Lake on the EMR cluster"
    severity = Severity.INFO
    fix = (
        'configure the cluster with the "delta-defaults" classification (delta.enabled=true), or set '
        "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension and "
        "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog"
    )
