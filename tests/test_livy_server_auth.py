"""Auth modes, TLS, CSRF and the connection file of the local endpoint, over real HTTP (no JVM needed)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import requests
from livy_fixtures import BASIC_PASSWORD, BASIC_USER, LivyFactory, bearer_http

from emrlab.magics.server.launch import LocalLivy, find_running

pytestmark = pytest.mark.timeout(90)


def test_bearer_token_required(local_livy: LocalLivy) -> None:
    url = f"{local_livy.url}/sessions"
    missing = requests.get(url, timeout=10)
    assert missing.status_code == 401
    assert "bearer token" in missing.json()["msg"].lower()
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401
    assert local_livy.token and local_livy.token not in wrong.text
    # Unknown paths are not revealed before auth either.
    assert requests.get(f"{local_livy.url}/no/such/thing", timeout=10).status_code == 401
    ok = bearer_http(local_livy).get(url, timeout=10)
    assert ok.status_code == 200 and ok.json()["sessions"] is not None
    unknown = bearer_http(local_livy).get(f"{local_livy.url}/no/such/thing", timeout=10)
    assert unknown.status_code == 404 and "msg" in unknown.json()


def test_missing_session_is_404_like_livy(local_livy: LocalLivy) -> None:
    http = bearer_http(local_livy)
    for path in ("/sessions/987", "/sessions/987/state", "/sessions/987/statements", "/sessions/987/log"):
        response = http.get(local_livy.url + path, timeout=10)
        assert response.status_code == 404, path
        assert response.json() == {"msg": "Session '987' not found."}
    assert http.delete(f"{local_livy.url}/sessions/987", timeout=10).status_code == 404
    assert http.get(f"{local_livy.url}/batches/987", timeout=10).status_code == 404


def test_sparkr_sessions_are_refused_clearly(local_livy: LocalLivy) -> None:
    response = bearer_http(local_livy).post(f"{local_livy.url}/sessions", json={"kind": "sparkr"}, timeout=10)
    assert response.status_code == 400
    assert "not supported by the local endpoint" in response.json()["msg"]
    assert "EMR" in response.json()["msg"]


def test_bad_bodies_are_400(local_livy: LocalLivy) -> None:
    http = bearer_http(local_livy)
    not_json = http.post(f"{local_livy.url}/sessions", data=b"{nope", timeout=10)
    assert not_json.status_code == 400 and "JSON" in not_json.json()["msg"]
    bad_kind = http.post(f"{local_livy.url}/sessions", json={"kind": "cobol"}, timeout=10)
    assert bad_kind.status_code == 400 and "cobol" in bad_kind.json()["msg"]
    missing_file = http.post(f"{local_livy.url}/batches", json={"file": "/no/such/job.py"}, timeout=10)
    assert missing_file.status_code == 400 and "does not exist" in missing_file.json()["msg"]


def test_generated_token_and_connection_file(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer", env={"EMRLAB_LIVY_TOKEN": ""})
    assert livy.token and len(livy.token) >= 32
    mode = stat.S_IMODE(Path(livy.connection_file).stat().st_mode)
    assert mode == 0o600
    info = json.loads(Path(livy.connection_file).read_text())
    assert set(info) == {"url", "token", "pid", "auth", "ca_file"}
    assert info["url"].startswith("http://127.0.0.1:") and info["pid"] == livy.pid
    assert livy.token in livy.log_tail()  # printed at start, like Jupyter, because it was generated
    found = find_running(livy.connection_file)
    assert found is not None and found.url == livy.url and found.token == livy.token
    livy.stop()
    assert not livy.alive
    assert not Path(livy.connection_file).exists()
    assert find_running(livy.connection_file) is None


def test_given_token_is_used_and_not_printed(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer", token="given-token-value-1234")
    assert livy.token == "given-token-value-1234"
    response = requests.get(
        f"{livy.url}/sessions", headers={"Authorization": "Bearer given-token-value-1234"}, timeout=10
    )
    assert response.status_code == 200
    assert "given-token-value-1234" not in livy.log_tail()


def test_basic_auth(livy_factory: LivyFactory) -> None:
    livy = livy_factory("basic")
    url = f"{livy.url}/sessions"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, auth=(BASIC_USER, "wrong"), timeout=10).status_code == 401
    assert requests.get(url, auth=("someone", BASIC_PASSWORD), timeout=10).status_code == 401
    assert requests.get(url, headers={"Authorization": "Basic !!!"}, timeout=10).status_code == 401
    ok = requests.get(url, auth=(BASIC_USER, BASIC_PASSWORD), timeout=10)
    assert ok.status_code == 200 and ok.json()["total"] == 0


def test_no_auth_mode_is_explicit(livy_factory: LivyFactory) -> None:
    livy = livy_factory("none")
    assert livy.auth == "none" and livy.token is None
    assert requests.get(f"{livy.url}/sessions", timeout=10).status_code == 200


def test_tls_with_generated_ca(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer", tls=True)
    assert livy.url.startswith("https://127.0.0.1:")
    assert livy.ca_file and Path(livy.ca_file).is_file()
    http = bearer_http(livy)
    assert http.get(f"{livy.url}/sessions", timeout=10).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{livy.url}/sessions", timeout=10)  # verification stays on: the CA is not trusted
    plain = livy.url.replace("https://", "http://")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{plain}/sessions", headers={"Authorization": f"Bearer {livy.token}"}, timeout=10)


def test_csrf_header_required(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer", csrf=True)
    headers = {"Authorization": f"Bearer {livy.token}"}
    assert requests.get(f"{livy.url}/sessions", headers=headers, timeout=10).status_code == 200
    refused = requests.post(f"{livy.url}/sessions", json={"kind": "sparkr"}, headers=headers, timeout=10)
    assert refused.status_code == 400
    assert refused.json() == {"msg": "Missing Required Header for CSRF protection."}
    headers["X-Requested-By"] = "tests"
    allowed = requests.post(f"{livy.url}/sessions", json={"kind": "sparkr"}, headers=headers, timeout=10)
    assert allowed.status_code == 400 and "sparkr" in allowed.json()["msg"]  # got past CSRF to the handler
