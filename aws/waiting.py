"""Bounded polling with backoff for AWS resource states (clusters, applications, job runs, steps)."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TypeVar

from emrlab.aws.errors import AwsWaitTimeout

T = TypeVar("T")
OnState = Callable[[str], None]


@dataclass(frozen=True)
class Backoff:
    """Poll intervals: `initial` seconds, multiplied by `factor` after each poll, capped at `maximum`."""

    initial: float = 1.0
    factor: float = 1.5
    maximum: float = 15.0

    def intervals(self) -> Callable[[], float]:
        """A function returning the next interval each time it is called."""
        current = [self.initial]

        def step() -> float:
            value = current[0]
            current[0] = min(self.maximum, value * self.factor)
            return value

        return step


DEFAULT_BACKOFF = Backoff()


def wait_for_state(
    fetch: Callable[[], T],
    state_of: Callable[[T], str],
    done: Collection[str] | Callable[[str], bool],
    *,
    what: str,
    timeout: float | None,
    on_state: OnState | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    last_state: str | None = None,
    hint: str = "",
) -> T:
    """Call `fetch` until its state is in `done` (or `done(state)` is true); returns the last fetched value.

    `on_state` is called whenever the state differs from the previous one (starting from `last_state`).
    `timeout` None waits without bound (the caller interrupts); otherwise AwsWaitTimeout when it runs out."""
    limit = 0.0 if timeout is None else float(timeout)
    deadline = None if timeout is None else time.monotonic() + limit
    next_interval = backoff.intervals()
    previous = last_state
    finished = done if callable(done) else done.__contains__
    while True:
        value = fetch()
        state = state_of(value)
        if state != previous:
            previous = state
            if on_state is not None:
                on_state(state)
        if finished(state):
            return value
        pause = next_interval()
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                advice = hint or "retry with a longer --timeout."
                raise AwsWaitTimeout(
                    f"{what} still {state} after {round(limit, 1):g} s; {advice}",
                    what=what,
                    seconds=limit,
                    state=state,
                )
            pause = min(pause, remaining)
        time.sleep(pause)
