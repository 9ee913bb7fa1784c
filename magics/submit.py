"""`%emr submit FILE.py`: a batch job on EMR Serverless (StartJobRun), a cluster (step) or the local endpoint
(Livy /batches), followed with a progress display until a terminal state (bounded by --timeout), then a
summary: final state, duration, log location and, for Serverless, billed resource use."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emrlab.magics.errors import ConfigurationError, EmrError, WaitTimeout
from emrlab.magics.livy_models import BatchSpec


class BatchFailedError(EmrError):
    """A Livy batch ended in a state other than success; the message has its log tail."""


@dataclass(frozen=True)
class Summary:
    """What a finished batch job reports."""

    target: str
    id: str
    state: str
    duration_s: float
    log: str
    billed: dict[str, float] | None = None

    def lines(self) -> list[str]:
        """The summary as display lines."""
        out = [
            f"{self.target} job {self.id}: {self.state} in {self.duration_s:.1f} s",
            f"logs: {self.log}",
        ]
        if self.billed:
            parts = ", ".join(f"{key} {value:g}" for key, value in sorted(self.billed.items()))
            out.append(f"billed: {parts}")
        return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `%emr submit` and `emrlab submit` (one definition for both)."""
    parser.add_argument("file", help="the PySpark script (FILE.py)")
    parser.add_argument("--serverless", metavar="APP_ID", help="an EMR Serverless application")
    parser.add_argument("--execution-role", metavar="ARN", help="Serverless: the job's IAM role")
    parser.add_argument(
        "--s3-prefix", metavar="S3URI", help="where the script (and runtime zip) are uploaded"
    )
    parser.add_argument("--cluster", metavar="J_ID", help="an EMR cluster: the job runs as a step")
    parser.add_argument("--local", action="store_true", help="the local endpoint's Livy batches")
    parser.add_argument("--region")
    parser.add_argument("--profile")
    parser.add_argument("--connection-file", help="the local endpoint's connection file")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before the job is cancelled")
    parser.add_argument("--no-runtime", action="store_true", help="do not ship emrlab.runtime with the job")


def _script(path: str) -> Path:
    script = Path(path).expanduser()
    if not script.is_file():
        raise ConfigurationError(f"{path}: no such file; give the path of the PySpark script to submit")
    if script.suffix != ".py":
        raise ConfigurationError(f"{path}: %emr submit runs Python scripts (FILE.py)")
    return script


def submit(
    args: Any,
    job_args: Sequence[str],
    *,
    on_state: Callable[[str], None],
    local_endpoint: Callable[[], Any],
) -> Summary:
    """Run the batch described by the parsed `%emr submit` arguments; raises on failure or timeout.

    `local_endpoint()` returns the Endpoint of the local server (reused or started by connect)."""
    script = _script(args.file)
    timeout = float(args.timeout) if args.timeout is not None else None
    chosen = [name for name in ("serverless", "cluster", "local") if getattr(args, name, None)]
    if len(chosen) != 1:
        raise ConfigurationError(
            "say where to run: exactly one of --serverless APP, --cluster j-XXX, --local"
        )
    if chosen[0] == "local":
        return _local(script, job_args, timeout, on_state, local_endpoint())
    from emrlab.aws import jobs
    from emrlab.aws.session import boto_session

    if not args.s3_prefix:
        raise ConfigurationError("--s3-prefix s3://bucket/prefix/ is needed: the script is uploaded there")
    session = boto_session(region=args.region, profile=args.profile)
    common: dict[str, Any] = {
        "s3_prefix": args.s3_prefix,
        "args": list(job_args),
        "session": session,
        "on_state": on_state,
        "timeout": timeout,
        "include_runtime": not args.no_runtime,
    }
    if chosen[0] == "serverless":
        if not args.execution_role:
            raise ConfigurationError("--serverless needs --execution-role ARN (the job's IAM role)")
        outcome = jobs.submit_serverless(
            script, app_id=args.serverless, execution_role=args.execution_role, **common
        )
        target = f"EMR Serverless {args.serverless}"
    else:
        outcome = jobs.submit_step(script, cluster_id=args.cluster, **common)
        target = f"cluster {args.cluster} step"
    summary = Summary(target, outcome.id, outcome.state, outcome.duration_s, outcome.log_uri, outcome.billed)
    jobs.require_success(outcome)
    return summary


def _local(
    script: Path,
    job_args: Sequence[str],
    timeout: float | None,
    on_state: Callable[[str], None],
    endpoint: Any,
) -> Summary:
    from emrlab.magics.registry import Registry

    client = Registry.client_for(endpoint)
    began = time.monotonic()
    batch = client.create_batch(BatchSpec(file=str(script.resolve()), args=list(job_args), name=script.stem))
    bound = timeout if timeout is not None else 3600.0
    try:
        info = client.wait_batch(batch.id, timeout=bound, on_state=on_state)
    except WaitTimeout:
        client.delete_batch(batch.id)
        raise WaitTimeout(f"batch {batch.id} (deleted on timeout; pass a longer --timeout)", bound) from None
    except KeyboardInterrupt:
        client.delete_batch(batch.id)
        raise
    duration = time.monotonic() - began
    log_url = f"{endpoint.url}/batches/{batch.id}/log"
    if info.state != "success":
        tail = client.batch_log(batch.id, from_=None, size=30) or info.log
        shown = "\n  ".join(tail[-30:])
        raise BatchFailedError(
            f"batch {batch.id} ({script.name}) ended {info.state} after {duration:.1f} s; its log ends:\n"
            f"  {shown}\nFix the script and submit it again (full log: {log_url})"
        )
    return Summary(f"local endpoint batch ({script.name})", str(batch.id), info.state, duration, log_url)
