"""`%emr connect --cluster` and `--serverless` through a real IPython shell: the EMR API on moto's server,
Livy on the local endpoint (Basic auth for the cluster, SigV4 verification for Serverless).

The cluster's Livy address comes from EMRLAB_LIVY_ENDPOINT_OVERRIDES (moto's instances have no reachable
address). moto drops EMR Serverless `interactiveConfiguration` and has no STARTING state, so the
Serverless application calls go through botocore's Stubber (the only mock here)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from aws_fixtures import PartlyStubbed, create_cluster, session, stubbed
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from livy_fixtures import (
    BASIC_PASSWORD,
    BASIC_USER,
    EXECUTION_ROLE,
    SIGV4_ACCESS_KEY,
    SIGV4_SECRET_KEY,
    LivyFactory,
)

import emrlab.magics
from emrlab.magics import connect

APP_ID = "00fabcdefghij012"


@pytest.fixture(scope="module")
def ip() -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "emrlab")
    yield shell
    emrlab.magics._LOADED[id(shell)].registry.cleanup()


def run(shell: InteractiveShell, cell: str) -> tuple[Any, Any]:
    with capture_output() as captured:
        result = shell.run_cell(cell)
    return result, captured


def fails(shell: InteractiveShell, cell: str) -> str:
    result, captured = run(shell, cell)
    assert not result.success and type(result.error_in_exec) is UsageError, captured.stderr
    assert "Traceback" not in captured.stderr
    return str(result.error_in_exec)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_cluster_with_basic_auth_and_a_secrets_manager_password(
    ip: InteractiveShell, aws_env: str, livy_factory: LivyFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    livy = livy_factory("basic")
    emr = session().client("emr")
    cluster = create_cluster(emr)
    monkeypatch.setenv("EMRLAB_LIVY_ENDPOINT_OVERRIDES", json.dumps({cluster: livy.url}))
    monkeypatch.delenv("EMRLAB_LIVY_PASSWORD", raising=False)
    session().client("secretsmanager").create_secret(Name="livy/basic", SecretString=BASIC_PASSWORD)
    line = (
        f"%emr connect --cluster {cluster} --region us-east-1 --auth basic --user {BASIC_USER} "
        "--password-secret livy/basic --name cl --no-runtime"
    )
    result, captured = run(ip, line)
    assert result.success, captured.stdout + captured.stderr
    assert f"cluster {cluster} (analytics, emr-7.1.0)" in captured.stdout
    result, captured = run(ip, "%%emr -s cl\nprint(2 + 3)")
    assert result.success and captured.stdout.strip() == "5"
    assert BASIC_PASSWORD not in captured.stdout + captured.stderr
    run(ip, "%emr delete cl")


def test_cluster_errors_are_one_line(
    ip: InteractiveShell, aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    emr = session().client("emr")
    no_livy = create_cluster(emr, applications=("Spark",))
    assert "no Livy application" in fails(ip, f"%emr connect --cluster {no_livy} --region us-east-1")
    gone = create_cluster(emr)
    emr.terminate_job_flows(JobFlowIds=[gone])
    message = fails(ip, f"%emr connect --cluster {gone} --region us-east-1")
    assert gone in message and "TERMINAT" in message
    assert "not found" in fails(ip, "%emr connect --cluster j-NOSUCHCLUSTER --region us-east-1")


def test_basic_auth_refused_is_one_line(
    ip: InteractiveShell, livy_factory: LivyFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    livy = livy_factory("basic")
    monkeypatch.setenv("EMRLAB_LIVY_PASSWORD", "not-the-password")
    message = fails(ip, f"%emr connect --url {livy.url} --auth basic --user {BASIC_USER} --name refused")
    assert "401" in message
    assert "not-the-password" not in message


def _app(state: str) -> dict[str, Any]:
    """A GetApplication answer for the Stubber (moto lacks interactiveConfiguration and STARTING)."""
    now = datetime.now(timezone.utc)
    return {
        "application": {
            "applicationId": APP_ID,
            "name": "notebooks",
            "arn": f"arn:aws:emr-serverless:us-east-1:123456789012:/applications/{APP_ID}",
            "releaseLabel": "emr-7.1.0",
            "type": "Spark",
            "state": state,
            "createdAt": now,
            "updatedAt": now,
            "interactiveConfiguration": {"livyEndpointEnabled": True, "studioEnabled": True},
        }
    }


class SigningSession(PartlyStubbed):
    """PartlyStubbed plus the real session's credentials (what SigV4Auth reads for every request)."""

    def get_credentials(self) -> Any:
        return self._real.get_credentials()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_serverless_start_sigv4_and_execution_role(
    ip: InteractiveShell, aws_env: str, livy_factory: LivyFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    livy = livy_factory("sigv4")  # verifies signatures (service emr-serverless) and the role in the conf
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SIGV4_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SIGV4_SECRET_KEY)
    partly, stubber = stubbed("emr-serverless")
    signing = SigningSession(partly._real, partly._stubbed)
    monkeypatch.setattr(connect, "_aws_session", lambda args: signing)
    which = {"applicationId": APP_ID}
    stubber.add_response("get_application", _app("STOPPED"), which)
    for state in ("STOPPED", "STOPPED"):
        stubber.add_response("get_application", _app(state), which)
    stubber.add_response("start_application", {}, which)
    for state in ("STARTING", "STARTED"):
        stubber.add_response("get_application", _app(state), which)
    line = (
        f"%emr connect --serverless {APP_ID} --execution-role {EXECUTION_ROLE} --start --region us-east-1 "
        f"--url {livy.url} --name sl"
    )
    with stubber:
        assert "add --start" in fails(
            ip, f"%emr connect --serverless {APP_ID} --execution-role {EXECUTION_ROLE} --url {livy.url}"
        )
        assert "--execution-role" in fails(ip, f"%emr connect --serverless {APP_ID} --url {livy.url}")
        result, captured = run(ip, line)
    assert result.success, captured.stdout + captured.stderr
    stubber.assert_no_pending_responses()
    assert f"EMR Serverless {APP_ID} (notebooks, emr-7.1.0)" in captured.stdout
    result, captured = run(ip, "%%emr -s sl\nprint(6 * 7)")  # every request SigV4-signed and verified
    assert result.success and captured.stdout.strip() == "42", captured.stderr
    run(ip, "%emr delete sl")


@pytest.mark.timeout(120)
def test_submit_to_serverless_reports_state_duration_and_logs(
    ip: InteractiveShell, aws_env: str, tmp_path: Any
) -> None:
    # moto runs StartJobRun/GetJobRun (SUCCESS at once, zero billing); the script really goes to moto's S3
    session().client("s3").create_bucket(Bucket="jobs")
    app = (
        session()
        .client("emr-serverless")
        .create_application(name="batch", releaseLabel="emr-7.1.0", type="SPARK")["applicationId"]
    )
    script = tmp_path / "nightly.py"
    script.write_text("import sys\nprint(sys.argv[1:])\n")
    line = (
        f"%emr submit {script} --serverless {app} --execution-role {EXECUTION_ROLE} "
        "--s3-prefix s3://jobs/emrlab/ --region us-east-1 -- --day 2026-12-01"
    )
    result, captured = run(ip, line)
    assert result.success, captured.stdout + captured.stderr
    assert f"EMR Serverless {app} job" in captured.stdout and "SUCCESS in" in captured.stdout
    assert "logs: s3://jobs/emrlab/" in captured.stdout
    keys = [o["Key"] for o in session().client("s3").list_objects_v2(Bucket="jobs")["Contents"]]
    assert {key.rsplit("/", 1)[1] for key in keys if key.startswith("emrlab/nightly/")} == {
        "script.py",
        "emrlab-runtime.zip",
    }, keys
    assert "--s3-prefix" in fails(ip, f"%emr submit {script} --serverless {app} --execution-role r")
    assert "no such file" in fails(ip, "%emr submit /nonexistent.py --local")
