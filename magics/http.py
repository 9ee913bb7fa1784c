"""One keep-alive HTTP client for Livy: timeouts, bounded retries, error mapping, secret redaction."""

from __future__ import annotations

import json as jsonlib
import logging
import os
import re
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from .auth import BearerAuth, SigV4Auth, is_serverless_host, secrets_of
from .errors import AuthError, ConfigurationError, EndpointError, LivyHTTPError, SessionNotFound
from .retry import RetryPolicy, parse_retry_after, should_retry

__all__ = ["HttpClient", "RetryPolicy"]

log = logging.getLogger(__name__)

_SESSION_PATH = re.compile(r"^/sessions/(\d+)(?:/|$)")
_IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "PUT"})
Timeout = tuple[float, float] | float


class HttpClient:
    """JSON over one `requests.Session` to `base_url` (keep-alive), with the retry policy of `retries`.

    `verify` is True (system CAs) or the path of a CA bundle; TLS verification cannot be switched off.
    Every request sends `X-Requested-By: emrlab` (Livy's CSRF header) and has a (connect, read) timeout.
    Errors: 401/403 -> AuthError, 404 under /sessions/{id} -> SessionNotFound, other non-2xx ->
    LivyHTTPError, transport failures -> EndpointError. Logs method, path, status and time only.
    """

    def __init__(
        self,
        base_url: str,
        auth: AuthBase | None = None,
        *,
        timeout: Timeout = (5.0, 60.0),
        verify: bool | str = True,
        retries: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                f"Livy URL must look like http(s)://host[:port][/path], got {base_url!r}"
            )
        if verify is False:
            raise ConfigurationError(
                "TLS verification cannot be turned off: pass the CA bundle of the endpoint's certificate "
                "as verify=PATH (e.g. the local endpoint's ca_file)"
            )
        self.base_url = base_url.rstrip("/")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.auth = auth
        self.timeout = timeout
        self.verify = verify
        self.retries = retries or RetryPolicy()
        self._path_prefix = parts.path.rstrip("/")
        self._secrets = secrets_of(auth)
        self._session = requests.Session()
        # The environment (proxies, NO_PROXY, REQUESTS_CA_BUNDLE) is read once here, not on every request:
        # requests re-reads it (and ~/.netrc) per call when trust_env is on, ~1 ms a statement poll.
        self._session.trust_env = False
        self._session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        if verify is True:
            self.verify = _environ_ca_bundle() or True
        self._session.verify = self.verify
        self._session.headers.update(
            {"X-Requested-By": "emrlab", "Accept": "application/json", "User-Agent": "emrlab-livy"}
        )
        if headers:
            self._session.headers.update(headers)

    def __repr__(self) -> str:
        return f"HttpClient({self.base_url!r}, auth={type(self.auth).__name__ if self.auth else None})"

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    # ---- public verbs -------------------------------------------------------------------------------
    def get(self, path: str, *, params: dict[str, Any] | None = None, timeout: Timeout | None = None) -> Any:
        """GET `path` (retried), returning the decoded JSON answer."""
        return self.request("GET", path, params=params, timeout=timeout)

    def post(
        self, path: str, json: Any = None, *, idempotent: bool = False, timeout: Timeout | None = None
    ) -> Any:
        """POST JSON to `path`; retried only when it never reached the server or on 429, unless idempotent."""
        return self.request("POST", path, json=json, idempotent=idempotent, timeout=timeout)

    def delete(self, path: str, *, timeout: Timeout | None = None) -> Any:
        """DELETE `path` (retried), returning the decoded JSON answer ({} when empty)."""
        return self.request("DELETE", path, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool | None = None,
        timeout: Timeout | None = None,
    ) -> Any:
        """Send one logical request with retries; return the decoded JSON body ({} for an empty body)."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT
        body = None if json is None else jsonlib.dumps(json, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json"} if body is not None else {}
        url = self.base_url + (path if path.startswith("/") else "/" + path)
        policy = self.retries
        started = policy.clock()
        attempt = 0
        while True:
            attempt += 1
            t0 = time.perf_counter()
            try:
                response = self._session.request(
                    method,
                    url,
                    data=body,
                    params=params,
                    headers=headers,
                    auth=self.auth,
                    timeout=timeout or self.timeout,
                    verify=self.verify,  # explicit: a session-level CA path loses to REQUESTS_CA_BUNDLE
                    allow_redirects=False,
                )
                content = response.content  # read fully inside the try: a drop mid-body is a transport error
            except requests.exceptions.SSLError as exc:
                raise EndpointError(
                    f"TLS verification failed for {self._where()}: {self._redact(_reason(exc))}. Pass the "
                    "CA bundle that signed the endpoint's certificate (verify=PATH / --ca-file)",
                    host=self.host,
                    port=self.port,
                ) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                reached = not _never_reached(exc)
                log.debug("%s %s -> %s (attempt %d)", method, path, type(exc).__name__, attempt)
                wait = (
                    policy.next_wait(attempt, started, None)
                    if should_retry(idempotent=idempotent, status=None, reached_server=reached, policy=policy)
                    else None
                )
                if wait is None:
                    raise self._transport_error(exc, method, path, attempt, reached, idempotent) from None
                policy.sleep(wait)
                continue
            elapsed = time.perf_counter() - t0
            status = response.status_code
            log.debug("%s %s -> %d in %.1f ms (attempt %d)", method, path, status, elapsed * 1e3, attempt)
            if 200 <= status < 300:
                return self._decode(content, response, method, path)
            if should_retry(idempotent=idempotent, status=status, reached_server=True, policy=policy):
                wait = policy.next_wait(
                    attempt, started, parse_retry_after(response.headers.get("Retry-After"))
                )
                if wait is not None:
                    policy.sleep(wait)
                    continue
            raise self._status_error(response, content, method, path, attempt)

    # ---- helpers ------------------------------------------------------------------------------------
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _decode(self, content: bytes, response: requests.Response, method: str, path: str) -> Any:
        if not content.strip():
            return {}
        try:
            return jsonlib.loads(content)
        except ValueError:
            raise LivyHTTPError(
                f"{method} {path} on {self._where()} answered {response.status_code} with a body that is not "
                "JSON: is the URL a Livy endpoint?",
                status=response.status_code,
                body=self._redact(content[:300].decode("utf-8", "replace")),
            ) from None

    def _transport_error(
        self, exc: Exception, method: str, path: str, attempt: int, reached: bool, idempotent: bool
    ) -> EndpointError:
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        if isinstance(exc, requests.exceptions.ConnectTimeout) or not reached:
            what = (
                "connection timed out" if _is_connect_timeout(exc) else "connection refused or unresolvable"
            )
            advice = (
                "Check the URL and that the Livy server runs; for an EMR cluster, allow inbound TCP "
                f"{self.port} from this machine in the primary node's security group"
            )
        elif isinstance(exc, requests.exceptions.ReadTimeout):
            what = "no answer within the read timeout"
            advice = "The server is slow or stuck; retry, or raise the timeout"
        else:
            what = "connection dropped"
            advice = "Retry; check the server's log if it keeps happening"
        if reached and not idempotent:
            advice += f". The {method} may have been processed: check {path} before repeating it"
        message = f"cannot talk to Livy at {self._where()} ({what}){tries} on {method} {path}. {advice}"
        return EndpointError(self._redact(message), host=self.host, port=self.port)

    def _status_error(
        self, response: requests.Response, content: bytes, method: str, path: str, attempt: int
    ) -> Exception:
        status = response.status_code
        body: Any
        try:
            body = jsonlib.loads(content) if content else None
        except ValueError:
            body = content[:500].decode("utf-8", "replace")
        msg = body.get("msg") if isinstance(body, dict) else None
        server_says = self._redact(str(msg if msg is not None else (body or response.reason or "")))[:500]
        if isinstance(body, str):
            body = self._redact(body)
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        if status in (401, 403):
            hint = self._auth_hint(status)
            return AuthError(
                f"Livy at {self._where()} refused {method} {path} ({status}): {server_says}. {hint}",
                status=status,
                hint=hint,
            )
        local_path = path.split("?", 1)[0]
        if self._path_prefix and local_path.startswith(self._path_prefix):
            local_path = local_path[len(self._path_prefix) :]
        match = _SESSION_PATH.match(local_path if local_path.startswith("/") else "/" + local_path)
        if status == 404 and match:
            sid = int(match.group(1))
            return SessionNotFound(
                f"Livy session {sid} not found at {self._where()} ({server_says}): it expired, died or was "
                "deleted. Create a new session (or attach to a live one)",
                body=body,
                session_id=sid,
            )
        advice = {
            400: "Fix the request (see the server's message)",
            429: "The server is throttling: retry later",
            500: "Check the Livy server's log",
        }.get(status, "Retry later; check the Livy server's log if it persists" if status >= 500 else "")
        return LivyHTTPError(
            f"Livy at {self._where()} answered {status} to {method} {path}{tries}: {server_says}. "
            f"{advice}".strip(),
            status=status,
            body=body,
        )

    def _auth_hint(self, status: int) -> str:
        if isinstance(self.auth, SigV4Auth) or is_serverless_host(self.host):
            return (
                "The AWS identity needs emr-serverless:AccessLivyEndpoints on the application and "
                "iam:PassRole on the execution role (passed to emr-serverless.amazonaws.com); check the "
                "region and that the credentials are current"
            )
        if isinstance(self.auth, BearerAuth):
            return "Check the bearer token (EMRLAB_LIVY_TOKEN or the endpoint's connection file)"
        if isinstance(self.auth, HTTPBasicAuth):
            return "Check the user name and password (LDAP/Basic auth)"
        if self.auth is None:
            return "The endpoint requires authentication: connect with --auth and a credential"
        return "Check the credentials of the endpoint" if status == 401 else "Check the permissions"


def _environ_ca_bundle() -> str | None:
    """The CA bundle requests itself would take from the environment (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE)."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def _reason(exc: Exception) -> str:
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", inner)
    return str(reason)


def _is_connect_timeout(exc: Exception) -> bool:
    return isinstance(exc, requests.exceptions.ConnectTimeout)


def _never_reached(exc: Exception) -> bool:
    """True when the request certainly never reached the server (refused, DNS failure, connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    seen: set[int] = set()
    node: Any = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if isinstance(node, NewConnectionError | ConnectTimeoutError | ConnectionRefusedError):
            return True
        reason = getattr(node, "reason", None)
        args0 = node.args[0] if getattr(node, "args", None) else None
        node = reason if reason is not None else (args0 if isinstance(args0, BaseException) else None)
    return False
