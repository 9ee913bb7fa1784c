"""Keep Livy sessions alive while this kernel lives, and only while it lives.

A session created with a heartbeat timeout (`%emr configure --heartbeat-timeout 120`) is deleted by Livy when
no client has asked for it within that many seconds. One daemon thread GETs `/sessions/{id}` of each such
session at a third of its timeout, with its own HTTP connection (never the cell's). If the kernel dies, even
by `kill -9`, the heartbeats stop and Livy reaps the session: no cluster resources outlive the notebook.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emrlab.magics.errors import EmrError, SessionNotFound

log = logging.getLogger(__name__)
MIN_INTERVAL = 1.0


@dataclass
class _Beat:
    endpoint: Any  # emrlab.magics.connect.Endpoint
    session_id: int
    interval: float
    due: float


class Heartbeat:
    """Heartbeats for named sessions; `client_for(endpoint)` makes the thread's own LivyClient per URL."""

    def __init__(
        self, client_for: Callable[[Any], Any], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client_for = client_for
        self._clock = clock
        self._beats: dict[str, _Beat] = {}
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, name: str, endpoint: Any, session_id: int, timeout_s: float) -> None:
        """Heartbeat session `session_id` (known here as `name`) every `timeout_s / 3` seconds."""
        interval = max(MIN_INTERVAL, timeout_s / 3)
        with self._lock:
            self._beats[name] = _Beat(endpoint, session_id, interval, self._clock() + interval)
            if self._thread is None or not self._thread.is_alive():
                self._stopped.clear()
                self._thread = threading.Thread(target=self._run, name="emrlab-heartbeat", daemon=True)
                self._thread.start()
        self._wake.set()

    def forget(self, name: str) -> None:
        """Stop heartbeating `name` (deleted, forgotten or replaced)."""
        with self._lock:
            self._beats.pop(name, None)

    def watched(self) -> dict[str, int]:
        """Name -> Livy session id of every session being kept alive."""
        with self._lock:
            return {name: beat.session_id for name, beat in self._beats.items()}

    def stop(self) -> None:
        """Stop the thread and close its connections (at cleanup)."""
        self._stopped.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        with self._lock:
            self._beats.clear()
            for client in self._clients.values():
                client.http.close()
            self._clients.clear()

    def _run(self) -> None:
        while not self._stopped.is_set():
            with self._lock:
                now = self._clock()
                due = [(name, beat) for name, beat in self._beats.items() if beat.due <= now]
                for _, beat in due:
                    beat.due = now + beat.interval
                upcoming = min((beat.due for beat in self._beats.values()), default=now + 60.0)
            for name, beat in due:
                self._beat(name, beat)
            self._wake.wait(timeout=max(0.05, upcoming - self._clock()))
            self._wake.clear()

    def _beat(self, name: str, beat: _Beat) -> None:
        url = str(beat.endpoint.url)
        try:
            client = self._clients.get(url)
            if client is None:
                client = self._clients[url] = self._client_for(beat.endpoint)
            client.get_session(beat.session_id)
        except SessionNotFound:
            log.debug("heartbeat: session %s (%s) is gone; no more heartbeats", beat.session_id, name)
            self.forget(name)
        except (EmrError, OSError) as exc:  # a transient failure: the next beat retries
            log.debug("heartbeat for session %s (%s) failed: %s", beat.session_id, name, exc)
