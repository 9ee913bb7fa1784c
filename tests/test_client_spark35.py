"""The remote transfer code on Spark 3.5 (EMR 7's Spark): run in the pyspark-3.5 venv, decoded here.

That venv (made by `make test-runtime-pyspark35`) has no pyarrow, so this covers the JSON-rows fallback on a
driver without pyarrow; if pyarrow is there, the Spark 3.x Arrow path (`_collect_as_arrow`) is covered.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from emrlab.magics.columnar import decode_transfer, fetch_code, parse_transfer, send_code, send_payload

PY35 = Path(__file__).resolve().parents[1] / ".venv-pyspark35" / "bin" / "python"
QUERY = (
    "SELECT id, CAST(id AS INT) AS i, CONCAT('s', CAST(id AS STRING)) AS s, "
    "CASE WHEN id % 2 = 0 THEN NULL ELSE id END AS n, CAST(id AS DECIMAL(8, 2)) AS dec, "
    "TIMESTAMP '2024-01-01 00:00:00' + make_interval(0, 0, 0, 0, 0, 0, id) AS ts FROM range(300)"
)
SPLIT = "\n#--emrlab-split--\n"
DRIVER = f"""
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
for block in sys.stdin.read().split({SPLIT!r}):
    exec(block, globals())
    print({SPLIT!r})
spark.stop()
"""


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_fetch_code_runs_on_spark_35() -> None:
    if not PY35.exists():
        pytest.skip("no .venv-pyspark35 (make test-runtime-pyspark35 creates it)")
    when = pd.to_datetime(["2024-01-01 10:00", None, "2024-03-01 00:00"], utc=True)
    frame = pd.DataFrame({"k": pd.array([1, None, 3], dtype="Int64"), "s": ["a", "b", None], "t": when})
    blocks = [
        fetch_code(QUERY, sql=True, limit=250, chunk_size=10_000_000, token="t35"),
        send_code("s1", "arrow", send_payload(frame, "arrow"), "sent"),
        send_code("s2", "json", send_payload(frame, "json"), "sent"),
        "print(sorted((r.k or 0, r.s or '', str(r.t)) for r in sent.collect()))",
    ]
    code = SPLIT.join(blocks)
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": str(PY35), "TZ": "UTC"}
    done = subprocess.run(
        [str(PY35), "-c", DRIVER],
        input=code,
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = done.stdout.split(SPLIT.strip("\n"))
    header, data = parse_transfer(outputs[0])
    has_arrow = subprocess.run(
        [str(PY35), "-c", "import pyarrow"], capture_output=True, check=False
    ).returncode
    assert header["format"] == ("arrow" if has_arrow == 0 else "json")
    assert header["truncated"] is True and header["rows"] == 250
    frame = decode_transfer(header, data)
    assert len(frame) == 250
    assert [str(t) for t in frame.dtypes] == [
        "int64",
        "int32",
        "object",
        "Int64",
        "object",
        "datetime64[ns, UTC]",
    ]
    assert frame["n"].isna().sum() == 125 and frame["s"][9] == "s9" and str(frame["dec"][3]) == "3.00"
    assert frame["ts"][10] - frame["ts"][0] == pd.Timedelta(seconds=10)

    # send: an Arrow payload asks for JSON when the driver has no pyarrow; the JSON payload builds the frame.
    if has_arrow != 0:
        assert "EMRLAB-NEED-JSON" in outputs[1]
    assert "EMRLAB-SENT 3" in outputs[2]
    assert "(0, 'b', 'None')" in outputs[3] and "(1, 'a', '2024-01-01 10:00:00" in outputs[3]
