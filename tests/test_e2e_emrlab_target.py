"""End to end for the converter's `emrlab` target: a Databricks notebook with a widget, `%run ./lib $k=v`,
dbutils.fs calls and `%sql` cells, converted by the CLI with `--target emrlab --connect=--local`, then run
by papermill (a parameter overriding the widget) in a real ipykernel through nbclient. Its
`%emr connect --local` finds the shared local endpoint through the endpoint's connection file, the Spark
code runs there, and a cell that raises on Spark fails the papermill run."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from builders import command, notebook_v1, source_text, widget, write_dbc
from interop_kernel import output_text, read_notebook
from livy_fixtures import bearer_http
from nbformat import NotebookNode

from emrlab.magics.server.launch import LocalLivy

MISSING_TABLE = "no_such_table_e2e"


def _sessions(livy: LocalLivy) -> list[dict[str, Any]]:
    response = bearer_http(livy).get(f"{livy.url}/sessions", timeout=10)
    response.raise_for_status()
    return list(response.json()["sessions"])


def _export(root: Path, lake: str) -> Path:
    """A .dbc with a Python notebook that %runs a SOURCE helper with an argument."""
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "helpers.py").write_text(
        source_text("python", ["def doubled(n):\n    return n * 2", "greeting = 'hello ' + who"])
    )
    notebook = notebook_v1(
        "report",
        "python",
        [
            command("%md\n# Report", 1),
            command("%run ./lib/helpers $who=emr", 2),
            command("city = dbutils.widgets.get('city')\nprint('city on spark:', city)", 3),
            command(
                f"dbutils.fs.mkdirs('{lake}')\n"
                f"dbutils.fs.put('{lake}/city.txt', city, True)\n"
                f"print('listed', [f.name for f in dbutils.fs.ls('{lake}')])\n"
                f"print('head', dbutils.fs.head('{lake}/city.txt'))",
                4,
            ),
            command(
                "%sql\nCREATE OR REPLACE TEMP VIEW nums AS SELECT id FROM range(5);\n"
                "SELECT sum(id) AS total, count(*) AS n FROM nums",
                5,
            ),
            command("%sql\nSELECT upper('${city}') AS shouted", 6),
            command("print(greeting, doubled(21))", 7),
            command(f"spark.sql('SELECT * FROM {MISSING_TABLE}').show()", 8),
            command("print('after the failure')", 9),
        ],
        inputWidgets={"city": widget("city", "Lisbon")},
    )
    write_dbc(root / "reports.dbc", {"report.python": notebook})
    return root


def _convert(source: Path, out: Path) -> Path:
    cli = Path(sys.executable).with_name("emrlab")
    options = ["--target", "emrlab", "--connect=--local", "-o", str(out), "--jobs", "1", "-q"]
    done = subprocess.run(
        [str(cli), "convert", str(source), *options],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out / "report.ipynb"


def _cell(notebook: NotebookNode, needle: str) -> NotebookNode:
    """The one code cell whose source contains `needle`."""
    found = [c for c in notebook.cells if c.cell_type == "code" and needle in c.source]
    assert len(found) == 1, f"{len(found)} cells contain {needle!r}"
    cell: NotebookNode = found[0]
    return cell


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_converted_notebook_runs_under_papermill_on_the_local_endpoint(
    local_livy: LocalLivy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    lake = tmp_path / "lake"
    converted = _convert(_export(tmp_path / "export", f"file://{lake}"), tmp_path / "converted")
    source_nb = read_notebook(converted)
    assert [c.source for c in source_nb.cells[:2]] == ["%load_ext emrlab", "%emr connect --local"]
    # `%emr connect --local` reads default_connection_file() = $XDG_RUNTIME_DIR/emrlab/livy-connection.json:
    # point it (a symlink: the token is not copied) at the shared endpoint's file. The token comes from
    # that file, not from the environment.
    runtime = tmp_path / "xdg-runtime"
    (runtime / "emrlab").mkdir(parents=True, mode=0o700)
    (runtime / "emrlab" / "livy-connection.json").symlink_to(local_livy.connection_file)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("EMRLAB_LIVY_TOKEN", raising=False)
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")  # papermill's kernel inherits this process's env
    before = {s["id"] for s in _sessions(local_livy)}
    executed = tmp_path / "executed.ipynb"
    started = time.monotonic()
    try:
        with pytest.raises(PapermillExecutionError) as failure:
            papermill.execute_notebook(
                str(converted),
                str(executed),
                parameters={"city": "Porto"},  # `papermill -p city Porto`
                kernel_name="python3",
                cwd=str(converted.parent),
                progress_bar=False,
                start_timeout=120,
                execution_timeout=600,  # the connect cell starts a JVM on a loaded machine
            )
        # the kernel's exit (atexit in the magics) deletes the session it created: bounded wait
        deadline = time.monotonic() + 60
        while any(s["id"] not in before for s in _sessions(local_livy)):
            assert time.monotonic() < deadline, "the notebook's Livy session outlived its kernel"
            time.sleep(0.5)
    finally:
        http = bearer_http(local_livy)
        for leftover in _sessions(local_livy):
            if leftover["id"] not in before:
                http.delete(f"{local_livy.url}/sessions/{leftover['id']}", timeout=30)
    print(f"papermill run: {time.monotonic() - started:.1f} s")
    error = failure.value
    assert f"SELECT * FROM {MISSING_TABLE}" in error.source  # papermill names the cell that raised
    # The failed cell raises a SparkError named after the remote exception: papermill reports it as is.
    assert error.ename == "AnalysisException", (error.ename, error.evalue)
    assert MISSING_TABLE in error.evalue and "emrlab" not in "".join(error.traceback)

    notebook = read_notebook(executed)
    connect = output_text(_cell(notebook, "%emr connect --local"))
    assert f"local endpoint {local_livy.url} (reused)" in connect, connect
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'city = "Porto"' in injected[0].source
    assert "city on spark: Porto" in output_text(_cell(notebook, "print('city on spark:', city)"))
    fs_output = output_text(_cell(notebook, "fs.head("))
    assert "listed ['city.txt']" in fs_output and "head Porto" in fs_output, fs_output
    assert (lake / "city.txt").read_text() == "Porto"  # written by the Spark session, on this machine
    totals = output_text(_cell(notebook, "SELECT sum(id) AS total"))
    assert "total" in totals and "10" in totals.split("total", 1)[1], totals
    assert "PORTO" in output_text(_cell(notebook, "AS shouted"))
    assert "hello emr 42" in output_text(_cell(notebook, "print(greeting, doubled(21))"))
    failed = output_text(_cell(notebook, MISSING_TABLE))
    assert "the Spark statement failed: AnalysisException" in failed and MISSING_TABLE in failed, failed
    after = _cell(notebook, "after the failure")
    assert after.outputs == [] and after.get("execution_count") is None  # the run stopped at the failure
