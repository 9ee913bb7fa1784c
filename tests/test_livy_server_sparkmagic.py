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

    from emrlab.magics.sparkmagic_auth import LocalLivyAuthenticator

    handle = livy_pyspark_session
    monkeypatch.delenv("EMRLAB_LIVY_TOKEN", raising=False)  # the token comes from the connection file
    auth = LocalLivyAuthenticator(connection_file=str(handle.livy.connection_file))
    endpoint = Endpoint(handle.url, auth)
    client = LivyReliableHttpClient.from_endpoint(endpoint)
    session = LivySession(client, {"kind": "pyspark"}, Display(), session_id=handle.id)
    ok, output, mimetype = Command("print(6 * 7)").execute(session)
    assert (ok, output, mimetype) == (True, "42", "text/plain")
    ok, output, _ = Command("spark.range(5).count()").execute(session)
    assert ok and output == "5"
    ok, output, _ = Command("raise ValueError('sparkmagic sees this')").execute(session)
    assert not ok and "sparkmagic sees this" in output
    assert session.status == "idle"


def test_local_authenticator_without_a_token_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emrlab.magics.errors import ConfigurationError
    from emrlab.magics.sparkmagic_auth import LocalLivyAuthenticator

    monkeypatch.delenv("EMRLAB_LIVY_TOKEN", raising=False)
    auth = LocalLivyAuthenticator(connection_file=str(tmp_path / "missing.json"))
    request = requests.Request("GET", "http://127.0.0.1:1/sessions").prepare()
    with pytest.raises(ConfigurationError, match="EMRLAB_LIVY_TOKEN"):
        auth(request)
    monkeypatch.setenv("EMRLAB_LIVY_TOKEN", "from-env")
    assert auth(request).headers["Authorization"] == "Bearer from-env"
