"""Batch-conversion throughput, as a ratio to a floor measured in the same run.

A seeded synthetic corpus (our own text, following the idiom mix and cell sizes of the Databricks idiom
notes: `%md` cells dominate, Scala notebooks about 45%, `%run` to notebooks of the corpus ...) is written
in every supported format: SOURCE `.py/.sql/.scala/.r`, `.dbc` archives, Databricks and plain `.ipynb`,
HTML exports, and zips holding some of them (one with a nested `.dbc`).

The floor is one process (this one, imports already done) reading every notebook with emrlab's own
readers plus a `libcst.parse_module(src).code` round trip of every Python cell of Python notebooks. Each
`emrlab convert --target jupyter` run is the venv's CLI in a subprocess, into a fresh output folder, with
`--jobs 1` and with all cores. The three are measured in turns, best of `--repeat` runs each. Wall time
is the measure; CPU time (the floor's process, the converter's processes) is printed too, as it is far
less skewed by other work on the machine than wall time.

    .venv/bin/python benchmarks/convert_bench.py [--notebooks 2000] [--repeat 3] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import libcst
from corpus import FORMATS, KEPT_CORPUS, SEED, make_projects, write_corpus

from emrlab.converters.archive import close_archives
from emrlab.converters.config import Limits, Options
from emrlab.converters.idioms import IDIOMS, Tally, tally_notebook
from emrlab.converters.inputs import collect
from emrlab.converters.magics import split_magic
from emrlab.converters.model import Cell, Notebook
from emrlab.converters.readers import read_entry
from emrlab.converters.sniff import workspace_path
from emrlab.converters.translator import translate_notebook
from emrlab.converters.workspace import Workspace

TARGET_JOBS_1, TARGET_2_CORES = 1.5, 1.0
# Every DBFS spelling and Unity Catalog volumes mapped to S3, as a user converting for real would.
PATH_MAP = (("dbfs:/", "s3://bench-lake/dbfs"), ("/Volumes", "s3://bench-lake/volumes"))
T = TypeVar("T")


@dataclass
class Floor:
    """What the floor pass read: notebooks, cells, Python cells round-tripped and those libcst refused."""

    notebooks: int = 0
    cells: int = 0
    python_cells: int = 0
    unparseable: int = 0
    python_chars: int = 0


def python_source(cell: Cell) -> str | None:
    """The Python a Python notebook's cell holds (no magic, or `%python`), else None."""
    if cell.kind != "code":
        return None
    magic = split_magic(cell.source)
    if magic.magic not in (None, "python"):
        return None
    return magic.text if magic.magic else magic.body


def floor_notebook(notebook: Notebook, floor: Floor) -> None:
    floor.notebooks += 1
    floor.cells += len(notebook.cells)
    if notebook.language != "python":
        return
    for cell in notebook.cells:
        source = python_source(cell)
        if source is None:
            continue
        floor.python_cells += 1
        try:
            floor.python_chars += len(libcst.parse_module(source).code)
        except libcst.ParserSyntaxError:
            floor.unparseable += 1


def floor_pass(corpus: Path) -> Floor:
    """Read every notebook exactly as the converter lists and reads them, and round-trip Python cells."""
    limits, floor = Limits(), Floor()
    collected = collect([corpus], limits)
    try:
        for entry in collected.entries:
            notebook = read_entry(entry.relpath, entry.display, entry.locator, entry.format, limits)
            if notebook is not None:
                floor_notebook(notebook, floor)
    finally:
        collected.close()
        close_archives()
    return floor


@dataclass(frozen=True)
class Timing:
    """Wall time, and CPU time (this process's, plus that of children reaped meanwhile)."""

    wall: float
    cpu: float


def _cpu_now() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(run: Callable[[], T]) -> tuple[Timing, T]:
    start, cpu = time.perf_counter(), _cpu_now()
    value = run()
    return Timing(time.perf_counter() - start, _cpu_now() - cpu), value


class BenchError(Exception):
    """A convert run did not do what the benchmark expects (so its time would mean nothing)."""


def convert_once(emrlab: Path, corpus: Path, out: Path, jobs: int, notebooks: int) -> Timing:
    """The time of one `emrlab convert` into a fresh folder, after checking it converted everything."""
    shutil.rmtree(out, ignore_errors=True)
    argv = [str(emrlab), "convert", str(corpus), "-o", str(out), "--target", "jupyter"]
    argv += ["--jobs", str(jobs), "--quiet"]
    for source, dest in PATH_MAP:
        argv += ["--path-map", f"{source}={dest}"]
    timing, done = timed(lambda: subprocess.run(argv, capture_output=True, text=True, check=False))
    if done.returncode not in (0, 1):  # 1 = error findings (Scala cells in a Python kernel): expected
        raise BenchError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr}")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    rules = Counter(f["rule"] for nb in report["notebooks"] for f in nb["findings"])
    summary = report["summary"]
    if summary["notebooks"] != notebooks or summary["failed"]:
        raise BenchError(f"convert --jobs {jobs} did not convert all {notebooks} notebooks: {summary}")
    if rules["EMR101"] or rules["EMR102"]:  # the corpus's %run paths no longer match emrlab's paths
        raise BenchError(
            f"convert --jobs {jobs}: {rules['EMR101']} %run targets missing, {rules['EMR102']} cycles"
        )
    shutil.rmtree(out)
    return timing


def corpus_lines(total: int, counts: Counter[str], floor: Floor) -> list[str]:
    languages = ", ".join(f"{language} {counts[language]}" for language in ("python", "scala", "sql", "r"))
    formats = ", ".join(f"{fmt} {counts[f'{fmt} notebooks']}" for fmt in FORMATS)
    files = ", ".join(f"{fmt} {counts[f'{fmt} files']}" for fmt in FORMATS)
    return [
        f"corpus (seed {SEED}): {total} notebooks, {floor.cells:,} cells, {counts['bytes'] / 1e6:.1f} MB",
        f"  notebooks by language: {languages}",
        f"  notebooks by format: {formats}",
        f"  files in folders: {files}; {counts['zipped files']} more in {counts['zips']} zip(s)",
        f"  Python cells of Python notebooks: {floor.python_cells:,}, {floor.unparseable} of them not "
        f"parseable (skipped); {floor.python_chars:,} characters round-tripped through libcst",
    ]


def result_line(label: str, timing: Timing, floor: Timing, notebooks: int, target: str) -> str:
    rate = notebooks / timing.wall
    return (
        f"{label:<18} {timing.wall:6.2f} s  {rate:5.0f} notebooks/s  convert/floor = "
        f"{timing.wall / floor.wall:.2f}  (target: {target}); CPU {timing.cpu:6.2f} s, "
        f"{timing.cpu / floor.cpu:.2f} x the floor's"
    )


def best(timings: Sequence[Timing]) -> Timing:
    """The best wall time and the best CPU time of several runs."""
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))


def idiom_rates(corpus: Path) -> dict[str, Tally]:
    """Convert every notebook in-process (same options as the timed runs) and count idiom outcomes."""
    limits = Limits()
    options = Options(target="jupyter", jobs=1, path_map=PATH_MAP)
    collected = collect([corpus], limits)
    try:
        entries = {workspace_path(e.relpath): e for e in collected.entries if e.is_notebook}

        def load(path: str) -> Notebook:
            entry = entries[path]
            notebook = read_entry(entry.relpath, entry.display, entry.locator, entry.format, limits)
            assert notebook is not None
            return notebook

        workspace = Workspace(entries, load)
        tallies: dict[str, Tally] = {}
        for path in entries:
            notebook = load(path)
            tally_notebook(notebook, translate_notebook(notebook, options, workspace), tallies)
        return tallies
    finally:
        collected.close()
        close_archives()


def idiom_lines(tallies: dict[str, Tally]) -> list[str]:
    lines = [
        "per-idiom outcomes in Python cells (target: none untouched; rewritable idioms >= 95% rewritten)",
        f"  {'idiom':<32} {'found':>6} {'rewritten':>9} {'flagged':>8} {'untouched':>9}  rate",
    ]
    for idiom in IDIOMS:
        tally = tallies.get(idiom.name)
        if tally is None:
            continue
        rate = f"{tally.rate():5.0%}" if idiom.rewritable else " flag"
        counts = f"{tally.total:>6} {tally.rewritten:>9} {tally.flagged:>8} {tally.untouched:>9}"
        lines.append(f"  {idiom.name:<32} {counts}  {rate}")
    return lines


def run_benchmark(corpus: Path, scratch: Path, emrlab: Path, total: int, repeat: int) -> None:
    """Write the corpus, then measure the floor, `--jobs 1` and all cores in turns (so that the machine
    getting faster or slower during the run skews all three alike); print the best of each."""
    rng = random.Random(SEED)
    counts = write_corpus(corpus, make_projects(total, rng), rng)
    cores = os.cpu_count() or 1
    floors: list[Timing] = []
    converts: dict[int, list[Timing]] = {1: [], cores: []}
    floor = Floor()
    for _ in range(repeat):
        timing, floor = timed(lambda: floor_pass(corpus))
        if floor.notebooks != total:
            raise BenchError(f"the floor read {floor.notebooks} notebooks; the corpus has {total}")
        floors.append(timing)
        for jobs, timings in converts.items():
            timings.append(convert_once(emrlab, corpus, scratch / "out", jobs, total))
    floor_timing = best(floors)
    print("\n".join(corpus_lines(total, counts, floor)))
    print(
        f"floor (read + libcst round trip, 1 process) {floor_timing.wall:6.2f} s  (CPU "
        f"{floor_timing.cpu:.2f} s)  best of {repeat}, measured in turns with the runs below",
        flush=True,
    )
    targets = {1: f"<= {TARGET_JOBS_1}", cores: f"<= {TARGET_2_CORES} with 2 cores"}
    for jobs, timings in converts.items():
        print(result_line(f"convert --jobs {jobs}", best(timings), floor_timing, total, targets[jobs]))
    print(
        f"({cores} cores; 1-minute load average {os.getloadavg()[0]:.2f} at the end: other work skews this)"
    )
    print("\n".join(idiom_lines(idiom_rates(corpus))))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Batch-conversion throughput against a same-run floor.")
    parser.add_argument("--notebooks", type=int, default=2000, metavar="N", help="corpus size (default 2000)")
    parser.add_argument("--repeat", type=int, default=3, metavar="K", help="runs per measurement, best kept")
    parser.add_argument("--keep", action="store_true", help=f"write the corpus to {KEPT_CORPUS} and keep it")
    args = parser.parse_args(argv)
    if args.notebooks < 1 or args.repeat < 1:
        parser.error("--notebooks and --repeat must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    emrlab = Path(sys.executable).with_name("emrlab")
    if not emrlab.is_file():
        print(
            f"convert_bench: no emrlab next to {sys.executable}; run it with the venv's python",
            file=sys.stderr,
        )
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="emrlab-bench-"))
    corpus = KEPT_CORPUS if args.keep else scratch / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    try:
        run_benchmark(corpus, scratch, emrlab, args.notebooks, args.repeat)
    except BenchError as exc:
        print(f"convert_bench: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.keep:
        print(f"corpus kept in {corpus}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
