"""EMR Serverless applications for interactive Livy: read an application, check that it can serve the Livy
endpoint (release >= emr-6.14.0, `livyEndpointEnabled`, not terminated), start it and wait with progress."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emrlab.aws.errors import AwsError, ServerlessNotUsable, aws_errors
from emrlab.aws.session import client, region_of
from emrlab.aws.waiting import DEFAULT_BACKOFF, Backoff, OnState, wait_for_state

MIN_LIVY_RELEASE = "emr-6.14.0"
_RELEASE = re.compile(r"^emr-(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class ServerlessApp:
    """The parts of GetApplication that matter for Livy."""

    id: str
    name: str
    state: str
    release_label: str
    livy_enabled: bool
    region: str
    state_details: str = ""


def release_tuple(label: str) -> tuple[int, int, int]:
    """`emr-6.14.0` -> (6, 14, 0); AwsError for a label that is not `emr-X.Y.Z...`."""
    match = _RELEASE.match(label.strip())
    if match is None:
        raise AwsError(f"cannot read the EMR release label {label!r}; expected the form emr-X.Y.Z.")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def application(app_id: str, *, session: Any) -> ServerlessApp:
    """GetApplication for `app_id` as a ServerlessApp."""
    api = client(session, "emr-serverless")
    return _get(api, app_id, region_of(session))


def check_livy_ready(app: ServerlessApp) -> None:
    """Raise ServerlessNotUsable unless `app` can serve the interactive Livy endpoint."""
    if app.state == "TERMINATED":
        raise ServerlessNotUsable(
            f"EMR Serverless application {app.id} ({app.name}) is TERMINATED; create a new application "
            f"(release {MIN_LIVY_RELEASE} or later, with interactiveConfiguration livyEndpointEnabled=true)."
        )
    if release_tuple(app.release_label) < release_tuple(MIN_LIVY_RELEASE):
        raise ServerlessNotUsable(
            f"EMR Serverless application {app.id} runs {app.release_label}; the Livy endpoint needs "
            f"{MIN_LIVY_RELEASE} or later. Create an application with a newer release label."
        )
    if not app.livy_enabled:
        raise ServerlessNotUsable(
            f"EMR Serverless application {app.id} has the Livy endpoint disabled. Enable it (application "
            "stopped): `aws emr-serverless update-application --application-id "
            f"{app.id} --interactive-configuration livyEndpointEnabled=true`."
        )


def start_application(
    app_id: str,
    *,
    session: Any,
    on_state: OnState | None = None,
    timeout: float = 600.0,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> ServerlessApp:
    """Start `app_id` (if needed) and wait until STARTED, calling `on_state` on each state change.

    A STOPPING application is first waited to STOPPED; a CREATING one to CREATED. AwsWaitTimeout after
    `timeout` seconds in all; ServerlessNotUsable if it ends TERMINATED."""
    api = client(session, "emr-serverless")
    region = region_of(session)
    app = _get(api, app_id, region)
    if on_state is not None:
        on_state(app.state)
    if app.state == "STARTED":
        return app
    if app.state == "TERMINATED":
        check_livy_ready(app)
    began = time.monotonic()
    if app.state in ("STOPPING", "CREATING"):
        resting = {"STOPPED", "CREATED", "TERMINATED", "STARTED"}
        app = _wait(api, app_id, region, resting, timeout, on_state, backoff, app.state)
    if app.state in ("STOPPED", "CREATED"):
        with aws_errors("emr-serverless:StartApplication", f"application {app_id}"):
            api.start_application(applicationId=app_id)
    if app.state != "STARTED":
        starting_seen = [app.state == "STARTING"]

        def settled(state: str) -> bool:  # STOPPED right after StartApplication may be the old state
            starting_seen[0] = starting_seen[0] or state == "STARTING"
            return state in ("STARTED", "TERMINATED") or (state == "STOPPED" and starting_seen[0])

        left = max(0.0, timeout - (time.monotonic() - began))
        app = _wait(api, app_id, region, settled, left, on_state, backoff, app.state)
    if app.state != "STARTED":
        raise ServerlessNotUsable(
            f"EMR Serverless application {app_id} went to {app.state} instead of STARTED"
            f"{': ' + app.state_details if app.state_details else ''}; check its capacity and limits in the "
            "EMR Studio console, then retry."
        )
    return app


def livy_url(app_id: str, region: str) -> str:
    """The interactive Livy endpoint URL of an EMR Serverless application."""
    if not re.fullmatch(r"[0-9a-z]+", app_id):
        raise AwsError(f"{app_id!r} is not an EMR Serverless application id (lower-case letters and digits).")
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        raise AwsError(f"{region!r} is not an AWS region name such as us-east-1.")
    return f"https://{app_id}.livy.emr-serverless-services.{region}.amazonaws.com"


def _get(api: Any, app_id: str, region: str) -> ServerlessApp:
    with aws_errors("emr-serverless:GetApplication", f"application {app_id}"):
        raw = api.get_application(applicationId=app_id)["application"]
    interactive = raw.get("interactiveConfiguration") or {}
    return ServerlessApp(
        id=str(raw.get("applicationId", app_id)),
        name=str(raw.get("name", "")),
        state=str(raw.get("state", "UNKNOWN")),
        release_label=str(raw.get("releaseLabel", "")),
        livy_enabled=bool(interactive.get("livyEndpointEnabled", False)),
        region=region,
        state_details=str(raw.get("stateDetails", "") or ""),
    )


def _wait(
    api: Any,
    app_id: str,
    region: str,
    done: set[str] | Callable[[str], bool],
    timeout: float,
    on_state: OnState | None,
    backoff: Backoff,
    last_state: str,
) -> ServerlessApp:
    return wait_for_state(
        lambda: _get(api, app_id, region),
        lambda app: app.state,
        done,
        what=f"EMR Serverless application {app_id}",
        timeout=timeout,
        on_state=on_state,
        backoff=backoff,
        last_state=last_state,
        hint="check its state details in the EMR Studio console, or pass a longer timeout.",
    )
