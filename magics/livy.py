"""Livy REST client: sessions, statements (tight polling, cancel on Ctrl-C), batches.

Ctrl-C contract: `wait_statement` lets KeyboardInterrupt propagate untouched (the caller decides);
`run` catches it, cancels the statement (bounded by `cancel_timeout`) and raises StatementCancelled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from .errors import (
    EmrError,
    SessionFailed,
    SessionNotFound,
    StatementCancelled,
    StatementError,
    WaitTimeout,
)
from .http import HttpClient
from .livy_models import (
    BATCH_DONE_STATES,
    SESSION_FAILED_STATES,
    STATEMENT_DONE_STATES,
    BatchInfo,
    BatchSpec,
    SessionInfo,
    SessionSpec,
    StatementResult,
)

__all__ = ["BatchInfo", "BatchSpec", "LivyClient", "SessionInfo", "SessionSpec", "StatementResult"]

log = logging.getLogger(__name__)

FIRST_POLL = 0.0002  # a trivial statement is often done within a millisecond of the first GET
MAX_POLL = 0.5
GENTLE_UNTIL = 0.05  # below this the poll delay grows x1.4 (a statement of a few ms is seen soon), then x2
SESSION_CHECK_EVERY = 15.0  # seconds between session GETs during a long statement (heartbeat + death check)


def next_poll_delay(delay: float) -> float:
    """The statement poll's next delay: FIRST_POLL after the immediate first GET (delay 0), then x1.4 below
    GENTLE_UNTIL, x2 above, never over MAX_POLL."""
    if delay <= 0:
        return FIRST_POLL
    return min(delay * (1.4 if delay < GENTLE_UNTIL else 2.0), MAX_POLL)


class LivyClient:
    """Typed calls of the Livy REST API over an HttpClient.

    `sleep` and `clock` are injectable for tests (defaults: time.sleep, time.monotonic).
    """

    def __init__(
        self,
        http: HttpClient,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = http
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"LivyClient({self.http.base_url!r})"

    # ---- sessions -----------------------------------------------------------------------------------
    def list_sessions(self) -> list[SessionInfo]:
        """All sessions the endpoint shows this caller (pages through `from`/`size`)."""
        sessions: list[SessionInfo] = []
        start = 0
        while True:
            page = self.http.get("/sessions", params={"from": start, "size": 100})
            items = page.get("sessions") or []
            sessions.extend(SessionInfo.from_json(item) for item in items)
            start += len(items)
            if not items or start >= int(page.get("total", start)):
                return sessions

    def create_session(self, spec: SessionSpec) -> SessionInfo:
        """POST /sessions; returns at once (the session is usually `starting`)."""
        return SessionInfo.from_json(self.http.post("/sessions", spec.to_json()))

    def get_session(self, session_id: int) -> SessionInfo:
        """GET /sessions/{id} (this also refreshes the session's heartbeat)."""
        return SessionInfo.from_json(self.http.get(f"/sessions/{int(session_id)}"))

    def session_state(self, session_id: int) -> str:
        """GET /sessions/{id}/state."""
        return str(self.http.get(f"/sessions/{int(session_id)}/state").get("state", "unknown"))

    def wait_for_session(
        self,
        session_id: int,
        *,
        timeout: float = 600.0,
        on_state: Callable[[str], None] | None = None,
    ) -> SessionInfo:
        """Poll until the session is idle; SessionFailed if it ends instead, WaitTimeout after `timeout` s."""
        deadline = self._clock() + timeout
        delay = 0.05
        last: str | None = None
        while True:
            info = self.get_session(session_id)
            if info.state != last:
                last = info.state
                if on_state is not None:
                    on_state(info.state)
            if info.state == "idle":
                return info
            if info.state in SESSION_FAILED_STATES:
                tail = self._log_tail(session_id, info)
                shown = "\n  ".join(tail[-10:])
                raise SessionFailed(
                    f"Livy session {session_id} is {info.state} instead of idle. "
                    f"Its log ends with:\n  {shown}\n"
                    "Fix the session settings (memory, packages, conf) and create it again",
                    state=info.state,
                    log=tail,
                )
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise WaitTimeout(f"Livy session {session_id} to become idle", timeout, last_state=info.state)
            self._sleep(min(delay, remaining))
            delay = min(delay * 2, 1.0)

    def delete_session(self, session_id: int, *, missing_ok: bool = False) -> None:
        """DELETE /sessions/{id}; with missing_ok, a session already gone is not an error."""
        try:
            self.http.delete(f"/sessions/{int(session_id)}")
        except SessionNotFound:
            if not missing_ok:
                raise

    def session_log(self, session_id: int, from_: int | None = 0, size: int = 100) -> list[str]:
        """GET /sessions/{id}/log (from_=None: the server's default, usually the last `size` lines)."""
        params: dict[str, Any] = {"size": size}
        if from_ is not None:
            params["from"] = from_
        data = self.http.get(f"/sessions/{int(session_id)}/log", params=params)
        return [str(line) for line in data.get("log") or []]

    def _log_tail(self, session_id: int, info: SessionInfo) -> list[str]:
        try:
            return self.session_log(session_id, from_=None, size=50) or info.log
        except EmrError:  # EMR Serverless has no /log: the session's own log lines are all there is
            return info.log

    # ---- statements ---------------------------------------------------------------------------------
    def submit(self, session_id: int, code: str, kind: str | None = None) -> int:
        """POST a statement; returns its id. Not retried once the request may have reached the server."""
        body: dict[str, Any] = {"code": code}
        if kind:
            body["kind"] = kind
        return int(self.http.post(f"/sessions/{int(session_id)}/statements", body)["id"])

    def statement(self, session_id: int, statement_id: int) -> StatementResult:
        """GET one statement as it is now."""
        return StatementResult.from_json(
            self.http.get(f"/sessions/{int(session_id)}/statements/{int(statement_id)}")
        )

    def wait_statement(
        self,
        session_id: int,
        statement_id: int,
        *,
        timeout: float | None = None,
        on_progress: Callable[[float], None] | None = None,
    ) -> StatementResult:
        """Poll until the statement is available/error/cancelled and return it (does not raise on error).

        Tight poll (`next_poll_delay`): the first GET at once (a trivial statement is often done by then),
        the next after 0.2 ms, growing x1.4 up to 50 ms, then doubling up to 0.5 s. No session GET before or
        per poll; only every 15 s of a long wait (heartbeat, and a SessionFailed if the session died).
        KeyboardInterrupt propagates: cancel with `cancel()` (or use `run`, which does). WaitTimeout after
        `timeout` seconds (None: no bound).
        """
        start = self._clock()
        next_session_check = start + SESSION_CHECK_EVERY
        delay = 0.0
        last_progress: float | None = None
        while True:
            if delay > 0:
                self._sleep(delay)
            result = self.statement(session_id, statement_id)
            if on_progress is not None and result.progress != last_progress:
                last_progress = result.progress
                on_progress(result.progress)
            if result.state in STATEMENT_DONE_STATES:
                return result
            now = self._clock()
            if timeout is not None and now - start >= timeout:
                raise WaitTimeout(
                    f"statement {statement_id} of session {session_id}", timeout, last_state=result.state
                )
            if now >= next_session_check:
                next_session_check = now + SESSION_CHECK_EVERY
                info = self.get_session(session_id)
                if info.state in SESSION_FAILED_STATES:
                    raise SessionFailed(
                        f"Livy session {session_id} became {info.state} while statement {statement_id} ran; "
                        "create a new session and run the cell again",
                        state=info.state,
                        log=info.log,
                    )
            delay = next_poll_delay(delay)
            if timeout is not None:
                delay = max(0.0, min(delay, start + timeout - now))

    def run(
        self,
        session_id: int,
        code: str,
        kind: str | None = None,
        timeout: float | None = None,
        on_progress: Callable[[float], None] | None = None,
        *,
        cancel_timeout: float = 30.0,
    ) -> StatementResult:
        """Submit and wait; raise StatementError when the code failed, StatementCancelled when cancelled.

        On KeyboardInterrupt while waiting: cancel the statement (waiting at most `cancel_timeout` s for Livy
        to confirm) and raise StatementCancelled (`.confirmed` False when it did not confirm in time).
        When `timeout` runs out the statement is cancelled too, then WaitTimeout is raised. A Ctrl-C during
        the submit itself propagates as KeyboardInterrupt (no statement id to cancel yet).
        A SessionNotFound carries `.statement_submitted` (False: the code never reached the session).
        """
        try:
            statement_id = self.submit(session_id, code, kind)
        except SessionNotFound as exc:
            exc.statement_submitted = False
            raise
        try:
            result = self.wait_statement(session_id, statement_id, timeout=timeout, on_progress=on_progress)
        except KeyboardInterrupt:
            raise self._cancel_after_interrupt(session_id, statement_id, cancel_timeout) from None
        except WaitTimeout:
            self._cancel_quietly(session_id, statement_id, cancel_timeout)
            raise
        except SessionNotFound as exc:
            exc.statement_submitted = True
            raise
        return check(result)

    def _cancel_after_interrupt(
        self, session_id: int, statement_id: int, timeout: float
    ) -> StatementCancelled:
        try:
            state = self.cancel(session_id, statement_id, timeout=timeout)
        except (EmrError, KeyboardInterrupt) as exc:
            why = "interrupted again" if isinstance(exc, KeyboardInterrupt) else str(exc)
            return StatementCancelled(
                f"statement {statement_id} interrupted; cancelling it was not confirmed ({why}). "
                f"Check it with %emr info before relying on the session",
                statement_id=statement_id,
                confirmed=False,
            )
        return StatementCancelled(
            f"statement {statement_id} interrupted and cancelled (Livy state: {state})",
            statement_id=statement_id,
        )

    def _cancel_quietly(self, session_id: int, statement_id: int, timeout: float) -> None:
        """Best-effort cancel before re-raising the original error (its failure is logged, not raised)."""
        try:
            self.cancel(session_id, statement_id, timeout=timeout)
        except EmrError as exc:
            log.warning("could not cancel statement %s of session %s: %s", statement_id, session_id, exc)

    def cancel(self, session_id: int, statement_id: int, *, timeout: float = 30.0) -> str:
        """POST .../cancel, then wait at most `timeout` s for cancelled/available/error; return that state."""
        self.http.post(
            f"/sessions/{int(session_id)}/statements/{int(statement_id)}/cancel", None, idempotent=True
        )
        deadline = self._clock() + timeout
        delay = 0.01
        while True:
            result = self.statement(session_id, statement_id)
            if result.state in STATEMENT_DONE_STATES:
                return result.state
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise WaitTimeout(
                    f"statement {statement_id} to be cancelled", timeout, last_state=result.state
                )
            self._sleep(min(delay, remaining))
            delay = min(delay * 2, MAX_POLL)

    # ---- batches ------------------------------------------------------------------------------------
    def create_batch(self, spec: BatchSpec) -> BatchInfo:
        """POST /batches."""
        return BatchInfo.from_json(self.http.post("/batches", spec.to_json()))

    def get_batch(self, batch_id: int) -> BatchInfo:
        """GET /batches/{id}."""
        return BatchInfo.from_json(self.http.get(f"/batches/{int(batch_id)}"))

    def batch_log(self, batch_id: int, from_: int | None = 0, size: int = 100) -> list[str]:
        """GET /batches/{id}/log."""
        params: dict[str, Any] = {"size": size}
        if from_ is not None:
            params["from"] = from_
        return [
            str(x) for x in self.http.get(f"/batches/{int(batch_id)}/log", params=params).get("log") or []
        ]

    def delete_batch(self, batch_id: int) -> None:
        """DELETE /batches/{id}."""
        self.http.delete(f"/batches/{int(batch_id)}")

    def wait_batch(
        self, batch_id: int, *, timeout: float = 3600.0, on_state: Callable[[str], None] | None = None
    ) -> BatchInfo:
        """Poll until the batch ends (success/dead/killed/error); WaitTimeout after `timeout` s."""
        deadline = self._clock() + timeout
        delay = 0.05
        last: str | None = None
        while True:
            info = self.get_batch(batch_id)
            if info.state != last:
                last = info.state
                if on_state is not None:
                    on_state(info.state)
            if info.state in BATCH_DONE_STATES:
                return info
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise WaitTimeout(f"batch {batch_id} to finish", timeout, last_state=info.state)
            self._sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)


def check(result: StatementResult) -> StatementResult:
    """Return `result` if it succeeded; raise StatementError / StatementCancelled otherwise."""
    if result.state == "cancelled":
        raise StatementCancelled(f"statement {result.id} was cancelled", statement_id=result.id)
    if not result.ok:
        raise StatementError(
            result.ename or "Error",
            result.evalue or f"statement {result.id} ended in state {result.state} without output",
            result.traceback,
        )
    return result
