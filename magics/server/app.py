"""Routes and handlers of the local Livy-compatible endpoint (tornado, JSON in and out)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from tornado.web import Application, RequestHandler

from emrlab.magics.server.auth import EXECUTION_ROLE_KEY, Authenticator
from emrlab.magics.server.batches import BatchManager
from emrlab.magics.server.errors import BadRequestError, HttpError, NotFoundError
from emrlab.magics.server.faults import Faults
from emrlab.magics.server.sessions import SessionManager

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LIVY_VERSION = "0.8.0-incubating"


@dataclass
class ServerState:
    """What every handler shares."""

    auth: Authenticator
    csrf: bool
    faults: Faults
    sessions: SessionManager
    batches: BatchManager


class BaseHandler(RequestHandler):
    """Auth, CSRF and fault injection before every handler; errors as {"msg": ...}."""

    state: ServerState

    def initialize(self, state: ServerState) -> None:
        """Receive the shared state."""
        self.state = state

    def set_default_headers(self) -> None:
        """Livy answers JSON."""
        self.set_header("Content-Type", "application/json")

    def prepare(self) -> None:
        """Authenticate, check CSRF, then apply an injected fault if one matches."""
        method = self.request.method or "GET"
        self.state.auth.check(self.request)
        if self.state.csrf and method not in SAFE_METHODS and not self.request.headers.get("X-Requested-By"):
            raise BadRequestError("Missing Required Header for CSRF protection.")
        action = self.state.faults.take(method, self.request.path)
        if action is None:
            return
        if action.kind == "drop":
            self.detach().close()
            return
        headers = {"Retry-After": f"{action.retry_after:g}"} if action.retry_after is not None else {}
        raise HttpError(
            f"fault injected by emrlab: HTTP {action.status}; retry later", action.status, headers
        )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """{"msg": ...} for every error."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, HttpError):
            for name, value in exc.headers.items():
                self.set_header(name, value)
            msg = exc.msg
        else:
            msg = self._reason
        self.finish(json.dumps({"msg": msg}))

    def reply(self, value: Any, status: int = 200, location: str | None = None) -> None:
        """Write a JSON answer."""
        self.set_status(status)
        if location is not None:
            self.set_header("Location", location)
        self.finish(json.dumps(value))

    def body(self) -> dict[str, Any]:
        """The JSON object of the request body ({} when empty)."""
        if not self.request.body:
            return {}
        try:
            value = json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError):
            raise BadRequestError("the request body is not JSON: send a JSON object") from None
        if not isinstance(value, dict):
            raise BadRequestError("the request body must be a JSON object")
        return value

    def int_arg(self, name: str, default: int | None) -> int | None:
        """An integer query argument."""
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise BadRequestError(f"query argument {name!r} must be an integer") from None


def _page(items: list[dict[str, Any]], start: int | None, size: int | None) -> dict[str, Any]:
    start = start or 0
    chosen = items[start:] if size is None else items[start : start + size]
    return {"from": start, "total": len(items), "sessions": chosen}


def _log(lines: list[str], start: int | None, size: int | None) -> tuple[int, list[str]]:
    """Livy's log paging: size 100 by default, the last `size` lines when from is not given."""
    size = 100 if size is None or size < 0 else size
    first = max(0, len(lines) - size) if start is None or start < 0 else start
    return first, lines[first : first + size]


class SessionsHandler(BaseHandler):
    """GET /sessions, POST /sessions."""

    def get(self) -> None:
        """List sessions."""
        items = [s.to_json() for s in self.state.sessions.sessions.values()]
        self.reply(_page(items, self.int_arg("from", 0), self.int_arg("size", None)))

    def post(self) -> None:
        """Create a session (201 + Location)."""
        body = self.body()
        conf = body.get("conf") or {}
        if self.state.auth.requires_execution_role and not (
            isinstance(conf, dict) and conf.get(EXECUTION_ROLE_KEY)
        ):
            raise BadRequestError(
                f"The session conf must carry {EXECUTION_ROLE_KEY!r} (the IAM role the session runs as), "
                "as EMR Serverless requires."
            )
        session = self.state.sessions.create(body)
        self.reply(session.to_json(), 201, f"/sessions/{session.id}")


class SessionHandler(BaseHandler):
    """GET/DELETE /sessions/{id}."""

    def get(self, sid: str) -> None:
        """The session (refreshes its heartbeat)."""
        session = self.state.sessions.get(int(sid))
        session.last_heartbeat = time.monotonic()
        self.reply(session.to_json())

    def delete(self, sid: str) -> None:
        """Kill and forget the session."""
        self.state.sessions.delete(int(sid))
        self.reply({"msg": "deleted"})


class SessionStateHandler(BaseHandler):
    """GET /sessions/{id}/state."""

    def get(self, sid: str) -> None:
        """{id, state}."""
        session = self.state.sessions.get(int(sid))
        self.reply({"id": session.id, "state": session.state})


class SessionLogHandler(BaseHandler):
    """GET /sessions/{id}/log?from&size."""

    def get(self, sid: str) -> None:
        """{id, from, total, log}."""
        session = self.state.sessions.get(int(sid))
        lines = session.log_lines()
        first, chosen = _log(lines, self.int_arg("from", None), self.int_arg("size", None))
        self.reply({"id": session.id, "from": first, "total": len(lines), "log": chosen})


class StatementsHandler(BaseHandler):
    """GET/POST /sessions/{id}/statements."""

    def get(self, sid: str) -> None:
        """{total_statements, statements}."""
        session = self.state.sessions.get(int(sid))
        items = [s.to_json() for s in session.statements]
        start = self.int_arg("from", 0) or 0
        size = self.int_arg("size", None)
        chosen = items[start:] if size is None else items[start : start + size]
        self.reply({"total_statements": len(items), "statements": chosen})

    def post(self, sid: str) -> None:
        """Queue a statement (201 + Location)."""
        session = self.state.sessions.get(int(sid))
        body = self.body()
        code = body.get("code")
        if not isinstance(code, str):
            raise BadRequestError("a statement needs 'code' (a string)")
        session.last_activity = time.monotonic()
        statement = self.state.sessions.submit(session, code, body.get("kind"))
        self.reply(statement.to_json(), 201, f"/sessions/{session.id}/statements/{statement.id}")


class StatementHandler(BaseHandler):
    """GET /sessions/{id}/statements/{sid}."""

    def get(self, sid: str, stid: str) -> None:
        """The statement."""
        self.reply(self.state.sessions.get(int(sid)).statement(int(stid)).to_json())


class CancelHandler(BaseHandler):
    """POST /sessions/{id}/statements/{sid}/cancel."""

    def post(self, sid: str, stid: str) -> None:
        """Cancel; {"msg": "canceled"}."""
        session = self.state.sessions.get(int(sid))
        self.state.sessions.cancel(session, int(stid))
        self.reply({"msg": "canceled"})


class BatchesHandler(BaseHandler):
    """GET/POST /batches."""

    def get(self) -> None:
        """List batches."""
        items = [b.to_json() for b in self.state.batches.batches.values()]
        self.reply(_page(items, self.int_arg("from", 0), self.int_arg("size", None)))

    def post(self) -> None:
        """Start a batch (201 + Location)."""
        batch = self.state.batches.create(self.body())
        self.reply(batch.to_json(), 201, f"/batches/{batch.id}")


class BatchHandler(BaseHandler):
    """GET/DELETE /batches/{id}."""

    def get(self, bid: str) -> None:
        """The batch."""
        self.reply(self.state.batches.get(int(bid)).to_json())

    def delete(self, bid: str) -> None:
        """Kill and forget the batch."""
        self.state.batches.delete(int(bid))
        self.reply({"msg": "deleted"})


class BatchStateHandler(BaseHandler):
    """GET /batches/{id}/state."""

    def get(self, bid: str) -> None:
        """{id, state}."""
        batch = self.state.batches.get(int(bid))
        self.reply({"id": batch.id, "state": batch.state})


class BatchLogHandler(BaseHandler):
    """GET /batches/{id}/log?from&size."""

    def get(self, bid: str) -> None:
        """{id, from, total, log}."""
        batch = self.state.batches.get(int(bid))
        lines = batch.log_lines()
        first, chosen = _log(lines, self.int_arg("from", None), self.int_arg("size", None))
        self.reply({"id": batch.id, "from": first, "total": len(lines), "log": chosen})


class FaultsHandler(BaseHandler):
    """GET/POST/DELETE /_emrlab/faults (test-only fault injection)."""

    def get(self) -> None:
        """The remaining faults."""
        self.reply(self.state.faults.to_json())

    def post(self) -> None:
        """Add faults; `expire_session` deletes the session at once."""
        try:
            expired = self.state.faults.configure(self.body())
        except (ValueError, KeyError, TypeError) as exc:
            raise BadRequestError(f"bad fault spec: {exc}") from None
        for sid in expired:
            if sid in self.state.sessions.sessions:
                self.state.sessions.delete(sid, reason="expired (fault injection)")
        self.reply(self.state.faults.to_json())

    def delete(self) -> None:
        """Clear all faults."""
        self.state.faults.clear()
        self.reply({"msg": "cleared"})


class RootHandler(BaseHandler):
    """GET / : what this is."""

    def get(self) -> None:
        """A short description."""
        self.reply({"msg": "emrlab local Livy-compatible endpoint", "auth": self.state.auth.name})


class VersionHandler(BaseHandler):
    """GET /version, as Livy answers it (clients use it to pick the protocol generation)."""

    def get(self) -> None:
        """{version, ...}."""
        self.reply({"version": LIVY_VERSION, "gitCommit": "", "user": "emrlab", "revision": "", "branch": ""})


class NotFoundHandler(BaseHandler):
    """Any other path: 404 {"msg"} (after auth, so unauthenticated callers learn nothing)."""

    def prepare(self) -> None:
        """Authenticate, then 404."""
        super().prepare()
        raise NotFoundError(f"no such resource {self.request.path!r}; see the Livy REST API")


def make_app(state: ServerState) -> Application:
    """The tornado Application."""
    s = r"/sessions/(\d+)"
    b = r"/batches/(\d+)"
    routes: list[Any] = [
        (r"/", RootHandler),
        (r"/version", VersionHandler),
        (r"/sessions/?", SessionsHandler),
        (s, SessionHandler),
        (s + "/state", SessionStateHandler),
        (s + "/log", SessionLogHandler),
        (s + "/statements/?", StatementsHandler),
        (s + r"/statements/(\d+)", StatementHandler),
        (s + r"/statements/(\d+)/cancel", CancelHandler),
        (r"/batches/?", BatchesHandler),
        (b, BatchHandler),
        (b + "/state", BatchStateHandler),
        (b + "/log", BatchLogHandler),
        (r"/_emrlab/faults", FaultsHandler),
    ]
    handlers = [(pattern, handler, {"state": state}) for pattern, handler in routes]
    return Application(
        handlers,
        default_handler_class=NotFoundHandler,
        default_handler_args={"state": state},
        compress_response=False,
    )
