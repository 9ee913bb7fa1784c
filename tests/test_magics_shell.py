"""%emr / %%emr in a real IPython shell over real HTTP to the local Livy endpoint running PySpark.

One endpoint of our own (faults are injected into it) with a small --max-result, one main session shared by
the module; the fault tests re-create sessions (a JVM each), so they are few."""

from __future__ import annotations

import _thread
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from livy_fixtures import LivyFactory, bearer_http

import emrlab.magics
from emrlab.magics.errors import SparkError
from emrlab.magics.server.launch import LocalLivy

pytestmark = pytest.mark.slow
MAX_RESULT = 100


@pytest.fixture(scope="module")
def livy(livy_factory: LivyFactory) -> LocalLivy:
    return livy_factory("bearer", extra_args=["--max-result", str(MAX_RESULT)])


@pytest.fixture(scope="module")
def http(livy: LocalLivy) -> requests.Session:
    return bearer_http(livy)


@pytest.fixture(scope="module")
def ip(livy: LocalLivy) -> Iterator[InteractiveShell]:
    """The IPython shell, connected to `livy` as session 'main' (token from the connection file)."""
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "emrlab")
    magics = emrlab.magics._LOADED[id(shell)]
    magics.progress_mode = "off"
    shell.run_line_magic(
        "emr", f"connect --url {livy.url} --connection-file {livy.connection_file} --name main"
    )
    yield shell
    magics.registry.cleanup()


def registry(shell: InteractiveShell) -> Any:
    return emrlab.magics._LOADED[id(shell)].registry


def run(shell: InteractiveShell, cell: str) -> tuple[Any, Any]:
    """Run a cell capturing stdout/stderr and rich outputs; returns (ExecutionResult, captured)."""
    with capture_output() as captured:
        result = shell.run_cell(cell)
    return result, captured


def ok(shell: InteractiveShell, cell: str) -> Any:
    result, captured = run(shell, cell)
    assert result.success, f"{cell!r} failed: {result.error_in_exec!r}\n{captured.stdout}\n{captured.stderr}"
    return captured


def livy_sessions(http: requests.Session, livy: LocalLivy) -> list[dict[str, Any]]:
    return list(http.get(f"{livy.url}/sessions", timeout=10).json()["sessions"])


def main_id(shell: InteractiveShell) -> int:
    return int(registry(shell).get("main").session_id)


def test_pyspark_cell_and_runtime_delivered(ip: InteractiveShell) -> None:
    out = ok(ip, "%%emr\nprint(spark.range(7).count())\nx = 41").stdout
    assert out.strip() == "7"
    assert ok(ip, "%%emr\nx + 1").stdout.strip() == "42"
    code = (
        "%%emr\nimport os\nfrom pyspark import SparkFiles\nfrom emrlab.runtime import fs\n"
        "print(_emrlab_runtime_zip, os.path.isfile(SparkFiles.get(_emrlab_runtime_zip)), callable(fs.ls))"
    )
    name, exists, callable_ls = ok(ip, code).stdout.split()
    assert name.startswith("emrlab-runtime-") and name.endswith(".zip")
    assert exists == "True" and callable_ls == "True"


def test_png_and_table_outputs_are_displayed(ip: InteractiveShell) -> None:
    png = (
        "%%emr\nimport struct, zlib\n"
        "def _chunk(kind, data):\n"
        "    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))\n"
        "class Fig:\n"
        "    def savefig(self, out, format):\n"
        "        header = struct.pack('>IIBBBBB', 1, 1, 8, 0, 0, 0, 0)\n"
        "        out.write(b'\\x89PNG\\r\\n\\x1a\\n' + _chunk(b'IHDR', header)"
        " + _chunk(b'IDAT', zlib.compress(b'\\x00\\x00')) + _chunk(b'IEND', b''))\n"
        "fig = Fig()"
    )  # a savefig-able object: the server's %matplot (Livy's) renders any such figure; no matplotlib here
    ok(ip, png)
    outputs = ok(ip, "%%emr\n%matplot fig").outputs
    assert len(outputs) == 1 and "image/png" in outputs[0].data
    assert outputs[0].data["image/png"].startswith("iVBORw0KGgo")
    outputs = ok(ip, "%%emr\n%table [[1, 'a'], [2, 'b']]").outputs
    assert "<table" in outputs[0].data["text/html"] and "2 rows" in outputs[0].data["text/html"]


def test_spark_error_fails_the_cell_with_the_remote_exception(ip: InteractiveShell) -> None:
    result, captured = run(ip, "%%emr\nspark.sql('SELECT * FROM no_such_table').count()")
    error = result.error_in_exec
    assert not result.success and isinstance(error, SparkError)
    assert type(error).__name__ == "AnalysisException"  # what nbclient/papermill report as ename
    assert "the Spark statement failed" in str(error) and "no_such_table" in str(error)
    shown = captured.stdout + captured.stderr
    assert shown.count("Traceback") == 1  # the remote one, once
    assert "magic.py" not in shown and "emrlab" not in shown  # not our frames
    assert ok(ip, "%%emr\n1 + 1").stdout.strip() == "2"  # the session lives on


def test_sql_beyond_livys_row_cap_into_pandas(ip: InteractiveShell) -> None:
    rows = 3 * MAX_RESULT + 7
    query = f"SELECT id, CAST(id AS DOUBLE) / 2 AS half, CAST(id AS STRING) AS s FROM range({rows})"
    captured = ok(ip, f"%%emr sql -o big\n{query}")
    frame = ip.user_ns["big"]
    assert isinstance(frame, pd.DataFrame) and len(frame) == rows
    assert frame["id"].dtype == "int64" and frame["half"].dtype == "float64"
    assert frame["half"].iloc[-1] == (rows - 1) / 2 and frame["s"].iloc[3] == "3"
    assert f"{rows:,} rows" in captured.stdout
    html = captured.outputs[0].data["text/html"]
    assert "<table" in html and f"{rows:,} rows" in html
    captured = ok(ip, f"%%emr sql --limit 40\n{query}")
    assert "truncated" in captured.outputs[0].data["text/html"]
    assert "--limit 40" in captured.stdout and "--limit -1" in captured.stdout


def test_dash_o_on_a_pyspark_cell_and_send(ip: InteractiveShell) -> None:
    ok(ip, "%%emr -o squares -q\nsquares = spark.range(5).selectExpr('id', 'id * id AS sq')")
    assert list(ip.user_ns["squares"]["sq"]) == [0, 1, 4, 9, 16]
    ip.user_ns["local_pdf"] = pd.DataFrame({"k": ["a", "b", "c"], "v": [1.5, 2.5, None]})
    assert "sent 3 rows" in ok(ip, "%emr send local_pdf --name remote_pdf").stdout
    out = ok(ip, "%%emr\nprint(remote_pdf.count(), remote_pdf.where('v IS NULL').count())").stdout
    assert out.split() == ["3", "1"]


@pytest.mark.timeout(120)
def test_ctrl_c_cancels_the_statement(ip: InteractiveShell, http: requests.Session, livy: LocalLivy) -> None:
    timer = threading.Timer(2.0, _thread.interrupt_main)  # what Ctrl-C in a terminal or kernel does
    began = time.monotonic()
    timer.start()
    try:
        result, _ = run(ip, "%%emr\nimport time\nfor _ in range(600):\n    time.sleep(0.1)")
    finally:
        timer.cancel()
    assert time.monotonic() - began < 60
    assert not result.success and type(result.error_in_exec) is UsageError
    assert "cancelled" in str(result.error_in_exec)
    sid = main_id(ip)
    statements = http.get(f"{livy.url}/sessions/{sid}/statements", timeout=10).json()["statements"]
    assert statements[-1]["state"] == "cancelled"
    assert ok(ip, "%%emr\n'still usable'").stdout.strip() == "'still usable'"


def test_sessions_info_logs(ip: InteractiveShell) -> None:
    sid = main_id(ip)
    text = ok(ip, "%emr sessions").outputs[0].data["text/plain"]
    assert str(sid) in text and "main" in text and "idle" in text
    text = ok(ip, "%emr info").outputs[0].data["text/plain"]
    assert "main (current)" in text and "idle" in text
    assert ok(ip, "%emr logs --size 20").stdout.strip()


def test_scala_cell_surfaces_the_servers_answer(ip: InteractiveShell) -> None:
    result, captured = run(ip, '%%emr scala\nprintln("hi")')
    if result.success:  # the server runs Scala
        assert captured.stdout.strip() == "hi"
    else:
        assert type(result.error_in_exec) is UsageError and "400" in str(result.error_in_exec)


def test_overhead_per_statement_close_to_a_raw_client(ip: InteractiveShell, livy: LocalLivy) -> None:
    entry = registry(ip).get("main")
    sid = int(entry.session_id)
    raw = bearer_http(livy)
    seen: list[tuple[str, str]] = []
    original = entry.client.http.request

    def counting(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        seen.append((method, path))
        return original(method, path, *args, **kwargs)

    def raw_statement() -> None:
        reply = raw.post(f"{livy.url}/sessions/{sid}/statements", json={"code": "1"}, timeout=10).json()
        delay = 0.0015
        while True:
            time.sleep(delay)
            got = raw.get(f"{livy.url}/sessions/{sid}/statements/{reply['id']}", timeout=10).json()
            if got["state"] in ("available", "error", "cancelled"):
                return
            delay = min(delay * 2, 0.5)

    cell = ip.run_cell_magic
    entry.client.http.request = counting
    timings = {"magic": 0.0, "raw": 0.0}
    try:
        for _ in range(4):  # interleaved rounds, so both see the same load on a shared machine
            began = time.perf_counter()
            for _ in range(25):
                cell("emr", "-q", "1")
            timings["magic"] += time.perf_counter() - began
            began = time.perf_counter()
            for _ in range(25):
                raw_statement()
            timings["raw"] += time.perf_counter() - began
    finally:
        del entry.client.http.request
    assert not [p for m, p in seen if m == "GET" and "/statements" not in p], "a session GET per cell"
    assert sum(1 for m, _ in seen if m == "POST") == 100
    ratio = timings["magic"] / timings["raw"]
    print(
        f"%%emr vs raw POST+poll, 100 statements: {timings['magic']:.2f} s / {timings['raw']:.2f} s"
        f" = {ratio:.2f}"
    )
    assert ratio <= 1.5


def test_expired_session_is_recreated_and_the_cell_rerun(
    ip: InteractiveShell, http: requests.Session, livy: LocalLivy
) -> None:
    old = main_id(ip)
    reply = http.post(f"{livy.url}/_emrlab/faults", json={"expire_session": old}, timeout=10)
    assert reply.status_code == 200, reply.text
    captured = ok(ip, "%%emr\nprint('ran after expiry')")
    assert "no longer exists" in captured.stdout and "running the cell again" in captured.stdout
    assert captured.stdout.strip().endswith("ran after expiry")
    assert main_id(ip) != old
    assert ok(
        ip, "%%emr\nfrom emrlab.runtime import fs\nprint('runtime', callable(fs.ls))"
    ).stdout.strip() == ("runtime True")


def test_session_killed_between_cells_is_recreated_and_rerun(
    ip: InteractiveShell, http: requests.Session, livy: LocalLivy
) -> None:
    old = main_id(ip)
    done = len(http.get(f"{livy.url}/sessions/{old}/statements", timeout=10).json()["statements"])
    fault = {"kill_session_after": {"session": old, "statements": done + 1}}
    assert http.post(f"{livy.url}/_emrlab/faults", json=fault, timeout=10).status_code == 200
    assert ok(ip, "%%emr\nprint('last on the old session')").stdout.strip() == "last on the old session"
    deadline = time.monotonic() + 30
    while http.get(f"{livy.url}/sessions/{old}", timeout=10).json()["state"] != "dead":
        assert time.monotonic() < deadline, "the fault did not kill the session"
        time.sleep(0.2)
    captured = ok(ip, "%%emr\nprint('ran on the new one')")
    assert "is dead" in captured.stdout and "running the cell again" in captured.stdout
    assert captured.stdout.strip().endswith("ran on the new one") and main_id(ip) != old


def test_session_dying_during_a_cell_is_recreated_but_not_rerun(ip: InteractiveShell) -> None:
    old = main_id(ip)
    result, captured = run(ip, "%%emr\nimport os\nos._exit(3)")
    assert not result.success and type(result.error_in_exec) is UsageError
    assert "not re-run" in str(result.error_in_exec)
    assert "creating a new session" in captured.stdout
    assert main_id(ip) != old
    assert ok(ip, "%%emr\n6 * 7").stdout.strip() == "42"


def test_configure_force_attach_delete_cleanup(
    ip: InteractiveShell, http: requests.Session, livy: LocalLivy
) -> None:
    old = main_id(ip)
    ok(ip, "%emr configure -f --conf spark.emrlab.marker=yes --driver-memory 700m")
    new = main_id(ip)
    assert new != old
    assert ok(ip, "%%emr\nprint(spark.conf.get('spark.emrlab.marker'))").stdout.strip() == "yes"
    ok(ip, "%emr configure --reset")
    ok(ip, f"%emr attach {new} --name again --no-runtime")
    assert ok(ip, "%%emr -s again\nprint('attached')").stdout.strip() == "attached"
    ok(ip, "%emr use main")
    ok(ip, "%emr delete again")  # deletes the Livy session, whoever created it
    assert new not in [s["id"] for s in livy_sessions(http, livy)]
    assert "again" not in registry(ip).entries
    assert "known: main" in str(run(ip, "%%emr -s again\n1")[0].error_in_exec)


def test_submit_local_batch(ip: InteractiveShell, livy: LocalLivy, tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(
        "import sys\nfrom pyspark.sql import SparkSession\n"
        "spark = SparkSession.builder.getOrCreate()\n"
        "print('ROWS', spark.range(int(sys.argv[1])).count(), sys.argv[2])\n"
    )
    captured = ok(ip, f"%emr submit {script} --local --connection-file {livy.connection_file} -- 12 two")
    assert "success in" in captured.stdout and "/batches/" in captured.stdout
    bad = tmp_path / "bad.py"
    bad.write_text("raise SystemExit('the job failed on purpose')\n")
    result, _ = run(ip, f"%emr submit {bad} --local --connection-file {livy.connection_file}")
    assert not result.success and type(result.error_in_exec) is UsageError
    assert "failed on purpose" in str(result.error_in_exec)


def test_cleanup_deletes_what_we_created(
    ip: InteractiveShell, http: requests.Session, livy: LocalLivy
) -> None:
    sid = main_id(ip)
    assert "deleted session 'main'" in ok(ip, "%emr cleanup").stdout
    assert sid not in [s["id"] for s in livy_sessions(http, livy)]
    assert not registry(ip).entries


@pytest.mark.timeout(180)
def test_heartbeats_keep_a_session_alive_only_while_the_shell_lives(
    ip: InteractiveShell, http: requests.Session, livy: LocalLivy
) -> None:
    """With --heartbeat-timeout the server reaps a session no client asks for; our heartbeat thread keeps
    it alive while the shell lives, and once heartbeats stop (a killed kernel) the server deletes it."""
    ok(ip, "%emr configure --heartbeat-timeout 3")
    try:
        ok(ip, f"%emr connect --url {livy.url} --connection-file {livy.connection_file} --name hb")
    finally:
        ok(ip, "%emr configure --reset")
    beats = registry(ip).heartbeat
    sid = beats.watched()["hb"]
    time.sleep(8)  # well past the 3 s timeout, with no cell run
    assert sid in {s["id"] for s in livy_sessions(http, livy)}, "the heartbeats did not keep it alive"
    assert ok(ip, "%%emr -s hb\n40 + 2").stdout.strip() == "42"
    beats.stop()  # what a dead kernel does: nothing
    deadline = time.monotonic() + 30
    while sid in {s["id"] for s in livy_sessions(http, livy)}:
        assert time.monotonic() < deadline, "the server kept a session nobody heartbeats"
        time.sleep(0.5)
    ok(ip, "%emr delete hb")
    assert "hb" not in registry(ip).entries and "hb" not in beats.watched()
