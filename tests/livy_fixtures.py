"""Fixtures for tests that talk to the local Livy-compatible endpoint (emrlab.magics.server).

Loaded everywhere through `pytest_plugins = ("livy_fixtures",)` in tests/conftest.py.

- `local_livy` (session scope): one server, bearer auth, plain HTTP; a `LocalLivy` with .url, .token, .pid,
  .ca_file (None), .connection_file. Shared by the whole run: do not inject faults into it (use
  `livy_factory` for a server of your own) and delete the sessions you create.
- `livy_pyspark_session` (session scope): one idle PySpark session on `local_livy`, shared by the whole run so
  the suite pays for one JVM; a `LivySessionHandle` with .id, .url, .token, .http (a requests.Session carrying
  the token and X-Requested-By) and .run(code, kind=None, timeout=120) -> the final statement JSON. Tests that
  use it start a JVM the first time: mark them `@pytest.mark.slow`. Do not kill or delete this session.
- `livy_factory` (session scope): `livy_factory(auth="bearer"|"basic"|"sigv4"|"none", tls=False, csrf=False,
  extra_args=(), env=None, token=None) -> LocalLivy`; every server it starts is stopped at the end of the run.
  Basic auth uses BASIC_USER/BASIC_PASSWORD, sigv4 uses SIGV4_ACCESS_KEY/SIGV4_SECRET_KEY in SIGV4_REGION
  (constants below). Servers start in ~1 s; no JVM starts until a session is created, and auth is checked
  before any session is created, so auth/CSRF/TLS/fault tests need no JVM.
- helpers: `bearer_http(livy)` -> requests.Session with the token (and `verify=livy.ca_file` for TLS);
  `wait_session(http, url, sid, timeout)` -> session JSON once idle (raises AssertionError on error/dead);
  `run_statement(http, url, sid, code, kind=None, timeout=120)` -> final statement JSON (POST + tight poll);
  `descendants(pid)` / `alive(pids)` (from /proc, zombies excluded: for no-orphan checks);
  `wait_until(predicate, timeout, what)`. Import them with `from livy_fixtures import ...`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests

from emrlab.magics.server.launch import LocalLivy, start_local_livy

BASIC_USER = "livy-user"
BASIC_PASSWORD = "livy-test-password"
SIGV4_ACCESS_KEY = "AKIDEMRLABTEST"
SIGV4_SECRET_KEY = "emrlab-test-secret-key/EXAMPLE"
SIGV4_REGION = "us-east-1"
EXECUTION_ROLE = "arn:aws:iam::123456789012:role/emrlab-test"
FINAL_STATEMENT = ("available", "error", "cancelled")

LivyFactory = Callable[..., LocalLivy]


def bearer_http(livy: LocalLivy) -> requests.Session:
    """A requests.Session that authenticates to `livy` with its bearer token (and trusts its CA for TLS)."""
    http = requests.Session()
    if livy.token:
        http.headers["Authorization"] = f"Bearer {livy.token}"
    http.headers["X-Requested-By"] = "emrlab-tests"
    if livy.ca_file:
        # requests lets $REQUESTS_CA_BUNDLE (set on this machine) override Session.verify unless trust_env
        # is off; the server is on loopback, so no proxy settings are needed either.
        http.trust_env = False
        http.verify = livy.ca_file
    return http


def wait_session(http: requests.Session, url: str, sid: int, timeout: float = 180.0) -> dict[str, Any]:
    """Poll GET /sessions/{sid} until idle (bounded); AssertionError with the log if it fails."""
    deadline = time.monotonic() + timeout
    while True:
        response = http.get(f"{url}/sessions/{sid}", timeout=10)
        response.raise_for_status()
        session: dict[str, Any] = response.json()
        if session["state"] == "idle":
            return session
        if session["state"] in ("error", "dead", "killed"):
            log = http.get(f"{url}/sessions/{sid}/log?size=50", timeout=10).json()["log"]
            raise AssertionError(f"session {sid} is {session['state']}: " + "\n".join(log))
        if time.monotonic() > deadline:
            raise AssertionError(f"session {sid} still {session['state']} after {timeout} s")
        time.sleep(0.1)


def run_statement(
    http: requests.Session, url: str, sid: int, code: str, kind: str | None = None, timeout: float = 120.0
) -> dict[str, Any]:
    """POST a statement, poll it until a final state (bounded); returns the statement JSON."""
    body: dict[str, Any] = {"code": code}
    if kind is not None:
        body["kind"] = kind
    response = http.post(f"{url}/sessions/{sid}/statements", json=body, timeout=10)
    assert response.status_code == 201, response.text
    stid = response.json()["id"]
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        statement: dict[str, Any] = http.get(f"{url}/sessions/{sid}/statements/{stid}", timeout=10).json()
        if statement["state"] in FINAL_STATEMENT:
            return statement
        if time.monotonic() > deadline:
            raise AssertionError(f"statement {stid} still {statement['state']} after {timeout} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


class LivySessionHandle:
    """An idle PySpark session on a local endpoint, for tests."""

    def __init__(self, livy: LocalLivy, sid: int) -> None:
        self.livy = livy
        self.id = sid
        self.url = livy.url
        self.token = livy.token
        self.http = bearer_http(livy)

    def run(self, code: str, kind: str | None = None, timeout: float = 120.0) -> dict[str, Any]:
        """Run code; the final statement JSON."""
        return run_statement(self.http, self.url, self.id, code, kind, timeout)


@pytest.fixture(scope="session")
def livy_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivyFactory]:
    """Start local endpoints in any auth/TLS/CSRF mode; all are stopped at the end of the run."""
    started: list[LocalLivy] = []
    folder = tmp_path_factory.mktemp("livy")

    def start(
        auth: str = "bearer",
        *,
        tls: bool = False,
        csrf: bool = False,
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        token: str | None = None,
    ) -> LocalLivy:
        merged = {
            "EMRLAB_LIVY_BASIC_PASSWORD": BASIC_PASSWORD,
            "EMRLAB_LIVY_SIGV4_ACCESS_KEY": SIGV4_ACCESS_KEY,
            "EMRLAB_LIVY_SIGV4_SECRET_KEY": SIGV4_SECRET_KEY,
            **(env or {}),
        }
        args = list(extra_args)
        if auth == "basic":
            args += ["--basic-user", BASIC_USER]
        if auth == "sigv4":
            args += ["--sigv4-region", SIGV4_REGION]
        livy = start_local_livy(
            auth=auth,
            tls=tls,
            csrf=csrf,
            token=token,
            extra_args=args,
            env=merged,
            connection_file=Path(folder) / f"livy-{len(started)}.json",
        )
        started.append(livy)
        return livy

    try:
        yield start
    finally:
        for livy in started:
            livy.stop()


@pytest.fixture(scope="session")
def local_livy(livy_factory: LivyFactory) -> LocalLivy:
    """The shared bearer-auth endpoint of the run."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return livy_factory("bearer")


@pytest.fixture(scope="session")
def livy_pyspark_session(local_livy: LocalLivy) -> Iterator[LivySessionHandle]:
    """One idle PySpark session on `local_livy`, shared by the run; deleted at the end."""
    http = bearer_http(local_livy)
    response = http.post(f"{local_livy.url}/sessions", json={"kind": "pyspark", "name": "shared"}, timeout=10)
    assert response.status_code == 201, response.text
    sid = int(response.json()["id"])
    wait_session(http, local_livy.url, sid)
    try:
        yield LivySessionHandle(local_livy, sid)
    finally:
        http.delete(f"{local_livy.url}/sessions/{sid}", timeout=30)


def descendants(pid: int) -> list[int]:
    """Live (non-zombie) descendant pids of `pid`, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def alive(pids: Sequence[int]) -> list[int]:
    """The pids of `pids` that still run (zombies count as gone)."""
    left = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            left.append(pid)
    return left


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll predicate every 0.1 s until true; AssertionError naming `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)
