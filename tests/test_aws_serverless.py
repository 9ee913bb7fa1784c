"""emrlab.aws.serverless: readiness checks and start-with-progress for EMR Serverless applications.

moto's EMR Serverless (real HTTP) covers applications, their release labels, STOPPED/STARTED/TERMINATED and
StartApplication. It drops `interactiveConfiguration` and jumps straight to STARTED, so botocore's Stubber
plays GetApplication where a test needs livyEndpointEnabled=true or the STOPPING/STARTING transitions."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from aws_fixtures import FAST, REGION, session, stubbed

from emrlab.aws.errors import AwsError, AwsWaitTimeout, NotFound, ServerlessNotUsable
from emrlab.aws.serverless import (
    ServerlessApp,
    application,
    check_livy_ready,
    livy_url,
    release_tuple,
    start_application,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def es(aws_env: str) -> Any:
    """A plain boto3 EMR Serverless client on the freshly reset moto server."""
    return session().client("emr-serverless")


def _create(es: Any, release: str = "emr-7.1.0") -> str:
    answer = es.create_application(
        name="interactive",
        releaseLabel=release,
        type="SPARK",
        interactiveConfiguration={"livyEndpointEnabled": True, "studioEnabled": True},
    )
    return str(answer["applicationId"])


def _app(state: str, *, release: str = "emr-7.1.0", livy: bool = True, details: str = "") -> dict[str, Any]:
    """A GetApplication response for the Stubber (moto lacks interactiveConfiguration and transitions)."""
    now = datetime.now(timezone.utc)
    body: dict[str, Any] = {
        "applicationId": "00fabcdefghij012",
        "name": "stubbed",
        "arn": "arn:aws:emr-serverless:us-east-1:123456789012:/applications/00fabcdefghij012",
        "releaseLabel": release,
        "type": "Spark",
        "state": state,
        "createdAt": now,
        "updatedAt": now,
        "interactiveConfiguration": {"livyEndpointEnabled": livy, "studioEnabled": True},
    }
    if details:
        body["stateDetails"] = details
    return {"application": body}


def test_release_labels_compare_numerically() -> None:
    assert release_tuple("emr-6.9.0") < release_tuple("emr-6.14.0") < release_tuple("emr-6.15.0")
    assert release_tuple("emr-7.0.0-latest") == (7, 0, 0)
    with pytest.raises(AwsError, match=r"emr-X\.Y\.Z"):
        release_tuple("6.14")


def test_release_too_old_is_refused(es: Any) -> None:
    app_id = _create(es, release="emr-6.9.0")  # "6.9" > "6.14" as text: the check must be numeric
    app = application(app_id, session=session())
    assert (app.id, app.release_label, app.region) == (app_id, "emr-6.9.0", REGION)
    with pytest.raises(ServerlessNotUsable, match=r"runs emr-6.9.0; the Livy endpoint needs emr-6.14.0"):
        check_livy_ready(app)
    ready = ServerlessApp("00a", "x", "STARTED", "emr-6.14.0", True, REGION)
    check_livy_ready(ready)  # the minimum release itself is fine


def test_livy_disabled_is_refused_with_the_fix(es: Any) -> None:
    # moto drops interactiveConfiguration, so a moto application always reads as Livy-disabled ...
    app_id = _create(es)
    app = application(app_id, session=session())
    assert not app.livy_enabled
    with pytest.raises(ServerlessNotUsable, match=r"Livy endpoint disabled.*livyEndpointEnabled=true"):
        check_livy_ready(app)
    # ... and the enabled case comes from the Stubber.
    aws, stubber = stubbed("emr-serverless")
    stubber.add_response("get_application", _app("STARTED"), {"applicationId": "00fabcdefghij012"})
    with stubber:
        enabled = application("00fabcdefghij012", session=aws)
    assert enabled.livy_enabled
    check_livy_ready(enabled)


def test_terminated_and_unknown_applications(es: Any) -> None:
    app_id = _create(es)
    es.stop_application(applicationId=app_id)
    es.delete_application(applicationId=app_id)
    with pytest.raises(ServerlessNotUsable, match="TERMINATED; create a new application"):
        check_livy_ready(application(app_id, session=session()))
    with pytest.raises(ServerlessNotUsable, match="TERMINATED"):
        start_application(app_id, session=session(), backoff=FAST)
    with pytest.raises(NotFound, match="application 00nothere0 was not found"):
        application("00nothere0", session=session())


def test_start_application_on_moto(es: Any) -> None:
    app_id = _create(es)
    es.stop_application(applicationId=app_id)
    seen: list[str] = []
    app = start_application(app_id, session=session(), on_state=seen.append, timeout=30, backoff=FAST)
    assert app.state == "STARTED" and seen[0] == "STOPPED" and seen[-1] == "STARTED"
    assert es.get_application(applicationId=app_id)["application"]["state"] == "STARTED"


def test_start_shows_progress_through_stopping_and_starting(aws_env: str) -> None:
    # Stubber: moto has no STOPPING/STARTING states.
    aws, stubber = stubbed("emr-serverless")
    for state in ("STOPPING", "STOPPING", "STOPPED"):
        stubber.add_response("get_application", _app(state))
    stubber.add_response("start_application", {}, {"applicationId": "00fabcdefghij012"})
    for state in ("STOPPED", "STARTING", "STARTING", "STARTED"):  # the first poll may still say STOPPED
        stubber.add_response("get_application", _app(state))
    seen: list[str] = []
    with stubber:
        app = start_application("00fabcdefghij012", session=aws, on_state=seen.append, backoff=FAST)
    assert app.state == "STARTED"
    assert seen == ["STOPPING", "STOPPED", "STARTING", "STARTED"]
    stubber.assert_no_pending_responses()


def test_start_that_falls_back_to_stopped_is_an_error(aws_env: str) -> None:
    # Stubber: a failed start (STARTING -> STOPPED with details) cannot be produced by moto.
    aws, stubber = stubbed("emr-serverless")
    stubber.add_response("get_application", _app("CREATED"))
    stubber.add_response("start_application", {})
    stubber.add_response("get_application", _app("STARTING"))
    stubber.add_response("get_application", _app("STOPPED", details="Insufficient capacity"))
    with (
        stubber,
        pytest.raises(ServerlessNotUsable, match="went to STOPPED instead of STARTED: Insufficient"),
    ):
        start_application("00fabcdefghij012", session=aws, backoff=FAST)


def test_start_times_out_with_a_clear_error(aws_env: str) -> None:
    # Stubber: an application stuck in STARTING.
    aws, stubber = stubbed("emr-serverless")
    stubber.add_response("get_application", _app("STOPPED"))
    stubber.add_response("start_application", {})
    for _ in range(200):
        stubber.add_response("get_application", _app("STARTING"))
    with stubber, pytest.raises(AwsWaitTimeout, match=r"still STARTING after 0.3 s") as caught:
        start_application("00fabcdefghij012", session=aws, timeout=0.3, backoff=FAST)
    assert caught.value.state == "STARTING" and caught.value.seconds == pytest.approx(0.3, abs=0.05)


def test_livy_url() -> None:
    assert livy_url("00fabcdefghij012", "eu-west-1") == (
        "https://00fabcdefghij012.livy.emr-serverless-services.eu-west-1.amazonaws.com"
    )
    with pytest.raises(AwsError, match="not an EMR Serverless application id"):
        livy_url("evil.example.com/", "eu-west-1")
    with pytest.raises(AwsError, match="not an AWS region"):
        livy_url("00fabcdefghij012", "eu-west-1.attacker")
