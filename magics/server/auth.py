"""Authentication modes of the local endpoint: bearer (default), basic, sigv4 (EMR Serverless style), none."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Protocol

from tornado.httputil import HTTPServerRequest

from emrlab.magics.server.errors import HttpError
from emrlab.magics.server.sigv4verify import SignedRequest, SigV4Error, SigV4Verifier

EXECUTION_ROLE_KEY = "emr-serverless.session.executionRoleArn"


class Authenticator(Protocol):
    """Checks one request; raises HttpError (401/403) when it is not allowed."""

    name: str
    requires_execution_role: bool

    def check(self, request: HTTPServerRequest) -> None:
        """Raise HttpError unless the request is authenticated."""


def _unauthorized(msg: str, scheme: str) -> HttpError:
    return HttpError(msg, 401, {"WWW-Authenticate": scheme})


class NoAuth:
    """--auth none: every request is allowed (only ever bound to 127.0.0.1)."""

    name = "none"
    requires_execution_role = False

    def check(self, request: HTTPServerRequest) -> None:
        """Allow everything."""


class BearerAuth:
    """`Authorization: Bearer TOKEN` (or `token TOKEN`, as Jupyter accepts)."""

    name = "bearer"
    requires_execution_role = False

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("bearer auth needs a non-empty token")
        self._token = token.encode("utf-8")

    def check(self, request: HTTPServerRequest) -> None:
        """401 unless the header carries the token."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not value:
            raise _unauthorized(
                "Missing bearer token: send 'Authorization: Bearer <token>' "
                "(the token is in EMRLAB_LIVY_TOKEN or the server's connection file).",
                'Bearer realm="emrlab-livy"',
            )
        if not hmac.compare_digest(value.strip().encode("utf-8"), self._token):
            raise _unauthorized(
                "Invalid bearer token: use the token the server printed or wrote to its connection file.",
                'Bearer realm="emrlab-livy", error="invalid_token"',
            )


class BasicAuth:
    """HTTP Basic auth with one user (like Livy behind LDAP/Basic on EMR)."""

    name = "basic"
    requires_execution_role = False

    def __init__(self, user: str, password: str) -> None:
        if not user or not password:
            raise ValueError("basic auth needs --basic-user and the password in EMRLAB_LIVY_BASIC_PASSWORD")
        self._user = user.encode("utf-8")
        self._password = password.encode("utf-8")

    def check(self, request: HTTPServerRequest) -> None:
        """401 unless user and password match."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        challenge = 'Basic realm="emrlab-livy"'
        if scheme.lower() != "basic" or not value:
            raise _unauthorized("Missing Basic credentials: send the user name and password.", challenge)
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            raise _unauthorized(
                "Malformed Basic credentials: base64 of 'user:password' expected.", challenge
            ) from None
        user_ok = hmac.compare_digest(user, self._user)
        password_ok = hmac.compare_digest(password, self._password)
        if not (sep and user_ok and password_ok):
            raise _unauthorized("Wrong user name or password.", challenge)


class SigV4Auth:
    """SigV4 like EMR Serverless: service emr-serverless, the server's region, known keys; 403 otherwise."""

    name = "sigv4"
    requires_execution_role = True

    def __init__(self, verifier: SigV4Verifier) -> None:
        self.verifier = verifier

    def check(self, request: HTTPServerRequest) -> None:
        """403 {"msg"} unless the signature verifies."""
        signed = SignedRequest(
            method=request.method or "GET",
            path=request.path,
            query=request.query,
            headers=list(request.headers.get_all()),
            body=request.body or b"",
        )
        try:
            self.verifier.verify(signed)
        except SigV4Error as exc:
            raise HttpError(str(exc), 403) from None
