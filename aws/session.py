"""boto3 sessions and clients for emrlab: credentials from the standard chain, adaptive retries and
timeouts on every client, and `AWS_ENDPOINT_URL` honoured (so a whole process can point at moto)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from emrlab.aws.errors import AwsError, aws_errors

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
MAX_ATTEMPTS = 8

CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "total_max_attempts": MAX_ATTEMPTS},
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
    user_agent_extra="emrlab",
)


def boto_session(region: str | None = None, profile: str | None = None) -> Any:
    """A boto3.Session for `profile` (None: the default chain) in `region` (None: the configured one).

    boto3 itself reads AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> for every client it makes."""
    with aws_errors("create an AWS session", f"profile {profile}" if profile else ""):
        return boto3.Session(region_name=region, profile_name=profile)


def client(session: Any, name: str, *, config: Config | None = None) -> Any:
    """A boto3 client of service `name` with emrlab's retry/timeout Config (merged over `config`)."""
    merged = CLIENT_CONFIG if config is None else CLIENT_CONFIG.merge(config)
    with aws_errors(f"create a {name} client"):
        return session.client(name, config=merged)


def region_of(session: Any) -> str:
    """The session's region, or an AwsError telling how to set one."""
    region = getattr(session, "region_name", None)
    if not region:
        raise AwsError("no AWS region configured: pass --region or set AWS_REGION (or a profile region).")
    return str(region)
