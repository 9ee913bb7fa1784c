"""`%sql` cells and SQL-language notebooks: `%%sql` for EMR Studio, `spark.sql(...)` elsewhere."""

from __future__ import annotations

from emrlab.converters.codegen import py_str, split_sql
from emrlab.converters.magics import MagicCell
from emrlab.converters.model import Cell
from emrlab.converters.rulebase import Example
from emrlab.converters.translate import CellRule, Context, OutCell


def sql_call(statement: str) -> str:
    """`spark.sql(<literal>)`, multi-line statements as a triple-quoted block."""
    if "\n" in statement:
        literal = py_str(f"\n{statement}\n")
        return f"spark.sql({literal})"
    return f"spark.sql({py_str(statement)})"


class SqlCell(CellRule):
    """SQL runs in the notebook's Spark session. EMR Studio's kernels run `%%sql` cells natively, one
    statement per cell; for Python kernels and scripts each statement becomes `spark.sql(...)`, the last
    one's DataFrame bound to `_sqldf` (as Databricks does) and shown."""

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
            ("%%sql\nCREATE TABLE t (id INT);", "%%sql\nSELECT * FROM t"),
            target="emr-studio",
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
    )

    def translate(self, cell: Cell, magic: MagicCell, ctx: Context) -> list[OutCell]:
        sql = magic.text if magic.magic else magic.body
        statements = split_sql(sql)
        if not statements:
            return [OutCell("raw", cell.source, cell.origin, language="sql")]
        if ctx.target == "emr-studio":
            return [OutCell("code", f"%%sql\n{s}", cell.origin, language="sql") for s in statements]
        lines = [sql_call(s) for s in statements[:-1]]
        lines.append(f"_sqldf = {sql_call(statements[-1])}")
        if ctx.target == "script":
            lines.append("if _sqldf.columns:\n    _sqldf.show(truncate=False)")
        else:
            lines.append("display(_sqldf)")  # Databricks' display: the Python step maps it to the runtime
        return [OutCell("code", ctx.rewrite_python("\n".join(lines), cell, ctx), cell.origin)]
