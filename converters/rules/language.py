"""Scala and R cells: EMR Studio's Spark kernels run them; Python kernels and scripts cannot."""

from __future__ import annotations

from emrlab.converters.magics import MagicCell
from emrlab.converters.model import Cell
from emrlab.converters.rulebase import Example
from emrlab.converters.rules.flags import CellNotRunnable
from emrlab.converters.translate import CellRule, Context, OutCell

# EMR Studio (EMR 6.4.0+) runs other languages in any Spark kernel through these cell magics.
STUDIO_MAGIC = {"scala": "%%scalaspark", "r": "%%rspark", "python": "%%pyspark"}
STUDIO_KERNEL_LANGUAGE = {"python": "python", "sql": "python", "scala": "scala", "r": "r"}


class LanguageCell(CellRule):
    """A Scala or R cell (or a whole Scala/R notebook). EMR Studio's Spark kernel runs Scala natively,
    its SparkR kernel R, and any Spark kernel runs the other languages through `%%scalaspark` and
    `%%rspark` in the same Spark session. Python kernels and scripts keep the cell verbatim, flagged."""

    id = "EMR008"
    name = "language-cell"
    message = "Scala/R cell kept for a kernel that runs it"
    owns = frozenset({"scala", "r"})
    examples = (
        Example("%scala\nval n = 1", ("%%scalaspark\nval n = 1",), target="emr-studio"),
        Example("val n = 1", ("val n = 1",), target="emr-studio", language="scala"),
        Example("%r\nx <- 1", ("%%rspark\nx <- 1",), target="emr-studio", language="scala"),
    )

    def translate(self, cell: Cell, magic: MagicCell, ctx: Context) -> list[OutCell]:
        language = magic.magic or ctx.notebook.language
        code = magic.text if magic.magic else magic.body
        if ctx.target == "emr-studio":
            if STUDIO_KERNEL_LANGUAGE[ctx.kernel_language] == language:
                return [OutCell("code", code, cell.origin, language=language)]
            return [OutCell("code", f"{STUDIO_MAGIC[language]}\n{code}", cell.origin, language=language)]
        name = {"scala": "Scala", "r": "R"}[language]
        ctx.flag(
            CellNotRunnable,
            cell,
            CellNotRunnable.message.format(language=name),
        )
        return [OutCell("raw", cell.source, cell.origin, language=language)]
