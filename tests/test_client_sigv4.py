"""SigV4Auth and the sparkmagic authenticator against the local endpoint's sigv4 mode (real HTTP, no JVM)."""

from __future__ import annotations

import logging
from pathlib import Path

import boto3
import pytest
import requests
from livy_fixtures import SIGV4_ACCESS_KEY, SIGV4_REGION, SIGV4_SECRET_KEY, LivyFactory

from emrlab.magics.auth import SigV4Auth
from emrlab.magics.errors import AuthError, LivyHTTPError, SessionNotFound
from emrlab.magics.http import HttpClient
from emrlab.magics.retry import RetryPolicy
from emrlab.magics.server.launch import LocalLivy

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def sigv4_livy(livy_factory: LivyFactory) -> LocalLivy:
    return livy_factory("sigv4")


def boto(secret: str = SIGV4_SECRET_KEY) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=SIGV4_ACCESS_KEY, aws_secret_access_key=secret, region_name=SIGV4_REGION
    )


def test_signed_requests_pass(sigv4_livy: LocalLivy) -> None:
    http = HttpClient(sigv4_livy.url, SigV4Auth(boto(), region=SIGV4_REGION))
    assert "sessions" in http.get("/sessions", params={"from": 0, "size": 5})
    # A POST with a body: the signature covers the exact bytes sent.
    with pytest.raises(SessionNotFound):
        http.post("/sessions/999/statements", {"code": "print('é')", "kind": "pyspark"})
    # The endpoint demands the execution role, like EMR Serverless.
    with pytest.raises(LivyHTTPError) as raised:
        http.post("/sessions", {"kind": "pyspark"})
    assert raised.value.status == 400 and "executionRoleArn" in str(raised.value)


def test_region_comes_from_the_session_when_the_host_has_none(sigv4_livy: LocalLivy) -> None:
    assert "sessions" in HttpClient(sigv4_livy.url, SigV4Auth(boto())).get("/sessions")


def test_bad_secret_is_403_with_iam_hint_and_no_secret(
    sigv4_livy: LocalLivy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "definitely-wrong-secret-key/123"
    http = HttpClient(sigv4_livy.url, SigV4Auth(boto(wrong)), retries=RetryPolicy(max_attempts=1))
    with pytest.raises(AuthError) as raised:
        http.get("/sessions")
    err = raised.value
    assert err.status == 403
    assert "emr-serverless:AccessLivyEndpoints" in str(err) and "iam:PassRole" in str(err)
    for text in (str(err), repr(err), caplog.text):
        assert wrong not in text and SIGV4_SECRET_KEY not in text


def test_wrong_region_is_refused(sigv4_livy: LocalLivy) -> None:
    http = HttpClient(sigv4_livy.url, SigV4Auth(boto(), region="eu-west-3"))
    with pytest.raises(AuthError):
        http.get("/sessions")


@pytest.mark.timeout(180)
def test_sparkmagic_authenticator_signs_for_sparkmagic(
    sigv4_livy: LocalLivy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Our class as sparkmagic's `authenticators` entry: sparkmagic calls it as a requests auth."""
    monkeypatch.setenv("SPARKMAGIC_CONF_DIR", str(tmp_path))  # keep sparkmagic away from ~/.sparkmagic
    monkeypatch.setenv("EMRLAB_SIGV4_REGION", SIGV4_REGION)
    from sparkmagic.auth.customauth import Authenticator

    from emrlab.magics.sparkmagic_auth import EmrServerlessAuthenticator

    authenticator = EmrServerlessAuthenticator(session=boto())
    assert isinstance(authenticator, Authenticator)
    response = requests.get(f"{sigv4_livy.url}/sessions", auth=authenticator, timeout=10)
    assert response.status_code == 200, response.text
    unsigned = requests.get(f"{sigv4_livy.url}/sessions", timeout=10)
    assert unsigned.status_code == 403
    assert SIGV4_SECRET_KEY not in repr(authenticator)
