"""Livy client speed: `%%emr` against sparkmagic 0.23 and a minimal raw client, same run, same endpoint.

One local endpoint (`emrlab.magics.server.launch.start_local_livy`) serves the whole run. It runs with
`--auth none`: sparkmagic can send a bearer token only through a custom authenticator, and the three clients
must meet the same server, so none of them authenticates. Each client gets its own PySpark session, created
and warmed up (a few statements, a small query) before any timing; all sessions are deleted and the endpoint
is stopped at the end.

(a) `--statements N` trivial statements (`1 + 1`, each checked to answer `2`) through:
  - `%%emr` cells: `shell.run_cell("%%emr\\n1 + 1")` in an in-process IPython InteractiveShell after
    `%load_ext emrlab` and `%emr connect --url URL --auth none` (the full cell path: input transformers,
    magic dispatch, printing the result; stdout captured);
  - sparkmagic's client as its kernels use it: `LivySession` + `Command(code).execute(session)` (no IPython
    shell, so sparkmagic is spared the cell overhead %%emr pays);
  - a raw client: one keep-alive `requests.Session`, POST the statement, then GET it again without any
    sleep until it is available (the floor for a polling client).
  Printed: total and ms per statement of each, and %%emr/sparkmagic (target <= 0.5), %%emr/raw (<= 1.5).
(b) `--rows N` rows of `SELECT id, id * 2.5 AS x, cast(id AS string) AS s, id % 2 = 0 AS even FROM range(N)`
  into pandas: `%%emr sql -o df -n -1` (every row) in the shell, against sparkmagic's `%%sql -o df -n -1`
  path, `SQLQuery(query, samplemethod="take", maxrows=-1).execute(session)`; both frames must have N rows.
  Printed: both times and %%emr/sparkmagic (target <= 0.2); also, as a floor, the raw client running the
  same query to an Arrow table on the driver (`spark.sql(q).toArrow().num_rows`, nothing transferred) and
  %%emr's ratio to it (what moving the rows costs; no target).

Every measurement is the best of `--repeat` runs, the clients interleaved round by round so a burst of
other work hits them alike. The 1-minute load average is printed at the end: other work skews wall time.

    .venv/bin/python benchmarks/livy_bench.py [--statements 200] [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import requests

TRIVIAL, TRIVIAL_ANSWER = "1 + 1", "2"
QUERY = "SELECT id, id * 2.5 AS x, cast(id AS string) AS s, id % 2 = 0 AS even FROM range({rows})"
TARGET_SPARKMAGIC, TARGET_RAW, TARGET_ROWS = 0.5, 1.5, 0.2
SESSION_START_TIMEOUT = 600.0  # a PySpark session takes ~8 s, a minute or more on a loaded machine
STATEMENT_TIMEOUT = 600.0
WARMUP_STATEMENTS, WARMUP_ROWS = 5, 1000
FLOOR = "Spark alone (raw client)"
# sparkmagic's default logging config switches off every other logger and writes ~/.sparkmagic/logs.
QUIET_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"magicsLogger": {"handlers": ["null"], "level": "DEBUG", "propagate": 0}},
}


class BenchError(Exception):
    """A client did not do what the benchmark expects (so its time would mean nothing)."""


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


class RawClient:
    """The floor: one keep-alive requests.Session, POST a statement, GET it without sleeping until done."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.headers["X-Requested-By"] = "livy_bench"
        self.session_id: int | None = None

    def create(self) -> None:
        """POST /sessions (it starts in the background; `wait_idle` waits for it)."""
        reply = self.http.post(f"{self.url}/sessions", json={"kind": "pyspark"}, timeout=60)
        reply.raise_for_status()
        self.session_id = int(reply.json()["id"])

    def wait_idle(self) -> None:
        deadline = time.monotonic() + SESSION_START_TIMEOUT
        while True:
            reply = self.http.get(f"{self.url}/sessions/{self.session_id}/state", timeout=60)
            reply.raise_for_status()
            state = reply.json()["state"]
            if state == "idle":
                return
            if state not in ("not_started", "starting", "busy") or time.monotonic() > deadline:
                raise BenchError(f"raw client: session {self.session_id} is {state}")
            time.sleep(0.1)

    def run(self, code: str) -> str:
        """The statement's text/plain output."""
        base = f"{self.url}/sessions/{self.session_id}/statements"
        reply = self.http.post(base, json={"code": code}, timeout=60)
        reply.raise_for_status()
        statement = reply.json()
        where = f"{base}/{statement['id']}"
        deadline = time.monotonic() + STATEMENT_TIMEOUT
        while statement["state"] not in ("available", "error", "cancelled"):
            if time.monotonic() > deadline:
                raise BenchError(f"raw client: statement {where} still {statement['state']}")
            reply = self.http.get(where, timeout=60)
            reply.raise_for_status()
            statement = reply.json()
        output = statement.get("output") or {}
        if output.get("status") != "ok":
            raise BenchError(f"raw client: {code!r} failed: {output}")
        return str(output["data"].get("text/plain", ""))

    def close(self) -> None:
        if self.session_id is not None:
            self.http.delete(f"{self.url}/sessions/{self.session_id}", timeout=60)
        self.http.close()


class EmrShell:
    """`%%emr` cells in an in-process IPython InteractiveShell, connected with `%emr connect --url`."""

    def __init__(self, url: str) -> None:
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.hist_file = ":memory:"
        self.shell = InteractiveShell.instance(config=config)
        self.cell("%load_ext emrlab")
        self.cell(f"%emr connect --url {url} --auth none --timeout {SESSION_START_TIMEOUT:g}")

    def cell(self, source: str) -> str:
        """Run one cell; its captured stdout, or BenchError with everything it printed."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            result = self.shell.run_cell(source, store_history=True)  # type: ignore[no-untyped-call]
        if not result.success:
            failure = result.error_in_exec or result.error_before_exec
            raise BenchError(
                f"%%emr cell {source.splitlines()[0]!r} failed: {failure!r}\n{out.getvalue()[-2000:]}"
                f"{err.getvalue()[-2000:]}"
            )
        return out.getvalue()

    def run(self, code: str) -> str:
        return self.cell(f"%%emr\n{code}").strip()

    def frame(self, query: str) -> Any:
        self.cell(f"%%emr sql -o df -n -1\n{query}")
        return self.shell.user_ns.pop("df")

    def close(self) -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            self.shell.run_line_magic("unload_ext", "emrlab")  # deletes the session it created


class Display:
    """The IpythonDisplay methods sparkmagic's LivySession and Command call; shows nothing."""

    def display(self, value: object) -> None:
        pass

    def html(self, value: object) -> None:
        pass

    def write(self, value: object) -> None:
        pass

    writeln = send_error = stderr_flush = stdout_flush = write


class Sparkmagic:
    """sparkmagic 0.23's own client: LivySession, Command(code).execute, SQLQuery for `%%sql -o -n -1`."""

    def __init__(self, url: str, conf_dir: Path) -> None:
        os.environ["SPARKMAGIC_CONF_DIR"] = str(conf_dir)  # before sparkmagic reads ~/.sparkmagic
        settings = {
            "logging_config": QUIET_LOGGING,
            "livy_session_startup_timeout_seconds": int(SESSION_START_TIMEOUT),
        }
        (conf_dir / "config.json").write_text(json.dumps(settings), encoding="utf-8")
        # through importlib: sparkmagic is untyped, and an optional extra of ours (Any is what it gives)
        conf = importlib.import_module("sparkmagic.utils.configuration")
        conf.override_all(settings)
        lib = "sparkmagic.livyclientlib."
        endpoint = importlib.import_module(lib + "endpoint").Endpoint(url, None)
        client = importlib.import_module(lib + "livyreliablehttpclient").LivyReliableHttpClient
        livy_session = importlib.import_module(lib + "livysession").LivySession
        self._command = importlib.import_module(lib + "command").Command
        self._sql_query = importlib.import_module(lib + "sqlquery").SQLQuery
        self.session = livy_session(client.from_endpoint(endpoint), {"kind": "pyspark"}, Display())
        self.session.start()  # blocks until idle, then runs `spark` to find the SQL context

    def run(self, code: str) -> str:
        ok, output, _ = self._command(code).execute(self.session)
        if not ok:
            raise BenchError(f"sparkmagic: {code!r} failed: {output}")
        return str(output)

    def frame(self, query: str) -> Any:
        with warnings.catch_warnings():  # its coercion tries pd.to_datetime on string columns, and warns
            warnings.simplefilter("ignore", UserWarning)
            return self._sql_query(query, samplemethod="take", maxrows=-1).execute(self.session)

    def close(self) -> None:
        self.session.delete()


class StatementLoop:
    """`count` trivial statements through `run`, each answer checked; keeps the per-statement times of
    its fastest round (for the median and the 95th percentile)."""

    def __init__(self, run: Callable[[str], str], count: int, label: str) -> None:
        self.run, self.count, self.label = run, count, label
        self.best: list[float] = []

    def __call__(self) -> None:
        times = []
        for _ in range(self.count):
            start = time.perf_counter()
            answer = self.run(TRIVIAL)
            times.append(time.perf_counter() - start)
            if answer != TRIVIAL_ANSWER:
                raise BenchError(f"{self.label}: {TRIVIAL!r} answered {answer!r}, not {TRIVIAL_ANSWER!r}")
        if not self.best or sum(times) < sum(self.best):
            self.best = times

    def spread(self) -> str:
        ordered = sorted(self.best)
        p50, p95 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        return f"median {p50 * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms"


def frame_fetch(frame: Callable[[str], Any], rows: int, label: str) -> Callable[[], None]:
    query = QUERY.format(rows=rows)

    def fetch() -> None:
        got = frame(query)
        if len(got) != rows or list(got.columns) != ["id", "x", "s", "even"]:
            raise BenchError(f"{label}: got {len(got)} rows, columns {list(got.columns)}; wanted {rows}")

    return fetch


def spark_alone(raw: RawClient, rows: int) -> Callable[[], None]:
    """The floor of (b): the same query collected to Arrow on the driver by the raw client, nothing sent."""
    code = f"spark.sql({QUERY.format(rows=rows)!r}).toArrow().num_rows"

    def collect() -> None:
        answer = raw.run(code)
        if answer != str(rows):
            raise BenchError(f"Spark alone: {code!r} answered {answer!r}, not {rows}")

    return collect


def best_of(runs: dict[str, Callable[[], None]], repeat: int) -> dict[str, float]:
    """Best wall time of each run, the runs interleaved round by round."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for label, run in runs.items():
            best[label] = min(best[label], timed(run))
    return best


def ratio_line(name: str, value: float, target: float) -> str:
    return f"  {name:<22} {value:6.3f}  (target: <= {target})"


def run_benchmark(url: str, scratch: Path, args: argparse.Namespace) -> None:
    """Create the three clients' sessions, warm them up, then measure (a) and (b); print as it goes."""
    clients: list[Any] = []
    try:
        raw = RawClient(url)
        raw.create()  # starts while the other two create theirs
        clients.append(raw)
        emr = EmrShell(url)
        clients.append(emr)
        sparkmagic = Sparkmagic(url, scratch)
        clients.append(sparkmagic)
        raw.wait_idle()
        runners = {"%%emr": emr.run, "sparkmagic": sparkmagic.run, "raw": raw.run}
        for label, run in runners.items():
            StatementLoop(run, WARMUP_STATEMENTS, label)()
        print(f"(a) {args.statements} x {TRIVIAL!r}, best of {args.repeat}", flush=True)
        loops = {label: StatementLoop(run, args.statements, label) for label, run in runners.items()}
        best = best_of(dict(loops), args.repeat)
        for label, seconds in best.items():
            per = seconds / args.statements * 1000
            spread = loops[label].spread()
            print(f"  {label:<12} {seconds:7.2f} s  {per:7.1f} ms/statement  ({spread})", flush=True)
        print(ratio_line("%%emr / sparkmagic", best["%%emr"] / best["sparkmagic"], TARGET_SPARKMAGIC))
        print(ratio_line("%%emr / raw", best["%%emr"] / best["raw"], TARGET_RAW), flush=True)

        framers = {"%%emr sql -o -n -1": emr.frame, "sparkmagic %%sql -o -n -1": sparkmagic.frame}
        for label, frame in framers.items():
            frame_fetch(frame, WARMUP_ROWS, label)()
        spark_alone(raw, WARMUP_ROWS)()  # each session's first query pays for Spark's warm-up
        print(f"(b) {args.rows:,} rows into pandas, best of {args.repeat}", flush=True)
        fetches = {label: frame_fetch(frame, args.rows, label) for label, frame in framers.items()}
        fetches[FLOOR] = spark_alone(raw, args.rows)
        best = best_of(fetches, args.repeat)
        for label, seconds in best.items():
            print(f"  {label:<26} {seconds:7.2f} s", flush=True)
        emr_seconds = best["%%emr sql -o -n -1"]
        print(ratio_line("%%emr / sparkmagic", emr_seconds / best["sparkmagic %%sql -o -n -1"], TARGET_ROWS))
        floor = emr_seconds / best[FLOOR]
        print(f"  {'%%emr / Spark alone':<22} {floor:6.3f}  (no target: what the transfer adds)", flush=True)
    finally:
        for client in reversed(clients):
            try:
                client.close()
            except Exception as exc:  # cleanup: report and go on closing the others
                print(f"livy_bench: could not close {type(client).__name__}: {exc!r}", file=sys.stderr)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="%%emr vs sparkmagic vs a raw client on a local endpoint.")
    parser.add_argument("--statements", type=int, default=200, metavar="N", help="trivial statements (200)")
    parser.add_argument("--rows", type=int, default=100_000, metavar="N", help="rows of the query (100000)")
    parser.add_argument("--repeat", type=int, default=3, metavar="K", help="runs per measurement, best kept")
    args = parser.parse_args(argv)
    if args.statements < 1 or args.rows < 1 or args.repeat < 1:
        parser.error("--statements, --rows and --repeat must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    scratch = Path(tempfile.mkdtemp(prefix="emrlab-livy-bench-"))
    os.environ["IPYTHONDIR"] = str(scratch / "ipython")  # keep the shell away from ~/.ipython
    from emrlab.magics.server.launch import start_local_livy

    try:
        livy = start_local_livy(auth="none", connection_file=scratch / "livy.json")
    except RuntimeError as exc:
        print(f"livy_bench: {exc}", file=sys.stderr)
        return 1
    try:
        print(f"local endpoint {livy.url} (--auth none), one PySpark session per client", flush=True)
        run_benchmark(livy.url, scratch, args)
    except BenchError as exc:
        print(f"livy_bench: {exc}", file=sys.stderr)
        return 1
    finally:
        livy.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0]
    print(f"({cores} cores; 1-minute load average {load:.2f} at the end: other work skews this)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
