"""requests auth classes for Livy: bearer token, Basic, and AWS SigV4 for EMR Serverless endpoints."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from .errors import AuthError, ConfigurationError

__all__ = ["BasicAuth", "BearerAuth", "SigV4Auth", "region_from_url", "secrets_of"]

BasicAuth = HTTPBasicAuth
"""Basic auth (`requests.auth.HTTPBasicAuth(user, password)`); never shown in messages or logs."""

_SERVERLESS_HOST = re.compile(
    r"^[a-z0-9-]+\.livy\.emr-serverless-services\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$"
)


def is_serverless_host(host: str) -> bool:
    """True for an EMR Serverless Livy host (`<app>.livy.emr-serverless-services.<region>.amazonaws.com`)."""
    return _SERVERLESS_HOST.match(host.lower()) is not None


def region_from_url(url: str) -> str | None:
    """The AWS region of an EMR Serverless Livy URL, or None when the host is not of that shape."""
    host = (urlsplit(url).hostname or "").lower()
    match = _SERVERLESS_HOST.match(host)
    return match.group("region") if match else None


class BearerAuth(AuthBase):
    """`Authorization: Bearer TOKEN` (the local endpoint's default); the token never appears in repr."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ConfigurationError(
                "empty bearer token: set EMRLAB_LIVY_TOKEN or use the endpoint's connection file"
            )
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BearerAuth) and other.token == self.token

    def __hash__(self) -> int:
        return hash(("BearerAuth", self.token))


class SigV4Auth(AuthBase):
    """Sign every request with AWS SigV4 (botocore's signer), as EMR Serverless Livy endpoints require.

    `session` is a boto3.Session or a botocore session (default: a new boto3.Session from the standard
    chain). Credentials are read from it for each request, so refreshable credentials (SSO, assumed roles,
    instance profiles) refresh. `region` defaults to the one in the URL's host
    (`<app>.livy.emr-serverless-services.<region>.amazonaws.com`), else the session's region.
    The exact body bytes that requests will send are signed (a str body is encoded to UTF-8 first).
    """

    # Headers signed besides host and x-amz-*: anything a proxy or urllib3 might alter stays unsigned.
    _SIGNED = ("content-type", "x-requested-by")

    def __init__(
        self, session: Any = None, region: str | None = None, service: str = "emr-serverless"
    ) -> None:
        self._session = session
        self.region = region
        self.service = service

    def __repr__(self) -> str:
        return f"SigV4Auth(service={self.service!r}, region={self.region!r})"

    def _boto_session(self) -> Any:
        if self._session is None:
            import boto3

            self._session = boto3.Session()
        return self._session

    def _region_for(self, url: str) -> str:
        region = self.region or region_from_url(url)
        if region is None:
            session = self._boto_session()
            region = getattr(session, "region_name", None) or (
                session.get_config_variable("region") if hasattr(session, "get_config_variable") else None
            )
        if not region:
            raise ConfigurationError(
                f"cannot tell the AWS region for SigV4 from {urlsplit(url).hostname!r}: pass --region "
                "(or set AWS_REGION)"
            )
        return str(region)

    def _credentials(self) -> Any:
        creds = self._boto_session().get_credentials()
        if creds is None:
            raise AuthError(
                "no AWS credentials found to sign the request: configure them (aws configure, "
                "AWS_PROFILE, SSO login or an instance role) and retry",
                hint="no AWS credentials in the standard chain",
            )
        return creds.get_frozen_credentials()  # refreshes refreshable credentials when due

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        from botocore.auth import SigV4Auth as BotoSigV4
        from botocore.awsrequest import AWSRequest

        url = r.url or ""
        body = r.body
        if isinstance(body, str):
            body = body.encode("utf-8")
            r.body = body
            r.headers["Content-Length"] = str(len(body))
        if body is not None and not isinstance(body, bytes):
            raise ConfigurationError("SigV4 signing needs the whole body as bytes, not a stream")
        headers = {k: v for k, v in r.headers.items() if k.lower() in self._SIGNED}
        aws_request = AWSRequest(method=r.method, url=url, data=body or b"", headers=headers)
        BotoSigV4(self._credentials(), self.service, self._region_for(url)).add_auth(aws_request)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            value = aws_request.headers.get(name)
            if value is not None:
                r.headers[name] = value
        return r


def secrets_of(auth: object) -> list[str]:
    """The secret strings an auth object holds (token, password), for redaction in messages."""
    found: list[str] = []
    for attr in ("token", "password"):
        value = getattr(auth, attr, None)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and len(value) >= 4:
            found.append(value)
    return found
