"""Livy batches on the local endpoint: spark-submit (pyspark's own) to success, to failure, and DELETE."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from livy_fixtures import LivyFactory, alive, bearer_http, descendants, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

GOOD = """
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
total = spark.range(int(sys.argv[1])).selectExpr("sum(id)").first()[0]
open(sys.argv[2], "w").write(str(total))
print("batch total", total)
spark.stop()
"""
BAD = """
print("about to fail")
raise RuntimeError("batch failed on purpose")
"""
SLOW = """
import time
time.sleep(600)
"""


def batch(http: requests.Session, url: str, bid: int) -> dict[str, Any]:
    response = http.get(f"{url}/batches/{bid}", timeout=10)
    response.raise_for_status()
    value: dict[str, Any] = response.json()
    return value


def test_batches_success_failure_and_delete(livy_factory: LivyFactory, tmp_path: Path) -> None:
    livy = livy_factory("bearer")
    http = bearer_http(livy)
    url = livy.url
    scripts = {}
    for name, code in (("good", GOOD), ("bad", BAD), ("slow", SLOW)):
        scripts[name] = tmp_path / f"{name}.py"
        scripts[name].write_text(code)
    out = tmp_path / "total.txt"
    created = http.post(
        f"{url}/batches",
        json={"file": str(scripts["good"]), "args": ["1000", str(out)], "name": "good"},
        timeout=10,
    )
    assert created.status_code == 201 and created.headers["Location"] == f"/batches/{created.json()['id']}"
    good = created.json()["id"]
    bad = http.post(f"{url}/batches", json={"file": f"file://{scripts['bad']}"}, timeout=10).json()["id"]
    final = ("success", "dead")
    wait_until(lambda: batch(http, url, good)["state"] in final, 240, "the good batch")
    wait_until(lambda: batch(http, url, bad)["state"] in final, 240, "the bad batch")
    assert batch(http, url, good)["state"] == "success", http.get(f"{url}/batches/{good}/log?size=200").text
    assert out.read_text() == str(sum(range(1000)))
    assert http.get(f"{url}/batches/{good}/state", timeout=10).json() == {"id": good, "state": "success"}
    assert batch(http, url, bad)["state"] == "dead"
    log = http.get(f"{url}/batches/{bad}/log?size=1000", timeout=10).json()
    assert any("batch failed on purpose" in line for line in log["log"])
    listing = http.get(f"{url}/batches", timeout=10).json()
    assert {good, bad} <= {b["id"] for b in listing["sessions"]}

    slow = http.post(f"{url}/batches", json={"file": str(scripts["slow"])}, timeout=10).json()["id"]
    assert batch(http, url, slow)["state"] == "running"
    wait_until(lambda: len(descendants(livy.pid)) >= 2, 60, "spark-submit and its Python")
    processes = descendants(livy.pid)
    assert http.delete(f"{url}/batches/{slow}", timeout=10).json() == {"msg": "deleted"}
    assert http.get(f"{url}/batches/{slow}", timeout=10).status_code == 404
    wait_until(lambda: alive(processes) == [], 30, "the deleted batch's processes to exit")
