"""Livy tabular outputs -> pandas: dtypes from the Spark schema, the same through JSON and Arrow; display."""

from __future__ import annotations

import base64
import datetime
import decimal

import pandas as pd
import pyarrow as pa
import pytest

from emrlab.magics.frames import arrow_to_frame, canonical_type, frame_from_sql_json, frame_from_table_json
from emrlab.magics.livy_models import StatementResult
from emrlab.magics.results import display_bundle, frame_bundle, output_frame, rows_notice

SCHEMA = {
    "type": "struct",
    "fields": [
        {"name": "i", "type": "integer", "nullable": False, "metadata": {}},
        {"name": "l", "type": "long", "nullable": True, "metadata": {}},
        {"name": "d", "type": "double", "nullable": True, "metadata": {}},
        {"name": "f", "type": "float", "nullable": True, "metadata": {}},
        {"name": "b", "type": "boolean", "nullable": True, "metadata": {}},
        {"name": "b2", "type": "boolean", "nullable": False, "metadata": {}},
        {"name": "s", "type": "string", "nullable": True, "metadata": {}},
        {"name": "ts", "type": "timestamp", "nullable": True, "metadata": {}},
        {"name": "dt", "type": "date", "nullable": True, "metadata": {}},
        {"name": "dec", "type": "decimal(10,2)", "nullable": True, "metadata": {}},
        {"name": "n", "type": "void", "nullable": True, "metadata": {}},
        {"name": "arr", "type": {"type": "array", "elementType": "integer", "containsNull": True}},
    ],
}
ROWS = [
    [1, 10, 1.5, 0.25, True, False, "x", "2024-01-01T10:00:00.000Z", "2024-01-02", "1.25", None, [1, 2]],
    [2, None, None, None, None, True, None, None, None, None, None, None],
    [3, 30, -2.0, 1.0, False, True, "z<b>", "2024-06-30T23:59:59.500Z", "2024-12-31", "-3.10", None, []],
]
EXPECTED_DTYPES = {
    "i": "int32",
    "l": "Int64",
    "d": "float64",
    "f": "float32",
    "b": "boolean",
    "b2": "bool",
    "s": "object",
    "ts": "datetime64[ns, UTC]",
    "dt": "datetime64[ns]",
    "dec": "object",
    "n": "object",
    "arr": "object",
}


def test_sql_json_dtypes_follow_the_spark_schema() -> None:
    frame = frame_from_sql_json({"schema": SCHEMA, "data": ROWS})
    assert {c: str(t) for c, t in frame.dtypes.items()} == EXPECTED_DTYPES
    assert list(frame["i"]) == [1, 2, 3]
    assert frame["l"].isna().tolist() == [False, True, False]
    assert frame["dec"][0] == decimal.Decimal("1.25") and frame["dec"][1] is None
    assert frame["ts"][0] == pd.Timestamp("2024-01-01T10:00:00Z")
    assert frame["dt"][2] == pd.Timestamp("2024-12-31")
    assert frame["s"][1] is None and frame["n"].isna().all()


def test_arrow_path_gives_the_same_frame_as_json_path() -> None:
    table = pa.table(
        {
            "i": pa.array([1, 2, 3], pa.int32()),
            "l": pa.array([10, None, 30], pa.int64()),
            "d": pa.array([1.5, None, -2.0], pa.float64()),
            "f": pa.array([0.25, None, 1.0], pa.float32()),
            "b": pa.array([True, None, False]),
            "b2": pa.array([False, True, True]),
            "s": pa.array(["x", None, "z<b>"]),
            # Spark's toArrow carries the session time zone on timestamps.
            "ts": pa.array(
                [datetime.datetime(2024, 1, 1, 10), None, datetime.datetime(2024, 6, 30, 23, 59, 59, 500000)],
                pa.timestamp("us", tz="UTC"),
            ).cast(pa.timestamp("us", tz="Europe/Paris")),
            "dt": pa.array([datetime.date(2024, 1, 2), None, datetime.date(2024, 12, 31)]),
            "dec": pa.array([decimal.Decimal("1.25"), None, decimal.Decimal("-3.10")], pa.decimal128(10, 2)),
            "n": pa.nulls(3),
            "arr": pa.array([[1, 2], None, []], pa.list_(pa.int32())),
        }
    )
    arrow = arrow_to_frame(table)
    json_frame = frame_from_sql_json({"schema": SCHEMA, "data": ROWS})
    assert {c: str(t) for c, t in arrow.dtypes.items()} == EXPECTED_DTYPES
    pd.testing.assert_frame_equal(arrow.drop(columns=["arr"]), json_frame.drop(columns=["arr"]))
    assert list(arrow["arr"][0]) == [1, 2] and arrow["arr"][1] is None


def test_table_json_types() -> None:
    payload = {
        "headers": [
            {"name": "id", "type": "BIGINT_TYPE"},
            {"name": "name", "type": "STRING_TYPE"},
            {"name": "ok", "type": "BOOLEAN_TYPE"},
            {"name": "at", "type": "TIMESTAMP_TYPE"},
        ],
        "data": [[1, "a", True, "2020-01-01T00:00:00Z"], [2, "b", False, None]],
    }
    frame = frame_from_table_json(payload)
    assert [str(t) for t in frame.dtypes] == ["int64", "object", "bool", "datetime64[ns, UTC]"]
    assert frame["at"].isna().tolist() == [False, True]


def test_empty_and_malformed_outputs() -> None:
    empty = frame_from_sql_json({"schema": SCHEMA, "data": []})
    assert len(empty) == 0 and list(empty.columns) == [f["name"] for f in SCHEMA["fields"]]
    assert str(empty.dtypes["i"]) == "int32"
    with pytest.raises(ValueError, match="malformed"):
        frame_from_sql_json({"schema": SCHEMA, "data": [[1, 2]]})
    with pytest.raises(ValueError, match="schema"):
        frame_from_sql_json({"data": []})


def test_canonical_type_names() -> None:
    assert canonical_type("decimal(38,18)") == "decimal"
    assert canonical_type("varchar(20)") == "string"
    assert canonical_type("INT_TYPE") == "integer"
    assert canonical_type("bigint") == "long"
    assert canonical_type({"type": "map"}) == "nested"


def _result(data: dict[str, object]) -> StatementResult:
    return StatementResult.from_json(
        {"id": 0, "state": "available", "output": {"status": "ok", "execution_count": 0, "data": data}}
    )


def test_display_bundles() -> None:
    png = base64.b64encode(b"\x89PNG fake").decode()
    assert display_bundle(_result({"text/plain": "hello"})) == {"text/plain": "hello"}
    image = display_bundle(_result({"image/png": png, "text/plain": "<Figure>"}))
    assert image == {"image/png": png, "text/plain": "<Figure>"}
    table = display_bundle(_result({"application/json": {"schema": SCHEMA, "data": ROWS}}))
    assert "<table" in table["text/html"] and "3 rows" in table["text/html"]
    assert "z&lt;b&gt;" in table["text/html"], "cell values must be HTML-escaped"
    assert "[3 rows]" in table["text/plain"]
    frame = output_frame(_result({"application/vnd.livy.table.v1+json": {"headers": [{"name": "a",
                                  "type": "INT_TYPE"}], "data": [[1]]}}))  # fmt: skip
    assert frame is not None and str(frame.dtypes["a"]) == "int32"
    assert output_frame(_result({"text/plain": "x"})) is None


def test_frame_bundle_states_rows_and_truncation() -> None:
    frame = pd.DataFrame({"a": range(120)})
    bundle = frame_bundle(frame, truncated=True, max_rows=10)
    assert "120 rows (truncated at the limit; more exist); showing the first 10" in bundle["text/html"]
    assert bundle["text/html"].count("<tr") == 11  # header + 10 rows
    assert rows_notice(1) == "1 row"
    assert rows_notice(5000) == "5,000 rows"
    assert rows_notice(10, total=25) == "10 of 25 rows (truncated)"
