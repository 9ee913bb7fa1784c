"""HttpClient against the real local Livy endpoint over 127.0.0.1: auth modes, TLS, CSRF, faults, retries.

No JVM starts here: only requests that need no session (GET /sessions, 404s on sessions that do not exist),
so the faults injected through /_emrlab/faults are exercised over real HTTP. Mock adapters appear only in the
last tests, for conditions the server cannot produce (an HTTP-date Retry-After, a connect timeout).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from livy_fixtures import BASIC_PASSWORD, BASIC_USER, LivyFactory

from emrlab.magics.auth import BasicAuth, BearerAuth
from emrlab.magics.errors import AuthError, EndpointError, LivyHTTPError, SessionNotFound
from emrlab.magics.http import HttpClient
from emrlab.magics.retry import RetryPolicy
from emrlab.magics.server.launch import LocalLivy

pytestmark = pytest.mark.timeout(120)


class Recorder:
    """A real sleep that records what it was asked to wait (the retry policy's `sleep`)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


def policy(**kw: Any) -> tuple[RetryPolicy, Recorder]:
    recorder = Recorder()
    kw.setdefault("base", 0.01)
    kw.setdefault("cap", 0.05)
    return RetryPolicy(sleep=recorder, **kw), recorder


@pytest.fixture(scope="module")
def faulty(livy_factory: LivyFactory) -> LocalLivy:
    """A bearer endpoint of this module's own, for fault injection."""
    return livy_factory("bearer")


@pytest.fixture
def faults(faulty: LocalLivy) -> Iterator[HttpClient]:
    """An HttpClient to post faults with; faults are cleared after each test."""
    admin = HttpClient(faulty.url, BearerAuth(faulty.token or ""))
    admin.delete("/_emrlab/faults")
    yield admin
    admin.delete("/_emrlab/faults")
    admin.close()


def client_for(livy: LocalLivy, retries: RetryPolicy | None = None, **kw: Any) -> HttpClient:
    return HttpClient(
        livy.url, BearerAuth(livy.token or ""), retries=retries, verify=livy.ca_file or True, **kw
    )


# ---- auth -------------------------------------------------------------------------------------------------


def test_bearer_ok_and_keep_alive(local_livy: LocalLivy) -> None:
    with client_for(local_livy) as http:
        for _ in range(5):
            assert "sessions" in http.get("/sessions")
        pools = http._session.get_adapter(http.base_url).poolmanager.pools
        opened = [pools[key].num_connections for key in pools.keys()]  # noqa: SIM118 (this container has no __iter__)
        assert opened == [1], "the requests did not reuse one keep-alive connection"


def test_wrong_token_is_auth_error_without_the_secret(
    local_livy: LocalLivy, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "wrong-token-0123456789"
    caplog.set_level(logging.DEBUG)
    http = HttpClient(local_livy.url, BearerAuth(secret))
    with pytest.raises(AuthError) as raised:
        http.get("/sessions")
    err = raised.value
    assert err.status == 401 and "bearer token" in err.hint.lower()
    assert "127.0.0.1" in str(err)
    for text in (str(err), repr(err), repr(http), repr(http.auth), caplog.text, str(err.hint)):
        assert secret not in text
    real = local_livy.token or ""
    assert real and real not in caplog.text


def test_no_auth_against_bearer_server(local_livy: LocalLivy) -> None:
    with pytest.raises(AuthError, match="requires authentication"):
        HttpClient(local_livy.url).get("/sessions")


def test_basic_auth(livy_factory: LivyFactory, caplog: pytest.LogCaptureFixture) -> None:
    livy = livy_factory("basic")
    assert "sessions" in HttpClient(livy.url, BasicAuth(BASIC_USER, BASIC_PASSWORD)).get("/sessions")
    caplog.set_level(logging.DEBUG)
    bad = "not-the-password-42"
    with pytest.raises(AuthError) as raised:
        HttpClient(livy.url, BasicAuth(BASIC_USER, bad)).get("/sessions")
    assert raised.value.status == 401 and "password" in raised.value.hint
    assert bad not in str(raised.value) and bad not in caplog.text and BASIC_PASSWORD not in caplog.text


def test_tls_with_the_ca_file(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer", tls=True)
    assert livy.url.startswith("https://") and livy.ca_file
    assert "sessions" in client_for(livy).get("/sessions")
    untrusted = HttpClient(livy.url, BearerAuth(livy.token or ""), retries=RetryPolicy(max_attempts=1))
    with pytest.raises(EndpointError, match=r"TLS verification failed.*CA bundle") as raised:
        untrusted.get("/sessions")
    assert raised.value.port == int(livy.url.rsplit(":", 1)[1])


def test_csrf_header_always_sent(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer", csrf=True)
    raw = requests.post(
        f"{livy.url}/sessions/999/statements",
        json={"code": "1"},
        headers={"Authorization": f"Bearer {livy.token}"},
        timeout=10,
    )
    assert raw.status_code == 400, "the server should demand the CSRF header"
    with pytest.raises(SessionNotFound) as raised:  # past CSRF: the session does not exist
        client_for(livy).post("/sessions/999/statements", {"code": "1"})
    assert raised.value.session_id == 999


def test_status_mapping(local_livy: LocalLivy) -> None:
    http = client_for(local_livy)
    with pytest.raises(SessionNotFound, match="not found") as raised:
        http.get("/sessions/424242")
    assert raised.value.session_id == 424242 and raised.value.status == 404
    with pytest.raises(LivyHTTPError) as other:
        http.get("/no-such-resource")
    assert other.value.status == 404 and not isinstance(other.value, SessionNotFound)


# ---- faults and retries -----------------------------------------------------------------------------------


def remaining(admin: HttpClient, key: str) -> int:
    rule = admin.get("/_emrlab/faults").get(key)
    return 0 if rule is None else int(rule["count"])


def test_5xx_on_get_is_retried(faulty: LocalLivy, faults: HttpClient) -> None:
    faults.post("/_emrlab/faults", {"status_5xx": {"count": 2, "status": 503, "paths": "^/sessions$"}})
    retries, rec = policy()
    assert "sessions" in client_for(faulty, retries).get("/sessions")
    assert len(rec.waits) == 2 and remaining(faults, "status_5xx") == 0


@pytest.mark.parametrize("status", [502, 504])
def test_other_gateway_errors_retried(faulty: LocalLivy, faults: HttpClient, status: int) -> None:
    faults.post("/_emrlab/faults", {"status_5xx": {"count": 1, "status": status}})
    retries, rec = policy()
    assert "sessions" in client_for(faulty, retries).get("/sessions")
    assert len(rec.waits) == 1


def test_500_is_not_retried(faulty: LocalLivy, faults: HttpClient) -> None:
    faults.post("/_emrlab/faults", {"status_5xx": {"count": 3, "status": 500}})
    retries, rec = policy()
    with pytest.raises(LivyHTTPError) as raised:
        client_for(faulty, retries).get("/sessions")
    assert raised.value.status == 500 and rec.waits == [] and remaining(faults, "status_5xx") == 2


def test_5xx_on_create_post_is_not_retried(faulty: LocalLivy, faults: HttpClient) -> None:
    faults.post("/_emrlab/faults", {"status_5xx": {"count": 2, "status": 503, "paths": "statements"}})
    retries, rec = policy()
    with pytest.raises(LivyHTTPError) as raised:
        client_for(faulty, retries).post("/sessions/999/statements", {"code": "1"})
    assert raised.value.status == 503 and rec.waits == [] and remaining(faults, "status_5xx") == 1


def test_429_honours_retry_after_also_for_posts(faulty: LocalLivy, faults: HttpClient) -> None:
    faults.post("/_emrlab/faults", {"status_429": {"count": 1, "retry_after": 1, "paths": "statements"}})
    retries, rec = policy()
    started = time.monotonic()
    with pytest.raises(SessionNotFound):  # the retried POST reached the server: session 999 does not exist
        client_for(faulty, retries).post("/sessions/999/statements", {"code": "1"})
    assert rec.waits == [1.0] and time.monotonic() - started >= 1.0


def test_dropped_get_is_retried(faulty: LocalLivy, faults: HttpClient) -> None:
    faults.post("/_emrlab/faults", {"drop": {"count": 2, "paths": "^/sessions$"}})
    retries, rec = policy()
    assert "sessions" in client_for(faulty, retries).get("/sessions")
    assert len(rec.waits) == 2 and remaining(faults, "drop") == 0


def test_dropped_post_is_not_retried(faulty: LocalLivy, faults: HttpClient) -> None:
    faults.post("/_emrlab/faults", {"drop": {"count": 2, "paths": "statements"}})
    retries, rec = policy()
    with pytest.raises(EndpointError, match=r"dropped.*may have been processed"):
        client_for(faulty, retries).post("/sessions/999/statements", {"code": "1"})
    assert rec.waits == [] and remaining(faults, "drop") == 1


def test_cancel_post_is_idempotent_and_retried(faulty: LocalLivy, faults: HttpClient) -> None:
    faults.post("/_emrlab/faults", {"drop": {"count": 1, "paths": "cancel"}})
    retries, rec = policy()
    with pytest.raises(SessionNotFound):
        client_for(faulty, retries).post("/sessions/999/statements/0/cancel", None, idempotent=True)
    assert len(rec.waits) == 1


def test_retries_are_bounded_by_attempts_and_total(faulty: LocalLivy, faults: HttpClient) -> None:
    faults.post("/_emrlab/faults", {"drop": {"count": 100, "paths": "^/sessions$"}})
    retries, rec = policy(max_attempts=3)
    with pytest.raises(EndpointError, match="after 3 attempts"):
        client_for(faulty, retries).get("/sessions")
    assert len(rec.waits) == 2
    faults.delete("/_emrlab/faults")
    faults.post("/_emrlab/faults", {"status_5xx": {"count": 1000, "status": 503}})
    bounded, rec2 = policy(max_attempts=1000, base=0.05, cap=0.1, total=0.5)
    started = time.monotonic()
    with pytest.raises(LivyHTTPError, match="503"):
        client_for(faulty, bounded).get("/sessions")
    assert time.monotonic() - started < 2.0 and sum(rec2.waits) <= 0.5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_names_host_port_and_post_is_retried() -> None:
    port = free_port()
    retries, rec = policy(max_attempts=3)
    http = HttpClient(f"http://127.0.0.1:{port}", BearerAuth("token-abcdef"), retries=retries)
    with pytest.raises(EndpointError) as raised:
        http.post("/sessions", {"kind": "pyspark"})  # never reached a server: safe to retry
    message = str(raised.value)
    assert f"127.0.0.1:{port}" in message and "security group" in message and "token-abcdef" not in message
    assert raised.value.host == "127.0.0.1" and raised.value.port == port
    assert len(rec.waits) == 2


def test_read_timeout_on_a_silent_server() -> None:
    """A real socket that accepts connections and never answers: the read timeout fires, bounded."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        retries, rec = policy(max_attempts=2)
        http = HttpClient(f"http://127.0.0.1:{port}", timeout=(1.0, 0.3), retries=retries)
        started = time.monotonic()
        with pytest.raises(EndpointError, match="read timeout"):
            http.get("/sessions")
        assert time.monotonic() - started < 3.0 and len(rec.waits) == 1
    finally:
        stop.set()
        thread.join(2)
        for conn in accepted:
            conn.close()
        listener.close()


# ---- conditions the server cannot produce: requests mock adapters (said so) -------------------------------


class ScriptedAdapter(requests.adapters.HTTPAdapter):
    """MOCK: replays scripted outcomes. Used only because the local endpoint cannot send an HTTP-date
    Retry-After nor make a connect attempt time out."""

    def __init__(self, outcomes: list[Any]) -> None:
        super().__init__()
        self.outcomes = outcomes
        self.calls = 0

    def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:  # type: ignore[override]
        outcome = self.outcomes[self.calls]
        self.calls += 1
        if isinstance(outcome, Exception):
            raise outcome
        status, headers, body = outcome
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response._content = body
        response.request = request
        response.url = request.url or ""
        return response


def test_http_date_retry_after_is_honoured() -> None:
    import email.utils

    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    adapter = ScriptedAdapter([(503, {"Retry-After": when}, b'{"msg":"busy"}'), (200, {}, b'{"ok":1}')])
    retries, rec = policy()
    retries = RetryPolicy(base=0.01, cap=0.05, sleep=lambda s: rec.waits.append(s))
    http = HttpClient("http://livy.test:8998", retries=retries)
    http._session.mount("http://", adapter)
    assert http.get("/sessions") == {"ok": 1}
    assert len(rec.waits) == 1 and 1.0 < rec.waits[0] <= 3.0


def test_connect_timeout_on_post_is_retried() -> None:
    adapter = ScriptedAdapter(
        [requests.exceptions.ConnectTimeout("connect timed out"), (201, {}, b'{"id":7}')]
    )
    waits: list[float] = []
    http = HttpClient("http://livy.test:8998", retries=RetryPolicy(base=0.01, sleep=waits.append))
    http._session.mount("http://", adapter)
    assert http.post("/sessions", {"kind": "pyspark"}) == {"id": 7}
    assert adapter.calls == 2 and len(waits) == 1


# ---- the environment: read once, still honoured ------------------------------------------------------------


class _ProxyRecorder(threading.Thread):
    """A real HTTP forward proxy stand-in on 127.0.0.1: answers every request itself with `{}` and records
    the request line (a proxied request carries the absolute URL)."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        lines: list[str] = []
        self.lines = lines

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                lines.append(self.requestline)
                body = b'{"sessions": [], "via": "proxy"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        super().__init__(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def proxy() -> Iterator[_ProxyRecorder]:
    recorder = _ProxyRecorder()
    recorder.start()
    yield recorder
    recorder.server.shutdown()
    recorder.server.server_close()


def test_http_proxy_from_the_environment_is_used(
    proxy: _ProxyRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY is read when the client is made (not per request) and every request goes through it."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with HttpClient("http://livy.example.invalid:8998") as http:
        monkeypatch.delenv("HTTP_PROXY")  # already read: the client keeps using the proxy
        assert http.get("/sessions")["via"] == "proxy"
        assert http.get("/sessions/7")["via"] == "proxy"
    assert proxy.lines == [
        "GET http://livy.example.invalid:8998/sessions HTTP/1.1",
        "GET http://livy.example.invalid:8998/sessions/7 HTTP/1.1",
    ]


def test_no_proxy_bypasses_the_proxy(
    proxy: _ProxyRecorder, local_livy: LocalLivy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with client_for(local_livy) as http:
        assert "via" not in http.get("/sessions")
    assert proxy.lines == []


def test_ca_bundle_from_the_environment_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """REQUESTS_CA_BUNDLE is honoured as requests would honour it (read once, when the client is made)."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with HttpClient("https://livy.example.invalid") as http:
        assert http.verify == str(bundle)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with HttpClient("https://livy.example.invalid", verify=str(bundle)) as http:
        assert http.verify == str(bundle)
