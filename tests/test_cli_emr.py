"""The EMR side of the command line as a user meets it: `emrlab submit` runs a batch on the local
endpoint (real spark-submit) and says how it ended; `emrlab sparkmagic-config` writes a config for a
cluster found through the EMR API (moto's server) with no secret in it."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from aws_fixtures import create_cluster
from livy_fixtures import LocalLivy

from emrlab.cli import main


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_submit_runs_a_local_batch(
    local_livy: LocalLivy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "count.py"
    script.write_text(
        "import sys\nfrom pyspark.sql import SparkSession\n"
        "spark = SparkSession.builder.getOrCreate()\n"
        "print('ROWS', spark.range(int(sys.argv[1])).count())\n"
    )
    argv = ["submit", str(script), "--local", "--connection-file", str(local_livy.connection_file)]
    assert main([*argv, "--", "7"]) == 0
    out = capsys.readouterr().out
    assert "success" in out and "/batches/" in out

    failing = tmp_path / "fails.py"
    failing.write_text("raise SystemExit('no input table')\n")
    argv[1] = str(failing)
    assert main(argv) == 1
    assert "no input table" in capsys.readouterr().err


def test_submit_says_where_to_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "job.py"
    script.write_text("print(1)\n")
    assert main(["submit", str(script)]) == 1
    assert "exactly one of --serverless APP, --cluster j-XXX, --local" in capsys.readouterr().err


def test_sparkmagic_config_for_a_cluster(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = create_cluster(boto3.client("emr", region_name="us-east-1"))
    # moto's instances have no reachable address: the override names the endpoint, as the demo does
    monkeypatch.setenv("EMRLAB_LIVY_ENDPOINT_OVERRIDES", json.dumps({cluster: "http://127.0.0.1:8998"}))
    target = tmp_path / "sparkmagic" / "config.json"
    assert main(["sparkmagic-config", "--cluster", cluster, "-o", str(target)]) == 0
    assert str(target) in capsys.readouterr().out
    config = json.loads(target.read_text())
    assert config["kernel_python_credentials"]["url"] == "http://127.0.0.1:8998"
    assert config["all_errors_are_fatal"] is True
    assert "testing" not in target.read_text()  # the AWS secret key of aws_env


def test_sparkmagic_config_errors_are_one_line(aws_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sparkmagic-config", "--cluster", "j-NOSUCHCLUSTER"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("emrlab sparkmagic-config: ") and "Traceback" not in err
