"""Fault injection for tests: 5xx, 429, dropped connections, slow start, session death and expiry.

Configured by `--faults JSON` or `POST /_emrlab/faults` with the keys of CONTRACTS.md section 1; counts are
consumed by matching requests (the faults endpoint itself never matches).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

KEYS = ("status_5xx", "status_429", "drop", "slow_start", "kill_session_after", "expire_session")


@dataclass
class Rule:
    """A fault to apply to the next `count` requests whose path matches `paths`."""

    count: int
    paths: re.Pattern[str]
    status: int = 503
    retry_after: float = 1.0
    methods: frozenset[str] | None = None

    def take(self, method: str, path: str) -> bool:
        """Whether this request matches (and consumes one count)."""
        if self.count <= 0 or not self.paths.search(path):
            return False
        if self.methods is not None and method.upper() not in self.methods:
            return False
        self.count -= 1
        return True


@dataclass
class Action:
    """What to do with a request: answer `status` (with Retry-After for 429) or drop the connection."""

    kind: str  # "status" or "drop"
    status: int = 0
    retry_after: float | None = None


def _rule(spec: Any, key: str, **defaults: Any) -> Rule:
    if not isinstance(spec, dict):
        raise ValueError(f'fault {key!r} must be an object like {{"count": 1}}')
    methods = spec.get("methods")
    return Rule(
        count=int(spec.get("count", 1)),
        paths=re.compile(str(spec.get("paths") or ".*")),
        status=int(spec.get("status", defaults.get("status", 503))),
        retry_after=float(spec.get("retry_after", 1)),
        methods=frozenset(m.upper() for m in methods) if methods else None,
    )


class Faults:
    """The current faults of the server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.status_5xx: Rule | None = None
        self.status_429: Rule | None = None
        self.drop: Rule | None = None
        self.slow_start = 0.0
        self.kill_after: dict[int, int] = {}

    def configure(self, spec: dict[str, Any]) -> list[int]:
        """Merge a fault spec; returns the session ids to expire now (`expire_session`)."""
        unknown = set(spec) - set(KEYS)
        if unknown:
            raise ValueError(f"unknown fault keys {sorted(unknown)}: use {', '.join(KEYS)}")
        with self._lock:
            if "status_5xx" in spec:
                self.status_5xx = _rule(spec["status_5xx"], "status_5xx", status=503)
                if not 500 <= self.status_5xx.status <= 599:
                    raise ValueError("status_5xx.status must be between 500 and 599")
            if "status_429" in spec:
                self.status_429 = _rule(spec["status_429"], "status_429", status=429)
            if "drop" in spec:
                self.drop = _rule(spec["drop"], "drop")
            if "slow_start" in spec:
                self.slow_start = float(spec["slow_start"] or 0)
            if "kill_session_after" in spec:
                kill = spec["kill_session_after"]
                self.kill_after[int(kill["session"])] = int(kill.get("statements", 1))
        expire = spec.get("expire_session")
        if expire is None:
            return []
        return [int(v) for v in expire] if isinstance(expire, list) else [int(expire)]

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._reset()

    def take(self, method: str, path: str) -> Action | None:
        """The fault for this request, if any (drop first, then 429, then 5xx)."""
        if path.startswith("/_emrlab/"):
            return None
        with self._lock:
            if self.drop is not None and self.drop.take(method, path):
                return Action("drop")
            if self.status_429 is not None and self.status_429.take(method, path):
                return Action("status", 429, self.status_429.retry_after)
            if self.status_5xx is not None and self.status_5xx.take(method, path):
                return Action("status", self.status_5xx.status)
        return None

    def should_kill(self, session_id: int, executed: int) -> bool:
        """Whether the session's REPL must die now that it has executed `executed` statements."""
        with self._lock:
            limit = self.kill_after.get(session_id)
            if limit is not None and executed >= limit:
                del self.kill_after[session_id]
                return True
        return False

    def to_json(self) -> dict[str, Any]:
        """The remaining faults (for GET /_emrlab/faults)."""

        def rule(r: Rule | None) -> dict[str, Any] | None:
            return None if r is None else {"count": r.count, "paths": r.paths.pattern, "status": r.status}

        return {
            "status_5xx": rule(self.status_5xx),
            "status_429": rule(self.status_429),
            "drop": rule(self.drop),
            "slow_start": self.slow_start,
            "kill_session_after": {str(k): v for k, v in self.kill_after.items()},
        }
