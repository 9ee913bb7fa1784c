"""Livy/Spark tabular outputs -> pandas DataFrames with dtypes from the Spark schema.

Dtype rules (the JSON path and the Arrow path give the same result):
byte/short/int/long -> int8/16/32/64, or the nullable Int8..Int64 when the column has nulls;
float/double -> float32/float64 (null -> NaN); boolean -> bool, or nullable "boolean" with nulls;
string/char/varchar -> object (None for null); decimal -> object of decimal.Decimal;
date -> datetime64[ns]; timestamp -> datetime64[ns, UTC] (naive values are taken as UTC);
timestamp_ntz -> datetime64[ns]; null/void, binary, arrays, maps, structs -> object.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["arrow_to_frame", "canonical_type", "frame_from_sql_json", "frame_from_table_json"]

_INT_DTYPES = {
    "byte": ("int8", "Int8"),
    "short": ("int16", "Int16"),
    "integer": ("int32", "Int32"),
    "long": ("int64", "Int64"),
}
_FLOATS = {"float": "float32", "double": "float64"}
# Livy's application/vnd.livy.table.v1+json type names (Hive-style) -> Spark simple type names.
_TABLE_TYPES = {
    "BOOLEAN_TYPE": "boolean",
    "BYTE_TYPE": "byte",
    "TINYINT_TYPE": "byte",
    "SHORT_TYPE": "short",
    "SMALLINT_TYPE": "short",
    "INT_TYPE": "integer",
    "INTEGER_TYPE": "integer",
    "BIGINT_TYPE": "long",
    "LONG_TYPE": "long",
    "FLOAT_TYPE": "float",
    "DOUBLE_TYPE": "double",
    "DECIMAL_TYPE": "decimal",
    "STRING_TYPE": "string",
    "VARCHAR_TYPE": "string",
    "CHAR_TYPE": "string",
    "DATE_TYPE": "date",
    "TIMESTAMP_TYPE": "timestamp",
    "NULL_TYPE": "null",
    "BINARY_TYPE": "binary",
}
_ALIASES = {
    "int": "integer",
    "bigint": "long",
    "smallint": "short",
    "tinyint": "byte",
    "bool": "boolean",
    "void": "null",
    "real": "float",
}


def canonical_type(spark_type: Any) -> str:
    """A simple Spark type name ('integer', 'decimal', 'timestamp', ...) or 'nested' for complex types."""
    if isinstance(spark_type, Mapping):
        return "nested"
    name = str(spark_type).strip()
    if name in _TABLE_TYPES:
        return _TABLE_TYPES[name]
    name = re.sub(r"\(.*\)$", "", name.lower())
    name = _ALIASES.get(name, name)
    if name in ("varchar", "char"):
        return "string"
    return name


def _series(name: str, values: Sequence[Any], spark_type: Any) -> pd.Series:
    kind = canonical_type(spark_type)
    has_null = any(v is None for v in values)
    if kind in _INT_DTYPES:
        plain, nullable = _INT_DTYPES[kind]
        return pd.Series(list(values), dtype=nullable if has_null else plain, name=name)
    if kind in _FLOATS:
        floats = [float("nan") if v is None else float(v) for v in values]
        return pd.Series(floats, dtype=_FLOATS[kind], name=name)
    if kind == "boolean":
        return pd.Series(list(values), dtype="boolean" if has_null else "bool", name=name)
    if kind == "decimal":
        decimals = [None if v is None else decimal.Decimal(str(v)) for v in values]
        return pd.Series(decimals, dtype=object, name=name)
    if kind == "date":
        return pd.Series(pd.to_datetime(list(values)), name=name).astype("datetime64[ns]")
    if kind in ("timestamp", "timestamp_ntz"):
        return _timestamps(name, values, utc=kind == "timestamp")
    return pd.Series(list(values), dtype=object, name=name)


def _timestamps(name: str, values: Sequence[Any], *, utc: bool) -> pd.Series:
    if any(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        parsed = pd.to_datetime(list(values), unit="ms", utc=utc)  # epoch milliseconds
    else:
        parsed = pd.to_datetime(list(values), format="ISO8601", utc=utc)
    series = pd.Series(parsed, name=name)
    if utc:
        return series.astype("datetime64[ns, UTC]")
    if getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.astype("datetime64[ns]")


def _build(names: list[str], types: list[Any], rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    width = len(names)
    for index, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"row {index} has {len(row)} values for {width} columns: malformed output")
    columns = [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in names]
    data = {f"__{i}": _series(n, c, t) for i, (n, c, t) in enumerate(zip(names, columns, types, strict=True))}
    frame = pd.DataFrame(data)
    frame.columns = pd.Index(names, dtype=object)
    return frame


def frame_from_sql_json(payload: Mapping[str, Any]) -> pd.DataFrame:
    """Livy's `kind: sql` output `{schema: StructType JSON, data: [[...], ...]}` -> DataFrame."""
    schema = payload.get("schema") or {}
    fields = schema.get("fields") if isinstance(schema, Mapping) else None
    if not isinstance(fields, list):
        raise ValueError("application/json output without a Spark schema ({schema: {fields: [...]}, data})")
    names = [str(f.get("name")) for f in fields]
    types = [f.get("type", "string") for f in fields]
    rows = [_row(r, names) for r in payload.get("data") or []]
    return _build(names, types, rows)


def frame_from_table_json(payload: Mapping[str, Any]) -> pd.DataFrame:
    """Livy's `application/vnd.livy.table.v1+json` `{headers: [{name, type}], data}` -> DataFrame."""
    headers = payload.get("headers")
    if not isinstance(headers, list):
        raise ValueError("table output without headers ({headers: [{name, type}], data})")
    names = [str(h.get("name")) for h in headers]
    types = [h.get("type", "STRING_TYPE") for h in headers]
    rows = [_row(r, names) for r in payload.get("data") or []]
    return _build(names, types, rows)


def _row(row: Any, names: list[str]) -> Sequence[Any]:
    if isinstance(row, Mapping):  # some servers send rows as objects
        return [row.get(n) for n in names]
    return list(row)


def arrow_to_frame(table: Any) -> pd.DataFrame:
    """A pyarrow Table (as Spark's toArrow gives it) -> DataFrame, with the JSON path's dtype rules."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    data: dict[str, pd.Series] = {}
    names = [str(n) for n in table.column_names]
    for index, (name, column) in enumerate(zip(names, table.columns, strict=True)):
        t = column.type
        has_null = column.null_count > 0
        # Vectorised conversions (no Python object per value) with the JSON path's dtypes.
        if pa.types.is_integer(t) and has_null:
            nullable = pd.api.types.pandas_dtype(
                f"{'UInt' if pa.types.is_unsigned_integer(t) else 'Int'}{t.bit_width}"
            )
            series = pd.Series(column.to_pandas(types_mapper={t: nullable}.get), name=name)
        elif pa.types.is_boolean(t):
            mapper = (lambda _: pd.BooleanDtype()) if has_null else None
            series = pd.Series(column.to_pandas(types_mapper=mapper), name=name)
        elif pa.types.is_date(t):
            series = column.to_pandas(date_as_object=False, coerce_temporal_nanoseconds=True)
            series = pd.Series(series, name=name).astype("datetime64[ns]")
        elif pa.types.is_timestamp(t):
            series = pd.Series(column.to_pandas(coerce_temporal_nanoseconds=True), name=name)
            if t.tz is not None:
                series = series.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
            else:
                series = series.astype("datetime64[ns]")
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            series = pd.Series(column.to_pandas(), name=name)
            if series.dtype != object:  # pandas 3 infers its string dtype; the JSON path gives object
                series = series.astype(object).where(series.notna(), None)
        elif pa.types.is_null(t):
            series = pd.Series([None] * len(column), dtype=object, name=name)
        else:
            series = pd.Series(column.to_pandas(), name=name)
        data[f"__{index}"] = series.reset_index(drop=True)
    frame = pd.DataFrame(data)
    frame.columns = pd.Index(names, dtype=object)
    return frame
