"""Start, find and stop a local endpoint from Python (tests and `%emr connect --local`).

`start_local_livy()` runs `python -m emrlab.magics.server --port 0 ... --connection-file F` as a subprocess
and waits (bounded) for F; `find_running()` reuses a live one; `LocalLivy.stop()` sends SIGTERM (the server
then kills its REPLs) and SIGKILL if it has not exited in time.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from emrlab.magics.server.connection import default_connection_file, read_connection_file

STOP_GRACE = 20.0


class LocalLivy:
    """A running local endpoint: url, token (bearer mode), ca_file (TLS), pid, connection_file."""

    def __init__(
        self,
        info: dict[str, Any],
        connection_file: Path,
        process: subprocess.Popen[bytes] | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.url: str = str(info["url"])
        self.token: str | None = info.get("token")
        self.ca_file: str | None = info.get("ca_file")
        self.pid: int = int(info["pid"])
        self.auth: str = str(info.get("auth", "bearer"))
        self.connection_file = connection_file
        self.process = process
        self.log_file = log_file

    def __repr__(self) -> str:
        return f"LocalLivy(url={self.url!r}, pid={self.pid}, auth={self.auth!r})"  # never the token

    @property
    def alive(self) -> bool:
        """Whether the server process is still running."""
        if self.process is not None:
            return self.process.poll() is None
        return _pid_alive(self.pid)

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's stderr (when we started it)."""
        if self.log_file is None or not self.log_file.exists():
            return ""
        return self.log_file.read_text(encoding="utf-8", errors="replace")[-chars:]

    def stop(self, timeout: float = STOP_GRACE) -> None:
        """SIGTERM, wait up to `timeout` s for the server (and its REPL cleanup), then SIGKILL."""
        if not self.alive:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        if self.process is not None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            if self.process.returncode == 0 and self.log_file is not None:
                self.log_file.unlink(missing_ok=True)
            return
        deadline = time.monotonic() + timeout
        while _pid_alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _pid_alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)

    def __enter__(self) -> LocalLivy:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with Path(f"/proc/{pid}/stat").open(encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=1.0):
            return True
    except OSError:
        return False


def find_running(connection_file: Path | str | None = None) -> LocalLivy | None:
    """The endpoint described by the connection file if its process is alive and listening, else None."""
    path = Path(connection_file) if connection_file is not None else default_connection_file()
    info = read_connection_file(path)
    if info is None or "url" not in info or "pid" not in info:
        return None
    if not _pid_alive(int(info["pid"])) or not _port_open(str(info["url"])):
        return None
    return LocalLivy(info, path)


def start_local_livy(
    *,
    auth: str = "bearer",
    tls: bool = False,
    csrf: bool = False,
    token: str | None = None,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    connection_file: Path | str | None = None,
    timeout: float = 60.0,
    exit_with_parent: bool = False,
) -> LocalLivy:
    """Start a server on a free port of 127.0.0.1; returns once its connection file exists (bounded).

    `exit_with_parent`: the server stops when this process dies, however it dies (a kernel's endpoint)."""
    path = Path(connection_file) if connection_file is not None else default_connection_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "emrlab.magics.server", "--port", "0", "--auth", auth]
    argv += ["--connection-file", str(path), *extra_args]
    if tls:
        argv.append("--tls")
    if csrf:
        argv.append("--csrf")
    if exit_with_parent:
        argv.append("--exit-with-parent")
    child_env = dict(os.environ)
    child_env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    child_env.update(env or {})
    if token is not None:
        child_env["EMRLAB_LIVY_TOKEN"] = token  # the environment, not argv: argv is visible in ps
    log_fd, log_name = tempfile.mkstemp(prefix="emrlab-livy-", suffix=".log")
    with os.fdopen(log_fd, "wb") as log:
        # cwd: the connection file's folder. From a source checkout's root, `-m emrlab...` would import the
        # folder emrlab/ there instead of the installed package.
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=child_env, cwd=path.parent
        )
    log_file = Path(log_name)
    deadline = time.monotonic() + timeout
    while True:
        info = read_connection_file(path)
        if info is not None and info.get("pid") == process.pid:
            return LocalLivy(info, path, process, log_file)
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                process.kill()
                process.wait(10)
            tail = log_file.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(
                f"the local Livy endpoint did not start within {timeout:g} s "
                f"(exit code {process.returncode}); its output:\n{tail}"
            )
        time.sleep(0.02)
