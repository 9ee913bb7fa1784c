"""The kernel path and shutdown: a notebook with %emr cells run by nbclient (a failing Spark cell fails the
run; the progress display updates in place), and a terminal IPython whose exit deletes the sessions it
created and stops the local endpoint it started."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from livy_fixtures import LivyFactory, bearer_http
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from emrlab.magics.server.launch import LocalLivy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def livy(livy_factory: LivyFactory) -> LocalLivy:
    return livy_factory("bearer")


def sessions(livy: LocalLivy) -> list[dict[str, Any]]:
    return list(bearer_http(livy).get(f"{livy.url}/sessions", timeout=10).json()["sessions"])


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", **extra}


@pytest.mark.timeout(400)
def test_notebook_through_nbclient(livy: LocalLivy, tmp_path: Path) -> None:
    cells = [
        "%load_ext emrlab",
        f"%emr connect --url {livy.url} --name nbclient-run",  # token from $EMRLAB_LIVY_TOKEN
        "%%emr\nprint(spark.range(3).count())",
        "%%emr\nimport time\ntime.sleep(2.5)\nprint('slept')",
        "%%emr sql -o frame\nSELECT 1 AS one, 'x' AS letter",
        "print(type(frame).__name__, frame.shape)",
        "%%emr\n1 / 0",
        "print('never reached')",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    with pytest.raises(CellExecutionError) as failure:
        client.execute(env=_env(EMRLAB_LIVY_TOKEN=str(livy.token)))
    assert "ZeroDivisionError" in str(failure.value)
    outputs = [cell.get("outputs", []) for cell in notebook.cells]
    assert [o.get("text") for o in outputs[2] if o["output_type"] == "stream"] == ["3\n"]
    # the progress display appeared (the statement ran > 0.5 s) and was updated in place to its final line
    displays = [o for o in outputs[3] if o["output_type"] == "display_data"]
    assert displays and displays[0]["data"]["text/plain"].startswith("done in")
    assert any("slept" in str(o.get("text", "")) for o in outputs[3])
    assert any("<table" in str(o.get("data", {}).get("text/html", "")) for o in outputs[4])
    assert "DataFrame (1, 2)" in str(outputs[5][0].get("text"))
    assert outputs[7] == []
    # the failed cell's error output is the remote one: named after it, with the remote traceback only
    errors = [o for o in outputs[6] if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["ZeroDivisionError"], outputs[6]
    assert "division by zero" in "\n".join(errors[0]["traceback"])
    assert "emrlab" not in "\n".join(errors[0]["traceback"])  # no local frames from the magic
    deadline = time.monotonic() + 30  # the kernel exited: its atexit cleanup deleted the session
    while any(s["name"] == "nbclient-run" for s in sessions(livy)):
        assert time.monotonic() < deadline, "the notebook's session outlived its kernel"
        time.sleep(0.5)


@pytest.mark.timeout(400)
def test_terminal_ipython_exit_cleans_up(livy: LocalLivy, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh-connection.json"  # no endpoint there yet: --local starts one
    script = tmp_path / "session.ipy"
    script.write_text(
        "%load_ext emrlab\n"
        f"%emr connect --local --connection-file {livy.connection_file} --name reused\n"
        f"%emr connect --local --connection-file {fresh} --name started --no-runtime\n"
        # an .ipy file runs as one cell, so cell magics are called through the shell
        "get_ipython().run_cell_magic('emr', '-s reused', \"print('on', 'reused')\")\n"
        "get_ipython().run_cell_magic('emr', '-s started', \"print('on', 'started')\")\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "IPython", "--no-banner", "--colors=nocolor", str(script)],
        capture_output=True,
        text=True,
        timeout=360,
        env=_env(),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "on reused" in done.stdout and "on started" in done.stdout
    assert "(reused)" in done.stdout and "(started)" in done.stdout
    assert not [s for s in sessions(livy) if s["name"] == "reused"]
    assert "stopped the local endpoint" in done.stdout
    assert not fresh.exists(), (
        "the endpoint started by --local should have been stopped (it removes its file)"
    )
