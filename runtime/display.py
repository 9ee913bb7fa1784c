"""Databricks' `display` and `displayHTML` for Jupyter kernels and plain scripts.

A Spark DataFrame shows its first `limit` rows as a table (HTML in a kernel, text elsewhere) and says so
when there are more; other objects go to IPython's display in a kernel and to print() elsewhere.
"""

from __future__ import annotations

import html
from typing import Any

from ._ipython import shell as _shell

__all__ = ["display", "displayHTML"]

STREAMING_MESSAGE = (
    "display() of a streaming DataFrame is not supported on EMR: start the query yourself, e.g. "
    "df.writeStream.format('memory').queryName('preview').start(), then display(spark.table('preview'))"
)


def _show(obj: Any, raw: bool = False) -> None:
    """IPython's display (untyped there, hence Any)."""
    import IPython.display

    show: Any = IPython.display.display
    show(obj, raw=raw)


def _is_spark_dataframe(obj: Any) -> bool:
    kind = type(obj)
    return kind.__name__ == "DataFrame" and kind.__module__.startswith("pyspark.sql")


def _table(df: Any, limit: int) -> tuple[list[str], list[list[Any]], bool]:
    """(columns, first `limit` rows, whether there are more), fetching `limit + 1` rows."""
    rows = df.limit(limit + 1).collect()
    return list(df.columns), [list(row) for row in rows[:limit]], len(rows) > limit


def _note(shown: int) -> str:
    return f"showing the first {shown} rows"


def _text(columns: list[str], rows: list[list[Any]]) -> str:
    """An aligned text table of every cell in full (no truncation of values)."""
    cells = [columns] + [["null" if value is None else str(value) for value in row] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    rule = "+" + "+".join("-" * (width + 2) for width in widths) + "+"
    lines = [rule]
    for index, line in enumerate(cells):
        lines.append("| " + " | ".join(value.ljust(width) for value, width in zip(line, widths)) + " |")
        if index == 0:
            lines.append(rule)
    lines.append(rule)
    return "\n".join(lines)


def _html(columns: list[str], rows: list[list[Any]]) -> str:
    """The rows as an HTML table, through pandas when it is installed."""
    try:
        import pandas
    except ImportError:
        head = "".join(f"<th>{html.escape(str(name))}</th>" for name in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    frame = pandas.DataFrame.from_records(rows, columns=columns)
    return str(frame.to_html(index=False, max_rows=None, max_cols=None))


def _show_spark(df: Any, limit: int, shell: Any) -> None:
    if df.isStreaming:
        if shell is None:
            print(STREAMING_MESSAGE)
        else:
            _show({"text/plain": STREAMING_MESSAGE}, raw=True)
        return
    columns, rows, more = _table(df, limit)
    note = _note(len(rows)) if more else ""
    text = _text(columns, rows) + (f"\n{note}" if note else "")
    if shell is None:
        print(text)
        return
    markup = _html(columns, rows) + (f"<p><em>{note}</em></p>" if note else "")
    _show({"text/html": markup, "text/plain": text}, raw=True)


def display(obj: Any, limit: int = 1000) -> None:
    """Show `obj`: a Spark DataFrame as a table of its first `limit` rows, anything else as IPython
    shows it (print() outside a kernel)."""
    shell = _shell()
    if _is_spark_dataframe(obj):
        _show_spark(obj, max(0, int(limit)), shell)
    elif shell is None:
        print(obj)
    else:
        _show(obj)


def displayHTML(html: str) -> None:  # noqa: N802 (Databricks' name)
    """Render `html` in a kernel; print it elsewhere."""
    if _shell() is None:
        print(html)
        return
    import IPython.display

    markup: Any = IPython.display.HTML
    _show(markup(html))
