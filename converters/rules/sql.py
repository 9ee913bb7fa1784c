"""`%sql` cells and SQL-language notebooks: `%%sql` for EMR Studio, `%%emr sql` for emrlab's magics,
`spark.sql(...)` elsewhere."""

from __future__ import annotations

from emrlab.converters.codegen import py_str, split_sql
from emrlab.converters.findings import Severity
from emrlab.converters.magics import MagicCell
from emrlab.converters.model import Cell
from emrlab.converters.pathmap import PathMap, rewrite_text
from emrlab.converters.remote import REMOTE_MAGIC, reads_sqldf
from emrlab.converters.rulebase import Example, Rule
from emrlab.converters.rules.delta import DeltaOnEmr
from emrlab.converters.rules.paths import DatabricksDatasets, UnmappedPath
from emrlab.converters.sqlrules import SqlAnalysis, analyse, substitution_call
from emrlab.converters.translate import CellRule, Context, OutCell


def sql_call(statement: str) -> str:
    """`spark.sql(<literal>)`, multi-line statements as a triple-quoted block."""
    if "\n" in statement:
        literal = py_str(f"\n{statement}\n")
        return f"spark.sql({literal})"
    return f"spark.sql({py_str(statement)})"


class SqlCell(CellRule):
    """SQL runs in the notebook's Spark session. EMR Studio's kernels run `%%sql` cells natively, one
    statement per cell, and so do emrlab's `%%emr sql` cells (the `emrlab` target); for Python kernels
    and scripts each statement becomes `spark.sql(...)`, the last one's DataFrame bound to `_sqldf` (as
    Databricks does) and shown. The `emrlab` target writes that form too (inside `%%emr`) for a cell
    with widget parameters and in a notebook that reads `_sqldf`, which `%%emr sql` does not bind."""

    id = "EMR002"
    name = "sql-cell"
    message = "`%sql` cell became Spark SQL for the target"
    owns = frozenset({"sql"})
    examples = (
        Example(
            "%sql\nSELECT 1 AS one",
            ('_sqldf = spark.sql("SELECT 1 AS one")\nemrlab.runtime.display(_sqldf)',),
        ),
        Example("%sql\nSELECT 1 AS one", ("%%sql\nSELECT 1 AS one",), target="emr-studio"),
        Example(
            "%sql\nCREATE TABLE t (id INT);\nSELECT * FROM t",
            ("%%sql\nCREATE TABLE t (id INT) USING DELTA;", "%%sql\nSELECT * FROM t"),
            target="emr-studio",
            flags=("EMR126",),
        ),
        Example(
            "%sql\nDROP TABLE IF EXISTS t;\nSELECT ';' AS semi",
            (
                'spark.sql("DROP TABLE IF EXISTS t;")\n'
                "_sqldf = spark.sql(\"SELECT ';' AS semi\")\n"
                "emrlab.runtime.display(_sqldf)",
            ),
        ),
        Example(
            "%sql\nSELECT id\nFROM range(3)",
            (
                '_sqldf = spark.sql(r"""\nSELECT id\nFROM range(3)\n""")\nif _sqldf.columns:\n'
                "    _sqldf.show(truncate=False)",
            ),
            target="script",
        ),
        Example("SELECT 2", ("%%sql\nSELECT 2",), target="emr-studio", language="sql"),
        Example(
            "%sql\nCREATE OR REPLACE TEMP VIEW v AS SELECT 1 AS one;\nSELECT * FROM v",
            ("%%emr sql\nCREATE OR REPLACE TEMP VIEW v AS SELECT 1 AS one;", "%%emr sql\nSELECT * FROM v"),
            target="emrlab",
        ),
        Example(
            "SELECT * FROM sales WHERE day = '${day}'",
            (
                "%%emr\n_sqldf = spark.sql(emrlab.runtime.widgets.substitute("
                "\"SELECT * FROM sales WHERE day = '${day}'\"))\nemrlab.runtime.display(_sqldf)",
            ),
            target="emrlab",
            language="sql",
        ),
        Example(
            "CREATE WIDGET TEXT day DEFAULT '2024-01-01';\nSELECT * FROM sales WHERE day = '${day}'",
            (
                "# Parameters (Databricks widgets). Papermill and EMR notebook executions override them.\n"
                'day = "2024-01-01"',
                "# CREATE WIDGET TEXT day DEFAULT '2024-01-01';  (emrlab: moved to the parameters cell)\n"
                '_sqldf = spark.sql(emrlab.runtime.widgets.substitute("SELECT * FROM sales WHERE day = '
                "'${day}'\"))\nemrlab.runtime.display(_sqldf)",
            ),
            language="sql",
        ),
        Example(
            "%sql\nCREATE TABLE sales.orders (id INT, amount DOUBLE)",
            ("%%sql\nCREATE TABLE sales.orders (id INT, amount DOUBLE) USING DELTA",),
            target="emr-studio",
            flags=("EMR126",),
        ),
        Example(
            "%sql\nSELECT * FROM parquet.`dbfs:/mnt/raw/orders`",
            ("%%sql\nSELECT * FROM parquet.`s3://lake/raw/orders`",),
            target="emr-studio",
            path_map=(("dbfs:/mnt/raw", "s3://lake/raw"),),
        ),
    )

    def translate(self, cell: Cell, magic: MagicCell, ctx: Context) -> list[OutCell]:
        sql = magic.text if magic.magic else magic.body
        sql = _map_paths(sql, cell, ctx)
        known = {w.name for w in ctx.notebook.widgets} | set(ctx.widgets)
        kept: list[SqlAnalysis] = []
        notes: list[str] = []
        for statement in split_sql(sql):
            analysis = analyse(statement, known)
            _report(analysis, cell, ctx)
            if analysis.widget is not None:
                ctx.widgets.setdefault(analysis.widget.name, analysis.widget)
                known.add(analysis.widget.name)
            if analysis.dropped:
                where = "moved to the parameters cell" if analysis.widget else "not needed outside Databricks"
                notes.append(f"# {' '.join(statement.split())}  (emrlab: {where})")
            else:
                kept.append(analysis)
        if not kept and not notes:
            return [OutCell("raw", cell.source, cell.origin, language="sql")]
        parametrised = any(a.dollar_params or a.marker_params for a in kept)
        sqldf = ctx.target == "emrlab" and (ctx.notes.reads_sqldf or reads_sqldf(ctx.notebook))
        if ctx.target in ("emr-studio", "emrlab") and not parametrised and not notes and not sqldf:
            line = REMOTE_MAGIC["sql"] if ctx.target == "emrlab" else "%%sql"
            return [OutCell("code", f"{line}\n{a.text}", cell.origin, language="sql") for a in kept]
        lines = list(notes)
        if kept:
            lines += [_call(a, ctx) for a in kept[:-1]]
            lines.append(f"_sqldf = {_call(kept[-1], ctx)}")
            if ctx.target == "script":
                lines.append("if _sqldf.columns:\n    _sqldf.show(truncate=False)")
            elif "display" in ctx.bound:  # the notebook brings its own display
                lines.append("display(_sqldf)")
            else:
                ctx.notes.runtime_used = True
                lines.append("emrlab.runtime.display(_sqldf)")
        return [OutCell("code", "\n".join(lines), cell.origin)]


def _call(analysis: SqlAnalysis, ctx: Context) -> str:
    """`spark.sql(...)` for one statement, filling widget parameters at run time."""
    if not analysis.dollar_params and not analysis.marker_params:
        return sql_call(analysis.text)
    ctx.notes.runtime_used = True
    literal = sql_call(analysis.text)[len("spark.sql(") : -1]
    query = substitution_call(literal) if analysis.dollar_params else literal
    if not analysis.marker_params:
        return f"spark.sql({query})"
    args = ", ".join(f"{py_str(m)}: emrlab.runtime.widgets.get({py_str(m)})" for m in analysis.marker_params)
    return f"spark.sql({query}, args={{{args}}})"


def _map_paths(sql: str, cell: Cell, ctx: Context) -> str:
    mapped, unmapped, datasets = rewrite_text(sql, PathMap.of(ctx.options.path_map))
    for path in unmapped:
        ctx.flag(UnmappedPath, cell, f"Databricks path {path!r} has no mapping on EMR")
    for path in datasets:
        ctx.flag(DatabricksDatasets, cell, f"{path!r} exists only on Databricks")
    return mapped


def _report(analysis: SqlAnalysis, cell: Cell, ctx: Context) -> None:
    for name in analysis.catalog_names:
        ctx.flag(UnityCatalog, cell, f"{name}: Unity Catalog names and system tables do not exist on EMR")
    if analysis.made_delta:
        ctx.flag(DeltaOnEmr, cell)
    if analysis.format_unclear:
        ctx.flag(TableFormatUnclear, cell)


class UnityCatalog(Rule):
    """Unity Catalog's three-level names (`catalog.schema.table`), `USE CATALOG` and the `system.*`
    tables exist only on Databricks. EMR's Glue Data Catalog is two-level (`database.table`) unless an
    Iceberg or S3 Tables catalog is configured under that name."""

    id = "EMR124"
    name = "unity-catalog"
    message = "Unity Catalog names and system tables do not exist on EMR"
    severity = Severity.WARNING
    fix = (
        "drop the catalog part (Glue databases are two-level), or configure a Spark catalog of that name "
        "(Iceberg / S3 Tables); system tables have no equivalent (use CloudWatch, Cost Explorer, CloudTrail)"
    )
    examples = (
        Example(
            "%sql\nSELECT * FROM main.sales.orders",
            ("%%sql\nSELECT * FROM main.sales.orders",),
            target="emr-studio",
        ),
    )


class TableFormatUnclear(Rule):
    """`CREATE TABLE` without `USING` is a Delta table on Databricks and a Hive/Parquet table on EMR; when
    emrlab cannot place `USING DELTA` safely it says so instead of guessing."""

    id = "EMR131"
    name = "table-format-unclear"
    message = "CREATE TABLE without USING: Delta on Databricks, not on EMR"
    severity = Severity.WARNING
    fix = "add USING DELTA (and enable Delta Lake on the cluster) or USING PARQUET, whichever you mean"
