"""Shared plumbing for the inventory behind the panel: a thread-safe TTL cache with one in-flight fetch per
key, and a pool of boto3 clients per (profile, region, service) so a refresh does not reload service models.

The cache key is chosen by the caller, typically (call, region(s), profile, arguments); `refresh=True`
skips a fresh entry but still joins a fetch already in flight (its answer is newer than anything cached).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from botocore.config import Config

from emrlab.aws.session import boto_session, client

T = TypeVar("T")
Hook = Callable[..., Any]  # a botocore event handler, e.g. for "before-call"


@dataclass(frozen=True)
class Cached(Generic[T]):
    """A value with the wall-clock time it was fetched and whether it came from the cache."""

    value: T
    fetched_at: float
    cached: bool


class TTLCache:
    """Values for `ttl` seconds; concurrent callers of one key share a single fetch.

    `clock` is injectable (tests); errors are not cached (the next call fetches again)."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic, max_entries: int = 512):
        self.ttl = ttl
        self._clock = clock
        self._wall = time.time
        self._max = max_entries
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, float, Any]] = {}  # key -> (expires, fetched_at, value)
        self._inflight: dict[Hashable, Future[tuple[float, Any]]] = {}

    def get(self, key: Hashable, fetch: Callable[[], T], *, refresh: bool = False) -> Cached[T]:
        """The cached value of `key` if fresh (and not `refresh`), else the result of one `fetch()`."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and not refresh and entry[0] > self._clock():
                return Cached(entry[2], entry[1], True)
            future = self._inflight.get(key)
            owner = future is None
            if future is None:
                future = self._inflight[key] = Future()
        if not owner:
            fetched_at, value = future.result()
            return Cached(value, fetched_at, False)
        try:
            value = fetch()
        except BaseException as error:
            with self._lock:
                del self._inflight[key]
            future.set_exception(error)
            raise
        fetched_at = self._wall()
        with self._lock:
            del self._inflight[key]
            if len(self._entries) >= self._max:
                self._drop_oldest()
            self._entries[key] = (self._clock() + self.ttl, fetched_at, value)
        future.set_result((fetched_at, value))
        return Cached(value, fetched_at, False)

    def invalidate(self, predicate: Callable[[Hashable], bool] | None = None) -> None:
        """Forget every entry (or those whose key matches `predicate`), e.g. after terminate/stop."""
        with self._lock:
            for key in [k for k in self._entries if predicate is None or predicate(k)]:
                del self._entries[key]

    def _drop_oldest(self) -> None:
        now = self._clock()
        for key in [k for k, (expires, _, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        if len(self._entries) >= self._max:
            del self._entries[min(self._entries, key=lambda k: self._entries[k][0])]


class RegionSession:
    """A boto3 Session stand-in for one (profile, region) whose clients are made once and reused
    (boto3 clients are thread-safe); `hooks` are registered on every client as (event name, handler)."""

    def __init__(self, session: Any, hooks: Sequence[tuple[str, Hook]] = ()) -> None:
        self._session = session
        self._hooks = tuple(hooks)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self.region_name: str = session.region_name
        self.profile_name: str | None = getattr(session, "profile_name", None)

    def client(self, name: str, config: Config | None = None, **_: Any) -> Any:
        """The cached client of service `name` (emrlab's retry/timeout Config merged over `config`)."""
        key = (name, _config_key(config))
        with self._lock:
            made = self._clients.get(key)
            if made is None:
                made = self._clients[key] = client(self._session, name, config=config)
                for event, handler in self._hooks:
                    made.meta.events.register(event, handler)
        return made


def _config_key(config: Config | None) -> str:
    """Configs compare by identity; clients are cached by what the caller set in them."""
    if config is None:
        return ""
    options = getattr(config, "_user_provided_options", {})
    return repr(sorted((str(k), repr(v)) for k, v in options.items()))


class SessionPool:
    """One RegionSession per region for a profile (None: the default credential chain)."""

    def __init__(self, profile: str | None = None, *, hooks: Sequence[tuple[str, Hook]] = ()) -> None:
        self.profile = profile
        self.hooks = tuple(hooks)
        self._regions: dict[str, RegionSession] = {}
        self._lock = threading.Lock()

    def session(self, region: str) -> RegionSession:
        """The (cached) RegionSession of `region`."""
        with self._lock:
            found = self._regions.get(region)
            if found is None:
                found = self._regions[region] = RegionSession(boto_session(region, self.profile), self.hooks)
            return found
