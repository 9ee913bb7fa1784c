"""The server side's settings (`c.EmrLab.regions`, `profile`, `cache_ttl`) and the state the handlers share:
a SessionPool per AWS profile, the TTL cache, and the thread pool blocking boto3 calls run in."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from traitlets import Float, Int, List, Unicode
from traitlets.config import Configurable

from emrlab.aws.cache import Cached, Hook, SessionPool, TTLCache

T = TypeVar("T")
FALLBACK_REGION = "us-east-1"


def configured_region() -> str:
    """boto3's region (AWS_REGION, AWS_DEFAULT_REGION, the profile), else us-east-1."""
    import boto3

    return boto3.Session().region_name or FALLBACK_REGION


class EmrLab(Configurable):
    """Settings of the emrlab server extension (jupyter_server_config: `c.EmrLab.regions = [...]`)."""

    regions = List(Unicode(), help="AWS regions to list (default: boto3's region, or us-east-1)").tag(
        config=True
    )
    profile = Unicode(None, allow_none=True, help="AWS profile (default: the standard chain)").tag(
        config=True
    )
    cache_ttl = Float(30.0, help="seconds an AWS answer is reused (refresh=1 bypasses it)").tag(config=True)
    workers = Int(4, help="threads running AWS calls off the server's event loop").tag(config=True)


class Service:
    """What the handlers share: settings, session pools, the cache and the executor."""

    def __init__(self, settings: EmrLab, *, hooks: Sequence[tuple[str, Hook]] = ()) -> None:
        self.settings = settings
        self.hooks = list(hooks)  # botocore event handlers added to every client (benchmark, tests)
        self.cache = TTLCache(settings.cache_ttl)
        self.executor = ThreadPoolExecutor(max_workers=max(1, settings.workers), thread_name_prefix="emrlab")
        self._pools: dict[str | None, SessionPool] = {}
        self._lock = threading.Lock()

    def regions(self, asked: Sequence[str]) -> list[str]:
        """The regions a request names (repeatable or comma lists), else the configured ones."""
        named = [part.strip() for item in asked for part in item.split(",") if part.strip()]
        return list(dict.fromkeys(named or self.settings.regions or [configured_region()]))

    def profile(self, asked: str | None) -> str | None:
        """The request's profile, else the configured one."""
        return asked or self.settings.profile

    def pool(self, profile: str | None) -> SessionPool:
        """The SessionPool of `profile` (made once; its clients are reused across requests)."""
        with self._lock:
            found = self._pools.get(profile)
            if found is None:
                found = self._pools[profile] = SessionPool(profile, hooks=self.hooks)
            return found

    def cached(self, key: Hashable, fetch: Callable[[], T], *, refresh: bool) -> Cached[T]:
        """`fetch()` through the TTL cache (one in-flight fetch per key)."""
        return self.cache.get(key, fetch, refresh=refresh)

    def forget_pools(self) -> None:
        """Drop every client (e.g. after credentials changed)."""
        with self._lock:
            self._pools.clear()
