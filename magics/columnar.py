"""Move DataFrames between the Spark driver and local pandas over Livy statements, columnar.

fetch: ONE PySpark statement builds the DataFrame (`spark.sql(query)` or a remote expression), takes
`limit + 1` rows (the extra row only tells whether the result was truncated: no full count), serialises them
as an Arrow IPC stream (Spark 4 `df.toArrow()`, Spark 3.x `df._collect_as_arrow()`; JSON rows when pyarrow is
missing on the driver), base64-encodes it and prints the first chunk; bigger payloads stay in a driver-side
dict `_emrlab_xfer` and come back in further statements of `chunk_size` characters, the last one deleting it.
send: pandas -> Arrow IPC -> base64 chunks appended to `_emrlab_recv` on the driver -> `spark.createDataFrame`
bound to a name (JSON rows when the driver has no pyarrow).
"""

from __future__ import annotations

import base64
import json
import keyword
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError, LivyHTTPError
from .frames import arrow_to_frame, frame_from_sql_json

if TYPE_CHECKING:
    import pandas as pd

    from .livy import LivyClient

__all__ = [
    "DEFAULT_CHUNK",
    "FetchedFrame",
    "decode_transfer",
    "fetch_code",
    "fetch_dataframe",
    "parse_transfer",
    "send_code",
    "send_dataframe",
    "send_payload",
]

DEFAULT_CHUNK = 4_000_000  # base64 characters per statement output / input
_HEADER = "EMRLAB-XFER "
_CHUNK = "EMRLAB-CHUNK "

_FETCH_CODE = r"""
def _emrlab_fetch(source, is_sql, limit, chunk, token, transport):
    import base64, datetime, decimal, json
    g = globals()
    df = spark.sql(source) if is_sql else eval(source, g)
    if not (hasattr(df, "schema") and hasattr(df, "limit") and hasattr(df, "collect")):
        raise TypeError("%s is a %s, not a Spark DataFrame" % (source, type(df).__name__))
    if limit is not None:
        df = df.limit(limit + 1)
    fmt, reason, raw, rows, truncated = "arrow", "", b"", 0, False
    pa = None
    if transport != "json":
        try:
            import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
        except ImportError as exc:
            reason = "no pyarrow on the driver (%s)" % exc
    if pa is not None:
        if hasattr(df, "toArrow"):
            table = df.toArrow()
        else:
            from pyspark.sql.pandas.types import to_arrow_schema
            batches = df._collect_as_arrow()
            table = pa.Table.from_batches(batches) if batches else to_arrow_schema(df.schema).empty_table()
        if limit is not None and table.num_rows > limit:
            truncated, table = True, table.slice(0, limit)
        rows = table.num_rows
        sink = pa.BufferOutputStream()
        codec = "zstd" if pa.Codec.is_available("zstd") else None
        options = pa.ipc.IpcWriteOptions(compression=codec)
        with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
            writer.write_table(table)
        raw = sink.getvalue().to_pybytes()
    else:
        fmt = "json"
        kinds = [type(f.dataType).__name__ for f in df.schema.fields]
        utc = datetime.timezone.utc
        def plain(v, kind):
            if v is None:
                return None
            if isinstance(v, datetime.datetime):
                if kind == "TimestampType" and v.tzinfo is None:
                    v = v.astimezone(utc)
                return v.isoformat()
            if isinstance(v, datetime.date):
                return v.isoformat()
            if isinstance(v, decimal.Decimal):
                return str(v)
            if isinstance(v, (bytes, bytearray)):
                return base64.b64encode(bytes(v)).decode("ascii")
            if hasattr(v, "asDict"):
                return {k: plain(x, "") for k, x in v.asDict().items()}
            if isinstance(v, dict):
                return {str(k): plain(x, "") for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [plain(x, "") for x in v]
            return v
        data = [[plain(v, k) for v, k in zip(r, kinds)] for r in df.collect()]
        if limit is not None and len(data) > limit:
            truncated, data = True, data[:limit]
        rows = len(data)
        raw = json.dumps({"schema": df.schema.jsonValue(), "data": data}, default=str).encode("utf-8")
    text = base64.b64encode(raw).decode("ascii")
    chunks = max(1, -(-len(text) // chunk))
    if chunks > 1:
        g.setdefault("_emrlab_xfer", {})[token] = text
    header = {"format": fmt, "rows": rows, "truncated": truncated, "size": len(text), "chunks": chunks,
              "token": token, "reason": reason}
    print("EMRLAB-XFER " + json.dumps(header))
    print(text[:chunk])
"""


@dataclass(frozen=True)
class FetchedFrame:
    """A fetched result: `rows` rows in `frame`; `total` when known (None if truncated: more existed)."""

    frame: pd.DataFrame
    rows: int
    total: int | None
    truncated: bool
    transport: str = "arrow"


def fetch_code(
    source: str, *, sql: bool, limit: int | None, chunk_size: int, token: str, transport: str = "auto"
) -> str:
    """The PySpark statement that serialises `source` (a query, or an expression naming a DataFrame)."""
    if not sql:
        try:
            compile(source, "<emr -o>", "eval")
        except SyntaxError:
            raise ConfigurationError(
                f"-o needs the name of a remote Spark DataFrame (or an expression), not {source!r}"
            ) from None
    args = ", ".join(repr(a) for a in (source, sql, limit, chunk_size, token, transport))
    return f"{_FETCH_CODE}\ntry:\n    _emrlab_fetch({args})\nfinally:\n    del _emrlab_fetch\n"


def _after(text: str, marker: str) -> tuple[str, str]:
    """(the rest of the marker's line, the line after it) in a statement's text output."""
    at = text.find(marker)
    if at < 0:
        raise LivyHTTPError(
            "the transfer statement printed no data; the session's output capture may be off "
            f"(output starts with {text[:200]!r})",
            status=200,
        )
    rest = text[at + len(marker) :]
    line, _, tail = rest.partition("\n")
    return line, tail.split("\n", 1)[0].strip()


def fetch_dataframe(
    client: LivyClient,
    session_id: int,
    expr_code_or_sql: str,
    *,
    sql: bool,
    limit: int | None,
    chunk_size: int = DEFAULT_CHUNK,
    transport: str = "auto",
    timeout: float | None = None,
) -> FetchedFrame:
    """Run the query (sql=True) or evaluate the remote expression and bring the rows into pandas.

    `limit` None fetches every row. `transport`: "auto" (Arrow, JSON if the driver lacks pyarrow),
    "json" (force JSON rows). Raises StatementError when the query fails on Spark.
    """
    if transport not in ("auto", "json"):
        raise ConfigurationError(f"transport must be 'auto' or 'json', not {transport!r}")
    if limit is not None and limit < 0:
        raise ConfigurationError("limit must be >= 0 (or None for every row)")
    if chunk_size < 1000:
        raise ConfigurationError("chunk_size must be at least 1000 characters")
    token = secrets.token_hex(8)
    code = fetch_code(
        expr_code_or_sql, sql=sql, limit=limit, chunk_size=chunk_size, token=token, transport=transport
    )
    first = client.run(session_id, code, kind="pyspark", timeout=timeout)
    header, data = parse_transfer(first.text)
    parts = [data]
    chunks = int(header["chunks"])
    for index in range(1, chunks):
        start, stop = index * chunk_size, (index + 1) * chunk_size
        fetch = f"print({_CHUNK!r} + _emrlab_xfer[{token!r}][{start}:{stop}])"
        if index == chunks - 1:
            fetch += f"\ndel _emrlab_xfer[{token!r}]"
        piece, _ = _after(client.run(session_id, fetch, kind="pyspark", timeout=timeout).text, _CHUNK)
        parts.append(piece.strip())
    frame = decode_transfer(header, "".join(parts))
    rows = len(frame)
    truncated = bool(header["truncated"])
    return FetchedFrame(frame, rows, None if truncated else rows, truncated, str(header["format"]))


def parse_transfer(text: str) -> tuple[dict[str, Any], str]:
    """(header, first base64 chunk) from the text output of the statement made by `fetch_code`."""
    header_line, data = _after(text, _HEADER)
    header = json.loads(header_line)
    if not isinstance(header, dict) or header.get("format") not in ("arrow", "json"):
        raise LivyHTTPError(f"unexpected transfer header {header_line[:200]!r}", status=200)
    return header, data


def decode_transfer(header: dict[str, Any], text: str) -> pd.DataFrame:
    """The DataFrame in a complete base64 payload described by `header`."""
    if len(text) != int(header["size"]):
        raise LivyHTTPError(
            f"the transfer lost data ({len(text)} of {header['size']} characters): run the cell again",
            status=200,
        )
    payload = base64.b64decode(text)
    if header["format"] == "arrow":
        import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

        return arrow_to_frame(pa.ipc.open_stream(payload).read_all())
    return frame_from_sql_json(json.loads(payload))


def send_dataframe(
    client: LivyClient,
    session_id: int,
    frame: pd.DataFrame,
    name: str,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    timeout: float | None = None,
) -> int:
    """Make the pandas `frame` a Spark DataFrame called `name` in the session; returns the rows sent.

    The index is not sent (reset it first to keep it). Arrow IPC when the driver has pyarrow, else JSON rows.
    """
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ConfigurationError(f"remote name {name!r} is not a Python identifier")
    if chunk_size < 1000:
        raise ConfigurationError("chunk_size must be at least 1000 characters")
    local = frame.copy(deep=False)
    local.columns = [str(c) for c in local.columns]
    reply = _send_payload(
        client, session_id, send_payload(local, "arrow"), "arrow", name, chunk_size, timeout
    )
    if "EMRLAB-NEED-JSON" in reply:
        text = send_payload(local, "json")
        reply = _send_payload(client, session_id, text, "json", name, chunk_size, timeout)
    count, _ = _after(reply, "EMRLAB-SENT ")
    return int(count)


_SEND_CODE = r"""
def _emrlab_send(token, fmt, last, name):
    import base64, datetime, json
    g = globals()
    parts = g.get("_emrlab_recv", {}).pop(token, [])
    parts.append(last)
    raw = base64.b64decode("".join(parts))
    if fmt == "arrow":
        try:
            import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            print("EMRLAB-NEED-JSON")
            return
        table = pa.ipc.open_stream(raw).read_all()
        from pyspark.sql import DataFrame
        df = spark.createDataFrame(table if hasattr(DataFrame, "toArrow") else table.to_pandas())
        rows = table.num_rows
    else:
        doc = json.loads(raw)
        ts = set(doc["timestamps"])
        data = [tuple(datetime.datetime.fromisoformat(v) if i in ts and v is not None else v
                      for i, v in enumerate(r)) for r in doc["data"]]
        df = spark.createDataFrame(data, schema=doc["ddl"])
        rows = len(data)
    g[name] = df
    print("EMRLAB-SENT %d" % rows)
"""


def _send_payload(
    client: LivyClient, session_id: int, text: str, fmt: str, name: str, chunk: int, timeout: float | None
) -> str:
    token = secrets.token_hex(8)
    pieces = [text[i : i + chunk] for i in range(0, len(text), chunk)] or [""]
    for index, piece in enumerate(pieces[:-1]):
        init = f"globals().setdefault('_emrlab_recv', {{}})[{token!r}] = []\n" if index == 0 else ""
        code = f"{init}_emrlab_recv[{token!r}].append({piece!r})"
        client.run(session_id, code, kind="pyspark", timeout=timeout)
    return client.run(
        session_id, send_code(token, fmt, pieces[-1], name), kind="pyspark", timeout=timeout
    ).text


def send_code(token: str, fmt: str, last: str, name: str) -> str:
    """The PySpark statement joining the chunks sent under `token` (+ `last`) into Spark DataFrame `name`."""
    args = ", ".join(repr(a) for a in (token, fmt, last, name))
    return f"{_SEND_CODE}\ntry:\n    _emrlab_send({args})\nfinally:\n    del _emrlab_send\n"


def send_payload(frame: pd.DataFrame, fmt: str) -> str:
    """The base64 payload of `frame` for `send_code`: Arrow IPC ("arrow") or JSON rows + DDL ("json")."""
    if fmt == "json":
        return base64.b64encode(_json_payload(frame).encode("utf-8")).decode("ascii")
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ConfigurationError(
            f"cannot send this DataFrame: {exc}. Cast mixed-type object columns (e.g. .astype(str)) first"
        ) from None
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")


def _json_payload(frame: pd.DataFrame) -> str:
    """JSON rows plus a Spark DDL schema, for a driver without pyarrow."""
    import pandas as pd

    ddl: list[str] = []
    timestamps: list[int] = []
    columns: list[list[Any]] = []
    convert: Callable[[Any], Any]
    for index, name in enumerate(frame.columns):
        series = frame[name]
        dtype = series.dtype
        if pd.api.types.is_bool_dtype(dtype):
            spark_type, convert = "boolean", bool
        elif pd.api.types.is_integer_dtype(dtype):
            spark_type, convert = "bigint", int
        elif pd.api.types.is_float_dtype(dtype):
            spark_type, convert = "double", float
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            spark_type, convert = "timestamp", _isoformat
            timestamps.append(index)
        else:
            spark_type, convert = "string", str
        quoted = "`" + str(name).replace("`", "``") + "`"
        ddl.append(f"{quoted} {spark_type}")
        columns.append([None if _missing(v) else convert(v) for v in series.astype(object)])
    data = [list(row) for row in zip(*columns, strict=True)] if columns else []
    return json.dumps({"ddl": ", ".join(ddl), "timestamps": timestamps, "data": data})


def _missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like cell values are not missing
        return False


def _isoformat(value: Any) -> str:
    return str(value.isoformat())
