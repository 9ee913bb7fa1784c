"""The parent side of a session's REPL subprocess (repl_main.py is the child, wire.py the frames)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tornado.iostream import PipeIOStream, StreamClosedError

from emrlab.magics.server.wire import HEADER, decode, encode


class ReplDiedError(RuntimeError):
    """The REPL process exited; the session is dead (see its log)."""


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of Spark children: loopback only, the server's Python on both sides."""
    env = dict(os.environ)
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYSPARK_DRIVER_PYTHON", None)
    env.update(extra or {})
    return env


class Repl:
    """One PySpark REPL child: start it, execute statements, cancel, kill."""

    def __init__(
        self,
        log_path: Path,
        *,
        on_progress: Callable[[int, float], None],
        on_exit: Callable[[int | None], None],
        env: dict[str, str] | None = None,
    ) -> None:
        self.log_path = log_path
        self._on_progress = on_progress
        self._on_exit = on_exit
        self._env = env
        self._process: subprocess.Popen[bytes] | None = None
        self._cmd: PipeIOStream | None = None
        self._ctl: PipeIOStream | None = None
        self._ready: asyncio.Future[dict[str, Any]] | None = None
        self._results: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._exited = False
        self._reader: asyncio.Future[None] | None = None

    @property
    def pid(self) -> int | None:
        """The child's pid (also its process group id), None before start."""
        return None if self._process is None else self._process.pid

    @property
    def alive(self) -> bool:
        """Whether the child is still running."""
        return self._process is not None and not self._exited and self._process.poll() is None

    async def start(self, conf: dict[str, str], max_result: int, *, scala: bool = False) -> dict[str, Any]:
        """Spawn the child, build its SparkSession; returns the ready message (app_id, spark_ui_url)."""
        cmd_r, cmd_w = os.pipe()
        resp_r, resp_w = os.pipe()
        ctl_r, ctl_w = os.pipe()
        argv = [sys.executable, "-m", "emrlab.magics.server.repl_main"]
        argv += ["--cmd-fd", str(cmd_r), "--resp-fd", str(resp_w), "--ctl-fd", str(ctl_r)]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(cmd_r, resp_w, ctl_r),
                start_new_session=True,
                env=child_env(self._env),
            )
        for fd in (cmd_r, resp_w, ctl_r):
            os.close(fd)
        self._cmd, self._ctl = PipeIOStream(cmd_w), PipeIOStream(ctl_w)
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        self._reader = asyncio.ensure_future(self._read_loop(PipeIOStream(resp_r)))
        start = {"type": "start", "conf": conf, "max_result": max_result, "scala": scala}
        await self._cmd.write(encode(start))
        return await self._ready

    async def execute(self, sid: int, code: str, kind: str) -> dict[str, Any]:
        """Run a statement; returns its Livy output object; raises ReplDiedError if the child goes away."""
        if self._cmd is None or not self.alive:
            raise ReplDiedError("the REPL is not running")
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._results[sid] = future
        try:
            await self._cmd.write(encode({"type": "execute", "id": sid, "code": code, "kind": kind}))
        except StreamClosedError as exc:
            raise ReplDiedError("the REPL closed its command pipe") from exc
        return await future

    def cancel(self, sid: int) -> None:
        """Ask the child to cancel statement sid (its job group, then SIGINT to its main thread)."""
        if self._ctl is not None and self.alive:
            self._ctl.write(encode({"type": "cancel", "id": sid}))

    async def _read_loop(self, stream: PipeIOStream) -> None:
        try:
            while True:
                header = await stream.read_bytes(HEADER.size)
                body = await stream.read_bytes(HEADER.unpack(header)[0])
                self._dispatch(decode(body))
        except StreamClosedError:
            pass
        finally:
            stream.close()
            await self._reap()

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ready" and self._ready is not None and not self._ready.done():
            self._ready.set_result(message)
        elif kind == "failed" and self._ready is not None and not self._ready.done():
            self._ready.set_exception(ReplDiedError(f"Spark did not start: {message.get('error')}"))
        elif kind == "result":
            future = self._results.pop(int(message["id"]), None)
            if future is not None and not future.done():
                future.set_result(message["output"])
        elif kind == "progress":
            self._on_progress(int(message["id"]), float(message["progress"]))

    async def _reap(self) -> None:
        self._exited = True
        for stream in (self._cmd, self._ctl):
            if stream is not None:
                stream.close()
        code: int | None = None
        if self._process is not None:
            code = await asyncio.get_running_loop().run_in_executor(None, _wait, self._process, 10.0)
        error = ReplDiedError(f"the REPL process exited (code {code}); see the session log")
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(error)
        for future in self._results.values():
            if not future.done():
                future.set_exception(error)
        self._results.clear()
        self._on_exit(code)

    def kill(self) -> None:
        """SIGTERM the child's process group (the Python REPL and its JVM); SIGKILL follows if needed."""
        terminate_group(self._process)


def _wait(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    """Reap the child, then give its JVM (same process group) a moment to exit before SIGKILL."""
    try:
        code: int | None = process.wait(timeout)
    except subprocess.TimeoutExpired:
        terminate_group(process, grace=0)
        code = process.wait(5)
    wait_group_gone(process.pid, 3.0)
    return code


def group_alive(pgid: int) -> bool:
    """Whether any process of group pgid is left."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_group_gone(pgid: int, grace: float) -> None:
    """Wait up to grace seconds for group pgid to empty, then SIGKILL what is left."""
    deadline = time.monotonic() + grace
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    kill_group(pgid)


def terminate_group(process: subprocess.Popen[bytes] | None, grace: float | None = None) -> None:
    """SIGTERM a child started with start_new_session=True and its group; SIGKILL the group after `grace` s.

    With grace=None the SIGKILL is left to the caller (e.g. _wait or stop_all)."""
    if process is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL) if grace == 0 else (signal.SIGTERM,):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
    if grace:
        deadline = time.monotonic() + grace
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        kill_group(process.pid)


def kill_group(pgid: int) -> None:
    """SIGKILL a process group if any member is left."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
