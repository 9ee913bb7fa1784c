"""The child side of a session's REPL: runs inside the PySpark Python, executes statements in its main thread.

Started by `repl.Repl` as `python -m emrlab.magics.server.repl_main --cmd-fd N --resp-fd N --ctl-fd N`.
Commands arrive on cmd-fd (`start`, then `execute`), answers leave on resp-fd (`ready`/`failed`, `result`,
`progress`), and a control thread reads `cancel` on ctl-fd: it cancels the statement's Spark job group and, if
the code is still running, interrupts the main thread with SIGINT. stdout/stderr of the process are the
session log; each statement's own stdout/stderr are captured and returned as text/plain.
"""

from __future__ import annotations

import argparse
import ast
import base64
import datetime
import decimal
import io
import json
import signal
import sys
import threading
import time
import traceback
import warnings
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

from emrlab.magics.server.scala_repl import ScalaInterpreter
from emrlab.magics.server.wire import read_message, write_message

PROGRESS_INTERVAL = 0.1


class Child:
    """The REPL state: the Spark session, the namespace and the statement being executed."""

    def __init__(self, cmd_fd: int, resp_fd: int, ctl_fd: int) -> None:
        self.cmd_fd, self.resp_fd, self.ctl_fd = cmd_fd, resp_fd, ctl_fd
        self.lock = threading.Lock()
        self.current: int | None = None
        self.cancelled: set[int] = set()
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        self.spark: Any = None
        self.max_result = 1000
        self.started = threading.Event()
        self.scala: ScalaInterpreter | None = None

    def send(self, message: dict[str, Any]) -> None:
        """Write one answer (threads share the pipe, so under a lock)."""
        with self.lock:
            write_message(self.resp_fd, message)

    def start(self, message: dict[str, Any]) -> None:
        """Build the SparkSession from the session's conf and answer `ready` (or `failed`)."""
        try:
            from pyspark.sql import SparkSession, SQLContext

            conf: dict[str, str] = dict(message.get("conf") or {})
            builder = SparkSession.builder.master(conf.pop("spark.master", "local[*]"))
            for key, value in conf.items():
                builder = builder.config(key, value)
            spark = builder.getOrCreate()
            sc = spark.sparkContext
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sql_context = SQLContext(sc, spark)
        except BaseException as exc:
            self.send({"type": "failed", "error": f"{type(exc).__name__}: {exc}"})
            raise SystemExit(1) from exc
        self.spark = spark
        self.max_result = int(message.get("max_result") or 1000)
        self.namespace.update(spark=spark, sc=sc, sqlContext=sql_context)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if message.get("scala"):
            scala_error = self.scala_interpreter()
            if scala_error is not None:
                self.send({"type": "failed", "error": scala_error["evalue"]})
                raise SystemExit(1)
        threading.Thread(target=self._watch_progress, args=(sc.statusTracker(),), daemon=True).start()
        self.send({"type": "ready", "app_id": sc.applicationId, "spark_ui_url": sc.uiWebUrl})

    def execute(self, message: dict[str, Any]) -> None:
        """Run one statement and answer its Livy output object."""
        sid = int(message["id"])
        if sid in self.cancelled:
            self.send({"type": "result", "id": sid, "output": _error("KeyboardInterrupt", "cancelled", [])})
            return
        group = f"livy-statement-{sid}"
        sc = self.namespace["sc"]
        sc.setJobGroup(group, f"Livy statement {sid}", interruptOnCancel=True)
        self.current = sid
        self.started.set()
        try:
            if message.get("kind") == "sql":
                output = self.run_sql(str(message["code"]))
            elif message.get("kind") == "spark":
                output = self.run_scala(str(message["code"]))
            else:
                output = self.run_python(str(message["code"]))
        except KeyboardInterrupt:
            output = _error("KeyboardInterrupt", "cancelled", [])
        finally:
            self.current = None
        output["execution_count"] = sid
        self.send({"type": "result", "id": sid, "output": output})

    def run_python(self, code: str) -> dict[str, Any]:
        """exec the code like a REPL (a trailing expression shows its repr); capture stdout and stderr."""
        out, err = io.StringIO(), io.StringIO()
        data: dict[str, Any] = {}
        with redirect_stdout(out), redirect_stderr(err):
            try:
                magic = _magic(code)
                if magic is not None:
                    data = self.run_magic(*magic)
                else:
                    tree = ast.parse(code, "<stdin>", "exec")
                    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
                    exec(compile(tree, "<stdin>", "exec"), self.namespace)
                    if last is not None:
                        interactive = ast.Interactive(body=[last])
                        exec(compile(interactive, "<stdin>", "single"), self.namespace)
            except BaseException as exc:
                return _exception(exc)
            finally:
                _to_log(err.getvalue())
        text = out.getvalue().rstrip("\n")
        if "text/plain" not in data:
            data = {"text/plain": text, **data}
        return {"status": "ok", "data": data}

    def run_magic(self, name: str, expr: str) -> dict[str, Any]:
        """Livy's %json, %table and %matplot magics."""
        value = eval(expr, self.namespace)
        if name == "json":
            return {"application/json": _jsonable(value)}
        if name == "table":
            rows = [list(row) if isinstance(row, (list, tuple)) else [row] for row in value]
            width = max((len(row) for row in rows), default=0)
            headers = [{"name": str(i), "type": "STRING_TYPE"} for i in range(width)]
            return {"application/vnd.livy.table.v1+json": {"headers": headers, "data": _jsonable(rows)}}
        buffer = io.BytesIO()
        figure = value.gcf() if hasattr(value, "gcf") else value
        figure.savefig(buffer, format="png")
        return {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii")}

    def scala_interpreter(self) -> dict[str, Any] | None:
        """Create the session's Scala interpreter once; an error output if it cannot start."""
        if self.scala is None:
            try:
                self.scala = ScalaInterpreter(self.spark)
            except Exception as exc:
                evalue = f"the Scala interpreter did not start ({exc}); use an EMR cluster for Scala"
                return _error("ScalaUnavailable", evalue, [])
        return None

    def run_scala(self, code: str) -> dict[str, Any]:
        """A Scala statement through the Scala 2.13 interpreter in the same JVM."""
        failure = self.scala_interpreter()
        if failure is not None:
            return failure
        assert self.scala is not None
        try:
            return self.scala.execute(code)
        except Exception as exc:  # a py4j error: the JVM side failed outside the interpreter
            return _exception(exc)

    def run_sql(self, code: str) -> dict[str, Any]:
        """spark.sql(code) -> {schema, data} with at most max_result rows (silently, like Livy)."""
        try:
            frame = self.spark.sql(code)
            rows = frame.take(self.max_result)
            schema = json.loads(frame.schema.json())
            payload = {"schema": schema, "data": [_jsonable(list(row)) for row in rows]}
        except BaseException as exc:
            return _exception(exc)
        return {"status": "ok", "data": {"application/json": payload}}

    def _watch_progress(self, tracker: Any) -> None:
        """One thread for the session: while a statement runs, report its job group's progress every 0.1 s."""
        while True:
            self.started.wait()
            self.started.clear()
            sid = self.current
            last = -1.0
            while sid is not None and self.current == sid:
                time.sleep(PROGRESS_INTERVAL)
                if self.current != sid:
                    break
                try:
                    progress = _group_progress(tracker, f"livy-statement-{sid}")
                except Exception as exc:  # the JVM is going away; the statement result says why
                    print(f"progress watcher stopped: {exc}", file=sys.__stderr__)
                    return
                if progress is not None and progress != last and self.current == sid:
                    last = progress
                    self.send({"type": "progress", "id": sid, "progress": progress})

    def control_loop(self) -> None:
        """Read cancel requests; cancel the job group, then interrupt the main thread if still running."""
        main = threading.main_thread().ident
        while True:
            message = read_message(self.ctl_fd)
            if message is None:
                return
            sid = int(message["id"])
            self.cancelled.add(sid)
            if self.current != sid:
                continue
            self._interrupt(sid, main)

    def _interrupt(self, sid: int, main: int | None) -> None:
        """Cancel the job group; SIGINT the main thread only while it runs Python code, not inside py4j
        (an interrupted py4j call would desynchronise the gateway connection)."""
        sc = self.namespace.get("sc")
        deadline = time.monotonic() + 60
        next_cancel = 0.0
        while self.current == sid and time.monotonic() < deadline and main is not None:
            if time.monotonic() >= next_cancel and sc is not None:
                sc.cancelJobGroup(f"livy-statement-{sid}")
                next_cancel = time.monotonic() + 1.0
            time.sleep(0.05)
            frame = sys._current_frames().get(main)
            if self.current == sid and frame is not None and not _in_py4j(frame):
                signal.pthread_kill(main, signal.SIGINT)
                time.sleep(0.2)

    def serve(self) -> int:
        """The main loop: start, then execute statements until the parent closes the pipe."""
        threading.Thread(target=self.control_loop, daemon=True).start()
        while True:
            try:
                message = read_message(self.cmd_fd)
            except KeyboardInterrupt:
                continue
            if message is None:
                return 0
            if message["type"] == "start":
                self.start(message)
            elif message["type"] == "execute":
                try:
                    self.execute(message)
                except KeyboardInterrupt:
                    self.send(
                        {"type": "result", "id": message["id"], "output": _error("KeyboardInterrupt", "", [])}
                    )


def _to_log(text: str) -> None:
    """A statement's stderr goes to the session log, as in Livy (text/plain is its stdout)."""
    if text and sys.__stderr__ is not None:
        sys.__stderr__.write(text)
        sys.__stderr__.flush()


def _in_py4j(frame: Any) -> bool:
    """Whether the innermost frames are py4j's gateway (a Java call in flight)."""
    depth = 0
    while frame is not None and depth < 8:
        name = frame.f_code.co_filename
        if "py4j" in name or name.endswith(("socket.py", "clientserver.py", "java_gateway.py")):
            return True
        frame = frame.f_back
        depth += 1
    return False


def _group_progress(tracker: Any, group: str) -> float | None:
    total = done = 0
    for job_id in tracker.getJobIdsForGroup(group):
        job = tracker.getJobInfo(job_id)
        if job is None:
            continue
        for stage_id in job.stageIds:
            stage = tracker.getStageInfo(stage_id)
            if stage is not None:
                total += stage.numTasks
                done += stage.numCompletedTasks
    return None if total == 0 else round(done / total, 4)


def _magic(code: str) -> tuple[str, str] | None:
    stripped = code.strip()
    for name in ("json", "table", "matplot"):
        if stripped.startswith(f"%{name} ") and "\n" not in stripped:
            return name, stripped[len(name) + 2 :].strip()
    return None


def _error(ename: str, evalue: str, lines: list[str]) -> dict[str, Any]:
    return {"status": "error", "ename": ename, "evalue": evalue, "traceback": lines}


def _exception(exc: BaseException) -> dict[str, Any]:
    tb = exc.__traceback__
    if tb is not None and tb.tb_next is not None:
        tb = tb.tb_next  # drop this module's exec frame
    lines = traceback.format_exception(type(exc), exc, tb)
    return _error(type(exc).__name__, str(exc), lines)


def _jsonable(value: Any) -> Any:
    """Spark row values -> JSON values (dates as ISO text, decimals as numbers, bytes as base64)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "asDict"):
        return {str(k): _jsonable(v) for k, v in value.asDict().items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return str(value)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the REPL child."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cmd-fd", type=int, required=True)
    parser.add_argument("--resp-fd", type=int, required=True)
    parser.add_argument("--ctl-fd", type=int, required=True)
    args = parser.parse_args(argv)
    return Child(args.cmd_fd, args.resp_fd, args.ctl_fd).serve()


if __name__ == "__main__":
    sys.exit(main())
