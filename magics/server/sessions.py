"""Interactive sessions and their statements: Livy's state machines on top of one REPL child per session."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from pathlib import Path
from typing import Any

from emrlab.magics.server.errors import BadRequestError, NotFoundError
from emrlab.magics.server.faults import Faults
from emrlab.magics.server.repl import Repl, ReplDiedError

SESSION_KINDS = {"pyspark": "pyspark", "python": "pyspark", "sql": "sql", "spark": "spark", "scala": "spark"}
UNSUPPORTED_KINDS = {
    "sparkr": "kind 'sparkr' (R) is not supported by the local endpoint: use pyspark, sql or spark (Scala) "
    "here, or an EMR cluster for R",
}
FIELD_CONF = {
    "driverMemory": "spark.driver.memory",
    "driverCores": "spark.driver.cores",
    "executorMemory": "spark.executor.memory",
    "executorCores": "spark.executor.cores",
    "numExecutors": "spark.executor.instances",
    "queue": "spark.yarn.queue",
}
LIST_CONF = {"jars": "spark.jars", "pyFiles": "spark.submit.pyFiles", "files": "spark.files"}
LIST_CONF["archives"] = "spark.archives"
MAX_RESULT_KEY = "spark.livy.sql.max-result"
DONE = ("available", "error", "cancelled")


def now_ms() -> int:
    """Epoch milliseconds, as Livy reports started/completed."""
    return int(time.time() * 1000)


def parse_duration(value: Any) -> float | None:
    """Livy's ttl/timeout strings ("90s", "30m", "2h", "1d" or plain seconds) -> seconds."""
    if value in (None, ""):
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*", str(value))
    if not match:
        raise BadRequestError(f"cannot read the duration {value!r}: use e.g. '90s', '30m' or '2h'")
    scale = {None: 1, "ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}[match.group(2)]
    return float(match.group(1)) * scale


def spark_conf(body: dict[str, Any]) -> dict[str, str]:
    """The SparkSession builder conf of a POST /sessions body (Livy's fields and `conf`)."""
    conf = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
    raw = body.get("conf") or {}
    if not isinstance(raw, dict):
        raise BadRequestError("'conf' must be a JSON object of Spark properties")
    conf.update({str(k): str(v) for k, v in raw.items() if str(k).startswith("spark.")})
    for field, key in FIELD_CONF.items():
        if body.get(field) not in (None, ""):
            conf[key] = str(body[field])
    for field, key in LIST_CONF.items():
        values = body.get(field)
        if values:
            if not isinstance(values, list):
                raise BadRequestError(f"'{field}' must be a list of paths")
            conf[key] = ",".join(str(v) for v in values)
    if body.get("name"):
        conf["spark.app.name"] = str(body["name"])
    conf.setdefault("spark.app.name", "livy-session")
    return conf


class Statement:
    """One statement: waiting -> running -> available | error, or cancelling -> cancelled."""

    def __init__(self, sid: int, code: str, kind: str) -> None:
        self.id, self.code, self.kind = sid, code, kind
        self.state = "waiting"
        self.output: dict[str, Any] | None = None
        self.progress = 0.0
        self.started = 0
        self.completed = 0
        self.cancel_requested = False
        self.done = asyncio.Event()

    def to_json(self) -> dict[str, Any]:
        """Livy's statement object."""
        return {
            "id": self.id,
            "code": self.code,
            "state": self.state,
            "output": self.output,
            "progress": self.progress,
            "started": self.started,
            "completed": self.completed,
        }

    def finish(self, state: str, output: dict[str, Any] | None) -> None:
        """Move to a final state."""
        self.state, self.output = state, output
        if state == "available":
            self.progress = 1.0
        self.completed = now_ms()
        self.done.set()


class Session:
    """One interactive session and its statements."""

    def __init__(self, sid: int, body: dict[str, Any], log_path: Path, default_max_result: int) -> None:
        kind = str(body.get("kind") or "pyspark").lower()
        if kind in UNSUPPORTED_KINDS:
            raise BadRequestError(UNSUPPORTED_KINDS[kind])
        if kind not in SESSION_KINDS:
            raise BadRequestError(f"unknown session kind {kind!r}: use 'pyspark', 'sql' or 'spark' (Scala)")
        self.id = sid
        self.kind = SESSION_KINDS[kind]
        self.name: str | None = body.get("name")
        self.proxy_user: str | None = body.get("proxyUser")
        self.conf = spark_conf(body)
        raw_conf = body.get("conf") or {}
        self.max_result = int(raw_conf.get(MAX_RESULT_KEY, default_max_result))
        self.heartbeat_timeout = parse_duration(body.get("heartbeatTimeoutInSecond"))
        self.ttl = parse_duration(body.get("ttl") or body.get("idleTimeout"))
        self.state = "not_started"
        self.app_id: str | None = None
        self.spark_ui_url: str | None = None
        self.log_path = log_path
        self.statements: list[Statement] = []
        self.queue: asyncio.Queue[Statement] = asyncio.Queue()
        self.repl: Repl | None = None
        self.created = time.monotonic()
        self.last_activity = self.last_heartbeat = self.created
        self.tasks: list[asyncio.Task[None]] = []
        self.executed = 0

    def log_lines(self) -> list[str]:
        """The session log (the REPL's stdout and stderr, and the server's notes)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def note(self, line: str) -> None:
        """Append a server line to the session log."""
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"[emrlab livy] {line}\n")

    def to_json(self) -> dict[str, Any]:
        """Livy's session object."""
        return {
            "id": self.id,
            "name": self.name,
            "appId": self.app_id,
            "owner": None,
            "proxyUser": self.proxy_user,
            "state": self.state,
            "kind": self.kind,
            "appInfo": {"driverLogUrl": None, "sparkUiUrl": self.spark_ui_url},
            "log": self.log_lines()[-10:],
        }

    def statement(self, sid: int) -> Statement:
        """Statement sid, or 404."""
        if 0 <= sid < len(self.statements):
            return self.statements[sid]
        raise NotFoundError(f"Statement '{sid}' not found in session '{self.id}'.")


class SessionManager:
    """All sessions of the server: create, run statements, cancel, expire, delete, shut down."""

    def __init__(self, workdir: Path, faults: Faults, *, max_result: int, idle_timeout: float | None) -> None:
        self.workdir = workdir
        self.faults = faults
        self.max_result = max_result
        self.idle_timeout = idle_timeout
        self.sessions: dict[int, Session] = {}
        self._ids = itertools.count()

    def create(self, body: dict[str, Any]) -> Session:
        """Register a session and start its REPL in the background (state starting, then idle)."""
        name = body.get("name")
        if name and any(s.name == name for s in self.sessions.values()):
            raise BadRequestError(f"Duplicate session name: {name!r} is taken; use another name")
        sid = next(self._ids)
        session = Session(sid, body, self.workdir / f"session-{sid}.log", self.max_result)
        self.sessions[sid] = session
        session.state = "starting"
        session.tasks.append(asyncio.ensure_future(self._start(session)))
        return session

    def get(self, sid: int) -> Session:
        """Session sid, or 404 like Livy."""
        session = self.sessions.get(sid)
        if session is None:
            raise NotFoundError(f"Session '{sid}' not found.")
        return session

    async def _start(self, session: Session) -> None:
        delay = self.faults.slow_start
        session.note(f"starting the PySpark REPL (conf: {sorted(session.conf)})")
        repl = Repl(
            session.log_path,
            on_progress=lambda sid, p: self._progress(session, sid, p),
            on_exit=lambda code: self._repl_exited(session, code),
        )
        session.repl = repl
        try:
            starting = repl.start(session.conf, session.max_result, scala=session.kind == "spark")
            ready, _ = await asyncio.gather(starting, asyncio.sleep(delay))
        except ReplDiedError as exc:
            session.note(str(exc))
            if session.state == "starting":
                session.state = "error"
            return
        if session.state != "starting":
            return
        session.app_id = ready.get("app_id")
        session.spark_ui_url = ready.get("spark_ui_url")
        session.state = "idle"
        session.note("session is idle")
        session.tasks.append(asyncio.ensure_future(self._run_statements(session, repl)))

    def _progress(self, session: Session, sid: int, progress: float) -> None:
        if 0 <= sid < len(session.statements) and session.statements[sid].state in ("running", "cancelling"):
            session.statements[sid].progress = min(progress, 0.99)

    def _repl_exited(self, session: Session, code: int | None) -> None:
        if session.state not in ("shutting_down", "killed", "error"):
            session.state = "dead"
            session.note(f"the REPL exited (code {code}): the session is dead; create a new session")
        for statement in session.statements:
            if statement.state not in DONE:
                evalue = "the session's REPL exited before the statement finished; create a new session"
                statement.finish(
                    "error",
                    {
                        "status": "error",
                        "ename": "SessionDead",
                        "evalue": evalue,
                        "traceback": [],
                        "execution_count": statement.id,
                    },
                )

    def submit(self, session: Session, code: str, kind: str | None) -> Statement:
        """Queue a statement (201); 400 when the session cannot take statements."""
        if session.state in ("dead", "error", "killed", "shutting_down", "success"):
            raise BadRequestError(f"Session '{session.id}' is {session.state}: create a new session.")
        chosen = str(kind or session.kind).lower()
        if chosen in UNSUPPORTED_KINDS:
            raise BadRequestError(UNSUPPORTED_KINDS[chosen])
        if chosen not in SESSION_KINDS:
            raise BadRequestError(f"unknown statement kind {chosen!r}: use 'pyspark', 'sql' or 'spark'")
        statement = Statement(len(session.statements), code, SESSION_KINDS[chosen])
        session.statements.append(statement)
        session.queue.put_nowait(statement)
        return statement

    async def _run_statements(self, session: Session, repl: Repl) -> None:
        while True:
            statement = await session.queue.get()
            if statement.state != "waiting":
                continue
            statement.state = "running"
            statement.started = now_ms()
            session.state = "busy"
            try:
                output = await repl.execute(statement.id, statement.code, statement.kind)
            except ReplDiedError:
                return
            if statement.cancel_requested and output.get("status") == "error":
                statement.finish("cancelled", None)
            else:
                statement.finish("available", output)
            session.executed += 1
            session.last_activity = time.monotonic()
            if session.state == "busy":
                session.state = "idle" if session.queue.empty() else "busy"
            if self.faults.should_kill(session.id, session.executed):
                session.note("fault injection: killing the REPL")
                repl.kill()
                return

    def cancel(self, session: Session, sid: int) -> None:
        """Cancel a waiting (at once) or running (job group + interrupt) statement."""
        statement = session.statement(sid)
        if statement.state == "waiting":
            statement.cancel_requested = True
            statement.finish("cancelled", None)
        elif statement.state == "running":
            statement.cancel_requested = True
            statement.state = "cancelling"
            if session.repl is not None:
                session.repl.cancel(sid)

    def delete(self, sid: int, *, reason: str = "deleted") -> None:
        """Kill the session's REPL and forget the session (later requests get 404)."""
        session = self.get(sid)
        session.state = "shutting_down"
        session.note(f"session {reason}")
        for task in session.tasks:
            task.cancel()
        if session.repl is not None:
            session.repl.kill()
        session.state = "killed"
        del self.sessions[sid]

    def expire_idle(self) -> None:
        """Delete sessions past their idle timeout, ttl or heartbeat timeout (called every second)."""
        now = time.monotonic()
        for session in list(self.sessions.values()):
            limits = [
                (self.idle_timeout, session.last_activity),
                (session.ttl, session.last_activity),
                (session.heartbeat_timeout, session.last_heartbeat),
            ]
            if session.state in ("busy", "starting", "not_started"):
                continue
            if any(limit and now - since > limit for limit, since in limits):
                self.delete(session.id, reason="expired (idle timeout)")

    def repls(self) -> list[Repl]:
        """The REPLs of all sessions (for shutdown)."""
        return [s.repl for s in self.sessions.values() if s.repl is not None]
