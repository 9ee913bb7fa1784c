"""Helpers shared by the cluster and Serverless inventories: regional sessions, state filters, page tokens
that carry one marker per region, ISO timestamps, a bounded thread pool for per-resource calls."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, TypeVar

from emrlab.aws.cache import SessionPool
from emrlab.aws.errors import AccessDenied, AwsError, aws_errors
from emrlab.aws.session import boto_session, client

T = TypeVar("T")
R = TypeVar("R")
PARALLEL_CALLS = (
    8  # per-resource calls (ListInstances, GetJobRun) in flight at once; adaptive retries pace them
)


class InvalidRequest(AwsError):  # noqa: N818 - named like the other emrlab.aws errors
    """A bad filter or page token from the caller (HTTP 400); the message says what is allowed."""


def utcnow() -> datetime:
    """The current time, tz-aware UTC."""
    return datetime.now(timezone.utc)


def iso(value: Any) -> str | None:
    """A datetime (or None) as an ISO 8601 UTC string with a Z."""
    if not isinstance(value, datetime):
        return None
    stamp = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return stamp.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def seconds_between(start: Any, end: Any) -> float | None:
    """end - start in seconds (None when start is unknown)."""
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        return None
    return max(0.0, (end - start).total_seconds())


def regional(session: Any, region: str) -> Any:
    """A session-like object for `region`: a SessionPool's cached one, `session` itself when it is already
    in that region, else a new boto3 session with the same profile."""
    if isinstance(session, SessionPool):
        return session.session(region)
    if getattr(session, "region_name", None) == region:
        return session
    return boto_session(region, getattr(session, "profile_name", None))


def default_regions(session: Any, regions: Sequence[str] | None) -> list[str]:
    """`regions`, or the session's own region."""
    if regions:
        return list(dict.fromkeys(regions))
    region = getattr(session, "region_name", None)
    if not region:
        raise InvalidRequest("no region given and the session has none: pass region=... or set AWS_REGION.")
    return [str(region)]


def parse_states(value: str | Sequence[str] | None, known: Iterable[str], active: Sequence[str]) -> list[str]:
    """`ACTIVE` (default) -> the active states, `ALL` -> [] (no filter), else a validated list."""
    items = [value] if isinstance(value, str) or value is None else list(value)
    wanted = [
        part.strip().upper() for item in items for part in (item or "ACTIVE").split(",") if part.strip()
    ]
    if not wanted or wanted == ["ACTIVE"]:
        return list(active)
    if "ALL" in wanted:
        return []
    allowed = set(known)
    bad = [state for state in wanted if state not in allowed]
    if bad:
        raise InvalidRequest(
            f"unknown state {', '.join(bad)}: use ACTIVE, ALL or a comma list of "
            f"{', '.join(sorted(allowed))}."
        )
    return list(dict.fromkeys(wanted))


def filter_key(*parts: Any) -> str:
    """A short digest of the filters a page token was made for."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


def encode_page(markers: dict[str, str], key: str) -> str | None:
    """A page token holding each region's next marker (None when every region is done)."""
    if not markers:
        return None
    raw = json.dumps({"v": 1, "f": key, "m": markers}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page(token: str | None, regions: Sequence[str], key: str) -> dict[str, str | None]:
    """Region -> marker to fetch next (None: the first page); InvalidRequest for a token that is not ours or
    was made for other filters or regions."""
    if not token:
        return {region: None for region in regions}
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        markers = data["m"]
        valid = data.get("v") == 1 and isinstance(markers, dict)
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise InvalidRequest("the page token is not valid: start again without `page`.")
    if data.get("f") != key or not set(markers) <= set(regions):
        raise InvalidRequest(
            "the page token was made for other filters or regions: start again without `page`."
        )
    return {str(region): str(marker) for region, marker in markers.items()}


def parallel(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`function` over `items` with a few threads, results in order; the first error is raised."""
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(PARALLEL_CALLS, len(items))) as pool:
        return list(pool.map(function, items))


def account_id(session: Any) -> str | None:
    """The account of the credentials (STS GetCallerIdentity, remembered on the session object); None when
    STS refuses (sts:GetCallerIdentity denied: the listing itself still works)."""
    known = getattr(session, "_emrlab_account", None)
    if known is not None:
        return str(known) or None
    try:
        with aws_errors("sts:GetCallerIdentity"):
            found = str(client(session, "sts").get_caller_identity().get("Account", ""))
    except AccessDenied:
        found = ""
    if hasattr(session, "__dict__"):
        session._emrlab_account = found
    return found or None


def name_matches(name: str, wanted: str | None) -> bool:
    """Case-insensitive substring match (no filter when `wanted` is empty)."""
    return not wanted or wanted.lower() in name.lower()


def prices_block(book: Any) -> dict[str, Any]:
    """The `prices` object of every response: the snapshot date, and that figures are estimates."""
    return {"snapshot_date": book.snapshot_date, "estimate": True}


def console_base(region: str) -> str:
    """The EMR console of `region`."""
    return f"https://{region}.console.aws.amazon.com/emr/home?region={region}"
