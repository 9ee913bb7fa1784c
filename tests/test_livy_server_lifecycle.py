"""Session lifecycle on a server of its own: conf honoured, DELETE, the faults that need a live REPL
(slow start, death after N statements, expiry), no orphan REPLs/JVMs after DELETE, death or server stop."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from livy_fixtures import (
    LivyFactory,
    alive,
    bearer_http,
    descendants,
    run_statement,
    wait_session,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


def create(http: requests.Session, url: str, body: dict[str, Any]) -> int:
    response = http.post(f"{url}/sessions", json=body, timeout=10)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/sessions/{response.json()['id']}"
    assert response.json()["state"] == "starting"
    return int(response.json()["id"])


def test_lifecycle_faults_and_no_orphans(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer")
    http = bearer_http(livy)
    url = livy.url
    assert descendants(livy.pid) == []

    # Session a: Livy's fields become Spark conf; b: started under a 3 s slow-start fault.
    a = create(
        http,
        url,
        {
            "kind": "pyspark",
            "name": "conf-check",
            "driverMemory": "700m",
            "conf": {"spark.sql.shuffle.partitions": "7"},
        },
    )
    http.post(f"{url}/_emrlab/faults", json={"slow_start": 3}, timeout=10).raise_for_status()
    b_created = time.monotonic()
    b = create(http, url, {"kind": "sql", "conf": {"spark.livy.sql.max-result": "3"}})
    http.post(f"{url}/_emrlab/faults", json={"slow_start": 0}, timeout=10).raise_for_status()
    wait_session(http, url, a)
    wait_session(http, url, b)
    assert time.monotonic() - b_created >= 3.0
    conf = run_statement(
        http,
        url,
        a,
        "(spark.conf.get('spark.driver.memory'), "
        "spark.conf.get('spark.sql.shuffle.partitions'), spark.sparkContext.appName)",
    )
    assert conf["output"]["data"]["text/plain"] == "('700m', '7', 'conf-check')"
    # A sql session runs SQL by default, capped by its own spark.livy.sql.max-result.
    capped = run_statement(http, url, b, "select id from range(10)")["output"]["data"]["application/json"]
    assert capped["data"] == [[0], [1], [2]]

    # DELETE kills the REPL and its JVM.
    repl_processes = descendants(livy.pid)
    assert len(repl_processes) >= 4  # two REPL children, each with a JVM
    a_processes = set(repl_processes)
    assert http.delete(f"{url}/sessions/{a}", timeout=10).json() == {"msg": "deleted"}
    assert http.get(f"{url}/sessions/{a}", timeout=10).status_code == 404
    wait_until(lambda: len(descendants(livy.pid)) < len(repl_processes), 30, "session a's processes to exit")
    a_processes -= set(descendants(livy.pid))
    wait_until(lambda: alive(sorted(a_processes)) == [], 30, "no orphans of session a")

    # Death after N statements: the Nth answers, then the session is dead, its statements readable.
    fault = {"kill_session_after": {"session": b, "statements": 2}}
    http.post(f"{url}/_emrlab/faults", json=fault, timeout=10).raise_for_status()
    assert run_statement(http, url, b, "select 2")["state"] == "available"
    wait_until(
        lambda: http.get(f"{url}/sessions/{b}/state", timeout=10).json()["state"] == "dead", 30, "dead"
    )
    refused = http.post(f"{url}/sessions/{b}/statements", json={"code": "select 3"}, timeout=10)
    assert refused.status_code == 400 and "dead" in refused.json()["msg"]
    assert http.get(f"{url}/sessions/{b}/statements/1", timeout=10).json()["state"] == "available"
    wait_until(lambda: descendants(livy.pid) == [], 30, "session b's processes to exit")

    # Expiry: the session disappears (404) and its REPL is gone.
    c = create(http, url, {"kind": "pyspark"})
    d = create(http, url, {"kind": "spark"})  # Scala: statements default to the session's kind
    wait_session(http, url, c)
    http.post(f"{url}/_emrlab/faults", json={"expire_session": c}, timeout=10).raise_for_status()
    assert http.get(f"{url}/sessions/{c}", timeout=10).json() == {"msg": f"Session '{c}' not found."}
    assert http.post(f"{url}/sessions/{c}/statements", json={"code": "1"}, timeout=10).status_code == 404

    # Server stop: every REPL and JVM goes with it.
    wait_session(http, url, d, timeout=300)
    scala = run_statement(http, url, d, 'val greeting = "hi from " + spark.version')
    assert scala["output"]["data"]["text/plain"].startswith("val greeting: String = hi from 4."), scala
    left = descendants(livy.pid)
    assert left
    livy.stop()
    assert not livy.alive
    wait_until(lambda: alive(left) == [], 30, "no orphans after the server stopped")


def test_idle_timeout_deletes_the_session(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer", extra_args=["--session-idle-timeout", "4"])
    http = bearer_http(livy)
    sid = create(http, livy.url, {"kind": "pyspark"})
    wait_session(http, livy.url, sid)  # a starting session never expires, however long the JVM takes
    assert run_statement(http, livy.url, sid, "'busy once'")["state"] == "available"
    last_used = time.monotonic()
    gone = lambda: http.get(f"{livy.url}/sessions/{sid}", timeout=10).status_code == 404  # noqa: E731
    wait_until(gone, 60, "the idle session to expire")
    assert time.monotonic() - last_used >= 4.0
    wait_until(lambda: descendants(livy.pid) == [], 30, "the expired session's processes to exit")


def test_a_kernels_endpoint_stops_when_the_kernel_is_killed(tmp_path: Any) -> None:
    """`%emr connect --local` starts the endpoint with exit_with_parent: SIGKILL the process that started it
    (a kernel stand-in) and the endpoint stops too, removing its connection file; no JVM is involved."""
    import json
    import os
    import signal
    import subprocess
    import sys

    connection = tmp_path / "livy.json"
    starter = (
        "import sys, time\n"
        "from emrlab.magics.server.launch import start_local_livy\n"
        f"livy = start_local_livy(connection_file={str(connection)!r}, exit_with_parent=True)\n"
        "print(livy.process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    kernel = subprocess.Popen([sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True)
    try:
        assert kernel.stdout is not None
        server_pid = int(kernel.stdout.readline())
        info = json.loads(connection.read_text())
        assert info["pid"] == server_pid and alive([server_pid])
        assert requests.get(f"{info['url']}/sessions", timeout=5).status_code == 401  # it serves
        os.kill(kernel.pid, signal.SIGKILL)
        kernel.wait(10)
        wait_until(lambda: not alive([server_pid]), timeout=20, what="the endpoint to stop with its kernel")
        assert not connection.exists()
    finally:
        if kernel.poll() is None:
            kernel.kill()
            kernel.wait()


def test_connection_file_location_from_the_environment(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emrlab.magics.server import default_connection_file

    chosen = tmp_path / "elsewhere" / "livy.json"
    monkeypatch.setenv("EMRLAB_LIVY_CONNECTION_FILE", str(chosen))
    assert default_connection_file() == chosen
    monkeypatch.delenv("EMRLAB_LIVY_CONNECTION_FILE")
    assert default_connection_file().name == "livy-connection.json"
