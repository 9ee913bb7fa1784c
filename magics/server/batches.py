"""Livy batches: a script run by pyspark's bundled spark-submit on local[*]; running -> success | dead."""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import subprocess
from pathlib import Path
from typing import Any

from emrlab.magics.server.errors import BadRequestError, NotFoundError
from emrlab.magics.server.repl import child_env, terminate_group, wait_group_gone
from emrlab.magics.server.sessions import spark_conf


def spark_home() -> Path:
    """The pyspark package folder, which is a SPARK_HOME (bin/spark-submit, jars/)."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise BadRequestError("pyspark is not installed in the server's Python: pip install pyspark")
    return Path(spec.origin).parent


class Batch:
    """One spark-submit run."""

    def __init__(self, bid: int, body: dict[str, Any], log_path: Path) -> None:
        file = body.get("file")
        if not file or not isinstance(file, str):
            raise BadRequestError("a batch needs 'file': the path of the script to run")
        path = Path(file[len("file://") :] if file.startswith("file://") else file)
        if not path.is_file():
            raise BadRequestError(f"the batch file {file!r} does not exist on the server's machine")
        args = body.get("args") or []
        if not isinstance(args, list):
            raise BadRequestError("'args' must be a list of strings")
        self.id = bid
        self.name: str | None = body.get("name")
        self.proxy_user: str | None = body.get("proxyUser")
        self.file = path
        self.args = [str(a) for a in args]
        self.conf = spark_conf(body)
        self.class_name: str | None = body.get("className")
        self.state = "starting"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.exit_code: int | None = None
        self.waiter: asyncio.Future[None] | None = None

    def command(self) -> list[str]:
        """The spark-submit command line."""
        home = spark_home()
        argv = [str(home / "bin" / "spark-submit"), "--master", self.conf.pop("spark.master", "local[*]")]
        for key, value in sorted(self.conf.items()):
            argv += ["--conf", f"{key}={value}"]
        if self.class_name:
            argv += ["--class", self.class_name]
        return [*argv, str(self.file), *self.args]

    def log_lines(self) -> list[str]:
        """spark-submit's stdout and stderr."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def to_json(self) -> dict[str, Any]:
        """Livy's batch object."""
        return {
            "id": self.id,
            "name": self.name,
            "owner": None,
            "proxyUser": self.proxy_user,
            "state": self.state,
            "appId": None,
            "appInfo": {"driverLogUrl": None, "sparkUiUrl": None},
            "log": self.log_lines()[-10:],
        }


class BatchManager:
    """All batches of the server."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.batches: dict[int, Batch] = {}
        self._ids = itertools.count()

    def create(self, body: dict[str, Any]) -> Batch:
        """Start spark-submit in the background."""
        batch = Batch(next(self._ids), body, self.workdir / "batch-pending.log")
        batch.log_path = self.workdir / f"batch-{batch.id}.log"
        command = batch.command()
        home = spark_home()
        with batch.log_path.open("ab") as log:
            batch.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=child_env({"SPARK_HOME": str(home)}),
            )
        batch.state = "running"
        self.batches[batch.id] = batch
        batch.waiter = asyncio.ensure_future(self._wait(batch))
        return batch

    async def _wait(self, batch: Batch) -> None:
        process = batch.process
        assert process is not None
        code = await asyncio.get_running_loop().run_in_executor(None, process.wait)
        await asyncio.get_running_loop().run_in_executor(None, wait_group_gone, process.pid, 3.0)
        batch.exit_code = code
        if batch.state == "running":
            batch.state = "success" if code == 0 else "dead"

    def get(self, bid: int) -> Batch:
        """Batch bid, or 404."""
        batch = self.batches.get(bid)
        if batch is None:
            raise NotFoundError(f"Batch '{bid}' not found.")
        return batch

    def delete(self, bid: int) -> None:
        """Kill the batch (if running) and forget it."""
        batch = self.get(bid)
        if batch.state == "running":
            batch.state = "killed"
            terminate_group(batch.process)
        del self.batches[bid]

    def processes(self) -> list[subprocess.Popen[bytes]]:
        """Running spark-submit processes (for shutdown)."""
        return [
            b.process for b in self.batches.values() if b.process is not None and b.process.poll() is None
        ]
