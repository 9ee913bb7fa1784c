"""Converted `jupyter` and `script` outputs of a dbutils-free notebook really run on local PySpark:
the notebook through nbclient in a fresh kernel, the script through a `python` subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from builders import command, notebook_v1, source_text, widget, write_dbc
from conftest import Converter
from nbclient import NotebookClient

pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A Python notebook (.dbc, with a widget) that %runs a SOURCE helper and uses %sql, %sh, %md."""
    root = tmp_path / "export"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "helpers.py").write_text(
        source_text("python", ["def doubled(n):\n    return n * 2", f"greeting = 'hello ' + {'who'}"])
    )
    nb = notebook_v1(
        "report",
        "python",
        [
            command("%md\n# Report", 1),
            command("%run ./lib/helpers $who=emr", 2),
            command(
                "%sql\nCREATE OR REPLACE TEMP VIEW nums AS SELECT id FROM range(5);\n"
                "SELECT sum(id) AS total FROM nums",
                3,
            ),
            command("total = _sqldf.collect()[0]['total']\nprint(greeting, doubled(total), city)", 4),
            command("%sh\necho shell says $((6 * 7))", 5),
        ],
        inputWidgets={"city": widget("city", "Lisbon")},
    )
    write_dbc(root / "reports.dbc", {"report.python": nb})
    return root


def _env() -> dict[str, str]:
    return {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}


def test_jupyter_output_runs_in_a_kernel(run_convert: Converter, workspace: Path) -> None:
    report, out = run_convert(workspace, target="jupyter")
    assert report.exit_code() == 0
    notebook = nbformat.read(out / "report.ipynb", as_version=4)
    client = NotebookClient(
        notebook, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(out)}}
    )
    client.execute(env=_env())
    text = "\n".join(
        str(output.get("text", "")) + str(output.get("data", {}).get("text/html", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "hello emr 20 Lisbon" in text
    assert "shell says 42" in text
    assert "<td>10</td>" in text.replace(" ", "")  # the %sql result rendered as a table


def test_script_output_runs_with_arguments(run_convert: Converter, workspace: Path) -> None:
    _, out = run_convert(workspace, target="script")
    done = subprocess.run(
        [sys.executable, str(out / "report.py"), "--city", "Porto"],
        capture_output=True,
        text=True,
        timeout=240,
        env=_env(),
        cwd=out,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "hello emr 20 Porto" in done.stdout
    assert "shell says 42" in done.stdout
    assert "|total|" in done.stdout.replace(" ", "")
