"""SigV4 verification of the local endpoint: AWS's published test vector, botocore-signed requests, and the
server's sigv4 mode over real HTTP (no JVM: auth is checked before any session exists)."""

from __future__ import annotations

import datetime
import json

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
import requests
from livy_fixtures import EXECUTION_ROLE, SIGV4_ACCESS_KEY, SIGV4_REGION, SIGV4_SECRET_KEY, LivyFactory

from emrlab.magics.server.sigv4verify import SignedRequest, SigV4Error, SigV4Verifier

# AWS SigV4 test suite, "get-vanilla" (aws-sig-v4-test-suite/get-vanilla/get-vanilla.authz).
VECTOR_KEY = "AKIDEXAMPLE"
VECTOR_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
VECTOR_TIME = datetime.datetime(2015, 8, 30, 12, 36, 0, tzinfo=datetime.timezone.utc)
VECTOR_SIGNATURE = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"


def vector_request(signature: str = VECTOR_SIGNATURE, service: str = "service") -> SignedRequest:
    authz = (
        f"AWS4-HMAC-SHA256 Credential={VECTOR_KEY}/20150830/us-east-1/{service}/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={signature}"
    )
    headers = [
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", authz),
    ]
    return SignedRequest("GET", "/", "", headers, b"")


def vector_verifier(clock_offset: datetime.timedelta = datetime.timedelta(0)) -> SigV4Verifier:
    return SigV4Verifier(
        {VECTOR_KEY: VECTOR_SECRET},
        region="us-east-1",
        service="service",
        clock=lambda: VECTOR_TIME + clock_offset,
    )


def test_aws_get_vanilla_vector_verifies() -> None:
    assert vector_verifier().verify(vector_request()) == VECTOR_KEY


@pytest.mark.parametrize(
    ("request_", "verifier", "message"),
    [
        pytest.param(vector_request("0" * 64), vector_verifier(), "does not match", id="wrong-signature"),
        pytest.param(
            vector_request(), vector_verifier(datetime.timedelta(minutes=16)), "expired", id="expired"
        ),
        pytest.param(vector_request(service="s3"), vector_verifier(), "service", id="wrong-service"),
        pytest.param(
            vector_request(),
            SigV4Verifier(
                {VECTOR_KEY: VECTOR_SECRET}, region="eu-west-1", service="service", clock=lambda: VECTOR_TIME
            ),
            "region",
            id="wrong-region",
        ),
        pytest.param(
            vector_request(),
            SigV4Verifier(
                {"OTHER": VECTOR_SECRET}, region="us-east-1", service="service", clock=lambda: VECTOR_TIME
            ),
            "invalid",
            id="unknown-key",
        ),
    ],
)
def test_vector_variants_are_rejected(request_: SignedRequest, verifier: SigV4Verifier, message: str) -> None:
    with pytest.raises(SigV4Error, match=message):
        verifier.verify(request_)


def test_tampered_vector_is_rejected() -> None:
    original = vector_request()
    tampered = SignedRequest("GET", "/sessions", "", original.headers, b"")
    with pytest.raises(SigV4Error, match="does not match"):
        vector_verifier().verify(tampered)


def botocore_signed(method: str, url: str, body: bytes, secret: str = SIGV4_SECRET_KEY) -> dict[str, str]:
    """Headers of a request signed by botocore's own SigV4 signer (the reference implementation)."""
    request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body)
    request.headers["Content-Type"] = "application/json"
    credentials = botocore.credentials.Credentials(SIGV4_ACCESS_KEY, secret)
    botocore.auth.SigV4Auth(credentials, "emr-serverless", SIGV4_REGION).add_auth(request)
    return dict(request.headers.items())


def test_botocore_signed_request_verifies_offline() -> None:
    body = b'{"kind": "pyspark"}'
    headers = botocore_signed("POST", "http://127.0.0.1:8998/sessions?from=0&size=5", body)
    headers["Host"] = "127.0.0.1:8998"
    verifier = SigV4Verifier({SIGV4_ACCESS_KEY: SIGV4_SECRET_KEY}, region=SIGV4_REGION)
    signed = SignedRequest("POST", "/sessions", "from=0&size=5", list(headers.items()), body)
    assert verifier.verify(signed) == SIGV4_ACCESS_KEY
    changed = SignedRequest("POST", "/sessions", "from=0&size=5", list(headers.items()), b'{"kind": "sql"}')
    with pytest.raises(SigV4Error):
        verifier.verify(changed)


def send(
    method: str, url: str, payload: dict[str, object] | None = None, secret: str = SIGV4_SECRET_KEY
) -> requests.Response:
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = botocore_signed(method, url, body, secret)
    return requests.request(method, url, data=body, headers=headers, timeout=10)


@pytest.mark.timeout(60)
def test_sigv4_server_mode(livy_factory: LivyFactory) -> None:
    livy = livy_factory("sigv4")
    assert livy.token is None and livy.auth == "sigv4"
    good = send("GET", f"{livy.url}/sessions")
    assert good.status_code == 200, good.text
    assert good.json() == {"from": 0, "total": 0, "sessions": []}

    unsigned = requests.get(f"{livy.url}/sessions", timeout=10)
    assert unsigned.status_code == 403 and "Missing Authentication Token" in unsigned.json()["msg"]

    wrong = send("GET", f"{livy.url}/sessions", secret="not-the-secret")
    assert wrong.status_code == 403 and "signature" in wrong.json()["msg"]

    no_role = send("POST", f"{livy.url}/sessions", {"kind": "pyspark"})
    assert no_role.status_code == 400
    assert "emr-serverless.session.executionRoleArn" in no_role.json()["msg"]

    # A request signed for another region (the scope names it) is refused.
    request = botocore.awsrequest.AWSRequest(method="GET", url=f"{livy.url}/sessions")
    credentials = botocore.credentials.Credentials(SIGV4_ACCESS_KEY, SIGV4_SECRET_KEY)
    botocore.auth.SigV4Auth(credentials, "emr-serverless", "eu-west-1").add_auth(request)
    other_region = requests.get(f"{livy.url}/sessions", headers=dict(request.headers.items()), timeout=10)
    assert other_region.status_code == 403 and "region" in other_region.json()["msg"]
    assert EXECUTION_ROLE.startswith("arn:aws:iam::")
