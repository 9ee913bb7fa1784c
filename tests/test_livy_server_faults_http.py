"""HTTP-level fault injection of the local endpoint (5xx, 429, dropped connections), no JVM needed."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from livy_fixtures import LivyFactory, bearer_http

pytestmark = pytest.mark.timeout(90)


def test_5xx_then_recovery(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer")
    http = bearer_http(livy)
    spec: dict[str, Any] = {"status_5xx": {"count": 2, "status": 502, "paths": "^/sessions$"}}
    assert http.post(f"{livy.url}/_emrlab/faults", json=spec, timeout=10).status_code == 200
    assert http.get(f"{livy.url}/batches", timeout=10).status_code == 200  # does not match the paths
    first = http.get(f"{livy.url}/sessions", timeout=10)
    assert first.status_code == 502 and "fault" in first.json()["msg"]
    assert http.get(f"{livy.url}/sessions", timeout=10).status_code == 502
    assert http.get(f"{livy.url}/sessions", timeout=10).status_code == 200
    assert http.get(f"{livy.url}/_emrlab/faults", timeout=10).json()["status_5xx"]["count"] == 0


def test_429_with_retry_after(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer", extra_args=["--faults", '{"status_429": {"count": 1, "retry_after": 2}}'])
    http = bearer_http(livy)
    limited = http.get(f"{livy.url}/sessions", timeout=10)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert http.get(f"{livy.url}/sessions", timeout=10).status_code == 200


def test_faults_need_auth_and_are_not_consumed_by_strangers(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer")
    spec = {"status_5xx": {"count": 1}}
    assert requests.post(f"{livy.url}/_emrlab/faults", json=spec, timeout=10).status_code == 401
    http = bearer_http(livy)
    http.post(f"{livy.url}/_emrlab/faults", json=spec, timeout=10)
    assert requests.get(f"{livy.url}/sessions", timeout=10).status_code == 401
    assert http.get(f"{livy.url}/sessions", timeout=10).status_code == 503
    assert http.post(f"{livy.url}/_emrlab/faults", json={"bogus": 1}, timeout=10).status_code == 400


def test_dropped_connection_then_clear(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer")
    http = bearer_http(livy)
    http.post(f"{livy.url}/_emrlab/faults", json={"drop": {"count": 5, "paths": "/sessions"}}, timeout=10)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{livy.url}/sessions", headers=dict(http.headers), timeout=10)
    assert http.delete(f"{livy.url}/_emrlab/faults", timeout=10).json() == {"msg": "cleared"}
    assert requests.get(f"{livy.url}/sessions", headers=dict(http.headers), timeout=10).status_code == 200
