"""Batch jobs on EMR: upload a script under an S3 prefix, run it as an EMR Serverless job run or as a cluster
step (spark-submit through command-runner.jar), follow it with progress callbacks and a bounded wait, and
cancel it on timeout or Ctrl-C. The outcome carries the final state, duration, log location and (Serverless)
billed resource use."""

from __future__ import annotations

import shlex
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from emrlab.aws.delivery import ZIP_NAME, runtime_zip
from emrlab.aws.errors import AwsError, AwsWaitTimeout, JobFailed, JobTimeout, aws_errors
from emrlab.aws.session import client
from emrlab.aws.waiting import Backoff, OnState, wait_for_state

JOB_BACKOFF = Backoff(initial=2.0, factor=1.5, maximum=20.0)
CANCEL_WAIT_S = 60.0
SERVERLESS_TERMINAL = frozenset({"SUCCESS", "FAILED", "CANCELLED"})
STEP_TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED"})
BILLED_KEYS = ("vCPUHour", "memoryGBHour", "storageGBHour")


@dataclass(frozen=True)
class JobOutcome:
    """How a batch job ended. `billed` is Serverless billedResourceUtilization (None for steps)."""

    id: str
    state: str
    duration_s: float
    log_uri: str
    billed: dict[str, float] | None
    kind: Literal["serverless", "step"] = "serverless"
    details: str = ""
    script_uri: str = ""

    @property
    def ok(self) -> bool:
        """True when the job succeeded (SUCCESS for job runs, COMPLETED for steps)."""
        return self.state in ("SUCCESS", "COMPLETED")


def require_success(outcome: JobOutcome) -> JobOutcome:
    """Return `outcome` if the job succeeded, else raise JobFailed naming its state, reason and logs."""
    if outcome.ok:
        return outcome
    what = "job run" if outcome.kind == "serverless" else "step"
    reason = f" ({outcome.details})" if outcome.details else ""
    raise JobFailed(
        f"{what} {outcome.id} ended {outcome.state}{reason}; read its logs at {outcome.log_uri}.",
        outcome=outcome,
    )


@dataclass(frozen=True)
class UploadedJob:
    """Where a job's files went: `folder` is s3_prefix/<name>/<timestamp>/."""

    folder: str
    script_uri: str
    runtime_uri: str | None


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/some/key` -> ("bucket", "some/key"); AwsError for anything else."""
    if not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
        raise AwsError(f"expected an s3://bucket/prefix URI, got {uri!r}; pass --s3-prefix s3://BUCKET/PATH.")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def upload_job_files(
    script: Path, *, s3_prefix: str, name: str, session: Any, include_runtime: bool = False
) -> UploadedJob:
    """Upload `script` as s3_prefix/<name>/<UTC timestamp>/script.py (and the runtime zip beside it)."""
    if not script.is_file():
        raise AwsError(f"job script {script} does not exist; pass the path of a .py file.")
    bucket, key = split_s3_uri(s3_prefix)
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
    folder_key = "/".join(part for part in (key.strip("/"), name, stamp) if part)
    s3 = client(session, "s3")

    def put(local: Path, leaf: str) -> str:
        with aws_errors("s3:PutObject", f"s3://{bucket}/{folder_key}/{leaf}"):
            s3.put_object(Bucket=bucket, Key=f"{folder_key}/{leaf}", Body=local.read_bytes())
        return f"s3://{bucket}/{folder_key}/{leaf}"

    script_uri = put(script, "script.py")
    runtime_uri = None
    if include_runtime:
        with tempfile.TemporaryDirectory(prefix="emrlab-runtime-") as tmp:
            archive = Path(tmp) / ZIP_NAME
            runtime_zip(archive)
            runtime_uri = put(archive, ZIP_NAME)
    return UploadedJob(f"s3://{bucket}/{folder_key}/", script_uri, runtime_uri)


def submit_serverless(
    script: Path,
    *,
    app_id: str,
    execution_role: str,
    s3_prefix: str,
    args: Sequence[str] = (),
    session: Any,
    on_state: OnState | None = None,
    timeout: float | None = None,
    name: str | None = None,
    spark_submit_parameters: str = "",
    include_runtime: bool = False,
    log_uri: str | None = None,
    backoff: Backoff = JOB_BACKOFF,
) -> JobOutcome:
    """Run `script` as an EMR Serverless job run and wait for SUCCESS/FAILED/CANCELLED.

    `log_uri` None sends the logs to <job folder>/logs/; "" leaves them in managed storage. On timeout the
    run is cancelled and JobTimeout raised; on Ctrl-C it is cancelled and KeyboardInterrupt re-raised."""
    job_name = name or script.stem
    if include_runtime:
        _no_own_py_files(shlex.split(spark_submit_parameters))
    uploaded = upload_job_files(
        script, s3_prefix=s3_prefix, name=job_name, session=session, include_runtime=include_runtime
    )
    parameters = spark_submit_parameters
    if uploaded.runtime_uri:
        parameters = " ".join(
            part for part in (f"--py-files {shlex.quote(uploaded.runtime_uri)}", parameters) if part
        )
    driver: dict[str, Any] = {"entryPoint": uploaded.script_uri, "entryPointArguments": list(args)}
    if parameters:
        driver["sparkSubmitParameters"] = parameters
    request: dict[str, Any] = {
        "applicationId": app_id,
        "executionRoleArn": execution_role,
        "name": job_name,
        "jobDriver": {"sparkSubmit": driver},
    }
    logs = uploaded.folder + "logs/" if log_uri is None else log_uri
    if logs:
        request["configurationOverrides"] = {
            "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": logs}}
        }
    api = client(session, "emr-serverless")
    with aws_errors("emr-serverless:StartJobRun", f"application {app_id}"):
        run_id = str(api.start_job_run(**request)["jobRunId"])
    began = time.monotonic()

    def fetch() -> dict[str, Any]:
        with aws_errors("emr-serverless:GetJobRun", f"job run {run_id}"):
            return dict(api.get_job_run(applicationId=app_id, jobRunId=run_id)["jobRun"])

    def outcome(run: dict[str, Any]) -> JobOutcome:
        return _serverless_outcome(run, app_id, run_id, time.monotonic() - began, uploaded.script_uri)

    return _follow(
        fetch,
        lambda run: str(run.get("state", "UNKNOWN")),
        SERVERLESS_TERMINAL,
        what=f"EMR Serverless job run {run_id}",
        cancel=lambda: cancel_serverless(app_id, run_id, session=session),
        outcome=outcome,
        timeout=timeout,
        on_state=on_state,
        backoff=backoff,
    )


def submit_step(
    script: Path,
    *,
    cluster_id: str,
    s3_prefix: str,
    args: Sequence[str] = (),
    session: Any,
    on_state: OnState | None = None,
    timeout: float | None = None,
    name: str | None = None,
    spark_submit_args: Sequence[str] = (),
    include_runtime: bool = False,
    action_on_failure: str = "CONTINUE",
    backoff: Backoff = JOB_BACKOFF,
) -> JobOutcome:
    """Run `script` as a cluster step (`spark-submit --deploy-mode cluster`) and wait for a terminal state.

    On timeout the step is cancelled (CancelSteps) and JobTimeout raised; on Ctrl-C cancelled and
    KeyboardInterrupt re-raised."""
    job_name = name or script.stem
    if include_runtime:
        _no_own_py_files(spark_submit_args)
    uploaded = upload_job_files(
        script, s3_prefix=s3_prefix, name=job_name, session=session, include_runtime=include_runtime
    )
    command = ["spark-submit", "--deploy-mode", "cluster", *spark_submit_args]
    if uploaded.runtime_uri:
        command += ["--py-files", uploaded.runtime_uri]
    command += [uploaded.script_uri, *args]
    emr = client(session, "emr")
    step = {
        "Name": job_name,
        "ActionOnFailure": action_on_failure,
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": command},
    }
    with aws_errors("elasticmapreduce:AddJobFlowSteps", f"cluster {cluster_id}"):
        step_id = str(emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])["StepIds"][0])
    began = time.monotonic()

    def fetch() -> dict[str, Any]:
        with aws_errors("elasticmapreduce:DescribeStep", f"step {step_id}"):
            return dict(emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"])

    def outcome(raw: dict[str, Any]) -> JobOutcome:
        return _step_outcome(emr, raw, cluster_id, step_id, time.monotonic() - began, uploaded.script_uri)

    return _follow(
        fetch,
        lambda raw: str(raw.get("Status", {}).get("State", "UNKNOWN")),
        STEP_TERMINAL,
        what=f"step {step_id} on cluster {cluster_id}",
        cancel=lambda: cancel_step(cluster_id, step_id, session=session),
        outcome=outcome,
        timeout=timeout,
        on_state=on_state,
        backoff=backoff,
    )


def cancel_serverless(app_id: str, job_run_id: str, *, session: Any) -> None:
    """CancelJobRun; returns once the request is accepted (the run then goes CANCELLING -> CANCELLED)."""
    with aws_errors("emr-serverless:CancelJobRun", f"job run {job_run_id}"):
        client(session, "emr-serverless").cancel_job_run(applicationId=app_id, jobRunId=job_run_id)


def cancel_step(cluster_id: str, step_id: str, *, session: Any) -> None:
    """CancelSteps with SEND_INTERRUPT; AwsError when EMR refuses (e.g. the step already finished)."""
    with aws_errors("elasticmapreduce:CancelSteps", f"step {step_id}"):
        answer = client(session, "emr").cancel_steps(
            ClusterId=cluster_id, StepIds=[step_id], StepCancellationOption="SEND_INTERRUPT"
        )
    for info in answer.get("CancelStepsInfoList", []):
        if info.get("StepId") == step_id and info.get("Status") == "FAILED":
            raise AwsError(
                f"EMR refused to cancel step {step_id} ({info.get('Reason', 'no reason given')}); cancel it "
                f"in the EMR console or with `aws emr cancel-steps --cluster-id {cluster_id}`."
            )


def _follow(
    fetch: Callable[[], dict[str, Any]],
    state_of: Callable[[dict[str, Any]], str],
    terminal: frozenset[str],
    *,
    what: str,
    cancel: Callable[[], None],
    outcome: Callable[[dict[str, Any]], JobOutcome],
    timeout: float | None,
    on_state: OnState | None,
    backoff: Backoff,
) -> JobOutcome:
    """Wait for a terminal state; on timeout cancel and raise JobTimeout, on Ctrl-C cancel and re-raise."""
    try:
        return outcome(
            wait_for_state(
                fetch, state_of, terminal, what=what, timeout=timeout, on_state=on_state, backoff=backoff
            )
        )
    except KeyboardInterrupt:
        cancel()  # an AwsError here replaces the interrupt: the user must know the job still runs
        raise
    except AwsWaitTimeout as expired:
        try:
            cancel()
        except AwsError as refused:
            last = fetch()
            verdict = f"cancelling it failed ({refused}); it is {state_of(last)}"
        else:
            try:
                last = wait_for_state(
                    fetch,
                    state_of,
                    terminal,
                    what=what,
                    timeout=CANCEL_WAIT_S,
                    on_state=on_state,
                    backoff=backoff,
                    last_state=expired.state,
                )
            except AwsWaitTimeout:
                last = fetch()
            verdict = f"it was cancelled (state now {state_of(last)})"
        final = outcome(last)
        raise JobTimeout(
            f"{what} did not finish within {round(expired.seconds, 1):g} s; {verdict}. "
            f"Logs: {final.log_uri}. Pass a longer --timeout if the job needs more time.",
            outcome=final,
        ) from None


def _no_own_py_files(arguments: Sequence[str]) -> None:
    if any(arg == "--py-files" or arg.startswith("--py-files=") for arg in arguments):
        raise AwsError(
            "the job sets its own --py-files: add the emrlab runtime zip (`emrlab runtime-zip`) to that "
            "list, or submit without the runtime."
        )


def _serverless_outcome(
    run: dict[str, Any], app_id: str, run_id: str, waited_s: float, script_uri: str
) -> JobOutcome:
    monitoring = (run.get("configurationOverrides") or {}).get("monitoringConfiguration") or {}
    base = (monitoring.get("s3MonitoringConfiguration") or {}).get("logUri")
    if base:
        log_uri = f"{str(base).rstrip('/')}/applications/{app_id}/jobs/{run_id}/"
    else:
        log_uri = (
            "EMR Serverless managed storage (open the job run's Spark UI/logs in EMR Studio, or "
            f"`aws emr-serverless get-dashboard-for-job-run --application-id {app_id} --job-run-id {run_id}`)"
        )
    raw_billed = run.get("billedResourceUtilization")
    billed = None
    if isinstance(raw_billed, dict):
        billed = {key: float(raw_billed.get(key, 0.0) or 0.0) for key in BILLED_KEYS}
    reported = run.get("totalExecutionDurationSeconds")
    duration = float(reported) if isinstance(reported, (int, float)) and reported > 0 else waited_s
    return JobOutcome(
        id=run_id,
        state=str(run.get("state", "UNKNOWN")),
        duration_s=duration,
        log_uri=log_uri,
        billed=billed,
        kind="serverless",
        details=str(run.get("stateDetails", "") or ""),
        script_uri=script_uri,
    )


def _step_outcome(
    emr: Any, step: dict[str, Any], cluster_id: str, step_id: str, waited_s: float, script_uri: str
) -> JobOutcome:
    status = step.get("Status", {})
    with aws_errors("elasticmapreduce:DescribeCluster", f"cluster {cluster_id}"):
        base = emr.describe_cluster(ClusterId=cluster_id)["Cluster"].get("LogUri")
    if base:
        log_uri = f"{str(base).rstrip('/')}/{cluster_id}/steps/{step_id}/"
    else:
        log_uri = (
            f"on the primary node under /mnt/var/log/hadoop/steps/{step_id}/ (the cluster has no LogUri; "
            "create clusters with --log-uri to keep step logs in S3)"
        )
    timeline = status.get("Timeline") or {}
    start, end = timeline.get("StartDateTime"), timeline.get("EndDateTime")
    duration = (
        (end - start).total_seconds() if isinstance(start, datetime) and isinstance(end, datetime) else 0
    )
    failure = status.get("FailureDetails") or {}
    parts = [str(failure[key]) for key in ("Reason", "Message") if failure.get(key)]
    if failure.get("LogFile"):
        parts.append(f"log file {failure['LogFile']}")
    change = (status.get("StateChangeReason") or {}).get("Message")
    if change and not parts:
        parts.append(str(change))
    return JobOutcome(
        id=step_id,
        state=str(status.get("State", "UNKNOWN")),
        duration_s=float(duration) if duration > 0 else waited_s,
        log_uri=log_uri,
        billed=None,
        kind="step",
        details="; ".join(parts),
        script_uri=script_uri,
    )
