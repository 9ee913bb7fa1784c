"""emrlab.aws.jobs: batch submission to EMR Serverless and to cluster steps.

Scripts are always uploaded to moto's S3 over real HTTP and read back. StartJobRun/GetJobRun and
AddJobFlowSteps run on moto where its answers are enough (the request it records). botocore's Stubber plays
EMR where moto lacks the shape (said at each use): job runs that pass through RUNNING, fail, or bill non-zero
resources (moto answers SUCCESS at once with zero billedResourceUtilization), steps that complete or fail
(moto steps stay RUNNING) and CancelSteps (not implemented in moto). Timeouts use an injected clock
(FakeClock) so the number of polls before expiry is fixed."""

from __future__ import annotations

import zipfile
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from aws_fixtures import FAST, FakeClock, create_cluster, session, stubbed
from botocore.stub import ANY

from emrlab.aws import jobs, waiting
from emrlab.aws.errors import AwsError, JobFailed, JobTimeout
from emrlab.aws.jobs import require_success, submit_serverless, submit_step

pytestmark = pytest.mark.timeout(90)
APP = "00fabcdefghij012"
ROLE = "arn:aws:iam::123456789012:role/emr-serverless-job"
BUCKET = "emrlab-jobs"


@pytest.fixture
def s3(aws_env: str) -> Any:
    """moto's S3 (freshly reset) with the jobs bucket."""
    client = session().client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "daily_report.py"
    path.write_text("import sys\nprint('report for', sys.argv[1:])\n", encoding="utf-8")
    return path


def _read(s3: Any, uri: str) -> bytes:
    bucket, key = jobs.split_s3_uri(uri)
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _job_run(state: str, **extra: Any) -> dict[str, Any]:
    """A GetJobRun response for the Stubber."""
    now = datetime.now(timezone.utc)
    return {
        "jobRun": {
            "applicationId": APP,
            "jobRunId": "00run1",
            "arn": f"arn:aws:emr-serverless:us-east-1:123456789012:/applications/{APP}/jobruns/00run1",
            "createdBy": "arn:aws:iam::123456789012:user/dev",
            "createdAt": now,
            "updatedAt": now,
            "executionRole": ROLE,
            "state": state,
            "stateDetails": extra.pop("stateDetails", f"Job run is {state.lower()}."),
            "releaseLabel": "emr-7.1.0",
            "jobDriver": {"sparkSubmit": {"entryPoint": "s3://emrlab-jobs/x/script.py"}},
            "configurationOverrides": {
                "monitoringConfiguration": {
                    "s3MonitoringConfiguration": {"logUri": "s3://emrlab-logs/serverless/"}
                }
            },
            **extra,
        }
    }


_STARTED = {
    "applicationId": APP,
    "jobRunId": "00run1",
    "arn": f"arn:aws:emr-serverless:us-east-1:123456789012:/applications/{APP}/jobruns/00run1",
}
_BILLED = {"vCPUHour": 0.272, "memoryGBHour": 1.088, "storageGBHour": 0.0}


def test_serverless_job_on_moto_uploads_and_starts_the_run(s3: Any, script: Path) -> None:
    es = session().client("emr-serverless")
    app_id = es.create_application(name="jobs", releaseLabel="emr-7.1.0", type="SPARK")["applicationId"]
    seen: list[str] = []
    outcome = submit_serverless(
        script,
        app_id=app_id,
        execution_role=ROLE,
        s3_prefix=f"s3://{BUCKET}/batch",
        args=["2026-12-01"],
        session=session(),
        on_state=seen.append,
        spark_submit_parameters="--conf spark.executor.cores=2",
        include_runtime=True,
        backoff=FAST,
    )
    assert outcome.ok and outcome.state == "SUCCESS" and seen == ["SUCCESS"]
    assert outcome.script_uri.startswith(f"s3://{BUCKET}/batch/daily_report/")
    assert outcome.script_uri.endswith("Z/script.py")
    assert _read(s3, outcome.script_uri) == script.read_bytes()
    folder = outcome.script_uri.rsplit("/", 1)[0]
    names = zipfile.ZipFile(BytesIO(_read(s3, f"{folder}/emrlab-runtime.zip"))).namelist()
    assert "emrlab/runtime/__init__.py" in names
    run = session().client("emr-serverless").get_job_run(applicationId=app_id, jobRunId=outcome.id)
    submitted = run["jobRun"]
    driver = submitted["jobDriver"]["sparkSubmit"]
    assert driver["entryPoint"] == outcome.script_uri and driver["entryPointArguments"] == ["2026-12-01"]
    assert driver["sparkSubmitParameters"] == (
        f"--py-files {folder}/emrlab-runtime.zip --conf spark.executor.cores=2"
    )
    assert (submitted["name"], submitted["executionRole"]) == ("daily_report", ROLE)
    log_base = submitted["configurationOverrides"]["monitoringConfiguration"]["s3MonitoringConfiguration"]
    assert log_base["logUri"] == f"{folder}/logs/"
    assert outcome.log_uri == f"{folder}/logs/applications/{app_id}/jobs/{outcome.id}/"
    assert outcome.billed == {"vCPUHour": 0.0, "memoryGBHour": 0.0, "storageGBHour": 0.0}


def test_serverless_job_success_reports_progress_duration_and_billing(s3: Any, script: Path) -> None:
    # Stubber: moto answers SUCCESS at once with zero billedResourceUtilization and zero duration.
    aws, stubber = stubbed("emr-serverless")
    stubber.add_response(
        "start_job_run",
        _STARTED,
        {
            "applicationId": APP,
            "executionRoleArn": ROLE,
            "name": "nightly",
            "jobDriver": ANY,
            "configurationOverrides": ANY,
        },
    )
    for state in ("SUBMITTED", "SCHEDULED", "RUNNING", "RUNNING"):
        stubber.add_response("get_job_run", _job_run(state), {"applicationId": APP, "jobRunId": "00run1"})
    stubber.add_response(
        "get_job_run",
        _job_run("SUCCESS", billedResourceUtilization=_BILLED, totalExecutionDurationSeconds=312),
    )
    seen: list[str] = []
    with stubber:
        outcome = submit_serverless(
            script,
            app_id=APP,
            execution_role=ROLE,
            s3_prefix=f"s3://{BUCKET}",
            session=aws,
            name="nightly",
            on_state=seen.append,
            timeout=60,
            backoff=FAST,
        )
    stubber.assert_no_pending_responses()
    assert seen == ["SUBMITTED", "SCHEDULED", "RUNNING", "SUCCESS"]
    assert (outcome.state, outcome.duration_s, outcome.billed) == ("SUCCESS", 312.0, _BILLED)
    assert outcome.log_uri == f"s3://emrlab-logs/serverless/applications/{APP}/jobs/00run1/"
    assert require_success(outcome) is outcome


def test_serverless_job_failure_keeps_billing_and_explains(s3: Any, script: Path) -> None:
    # Stubber: moto job runs never fail.
    aws, stubber = stubbed("emr-serverless")
    stubber.add_response("start_job_run", _STARTED)
    stubber.add_response("get_job_run", _job_run("RUNNING"))
    details = "Job failed, please check complete logs in configured logging destination. ExitCode: 1."
    stubber.add_response(
        "get_job_run",
        _job_run(
            "FAILED",
            stateDetails=details,
            billedResourceUtilization=_BILLED,
            totalExecutionDurationSeconds=61,
        ),
    )
    with stubber:
        outcome = submit_serverless(
            script, app_id=APP, execution_role=ROLE, s3_prefix=f"s3://{BUCKET}/p", session=aws, backoff=FAST
        )
    assert (outcome.state, outcome.ok, outcome.billed, outcome.details) == ("FAILED", False, _BILLED, details)
    with pytest.raises(
        JobFailed, match=r"job run 00run1 ended FAILED \(Job failed.*logs at s3://emrlab-logs"
    ):
        require_success(outcome)


def test_serverless_timeout_cancels_the_run(s3: Any, script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Stubber: a run that stays RUNNING. Injected clock: polls at t=0,1,2,3,3.5, then the 3.5 s timeout ends.
    clock = FakeClock()
    monkeypatch.setattr(waiting, "time", clock)
    aws, stubber = stubbed("emr-serverless")
    stubber.add_response("start_job_run", _STARTED)
    for _ in range(5):
        stubber.add_response("get_job_run", _job_run("RUNNING"))
    stubber.add_response(
        "cancel_job_run",
        {"applicationId": APP, "jobRunId": "00run1"},
        {"applicationId": APP, "jobRunId": "00run1"},
    )
    stubber.add_response("get_job_run", _job_run("CANCELLING"))
    stubber.add_response("get_job_run", _job_run("CANCELLED", billedResourceUtilization=_BILLED))
    seen: list[str] = []
    with stubber, pytest.raises(JobTimeout, match=r"did not finish within 3.5 s; it was cancelled") as caught:
        submit_serverless(
            script,
            app_id=APP,
            execution_role=ROLE,
            s3_prefix=f"s3://{BUCKET}",
            session=aws,
            timeout=3.5,
            on_state=seen.append,
            backoff=waiting.Backoff(1.0, 1.0, 1.0),
        )
    stubber.assert_no_pending_responses()
    assert caught.value.outcome.state == "CANCELLED" and caught.value.outcome.billed == _BILLED
    assert seen == ["RUNNING", "CANCELLING", "CANCELLED"]
    assert clock.sleeps[:4] == [1.0, 1.0, 1.0, 0.5]


def test_ctrl_c_cancels_the_run(s3: Any, script: Path) -> None:
    # Stubber: the run must be RUNNING when the (simulated) Ctrl-C arrives.
    aws, stubber = stubbed("emr-serverless")
    stubber.add_response("start_job_run", _STARTED)
    stubber.add_response("get_job_run", _job_run("RUNNING"))
    stubber.add_response("cancel_job_run", {"applicationId": APP, "jobRunId": "00run1"})

    def interrupt(state: str) -> None:
        raise KeyboardInterrupt

    with stubber, pytest.raises(KeyboardInterrupt):
        submit_serverless(
            script,
            app_id=APP,
            execution_role=ROLE,
            s3_prefix=f"s3://{BUCKET}",
            session=aws,
            on_state=interrupt,
            backoff=FAST,
        )
    stubber.assert_no_pending_responses()


class _SeenError(Exception):
    """Stops the wait once moto's step is RUNNING (moto steps never finish)."""


def test_step_on_moto_runs_spark_submit_in_cluster_mode(s3: Any, script: Path) -> None:
    emr = session().client("emr")
    cluster_id = create_cluster(emr, log_uri="s3://emrlab-logs/emr/")

    def stop(state: str) -> None:
        raise _SeenError(state)

    with pytest.raises(_SeenError, match="RUNNING"):
        submit_step(
            script,
            cluster_id=cluster_id,
            s3_prefix=f"s3://{BUCKET}/steps",
            args=["--day", "1"],
            session=session(),
            on_state=stop,
            spark_submit_args=["--conf", "spark.x=1"],
            include_runtime=True,
            backoff=FAST,
        )
    (step,) = emr.list_steps(ClusterId=cluster_id)["Steps"]
    config = step["Config"]
    assert (step["Name"], step["ActionOnFailure"], config["Jar"]) == (
        "daily_report",
        "CONTINUE",
        "command-runner.jar",
    )
    uri = config["Args"][7]
    folder = uri.rsplit("/", 1)[0]
    runtime = f"{folder}/emrlab-runtime.zip"
    spark_submit = ["spark-submit", "--deploy-mode", "cluster", "--conf", "spark.x=1"]
    assert config["Args"] == [*spark_submit, "--py-files", runtime, uri, "--day", "1"]
    assert uri.startswith(f"s3://{BUCKET}/steps/daily_report/") and _read(s3, uri) == script.read_bytes()
    assert _read(s3, runtime)[:2] == b"PK", "the runtime zip sits beside the script"


def _step(state: str, **status: Any) -> dict[str, Any]:
    return {"Step": {"Id": "s-1ABC", "Name": "daily_report", "Status": {"State": state, **status}}}


def _cluster_logs() -> dict[str, Any]:
    return {
        "Cluster": {
            "Id": "j-STUBBED",
            "Name": "c",
            "Status": {"State": "WAITING"},
            "LogUri": "s3://logs/emr/",
        }
    }


def test_step_completes_with_duration_and_log_location(s3: Any, script: Path) -> None:
    # Stubber: moto steps never leave RUNNING.
    aws, stubber = stubbed("emr")
    stubber.add_response(
        "add_job_flow_steps", {"StepIds": ["s-1ABC"]}, {"JobFlowId": "j-STUBBED", "Steps": ANY}
    )
    start = datetime(2026, 12, 1, 20, 0, tzinfo=timezone.utc)
    for state in ("PENDING", "RUNNING"):
        stubber.add_response("describe_step", _step(state), {"ClusterId": "j-STUBBED", "StepId": "s-1ABC"})
    timeline = {"StartDateTime": start, "EndDateTime": start + timedelta(seconds=95)}
    stubber.add_response("describe_step", _step("COMPLETED", Timeline=timeline))
    stubber.add_response("describe_cluster", _cluster_logs(), {"ClusterId": "j-STUBBED"})
    seen: list[str] = []
    with stubber:
        outcome = submit_step(
            script,
            cluster_id="j-STUBBED",
            s3_prefix=f"s3://{BUCKET}",
            session=aws,
            on_state=seen.append,
            timeout=60,
            backoff=FAST,
        )
    stubber.assert_no_pending_responses()
    assert seen == ["PENDING", "RUNNING", "COMPLETED"]
    assert (outcome.state, outcome.ok, outcome.duration_s, outcome.billed) == ("COMPLETED", True, 95.0, None)
    assert outcome.log_uri == "s3://logs/emr/j-STUBBED/steps/s-1ABC/"


def test_step_failure_carries_the_failure_details(s3: Any, script: Path) -> None:
    # Stubber: moto steps never fail.
    aws, stubber = stubbed("emr")
    stubber.add_response("add_job_flow_steps", {"StepIds": ["s-1ABC"]})
    failure = {
        "Reason": "Unknown Error.",
        "Message": "Exit code 1",
        "LogFile": "s3://logs/emr/j-STUBBED/steps/s-1ABC/stderr.gz",
    }
    stubber.add_response("describe_step", _step("FAILED", FailureDetails=failure))
    stubber.add_response("describe_cluster", _cluster_logs())
    with stubber:
        outcome = submit_step(
            script, cluster_id="j-STUBBED", s3_prefix=f"s3://{BUCKET}", session=aws, backoff=FAST
        )
    assert outcome.state == "FAILED" and "Exit code 1" in outcome.details and "stderr.gz" in outcome.details
    with pytest.raises(JobFailed, match=r"step s-1ABC ended FAILED \(Unknown Error.; Exit code 1"):
        require_success(outcome)


def test_step_timeout_cancels_the_step(s3: Any, script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Stubber: a step stuck RUNNING, and CancelSteps (moto does not implement it); injected clock.
    monkeypatch.setattr(waiting, "time", FakeClock())
    aws, stubber = stubbed("emr")
    stubber.add_response("add_job_flow_steps", {"StepIds": ["s-1ABC"]})
    for _ in range(3):  # t = 0, 1, 2 -> expired at 2 s
        stubber.add_response("describe_step", _step("RUNNING"))
    stubber.add_response(
        "cancel_steps",
        {"CancelStepsInfoList": [{"StepId": "s-1ABC", "Status": "SUBMITTED"}]},
        {"ClusterId": "j-STUBBED", "StepIds": ["s-1ABC"], "StepCancellationOption": "SEND_INTERRUPT"},
    )
    stubber.add_response("describe_step", _step("CANCEL_PENDING"))
    stubber.add_response("describe_step", _step("CANCELLED"))
    stubber.add_response("describe_cluster", _cluster_logs())
    with (
        stubber,
        pytest.raises(JobTimeout, match=r"within 2 s; it was cancelled \(state now CANCELLED\)") as caught,
    ):
        submit_step(
            script,
            cluster_id="j-STUBBED",
            s3_prefix=f"s3://{BUCKET}",
            session=aws,
            timeout=2,
            backoff=waiting.Backoff(1.0, 1.0, 1.0),
        )
    stubber.assert_no_pending_responses()
    assert caught.value.outcome.log_uri == "s3://logs/emr/j-STUBBED/steps/s-1ABC/"


def test_refused_cancel_is_reported(s3: Any, script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Stubber: EMR refusing a cancellation (CancelStepsInfo Status FAILED).
    monkeypatch.setattr(waiting, "time", FakeClock())
    aws, stubber = stubbed("emr")
    stubber.add_response("add_job_flow_steps", {"StepIds": ["s-1ABC"]})
    for _ in range(2):  # t = 0, 0.5 -> expired at 0.5 s
        stubber.add_response("describe_step", _step("RUNNING"))
    stubber.add_response(
        "cancel_steps",
        {
            "CancelStepsInfoList": [
                {"StepId": "s-1ABC", "Status": "FAILED", "Reason": "step is not in a cancellable state"}
            ]
        },
    )
    stubber.add_response("describe_step", _step("RUNNING"))
    stubber.add_response("describe_cluster", _cluster_logs())
    with (
        stubber,
        pytest.raises(JobTimeout, match=r"cancelling it failed \(EMR refused.*not in a cancellable"),
    ):
        submit_step(
            script,
            cluster_id="j-STUBBED",
            s3_prefix=f"s3://{BUCKET}",
            session=aws,
            timeout=0.5,
            backoff=waiting.Backoff(1.0, 1.0, 1.0),
        )


def test_bad_inputs_say_what_to_pass(tmp_path: Path, script: Path, s3: Any) -> None:
    with pytest.raises(AwsError, match="pass --s3-prefix s3://BUCKET/PATH"):
        jobs.split_s3_uri("emrlab-jobs/prefix")
    with pytest.raises(AwsError, match=r"does not exist; pass the path of a \.py file"):
        submit_step(tmp_path / "missing.py", cluster_id="j-X", s3_prefix="s3://b/p", session=session())
    for own in (["--py-files", "s3://b/deps.zip"], ["--py-files=s3://b/deps.zip"]):
        with pytest.raises(AwsError, match="own --py-files: add the emrlab runtime zip"):
            submit_step(
                script,
                cluster_id="j-X",
                s3_prefix=f"s3://{BUCKET}/p",
                session=session(),
                spark_submit_args=own,
                include_runtime=True,
            )
    with pytest.raises(AwsError, match="own --py-files"):
        submit_serverless(
            script,
            app_id=APP,
            execution_role=ROLE,
            s3_prefix=f"s3://{BUCKET}/p",
            session=session(),
            spark_submit_parameters="--py-files s3://b/deps.zip",
            include_runtime=True,
        )
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET), "nothing is uploaded before the check"
