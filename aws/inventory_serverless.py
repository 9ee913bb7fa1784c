"""EMR Serverless applications for the panel: list rows with the warm-pool burn, and one application's detail
with its recent job runs and their billed cost.

A page of N applications costs ListApplications (one page per region) + one GetApplication per STARTED
application only (pre-initialized capacity is what burns money while STARTED; the others burn nothing).
The detail costs GetApplication + one ListJobRuns page (`JOB_RUNS` most recent) + one GetJobRun per listed
run (ListJobRuns has no utilisation figures).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from emrlab.aws import cost
from emrlab.aws.errors import aws_errors
from emrlab.aws.inventory_common import console_base, iso, parallel, seconds_between
from emrlab.aws.session import client

ACTIVE_STATES = ("CREATING", "CREATED", "STARTING", "STARTED", "STOPPING", "STOPPED")
ALL_STATES = (*ACTIVE_STATES, "TERMINATED")
JOB_RUNS = 20


def get_application(api: Any, app_id: str) -> dict[str, Any]:
    """GetApplication["application"]."""
    with aws_errors("emr-serverless:GetApplication", f"application {app_id}"):
        return dict(api.get_application(applicationId=app_id)["application"])


def _architecture(app: Mapping[str, Any]) -> str:
    return str(app.get("architecture") or "X86_64")


def summary(
    app: Mapping[str, Any],
    *,
    region: str,
    now: datetime,
    burn: float | None,
    livy: bool | None,
    snapshot: str,
) -> dict[str, Any]:
    """The list row of section 4 from a ListApplications (or GetApplication) entry."""
    state = str(app.get("state", "UNKNOWN"))
    return {
        "id": app.get("id") or app.get("applicationId"),
        "name": app.get("name", ""),
        "region": region,
        "state": state,
        "state_details": str(app.get("stateDetails") or ""),
        "release": app.get("releaseLabel"),
        "architecture": _architecture(app),
        "type": str(app.get("type", "")).upper(),
        "created": iso(app.get("createdAt")),
        "updated": iso(app.get("updatedAt")),
        "uptime_seconds": seconds_between(app.get("updatedAt"), now) if state == "STARTED" else None,
        "livy": livy,
        "cost": {"per_hour": burn, "so_far": None, "estimate": True, "snapshot_date": snapshot},
    }


def _livy(app: Mapping[str, Any]) -> bool:
    return bool((app.get("interactiveConfiguration") or {}).get("livyEndpointEnabled"))


def rows(
    session: Any, apps: Sequence[Mapping[str, Any]], *, region: str, now: datetime, book: Any
) -> list[dict[str, Any]]:
    """List rows for ListApplications entries of one region: GetApplication for the STARTED ones only."""
    api = client(session, "emr-serverless")
    started = [str(a["id"]) for a in apps if a.get("state") == "STARTED"]
    details = dict(zip(started, parallel(lambda app_id: get_application(api, app_id), started), strict=True))
    made = []
    for app in apps:
        full = details.get(str(app["id"]))
        if full is not None:
            burn = cost.application_burn(full, region=region, prices=book)
            made.append(
                summary(
                    full, region=region, now=now, burn=burn, livy=_livy(full), snapshot=book.snapshot_date
                )
            )
        else:
            made.append(
                summary(app, region=region, now=now, burn=0.0, livy=None, snapshot=book.snapshot_date)
            )
    return made


def _job_run_row(
    run: Mapping[str, Any], architecture: str, region: str, now: datetime, book: Any
) -> dict[str, Any]:
    figures = cost.job_run_cost(run, architecture=architecture, region=region, prices=book, now=now)
    return {
        "id": run.get("jobRunId") or run.get("id"),
        "name": run.get("name") or "",
        "state": run.get("state"),
        "state_details": str(run.get("stateDetails") or ""),
        "created": iso(run.get("createdAt")),
        "updated": iso(run.get("updatedAt")),
        "elapsed_seconds": figures.elapsed_seconds,
        "execution_role": run.get("executionRole"),
        "cost": figures.to_json(),
    }


def detail(session: Any, app_id: str, *, region: str, now: datetime, book: Any) -> dict[str, Any]:
    """The detail object of section 4: the application, its capacity, and its recent job runs with cost."""
    api = client(session, "emr-serverless")
    app = get_application(api, app_id)
    with aws_errors("emr-serverless:ListJobRuns", f"application {app_id}"):
        listed = list(api.list_job_runs(applicationId=app_id, maxResults=JOB_RUNS).get("jobRuns", []))

    def job_run(item: Mapping[str, Any]) -> dict[str, Any]:
        with aws_errors("emr-serverless:GetJobRun", f"job run {item['id']}"):
            return dict(api.get_job_run(applicationId=app_id, jobRunId=item["id"])["jobRun"])

    runs = parallel(job_run, listed)
    architecture = _architecture(app)
    burn = cost.application_burn(app, region=region, prices=book)
    row = summary(app, region=region, now=now, burn=burn, livy=_livy(app), snapshot=book.snapshot_date)
    stop = app.get("autoStopConfiguration") or {}
    job_rows = [_job_run_row(run, architecture, region, now, book) for run in runs]
    role = next((r["execution_role"] for r in job_rows if r.get("execution_role")), None)
    connect = f"%emr connect --serverless {app_id} --region {region}"
    if role:
        connect += f" --execution-role {role}"
    if row["state"] != "STARTED":
        connect += " --start"
    row.update(
        auto_stop_idle_minutes=stop.get("idleTimeoutMinutes") if stop.get("enabled") else None,
        initial_capacity=app.get("initialCapacity") or {},
        maximum_capacity=app.get("maximumCapacity") or {},
        tags=dict(app.get("tags") or {}),
        links={"console": f"{console_base(region)}#/serverless/applications/{app_id}"},
        connect=connect,
        job_runs=job_rows,
    )
    return row
