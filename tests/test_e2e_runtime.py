"""End to end: a Databricks workspace full of dbutils, converted, really runs on local PySpark with
emrlab.runtime: the `jupyter` notebook through papermill (widgets overridden with parameters) against
moto's S3 and Secrets Manager, the `script` through a Python subprocess against local files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import nbformat
import papermill
import pytest
from builders import magic_cell, source_text
from conftest import Converter
from papermill.exceptions import PapermillExecutionError

pytestmark = pytest.mark.slow

LIB = [
    'dbutils.widgets.text("who", "world")\ngreeting = "hello " + dbutils.widgets.get("who")',
]
CHILD = [
    'dbutils.widgets.text("n", "1")\nn = int(dbutils.widgets.get("n"))',
    "dbutils.notebook.exit(str(n * 2))",
    'print("child kept going")',
]
MAIN = [
    magic_cell("python", "%run ./lib $who=emr"),
    'dbutils.widgets.text("base", "/tmp/not-used")\ndbutils.widgets.text("city", "Lisbon")\n'
    'base = dbutils.widgets.get("base")\nprint(greeting, dbutils.widgets.get("city"))',
    'dbutils.fs.put(base + "/in/hello.txt", "hi from fs", True)\n'
    'print(sorted(f.name for f in dbutils.fs.ls(base + "/in")))\n'
    'print("head:", dbutils.fs.head(base + "/in/hello.txt"))',
    'password = dbutils.secrets.get(scope="shop", key="db")\nprint("secret length", len(password))',
    'result = dbutils.notebook.run("./child", 120, {"n": "21"})\nprint("child said", result)',
    magic_cell("python", "%sql\nSELECT 40 + 2 AS answer"),
    "display(spark.range(3))",
    'dbutils.notebook.exit("main done")',
    'print("after exit")',
]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "export"
    root.mkdir()
    for name, cells in (("lib", LIB), ("child", CHILD), ("main", MAIN)):
        (root / f"{name}.py").write_text(source_text("python", cells))
    return root


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable, **(extra or {})}


def test_jupyter_notebook_runs_with_papermill_on_s3(
    run_convert: Converter, workspace: Path, aws_env: str, tmp_path: Path
) -> None:
    boto3.client("s3").create_bucket(Bucket="lake")
    boto3.client("secretsmanager").create_secret(Name="shop/db", SecretString="s3cr3t-value")
    report, out = run_convert(workspace, target="jupyter")
    assert not report.failed
    assert not [f for f in report.findings if f.severity.label == "error"], report.findings
    executed = tmp_path / "executed.ipynb"
    with pytest.raises(PapermillExecutionError) as stopped:
        papermill.execute_notebook(
            str(out / "main.ipynb"),
            str(executed),
            parameters={"base": "s3://lake/e2e", "city": "Porto"},
            kernel_name="python3",
            cwd=str(out),
            progress_bar=False,
            execution_timeout=240,
        )
    assert stopped.value.ename == "NotebookExit" and stopped.value.evalue == "main done"
    notebook = nbformat.read(executed, as_version=4)
    text = "\n".join(
        str(output.get("text", ""))
        + str(output.get("data", {}).get("text/html", ""))
        + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "hello emr Porto" in text  # %run inlined with $who, widget overridden by papermill -p
    assert "['hello.txt']" in text and "head: hi from fs" in text
    body = boto3.client("s3").get_object(Bucket="lake", Key="e2e/in/hello.txt")["Body"].read()
    assert body == b"hi from fs"
    assert "secret length 12" in text and "s3cr3t-value" not in text
    assert "child said 42" in text and "child kept going" not in text
    assert "answer" in text and "42" in text  # the %sql result, displayed as a table
    assert "<table" in text  # display(spark.range(3))
    assert "after exit" not in text


def test_script_runs_with_arguments_on_local_files(
    run_convert: Converter, workspace: Path, tmp_path: Path, aws_env: str
) -> None:
    boto3.client("secretsmanager").create_secret(Name="shop/db", SecretString="another-one")
    _, out = run_convert(workspace, target="script")
    base = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, str(out / "main.py"), "--base", f"file://{base}", "--city", "Faro"],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
        cwd=out,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "hello emr Faro" in done.stdout
    assert (base / "in" / "hello.txt").read_text() == "hi from fs"
    assert "head: hi from fs" in done.stdout
    assert "secret length 11" in done.stdout
    assert "child said 42" in done.stdout
    assert "after exit" not in done.stdout
