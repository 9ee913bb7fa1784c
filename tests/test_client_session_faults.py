"""Session lifecycle through LivyClient on an endpoint of our own with faults: slow start, death, expiry.

One PySpark session (one JVM) goes through: slow start (bounded wait times out, then succeeds with state
callbacks), statements, being killed (dead), then being expired (404 -> SessionNotFound).
"""

from __future__ import annotations

import threading
import time

import pytest
from livy_fixtures import LivyFactory

from emrlab.magics.auth import BearerAuth
from emrlab.magics.errors import LivyHTTPError, SessionNotFound, StatementError, WaitTimeout
from emrlab.magics.http import HttpClient
from emrlab.magics.livy import LivyClient, SessionSpec

pytestmark = [pytest.mark.slow]


@pytest.mark.timeout(400)
def test_session_start_death_and_expiry(livy_factory: LivyFactory) -> None:
    livy = livy_factory("bearer")
    http = HttpClient(livy.url, BearerAuth(livy.token or ""))
    client = LivyClient(http)
    http.post("/_emrlab/faults", {"slow_start": 3})
    info = client.create_session(
        SessionSpec(kind="pyspark", name="faulty", conf={"spark.ui.enabled": "false"})
    )
    try:
        assert info.name == "faulty" and info.state in ("starting", "not_started")
        with pytest.raises(WaitTimeout) as early:
            client.wait_for_session(info.id, timeout=1.0)
        assert early.value.last_state == "starting"
        states: list[str] = []
        ready = client.wait_for_session(info.id, timeout=300, on_state=states.append)
        assert ready.state == "idle" and states[-1] == "idle"
        assert [s.id for s in client.list_sessions()] == [info.id]
        assert client.run(info.id, "21 * 2").text == "42"
        assert len(client.session_log(info.id, from_=None, size=20)) > 0

        http.post("/_emrlab/faults", {"kill_session_after": {"session": info.id, "statements": 1}})
        assert client.run(info.id, "'last words'").text == "'last words'"  # that one answers normally
        # The REPL is killed right after that answer: a statement posted meanwhile fails on Spark's side
        # (the REPL exited), one posted after the session turned dead is refused with 400.
        with pytest.raises((LivyHTTPError, StatementError)) as dead:
            client.run(info.id, "1")
        if isinstance(dead.value, LivyHTTPError):
            assert dead.value.status == 400
        else:
            assert dead.value.ename == "SessionDead"
        deadline = time.monotonic() + 30
        while client.get_session(info.id).state != "dead" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get_session(info.id).state == "dead"
        with pytest.raises(LivyHTTPError) as refused:
            client.submit(info.id, "1")
        assert refused.value.status == 400

        http.post("/_emrlab/faults", {"expire_session": info.id})
        with pytest.raises(SessionNotFound) as gone:
            client.run(info.id, "1")
        assert gone.value.session_id == info.id and gone.value.statement_submitted is False
        with pytest.raises(SessionNotFound):
            client.get_session(info.id)
        client.delete_session(info.id, missing_ok=True)
        with pytest.raises(SessionNotFound):
            client.delete_session(info.id)
    finally:
        client.delete_session(info.id, missing_ok=True)
        http.close()


@pytest.mark.timeout(400)
def test_session_expiring_during_a_statement(livy_factory: LivyFactory) -> None:
    """Expiry while a statement runs: SessionNotFound says the statement was submitted (no blind re-run)."""
    livy = livy_factory("bearer")
    http = HttpClient(livy.url, BearerAuth(livy.token or ""))
    client = LivyClient(http)
    info = client.create_session(SessionSpec(kind="pyspark", name="expiring"))
    try:
        client.wait_for_session(info.id, timeout=300)
        admin = HttpClient(livy.url, BearerAuth(livy.token or ""))  # its own connection, for the timer thread
        timer = threading.Timer(1.0, lambda: admin.post("/_emrlab/faults", {"expire_session": info.id}))
        timer.start()
        started = time.monotonic()
        with pytest.raises(SessionNotFound) as gone:
            client.run(info.id, "import time\nfor _ in range(600): time.sleep(0.1)", timeout=120)
        timer.join(10)
        assert gone.value.statement_submitted is True and gone.value.session_id == info.id
        assert time.monotonic() - started < 30
    finally:
        client.delete_session(info.id, missing_ok=True)
        http.close()
