"""LivyClient and the DataFrame transfer against the real local endpoint with a real PySpark session."""

from __future__ import annotations

import _thread
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import requests
from livy_fixtures import LivySessionHandle

from emrlab.magics.auth import BearerAuth
from emrlab.magics.errors import StatementCancelled, StatementError, WaitTimeout
from emrlab.magics.http import HttpClient
from emrlab.magics.livy import LivyClient
from emrlab.magics.results import display_bundle, fetch_dataframe, output_frame, send_dataframe
from emrlab.magics.server.launch import LocalLivy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def client(local_livy: LocalLivy) -> Iterator[LivyClient]:
    http = HttpClient(local_livy.url, BearerAuth(local_livy.token or ""))
    yield LivyClient(http)
    http.close()


@pytest.fixture(scope="module")
def sid(livy_pyspark_session: LivySessionHandle) -> int:
    return livy_pyspark_session.id


def count_requests(client: LivyClient) -> list[str]:
    """Record 'METHOD path' of every response the client's session receives."""
    seen: list[str] = []

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        seen.append(f"{request.method} {requests.utils.urlparse(request.url).path}")

    client.http._session.hooks["response"].append(hook)
    return seen


def test_trivial_statements_are_fast_and_poll_tightly(client: LivyClient, sid: int) -> None:
    assert client.run(sid, "1 + 1").text == "2"
    seen = count_requests(client)
    times = []
    for n in range(20):
        started = time.perf_counter()
        assert client.run(sid, f"{n} * 2").text == str(n * 2)
        times.append(time.perf_counter() - started)
    client.http._session.hooks["response"].clear()
    assert not [r for r in seen if r == f"GET /sessions/{sid}"], "no session GET before/while statements"
    assert sum(r.startswith("POST") for r in seen) == 20
    # sparkmagic needs >= 200 ms per trivial statement (0.2 s sleep before its first poll).
    assert statistics.median(times) < 0.15, times


def test_spark_error_raises_statement_error(client: LivyClient, sid: int) -> None:
    with pytest.raises(StatementError) as raised:
        client.run(sid, "1 / 0")
    assert raised.value.ename == "ZeroDivisionError" and "division" in raised.value.evalue
    with pytest.raises(StatementError) as spark_side:
        client.run(sid, "spark.sql('SELECT * FROM no_such_table_xyz').collect()")
    assert "no_such_table_xyz" in spark_side.value.evalue.lower() or spark_side.value.traceback


def test_progress_reported(client: LivyClient, sid: int) -> None:
    seen: list[float] = []
    client.run(
        sid, "spark.range(0, 1000, numPartitions=4).selectExpr('sum(id)').collect()", on_progress=seen.append
    )
    assert seen and seen[-1] == 1.0


def test_cancel_a_long_statement(client: LivyClient, sid: int) -> None:
    stid = client.submit(sid, "import time\nfor _ in range(600): time.sleep(0.1)")
    time.sleep(0.5)
    started = time.monotonic()
    assert client.cancel(sid, stid, timeout=30) == "cancelled"
    assert time.monotonic() - started < 30
    assert client.run(sid, "'alive'").text == "'alive'"


def test_run_timeout_cancels_the_statement(client: LivyClient, sid: int) -> None:
    started = time.monotonic()
    with pytest.raises(WaitTimeout):
        client.run(sid, "import time\nfor _ in range(600): time.sleep(0.1)", timeout=1.0)
    assert time.monotonic() - started < 30
    last = client.http.get(f"/sessions/{sid}/statements")["statements"][-1]
    assert last["state"] == "cancelled"


def test_ctrl_c_in_run_cancels_and_raises(client: LivyClient, sid: int) -> None:
    """A real KeyboardInterrupt in the main thread (what Ctrl-C delivers) while run() waits."""
    timer = threading.Timer(0.7, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(StatementCancelled) as raised:
            client.run(sid, "import time\nfor _ in range(600): time.sleep(0.1)", cancel_timeout=30)
    finally:
        timer.cancel()
    assert raised.value.confirmed
    assert client.statement(sid, raised.value.statement_id or 0).state == "cancelled"


def test_sql_output_table_and_display(client: LivyClient, sid: int) -> None:
    result = client.run(sid, "SELECT 1 AS a, 'x' AS b, CAST(NULL AS INT) AS c", kind="sql")
    frame = output_frame(result)
    assert frame is not None and [str(t) for t in frame.dtypes] == ["int32", "object", "Int32"]
    assert "1 row" in display_bundle(result)["text/html"]


QUERY = """
SELECT id,
       CAST(id AS INT) AS i,
       id * 0.5 AS d,
       id % 2 = 0 AS b,
       CONCAT('s', CAST(id AS STRING)) AS s,
       CASE WHEN id % 3 = 0 THEN NULL ELSE id END AS n,
       TIMESTAMP '2024-01-01 00:00:00' + make_interval(0, 0, 0, 0, 0, 0, id) AS ts,
       date_add(DATE '2024-01-01', CAST(id % 30 AS INT)) AS dt,
       CAST(id AS DECIMAL(12, 2)) AS dec
FROM range(5000)
"""
DTYPES = {
    "id": "int64",
    "i": "int32",
    "d": "object",  # id * 0.5 is a DECIMAL in Spark SQL
    "b": "bool",
    "s": "object",
    "n": "Int64",
    "ts": "datetime64[ns, UTC]",
    "dt": "datetime64[ns]",
    "dec": "object",
}


def check_frame(frame: pd.DataFrame, rows: int) -> None:
    assert len(frame) == rows
    assert {c: str(t) for c, t in frame.dtypes.items()} == DTYPES
    frame = frame.sort_values("id").reset_index(drop=True)
    assert frame["id"].tolist() == list(range(rows))
    assert frame["n"].isna().sum() == len(range(0, rows, 3))
    assert frame["s"][7] == "s7" and bool(frame["b"][4]) and not bool(frame["b"][5])
    assert str(frame["dec"][12]) == "12.00"
    # Spark's session time zone here is the machine's; the same instant either way.
    delta = frame["ts"][61] - frame["ts"][0]
    assert delta == pd.Timedelta(seconds=61)
    assert (frame["dt"][31] - frame["dt"][0]) == pd.Timedelta(days=1)


def test_sql_cap_is_real_and_fetch_gets_every_row(client: LivyClient, sid: int) -> None:
    capped = client.run(sid, QUERY, kind="sql").mimetypes["application/json"]["data"]
    assert len(capped) == 1000, "the endpoint should cap kind sql at its max-result"
    fetched = fetch_dataframe(client, sid, QUERY, sql=True, limit=None)
    assert (fetched.rows, fetched.total, fetched.truncated, fetched.transport) == (5000, 5000, False, "arrow")
    check_frame(fetched.frame, 5000)


def test_fetch_limit_and_truncation(client: LivyClient, sid: int) -> None:
    limited = fetch_dataframe(client, sid, QUERY, sql=True, limit=100)
    assert (limited.rows, limited.total, limited.truncated) == (100, None, True)
    exact = fetch_dataframe(client, sid, QUERY, sql=True, limit=5000)
    assert (exact.rows, exact.total, exact.truncated) == (5000, 5000, False)
    empty = fetch_dataframe(client, sid, "SELECT 1 AS a WHERE false", sql=True, limit=10)
    assert empty.rows == 0 and list(empty.frame.columns) == ["a"] and not empty.truncated


def test_chunked_and_json_transfers_agree(client: LivyClient, sid: int) -> None:
    arrow = fetch_dataframe(client, sid, QUERY, sql=True, limit=None, chunk_size=50_000)
    leftover = client.run(sid, "len(globals().get('_emrlab_xfer', {}))").text
    assert leftover == "0", "the driver-side transfer buffer must be freed"
    check_frame(arrow.frame, 5000)
    as_json = fetch_dataframe(client, sid, QUERY, sql=True, limit=None, transport="json", chunk_size=50_000)
    assert as_json.transport == "json"
    pd.testing.assert_frame_equal(arrow.frame, as_json.frame)


def test_fetch_remote_dataframe_variable_and_errors(client: LivyClient, sid: int) -> None:
    client.run(sid, "emrlab_df = spark.range(1234).selectExpr('id', 'id * 2 AS twice')")
    fetched = fetch_dataframe(client, sid, "emrlab_df", sql=False, limit=None)
    assert fetched.rows == 1234 and fetched.frame["twice"].sum() == 2 * sum(range(1234))
    with pytest.raises(StatementError, match="not a Spark DataFrame"):
        fetch_dataframe(client, sid, "42", sql=False, limit=None)
    with pytest.raises(StatementError):
        fetch_dataframe(client, sid, "SELEC nonsense", sql=True, limit=None)


def test_send_dataframe_round_trip(client: LivyClient, sid: int) -> None:
    frame = pd.DataFrame(
        {
            "k": pd.array([1, 2, None, 4], dtype="Int64"),
            "x": [0.5, None, 2.5, 3.0],
            "s": ["a", None, "c", "d"],
            "when": pd.to_datetime(["2024-01-01", "2024-02-01", None, "2024-04-01"], utc=True),
            "flag": [True, False, True, False],
        }
    )
    for chunk in (4_000_000, 1000):
        assert send_dataframe(client, sid, frame, "emrlab_sent", chunk_size=chunk) == 4
        assert client.run(sid, "emrlab_sent.count()").text == "4"
        back = fetch_dataframe(client, sid, "emrlab_sent.orderBy('x')", sql=False, limit=None).frame
        assert back["s"].tolist() == [None, "a", "c", "d"]  # Spark sorts nulls first
        assert back["k"].isna().sum() == 1 and str(back["k"].dtype) == "Int64"
        assert sorted(back["when"].dropna()) == sorted(frame["when"].dropna())
    big = pd.DataFrame({"v": range(20000), "t": [f"row{i}" for i in range(20000)]})
    assert send_dataframe(client, sid, big, "emrlab_big", chunk_size=100_000) == 20000
    assert client.run(sid, "emrlab_big.selectExpr('sum(v)').first()[0]").text == str(sum(range(20000)))
