"""sparkmagic 0.23's own Livy client (LivySession + Command, as its PySpark kernel uses them) against the
local endpoint, attached to the shared PySpark session: an independent judge of our REST answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from livy_fixtures import LivySessionHandle

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

QUIET_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,  # sparkmagic's default switches off every other logger
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"magicsLogger": {"handlers": ["null"], "level": "DEBUG", "propagate": 0}},
}


class Bearer(requests.auth.AuthBase):
    """Bearer token as a requests auth object (sparkmagic passes Endpoint.auth to requests)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class Display:
    """The few IpythonDisplay methods sparkmagic's client calls, recording what it shows."""

    def __init__(self) -> None:
        self.shown: list[Any] = []

    def display(self, value: Any) -> None:
        self.shown.append(value)

    def html(self, value: str) -> None:
        self.shown.append(value)

    def write(self, value: str) -> None:
        self.shown.append(value)

    writeln = send_error = stderr_flush = stdout_flush = write


def test_sparkmagic_client_runs_statements(
    livy_pyspark_session: LivySessionHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARKMAGIC_CONF_DIR", str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"logging_config": QUIET_LOGGING}))
    from sparkmagic.utils import configuration as conf

    conf.override_all({"logging_config": QUIET_LOGGING})
    from sparkmagic.livyclientlib.command import Command
    from sparkmagic.livyclientlib.endpoint import Endpoint
    from sparkmagic.livyclientlib.livyreliablehttpclient import LivyReliableHttpClient
    from sparkmagic.livyclientlib.livysession import LivySession

    handle = livy_pyspark_session
    assert handle.token is not None
    endpoint = Endpoint(handle.url, Bearer(handle.token))
    client = LivyReliableHttpClient.from_endpoint(endpoint)
    session = LivySession(client, {"kind": "pyspark"}, Display(), session_id=handle.id)
    ok, output, mimetype = Command("print(6 * 7)").execute(session)
    assert (ok, output, mimetype) == (True, "42", "text/plain")
    ok, output, _ = Command("spark.range(5).count()").execute(session)
    assert ok and output == "5"
    ok, output, _ = Command("raise ValueError('sparkmagic sees this')").execute(session)
    assert not ok and "sparkmagic sees this" in output
    assert session.status == "idle"
