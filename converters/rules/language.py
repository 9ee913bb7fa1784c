"""Scala and R cells: EMR Studio's Spark kernels run them, emrlab's `%%emr scala` runs Scala; Python
kernels and scripts cannot."""

from __future__ import annotations

import re

from emrlab.converters.findings import Severity
from emrlab.converters.magics import MagicCell
from emrlab.converters.model import Cell
from emrlab.converters.pathmap import PathMap, rewrite_text
from emrlab.converters.remote import REMOTE_MAGIC
from emrlab.converters.rulebase import Example, Rule
from emrlab.converters.rules.flags import CellNotRunnable
from emrlab.converters.rules.paths import DatabricksDatasets, UnmappedPath
from emrlab.converters.translate import CellRule, Context, OutCell

_DATABRICKS_API = re.compile(r"\b(dbutils\.\w+(?:\.\w+)?|displayHTML|display)\s*\(")

# EMR Studio (EMR 6.4.0+) runs other languages in any Spark kernel through these cell magics.
STUDIO_MAGIC = {"scala": "%%scalaspark", "r": "%%rspark", "python": "%%pyspark"}
STUDIO_KERNEL_LANGUAGE = {"python": "python", "sql": "python", "scala": "scala", "r": "r"}


class LanguageCell(CellRule):
    """A Scala or R cell (or a whole Scala/R notebook). EMR Studio's Spark kernel runs Scala natively,
    its SparkR kernel R, and any Spark kernel runs the other languages through `%%scalaspark` and
    `%%rspark` in the same Spark session. The `emrlab` target runs Scala remotely with `%%emr scala`;
    its magics have no R, so R cells are kept verbatim and flagged there, as in Python kernels and
    scripts."""

    id = "EMR008"
    name = "language-cell"
    message = "Scala/R cell kept for a kernel that runs it"
    owns = frozenset({"scala", "r"})
    examples = (
        Example("%scala\nval n = 1", ("%%scalaspark\nval n = 1",), target="emr-studio"),
        Example("val n = 1", ("val n = 1",), target="emr-studio", language="scala"),
        Example("%r\nx <- 1", ("%%rspark\nx <- 1",), target="emr-studio", language="scala"),
        Example("%scala\nval n = 1", ("%%emr scala\nval n = 1",), target="emrlab"),
        Example("val n = 1", ("%%emr scala\nval n = 1",), target="emrlab", language="scala"),
    )

    def translate(self, cell: Cell, magic: MagicCell, ctx: Context) -> list[OutCell]:
        language = magic.magic or ctx.notebook.language
        code = magic.text if magic.magic else magic.body
        if ctx.target == "emr-studio":
            code = _scala_r_text(code, cell, ctx)
            if STUDIO_KERNEL_LANGUAGE[ctx.kernel_language] == language:
                return [OutCell("code", code, cell.origin, language=language)]
            return [OutCell("code", f"{STUDIO_MAGIC[language]}\n{code}", cell.origin, language=language)]
        if ctx.target == "emrlab" and language == "scala":
            code = _scala_r_text(code, cell, ctx)
            return [OutCell("code", f"{REMOTE_MAGIC['scala']}\n{code}", cell.origin, language=language)]
        name = {"scala": "Scala", "r": "R"}[language]
        ctx.flag(
            CellNotRunnable,
            cell,
            CellNotRunnable.message.format(language=name),
        )
        return [OutCell("raw", cell.source, cell.origin, language=language)]


def _scala_r_text(code: str, cell: Cell, ctx: Context) -> str:
    """Paths in a Scala/R cell go through the path map; Databricks APIs are flagged (no runtime there)."""
    mapped, unmapped, datasets = rewrite_text(code, PathMap.of(ctx.options.path_map))
    for path in unmapped:
        ctx.flag(UnmappedPath, cell, f"Databricks path {path!r} has no mapping on EMR")
    for path in datasets:
        ctx.flag(DatabricksDatasets, cell, f"{path!r} exists only on Databricks")
    for found in sorted(set(_DATABRICKS_API.findall(code))):
        ctx.flag(ScalaDatabricksApi, cell, f"{found}(...) is Databricks-only in Scala and R cells")
    return mapped


class ScalaDatabricksApi(Rule):
    """`dbutils`, `display` and `displayHTML` are predefined in Databricks' Scala and R notebooks but not in
    EMR's Spark kernels, and emrlab's runtime is Python-only."""

    id = "EMR132"
    name = "scala-databricks-api"
    message = "Databricks-only API in a Scala or R cell"
    severity = Severity.WARNING
    fix = (
        "use the Hadoop FileSystem API for dbutils.fs, df.show() for display, or move the call to a "
        "%%pyspark cell where emrlab.runtime provides it"
    )
    examples = (
        Example(
            'val files = dbutils.fs.ls("s3://lake/raw")',
            ('val files = dbutils.fs.ls("s3://lake/raw")',),
            target="emr-studio",
            language="scala",
        ),
    )
