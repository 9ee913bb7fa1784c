"""`%md` and `%md-sandbox` cells become markdown cells."""

from __future__ import annotations

from emrlab.converters.magics import MagicCell
from emrlab.converters.model import Cell
from emrlab.converters.rulebase import Example
from emrlab.converters.translate import CellRule, Context, OutCell


class MarkdownCell(CellRule):
    """Databricks renders `%md` cells as Markdown and `%md-sandbox` as Markdown with raw HTML; Jupyter's
    markdown cells do both, so the text moves over unchanged without its magic line."""

    id = "EMR001"
    name = "markdown-cell"
    message = "`%md` cell became a markdown cell"
    owns = frozenset({"md"})
    examples = (
        Example("%md\n# Sales report\nNumbers are *daily*.", ("# Sales report\nNumbers are *daily*.",)),
        Example("%md ## Inline title", ("## Inline title",)),
        Example(
            '%md-sandbox\n<div style="color:red">Careful</div>', ('<div style="color:red">Careful</div>',)
        ),
    )

    def translate(self, cell: Cell, magic: MagicCell, ctx: Context) -> list[OutCell]:
        return [OutCell("markdown", magic.text, cell.origin, language="markdown")]
