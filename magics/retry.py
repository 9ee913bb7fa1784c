"""Retry policy of the HTTP layer: which outcomes are retried, backoff with full jitter, Retry-After."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

__all__ = ["RETRY_STATUSES", "RetryPolicy", "parse_retry_after", "should_retry"]

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    A retry `n` (0-based) waits `uniform(0, min(cap, base * 2**n))` ("full jitter"), or the server's
    Retry-After when it sent one. At most `max_attempts` attempts in all, and no wait that would end past
    `total` seconds after the first attempt started: then the last error is raised. `sleep`, `clock` and
    `rand` are injectable for tests.
    """

    max_attempts: int = 6
    base: float = 0.1
    cap: float = 5.0
    total: float = 30.0
    statuses: frozenset[int] = RETRY_STATUSES
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)
    rand: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base < 0 or self.cap < 0 or self.total < 0:
            raise ValueError("RetryPolicy needs max_attempts >= 1 and non-negative base, cap and total")

    def backoff(self, retry: int) -> float:
        """The jittered wait before retry number `retry` (0-based), ignoring Retry-After."""
        return self.rand() * min(self.cap, self.base * (2.0**retry))

    def delay(self, retry: int, retry_after: float | None) -> float:
        """The wait before retry number `retry`: Retry-After when the server sent one, else the backoff."""
        return retry_after if retry_after is not None else self.backoff(retry)

    def next_wait(self, attempt: int, started: float, retry_after: float | None) -> float | None:
        """After failed attempt number `attempt` (1-based), the wait before the next, or None to give up."""
        if attempt >= self.max_attempts:
            return None
        wait = self.delay(attempt - 1, retry_after)
        if self.clock() + wait - started > self.total:
            return None
        return wait


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent/invalid.

    `now` is the current POSIX time (default `time.time()`); dates in the past give 0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is invalid
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    reference = time.time() if now is None else now
    return max(0.0, when.timestamp() - reference)


def should_retry(*, idempotent: bool, status: int | None, reached_server: bool, policy: RetryPolicy) -> bool:
    """Whether an outcome may be retried.

    `status` is the HTTP status (None for a transport error); `reached_server` is False only when the request
    certainly never got to the server (connection refused / connect timeout / DNS). Idempotent calls are
    retried on transport errors and `policy.statuses`; other calls (POSTs that create things) only when the
    request never reached the server, or on 429 (the server refused to process it).
    """
    if status is None:
        return idempotent or not reached_server
    if status == 429:
        return 429 in policy.statuses
    return idempotent and status in policy.statuses
