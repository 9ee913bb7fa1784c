"""boto3 clients for the runtime: created lazily, thread-safely, in the cluster's region.

boto3 honours `AWS_ENDPOINT_URL` (tests point it at moto) and finds EMR instance-role credentials by itself.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

# EMR writes the cluster's region here on every node.
EXTRA_INSTANCE_DATA = "/mnt/var/lib/info/extraInstanceData.json"
_LOCK = threading.Lock()
_SESSION: list[Any] = []  # one boto3 Session, made on first use (loading botocore's models is slow)


def emr_region() -> str | None:
    """The region EMR recorded on this node, or None off EMR."""
    try:
        info = json.loads(Path(EXTRA_INSTANCE_DATA).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    region = info.get("region") if isinstance(info, dict) else None
    return region if isinstance(region, str) and region else None


def client(service: str, region: str | None = None) -> Any:
    """A boto3 client for `service` in `region`, else boto3's configured region, else AWS_REGION, else
    the region EMR recorded on this node."""
    import boto3

    # Creating clients from a shared session is not thread-safe; notebooks do run dbutils in threads.
    with _LOCK:
        if not _SESSION:
            _SESSION.append(boto3.session.Session())
        session = _SESSION[0]
        chosen = region or session.region_name or os.environ.get("AWS_REGION") or emr_region()
        return session.client(service, region_name=chosen)


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))
