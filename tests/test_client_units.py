"""Pure parts of the Livy client: retry math, Retry-After, SigV4 (AWS test vector), specs, errors."""

from __future__ import annotations

import datetime
import email.utils
import itertools
from typing import Any

import pytest
import requests

from emrlab.magics import auth as auth_mod
from emrlab.magics.auth import BearerAuth, SigV4Auth, is_serverless_host, region_from_url, secrets_of
from emrlab.magics.errors import ConfigurationError, StatementCancelled, StatementError, WaitTimeout
from emrlab.magics.http import HttpClient
from emrlab.magics.livy import check
from emrlab.magics.livy_models import BatchSpec, SessionInfo, SessionSpec, StatementResult
from emrlab.magics.retry import RetryPolicy, parse_retry_after, should_retry

# ---- retry policy -----------------------------------------------------------------------------------------


class FakeClock:
    """A clock that advances only when `sleep` is called."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_backoff_is_full_jitter_capped_exponential() -> None:
    top = RetryPolicy(base=0.1, cap=1.0, rand=lambda: 1.0)
    assert [top.backoff(n) for n in range(6)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    half = RetryPolicy(base=0.1, cap=1.0, rand=lambda: 0.5)
    assert half.backoff(2) == pytest.approx(0.2)
    zero = RetryPolicy(rand=lambda: 0.0)
    assert zero.backoff(5) == 0.0


def test_retry_after_overrides_backoff() -> None:
    policy = RetryPolicy(base=0.1, rand=lambda: 1.0)
    assert policy.delay(0, 2.5) == 2.5
    assert policy.delay(0, None) == pytest.approx(0.1)


def test_next_wait_stops_at_max_attempts_and_total() -> None:
    fake = FakeClock()
    policy = RetryPolicy(max_attempts=3, base=1.0, cap=10.0, total=100.0, rand=lambda: 1.0, clock=fake.clock)
    started = fake.now
    assert policy.next_wait(1, started, None) == 1.0
    assert policy.next_wait(2, started, None) == 2.0
    assert policy.next_wait(3, started, None) is None  # the third attempt was the last
    bounded = RetryPolicy(max_attempts=10, base=1.0, cap=10.0, total=5.0, rand=lambda: 1.0, clock=fake.clock)
    fake.now = started + 4.5
    assert bounded.next_wait(1, started, None) is None  # 4.5 + 1 > 5: would end past the bound
    assert bounded.next_wait(1, started, 0.4) == 0.4


def test_invalid_policy_rejected() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize(
    ("idempotent", "status", "reached", "expected"),
    [
        (True, None, True, True),  # GET dropped: retry
        (False, None, True, False),  # POST dropped after sending: may have run, no retry
        (False, None, False, True),  # POST refused: never reached the server, retry
        (True, 503, True, True),
        (True, 502, True, True),
        (True, 504, True, True),
        (False, 503, True, False),
        (False, 429, True, True),
        (True, 429, True, True),
        (True, 500, True, False),
        (True, 404, True, False),
    ],
)
def test_should_retry_matrix(idempotent: bool, status: int | None, reached: bool, expected: bool) -> None:
    assert should_retry(
        idempotent=idempotent, status=status, reached_server=reached, policy=RetryPolicy()
    ) is (expected)


def test_parse_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    now = 1_700_000_000.0
    later = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(7.0)
    earlier = email.utils.formatdate(now - 60, usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0


# ---- SigV4 ------------------------------------------------------------------------------------------------


class StaticSession:
    """Stands in for a boto3.Session: only get_credentials() and region_name are used by SigV4Auth."""

    def __init__(self, credentials: Any, region: str | None = None) -> None:
        self._credentials = credentials
        self.region_name = region

    def get_credentials(self) -> Any:
        return self._credentials


def test_sigv4_matches_aws_test_suite_get_vanilla(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS SigV4 test suite, get-vanilla: a fixed vector, independent of botocore's own tests.

    The signing time is frozen by patching `botocore.auth.get_current_datetime` only (this botocore imports
    it into botocore.auth; older ones called datetime.datetime.utcnow there): nothing else is mocked.
    """
    from botocore.credentials import Credentials

    frozen = datetime.datetime(2015, 8, 30, 12, 36, 0)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda *a, **k: frozen)
    session = StaticSession(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"))
    signer = SigV4Auth(session, region="us-east-1", service="service")
    prepared = requests.Request("GET", "https://example.amazonaws.com/").prepare()
    signed = signer(prepared)
    assert signed.headers["X-Amz-Date"] == "20150830T123600Z"
    assert signed.headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_sigv4_reads_credentials_per_request_so_they_refresh() -> None:
    from botocore.credentials import RefreshableCredentials

    calls: list[int] = []

    def refresh() -> dict[str, str]:
        calls.append(1)
        # Already inside the mandatory-refresh window, so every read refreshes.
        expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
        return {
            "access_key": f"AKIDREFRESH{len(calls)}",
            "secret_key": "secret",
            "token": f"token{len(calls)}",
            "expiry_time": expiry.isoformat(),
        }

    creds = RefreshableCredentials.create_from_metadata(refresh(), refresh, "test")
    signer = SigV4Auth(StaticSession(creds))
    url = "https://00abc.livy.emr-serverless-services.eu-west-1.amazonaws.com/sessions"
    first = signer(requests.Request("POST", url, data=b'{"kind":"pyspark"}').prepare())
    second = signer(requests.Request("GET", url).prepare())
    assert "/eu-west-1/emr-serverless/aws4_request" in first.headers["Authorization"]
    key1 = first.headers["Authorization"].split("Credential=")[1].split("/")[0]
    key2 = second.headers["Authorization"].split("Credential=")[1].split("/")[0]
    assert key1 != key2, "credentials were not re-read for the second request"
    assert first.headers["X-Amz-Security-Token"] != second.headers["X-Amz-Security-Token"]


def test_sigv4_signs_the_bytes_it_sends_and_region_rules() -> None:
    from botocore.credentials import Credentials

    signer = SigV4Auth(StaticSession(Credentials("AK", "SK")), region="us-west-2")
    prepared = requests.Request("POST", "http://127.0.0.1:9/x", data="é").prepare()
    signer(prepared)
    assert prepared.body == "é".encode()
    assert "SignedHeaders=host;x-amz-date" in prepared.headers["Authorization"]
    no_region = SigV4Auth(StaticSession(Credentials("AK", "SK"), region=None))
    with pytest.raises(ConfigurationError, match="region"):
        no_region(requests.Request("GET", "http://127.0.0.1:9/").prepare())
    fallback = SigV4Auth(StaticSession(Credentials("AK", "SK"), region="ap-south-1"))
    fallback(p := requests.Request("GET", "http://127.0.0.1:9/").prepare())
    assert "/ap-south-1/emr-serverless/" in p.headers["Authorization"]


def test_region_from_url_and_serverless_hosts() -> None:
    url = "https://00fabc123.livy.emr-serverless-services.us-east-1.amazonaws.com"
    assert region_from_url(url) == "us-east-1"
    assert region_from_url(url + "/sessions") == "us-east-1"
    assert (
        region_from_url("https://x.livy.emr-serverless-services.cn-north-1.amazonaws.com.cn") == "cn-north-1"
    )
    assert region_from_url("http://127.0.0.1:8998") is None
    assert is_serverless_host("app.livy.emr-serverless-services.eu-central-1.amazonaws.com")
    assert not is_serverless_host("ip-10-0-0-1.ec2.internal")


def test_bearer_auth_hides_token() -> None:
    token = "s3cr3t-token-value"
    bearer = BearerAuth(token)
    assert token not in repr(bearer)
    assert secrets_of(bearer) == [token]
    assert secrets_of(auth_mod.BasicAuth("user", "pa55word")) == ["pa55word"]
    with pytest.raises(ConfigurationError):
        BearerAuth("")


def test_tls_verification_cannot_be_turned_off() -> None:
    with pytest.raises(ConfigurationError, match="cannot be turned off"):
        HttpClient("https://127.0.0.1:1", verify=False)
    with pytest.raises(ConfigurationError):
        HttpClient("ftp://example.com")


# ---- specs and results ------------------------------------------------------------------------------------


def test_session_spec_to_json() -> None:
    spec = SessionSpec(
        kind="pyspark",
        name="etl",
        conf={"spark.x": "1", "spark.jars.packages": "a:b:1"},
        driver_memory="2g",
        executor_cores=2,
        num_executors=3,
        py_files=["s3://b/x.zip"],
        packages=["c:d:2"],
        heartbeat_timeout=600,
        ttl="2h",
    )
    assert spec.to_json() == {
        "kind": "pyspark",
        "name": "etl",
        "driverMemory": "2g",
        "executorCores": 2,
        "numExecutors": 3,
        "pyFiles": ["s3://b/x.zip"],
        "conf": {"spark.x": "1", "spark.jars.packages": "a:b:1,c:d:2"},
        "heartbeatTimeoutInSecond": 600,
        "ttl": "2h",
    }
    assert SessionSpec().to_json() == {"kind": "pyspark"}
    assert BatchSpec(file="/x.py", args=["1", "b"], class_name=None).to_json() == {
        "file": "/x.py",
        "args": ["1", "b"],
    }


def test_infos_and_statement_results_from_json() -> None:
    info = SessionInfo.from_json(
        {"id": 3, "state": "idle", "kind": "pyspark", "appInfo": {"sparkUiUrl": "http://ui"}, "log": ["a"]}
    )
    assert (info.id, info.state, info.spark_ui_url, info.driver_log_url, info.log) == (
        3,
        "idle",
        "http://ui",
        None,
        ["a"],
    )
    ok = StatementResult.from_json(
        {"id": 1, "state": "available", "progress": 1.0,
         "output": {"status": "ok", "execution_count": 1, "data": {"text/plain": "42"}}}
    )  # fmt: skip
    assert ok.ok and ok.text == "42" and check(ok) is ok
    bad = StatementResult.from_json(
        {"id": 2, "state": "available",
         "output": {"status": "error", "ename": "ZeroDivisionError", "evalue": "division by zero",
                    "traceback": ["line 1"]}}
    )  # fmt: skip
    with pytest.raises(StatementError) as raised:
        check(bad)
    assert (raised.value.ename, raised.value.evalue, raised.value.traceback) == (
        "ZeroDivisionError",
        "division by zero",
        ["line 1"],
    )
    cancelled = StatementResult.from_json({"id": 4, "state": "cancelled", "output": None})
    with pytest.raises(StatementCancelled):
        check(cancelled)


def test_wait_timeout_message_says_what_to_do() -> None:
    err = WaitTimeout("session 1 to become idle", 5.0, last_state="starting")
    assert "5 s" in str(err) and "starting" in str(err) and "timeout" in str(err)


def test_statement_poll_is_gentle_while_short_then_doubles_to_the_cap() -> None:
    from emrlab.magics.livy import FIRST_POLL, GENTLE_UNTIL, MAX_POLL, next_poll_delay

    delays = [FIRST_POLL]
    while delays[-1] < MAX_POLL:
        delays.append(next_poll_delay(delays[-1]))
    short = [d for d in delays if d < GENTLE_UNTIL]
    assert all(b / a == pytest.approx(1.4) for a, b in itertools.pairwise(short))
    assert sum(short) < 0.2, "a statement of 50 ms must be seen within a few polls of its end"
    assert delays[-1] == MAX_POLL and next_poll_delay(MAX_POLL) == MAX_POLL
    assert len(delays) < 25
