"""Statement results -> IPython display bundles and pandas DataFrames; DataFrame transfer entry points.

`display_bundle(result)` maps Livy's output mimetypes: text/plain as is, image/png (base64) as is,
`application/json` `{schema, data}` (kind sql) and `application/vnd.livy.table.v1+json` `{headers, data}`
as an HTML table (plus a text table) with the row count stated. `output_frame` gives such outputs as a
DataFrame with dtypes from the Spark schema (see emrlab.magics.frames). `fetch_dataframe` / `send_dataframe`
move whole DataFrames columnar (see emrlab.magics.columnar).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .columnar import DEFAULT_CHUNK, FetchedFrame, fetch_dataframe, send_dataframe
from .frames import arrow_to_frame, frame_from_sql_json, frame_from_table_json
from .livy_models import StatementResult

__all__ = [
    "DEFAULT_CHUNK",
    "TABLE_MIME",
    "FetchedFrame",
    "arrow_to_frame",
    "display_bundle",
    "fetch_dataframe",
    "frame_bundle",
    "frame_from_sql_json",
    "frame_from_table_json",
    "output_frame",
    "rows_notice",
    "send_dataframe",
]

TABLE_MIME = "application/vnd.livy.table.v1+json"
DISPLAY_ROWS = 50


def output_frame(output: StatementResult | Mapping[str, Any]) -> pd.DataFrame | None:
    """The table in a statement's output (its `mimetypes`, or that dict itself) as a DataFrame, or None."""
    mimetypes = output.mimetypes if isinstance(output, StatementResult) else output
    table = mimetypes.get(TABLE_MIME)
    if isinstance(table, Mapping) and "headers" in table:
        return frame_from_table_json(table)
    value = mimetypes.get("application/json")
    if isinstance(value, Mapping) and isinstance(value.get("schema"), Mapping) and "data" in value:
        return frame_from_sql_json(value)
    return None


def rows_notice(
    rows: int, total: int | None = None, truncated: bool = False, shown: int | None = None
) -> str:
    """'5,000 rows', '1,000 rows (truncated at the limit; more exist)', '... showing the first 50'."""
    noun = "row" if rows == 1 else "rows"
    if truncated and (total is None or total <= rows):
        text = f"{rows:,} {noun} (truncated at the limit; more exist)"
    elif total is not None and total > rows:
        text = f"{rows:,} of {total:,} rows (truncated)"
    else:
        text = f"{rows:,} {noun}"
    if shown is not None and shown < rows:
        text += f"; showing the first {shown:,}"
    return text


def frame_bundle(
    frame: pd.DataFrame,
    *,
    total: int | None = None,
    truncated: bool = False,
    max_rows: int = DISPLAY_ROWS,
) -> dict[str, Any]:
    """A {text/html, text/plain} bundle of `frame`: at most `max_rows` rows, the row count always stated."""
    rows = len(frame)
    shown = min(rows, max_rows)
    notice = rows_notice(rows, total, truncated, shown)
    head = frame.head(shown)
    table = head.to_html(index=False, na_rep="null", border=0, classes="dataframe emrlab-table", escape=True)
    markup = f'<div class="emrlab-result">{table}<p class="emrlab-rows">{html.escape(notice)}</p></div>'
    text = head.to_string(index=False, na_rep="null") if len(frame.columns) else "(no columns)"
    return {"text/html": markup, "text/plain": f"{text}\n[{notice}]"}


def display_bundle(result: StatementResult, *, max_rows: int = DISPLAY_ROWS) -> dict[str, Any]:
    """The IPython display bundle (mime -> data) of a successful statement's output ({} when empty)."""
    frame = output_frame(result)
    if frame is not None:
        return frame_bundle(frame, max_rows=max_rows)
    bundle: dict[str, Any] = {}
    for mime in ("image/png", "image/jpeg", "image/svg+xml", "text/html", "text/markdown", "text/latex"):
        if mime in result.mimetypes:
            bundle[mime] = result.mimetypes[mime]
    text = result.mimetypes.get("text/plain")
    if text not in (None, ""):
        bundle["text/plain"] = str(text)
    elif "application/json" in result.mimetypes:
        bundle["application/json"] = result.mimetypes["application/json"]
        bundle.setdefault("text/plain", repr(result.mimetypes["application/json"]))
    elif bundle:
        bundle["text/plain"] = ""
    return bundle
