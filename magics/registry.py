"""Named Livy sessions of one IPython shell: create, reuse, attach, re-create when they die, clean up.

Each name maps to one session on one endpoint. A session that expired or died (404, dead) is re-created
with a visible notice; the statement is re-run only if it never reached the old session. Sessions this
shell created are deleted at exit (atexit and `%unload_ext`), local endpoints it started are stopped.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emrlab.magics.connect import Endpoint
from emrlab.magics.errors import (
    ConfigurationError,
    EmrError,
    LivyHTTPError,
    SessionFailed,
    SessionNotFound,
    StatementError,
)
from emrlab.magics.heartbeat import Heartbeat
from emrlab.magics.http import HttpClient
from emrlab.magics.livy import LivyClient
from emrlab.magics.livy_models import SESSION_FAILED_STATES, SessionInfo, SessionSpec, StatementResult

Notice = Callable[[str], None]
_LIVE = frozenset({"not_started", "starting", "recovering", "idle", "running", "busy"})


class SessionLostError(EmrError):
    """The session died while a statement ran; a new one was created but the statement was not re-run."""


@dataclass
class Entry:
    """One named session: its endpoint, client, Livy id and whether this shell created it."""

    name: str
    endpoint: Endpoint
    client: LivyClient
    kind: str = "pyspark"
    server_name: str | None = None  # the Livy session name (set when the user chose --name)
    session_id: int | None = None
    created: bool = False
    runtime: bool = True
    start_timeout: float = 600.0
    info: SessionInfo | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _runtime_code() -> str:
    """A statement that writes emrlab's runtime zip on the driver and adds it with sc.addPyFile (once)."""
    from emrlab.aws.delivery import runtime_zip

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "emrlab-runtime.zip"
        runtime_zip(path)
        data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:12]
    payload = base64.b64encode(data).decode("ascii")
    return (
        "def _emrlab_install_runtime():\n"
        "    import base64, os, sys, tempfile\n"
        f"    name = 'emrlab-runtime-{digest}.zip'\n"
        "    if globals().get('_emrlab_runtime_zip') == name:\n"
        "        return\n"
        "    folder = tempfile.mkdtemp(prefix='emrlab-')\n"
        "    path = os.path.join(folder, name)\n"
        "    with open(path, 'wb') as out:\n"
        f"        out.write(base64.b64decode('{payload}'))\n"
        "    sc.addPyFile(path)\n"
        "    if path not in sys.path:\n"
        "        sys.path.insert(0, path)\n"
        "    globals()['_emrlab_runtime_zip'] = name\n"
        "_emrlab_install_runtime()\n"
        "del _emrlab_install_runtime\n"
    )


class Registry:
    """The named sessions of one shell; `current` is the name cells use by default."""

    def __init__(self, *, notice: Notice) -> None:
        self.notice = notice
        self.entries: dict[str, Entry] = {}
        self.current: str | None = None
        self.settings: dict[str, Any] = {}  # from %emr configure, applied on (re)creation
        self._runtime_code: str | None = None
        self._lock = threading.Lock()
        self._local_servers: list[Any] = []
        self._atexit_registered = False
        self.heartbeat = Heartbeat(self.client_for)

    # ---- lookup -------------------------------------------------------------------------------------
    def get(self, name: str | None = None) -> Entry:
        """The entry `name` (default: the current one); ConfigurationError says how to connect."""
        chosen = name or self.current
        if chosen is None:
            raise ConfigurationError(
                "not connected: run `%emr connect --local` (or --url/--cluster/--serverless)"
            )
        if chosen not in self.entries:
            known = ", ".join(sorted(self.entries)) or "none"
            raise ConfigurationError(
                f"no session named {chosen!r} (known: {known}): use `%emr connect ... --name {chosen}`"
            )
        return self.entries[chosen]

    @staticmethod
    def client_for(endpoint: Endpoint) -> LivyClient:
        """A LivyClient over a keep-alive HttpClient for `endpoint`."""
        return LivyClient(HttpClient(endpoint.url, endpoint.auth, verify=endpoint.verify))

    # ---- lifecycle ----------------------------------------------------------------------------------
    def connect(
        self,
        name: str,
        endpoint: Endpoint,
        *,
        explicit_name: bool,
        kind: str = "pyspark",
        runtime: bool = True,
        attach_id: int | None = None,
        start_timeout: float = 600.0,
        on_state: Callable[[str], None] | None = None,
    ) -> Entry:
        """Point `name` at a live session on `endpoint`: attach to `attach_id`, reuse this shell's or the
        endpoint's session of that name, or create one (and deliver emrlab.runtime)."""
        self.register_cleanup()
        if endpoint.local is not None and endpoint.local not in self._local_servers:
            self._local_servers.append(endpoint.local)
        old = self.entries.get(name)
        if (
            old is not None
            and old.endpoint.url == endpoint.url
            and attach_id is None
            and old.session_id is not None
        ):
            try:
                info = old.client.get_session(old.session_id)
            except SessionNotFound:
                info = None
            if info is not None and info.state in _LIVE:
                old.info = info
                self.current = name
                self.notice(f"reusing session {name!r} (Livy id {old.session_id}, {info.state})")
                return old
        if old is not None:
            self._forget(old, delete=old.endpoint.url != endpoint.url or attach_id is not None)
        entry = Entry(
            name=name,
            endpoint=endpoint,
            client=self.client_for(endpoint),
            kind=kind,
            server_name=name if explicit_name else None,
            runtime=runtime,
            start_timeout=start_timeout,
        )
        if attach_id is not None:
            self._attach(entry, attach_id)
        elif not self._reuse_by_name(entry):
            self.start(entry, on_state=on_state)
        self.entries[name] = entry
        self.current = name
        return entry

    def _attach(self, entry: Entry, session_id: int) -> None:
        info = entry.client.get_session(session_id)
        if info.state not in _LIVE:
            raise SessionFailed(
                f"session {session_id} is {info.state}: attach to a live one (see %emr sessions)",
                state=info.state,
            )
        entry.session_id, entry.info, entry.created = info.id, info, False
        entry.kind = info.kind or entry.kind
        self.notice(
            f"attached {entry.name!r} to Livy session {info.id} ({info.state}); it is not deleted at exit"
        )
        self._deliver_runtime(entry)

    def _reuse_by_name(self, entry: Entry) -> bool:
        if entry.server_name is None:
            return False
        for info in entry.client.list_sessions():
            if info.name == entry.server_name and info.state in _LIVE:
                entry.session_id, entry.info, entry.created = info.id, info, False
                self.notice(
                    f"reusing the endpoint's session named {entry.name!r} (Livy id {info.id}, {info.state})"
                )
                if info.state != "idle":
                    entry.info = entry.client.wait_for_session(info.id, timeout=entry.start_timeout)
                self._deliver_runtime(entry)
                return True
        return False

    def spec(self, entry: Entry) -> SessionSpec:
        """The SessionSpec to (re)create `entry`: %emr configure settings + the endpoint's required conf."""
        settings = dict(self.settings)
        conf = {**settings.pop("conf", {}), **entry.endpoint.conf}
        settings.setdefault("kind", entry.kind)
        if entry.server_name is not None:
            settings.setdefault("name", entry.server_name)
        return SessionSpec(conf=conf, **settings)

    def start(self, entry: Entry, *, on_state: Callable[[str], None] | None = None) -> None:
        """Create the session and wait until idle; a session that fails to start is deleted, not left over.
        With a heartbeat timeout, the session is kept alive by heartbeats while this shell lives."""
        spec = self.spec(entry)
        info = entry.client.create_session(spec)
        entry.session_id, entry.created, entry.info = info.id, True, info
        if spec.heartbeat_timeout:
            self.heartbeat.watch(entry.name, entry.endpoint, info.id, spec.heartbeat_timeout)
        where = entry.endpoint.label or entry.endpoint.url
        self.notice(f"starting session {entry.name!r} (Livy id {info.id}) on {where}")
        try:
            entry.info = entry.client.wait_for_session(
                info.id, timeout=entry.start_timeout, on_state=on_state
            )
        except BaseException:
            self._delete_quietly(entry)
            entry.session_id = None
            raise
        self._deliver_runtime(entry)

    def _deliver_runtime(self, entry: Entry) -> None:
        if not entry.runtime or entry.kind not in ("pyspark", "python"):
            return
        if self._runtime_code is None:
            self._runtime_code = _runtime_code()
        assert entry.session_id is not None
        entry.client.run(entry.session_id, self._runtime_code, kind="pyspark", timeout=300.0)

    def recreate(self, entry: Entry, why: str) -> None:
        """Replace a dead/expired session by a new one, telling the user (their variables are gone)."""
        old = entry.session_id
        self.notice(
            f"session {entry.name!r} (Livy id {old}) {why}: creating a new session; "
            "variables and cached data of the old one are gone"
        )
        if old is not None and entry.created:
            self._delete_quietly(entry)
        entry.session_id = None
        entry.server_name = entry.server_name  # keep the same Livy name
        self.start(entry)

    def ensure(self, entry: Entry) -> int:
        """The live session id of `entry`, creating the session if there is none yet."""
        if entry.session_id is None:
            self.notice(f"session {entry.name!r} has no live session: creating one")
            self.start(entry)
        assert entry.session_id is not None
        return entry.session_id

    # ---- running ------------------------------------------------------------------------------------
    def call(self, entry: Entry, operation: Callable[[LivyClient, int], Any]) -> Any:
        """Run `operation(client, session_id)`; if the session is gone before the code reached it, re-create
        the session (with a notice) and run it again; if it died after, re-create, raise SessionLostError."""
        tracker = _Tracking(entry.client)
        session_id = self.ensure(entry)
        try:
            return operation(tracker, session_id)  # type: ignore[arg-type]
        except SessionNotFound as exc:
            submitted = bool(exc.statement_submitted) or tracker.submitted
            why = "no longer exists (expired or deleted)"
        except SessionFailed as exc:
            submitted, why = True, f"became {exc.state}"
        except StatementError:
            state = self._state_or_none(entry)  # the error path only: did the session die under the code?
            if state is not None and state not in SESSION_FAILED_STATES:
                raise
            submitted, why = True, f"is {state or 'gone'} (it died while the cell ran)"
        except LivyHTTPError as exc:
            if exc.status not in (400, 409, 500, 503) or tracker.submitted:
                raise
            state = self._state_or_none(entry)
            if state is not None and state not in SESSION_FAILED_STATES:
                raise
            submitted, why = False, f"is {state or 'gone'}"
        if submitted:
            self.recreate(entry, why)
            raise SessionLostError(
                f"session {entry.name!r} {why} while the cell ran; a new session is ready, but the cell was "
                "not re-run because it may have partly run: run it again"
            )
        self.recreate(entry, why)
        self.notice("running the cell again on the new session")
        return operation(entry.client, self.ensure(entry))

    def run(
        self,
        entry: Entry,
        code: str,
        *,
        kind: str | None,
        on_progress: Callable[[float], None] | None,
        timeout: float | None = None,
    ) -> StatementResult:
        """Run one statement (raises StatementError/StatementCancelled) with death handling."""
        return self.call(  # type: ignore[no-any-return]
            entry, lambda client, sid: client.run(sid, code, kind, timeout=timeout, on_progress=on_progress)
        )

    def _state_or_none(self, entry: Entry) -> str | None:
        if entry.session_id is None:
            return None
        try:
            return entry.client.get_session(entry.session_id).state
        except SessionNotFound:
            return None

    # ---- deletion and cleanup -----------------------------------------------------------------------
    def _delete_quietly(self, entry: Entry) -> None:
        if entry.session_id is None:
            return
        try:
            entry.client.delete_session(entry.session_id, missing_ok=True)
        except (EmrError, OSError) as exc:  # e.g. the endpoint (or its CA file) is already gone at exit
            self.notice(f"could not delete Livy session {entry.session_id} of {entry.name!r}: {exc}")

    def _forget(self, entry: Entry, *, delete: bool) -> None:
        if self.heartbeat.watched().get(entry.name) == entry.session_id:
            self.heartbeat.forget(entry.name)
        if delete and entry.created:
            self._delete_quietly(entry)
        self.entries.pop(entry.name, None)
        if self.current == entry.name:
            self.current = next(iter(self.entries), None)

    def delete(self, name: str | None = None) -> Entry:
        """Delete the named (default: current) session on the endpoint, whoever created it, and forget it."""
        entry = self.get(name)
        if entry.session_id is not None:
            entry.client.delete_session(entry.session_id, missing_ok=True)
        entry.created = False
        self._forget(entry, delete=False)
        return entry

    def cleanup(self) -> list[str]:
        """Delete every session this shell created, stop local endpoints it started; returns what it did."""
        done: list[str] = []
        self.heartbeat.stop()
        with self._lock:
            for entry in list(self.entries.values()):
                if entry.created and entry.session_id is not None:
                    self._delete_quietly(entry)
                    done.append(f"deleted session {entry.name!r} (Livy id {entry.session_id})")
                self._forget(entry, delete=False)
                entry.client.http.close()
            for server in self._local_servers:
                try:
                    server.stop()
                    done.append(f"stopped the local endpoint {server.url}")
                except Exception as exc:  # a shutdown path: report, keep cleaning
                    self.notice(f"could not stop the local endpoint {server.url}: {exc}")
            self._local_servers.clear()
        return done

    def register_cleanup(self) -> None:
        """Run `cleanup` when the interpreter exits (kernel shutdown or restart, `exit` in IPython)."""
        if not self._atexit_registered:
            atexit.register(self._cleanup_at_exit)
            self._atexit_registered = True

    def _cleanup_at_exit(self) -> None:
        for line in self.cleanup():
            self.notice(line)

    def unregister_cleanup(self) -> None:
        """Undo `register_cleanup` (after an explicit cleanup at `%unload_ext`)."""
        if self._atexit_registered:
            atexit.unregister(self._cleanup_at_exit)
            self._atexit_registered = False


class _Tracking:
    """A LivyClient proxy that records whether a statement was submitted (for the re-run decision)."""

    def __init__(self, client: LivyClient) -> None:
        self._client = client
        self.submitted = False

    def submit(self, session_id: int, code: str, kind: str | None = None) -> int:
        statement_id = self._client.submit(session_id, code, kind)
        self.submitted = True
        return statement_id

    def run(self, session_id: int, code: str, kind: str | None = None, **options: Any) -> StatementResult:
        result = self._client.run(session_id, code, kind, **options)
        self.submitted = True
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)
