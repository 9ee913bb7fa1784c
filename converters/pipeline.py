"""Convert a batch: list the inputs, plan output paths, convert entries in parallel, collect results.

Each worker reads, translates and writes its own entries and returns a small summary, so memory follows
the largest notebook. One entry failing (bad input, or a bug) is reported; the rest still convert.
"""

from __future__ import annotations

import gc
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from emrlab.converters.archive import close_archives
from emrlab.converters.config import Options
from emrlab.converters.findings import Finding, InputError
from emrlab.converters.inputs import Collected, Entry, collect
from emrlab.converters.magics import split_magic
from emrlab.converters.model import Notebook
from emrlab.converters.output import (
    OutputConflictError,
    OutputDir,
    load_manifest,
    safe_relpath,
    sha256,
    unique_paths,
)
from emrlab.converters.readers import read_entry
from emrlab.converters.sniff import workspace_path
from emrlab.converters.targets import extension
from emrlab.converters.translate import OutCell
from emrlab.converters.translator import Translation, translate_notebook
from emrlab.converters.workspace import Workspace
from emrlab.converters.writers import notebook_bytes, notebook_json, script_text, validate


@dataclass
class CellReport:
    """An input cell: its display index, what kind of cell it was, and the output cells made from it."""

    index: int
    kind: str
    outputs: list[int]


@dataclass
class EntryResult:
    """What happened to one input entry."""

    input: str
    output: str | None
    status: str  # converted | copied | failed
    written: bool = False
    format: str | None = None
    language: str | None = None
    cells: list[CellReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    error: str | None = None
    sha256: str | None = None

    @property
    def is_notebook(self) -> bool:
        return self.format is not None


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs, picklable: entries, their output paths, options, the output folder."""

    entries: tuple[Entry, ...]
    outputs: tuple[str, ...]
    options: Options
    outdir: str | None
    manifest: dict[str, str]

    def workspace(self) -> Workspace:
        index = {workspace_path(e.relpath): i for i, e in enumerate(self.entries) if e.is_notebook}

        def load(path: str) -> Notebook:
            entry = self.entries[index[path]]
            notebook = read_entry(
                entry.relpath, entry.display, entry.locator, entry.format, self.options.limits
            )
            if notebook is None:
                raise InputError(entry.display, "not a Databricks notebook")
            return notebook

        modules = set()
        for entry in self.entries:
            parts = entry.relpath.split("/")
            modules.update(parts[:-1])  # folders may be packages
            if parts[-1].endswith(".py"):
                modules.add(parts[-1][:-3])
        return Workspace(index, load, modules)


def plan(
    inputs: Sequence[Path], options: Options, outdir: Path | None, reserved: Iterable[str] = ()
) -> tuple[Plan, list[InputError], Collected]:
    """List the inputs and decide each entry's output path (safe, unique, mirroring the input folders,
    never one of the `reserved` paths where emrlab writes its own files)."""
    collected = collect(inputs, options.limits)
    entries = sorted(collected.entries, key=lambda e: e.relpath)
    wanted = [
        safe_relpath(workspace_path(e.relpath) + extension(options.target) if e.is_notebook else e.relpath)
        for e in entries
    ]
    manifest = load_manifest(outdir) if outdir else {}
    batch = Plan(
        tuple(entries),
        tuple(unique_paths(wanted, reserved)),
        options,
        str(outdir) if outdir else None,
        manifest,
    )
    return batch, collected.failures, collected


_PLAN: Plan | None = None
_WORKSPACE: Workspace | None = None


@contextmanager
def few_collections() -> Iterator[None]:
    """Run the cyclic garbage collector rarely during a batch.

    libcst builds hundreds of thousands of short-lived, acyclic nodes per notebook (freed by reference
    counting); with Python's default thresholds the collector keeps re-scanning the long-lived workspace
    and costs about a quarter of the batch. What exists is frozen out of the scans; young objects are
    collected every 50,000 allocations instead of 700. The defaults come back afterwards.
    """
    thresholds = _collect_rarely()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _collect_rarely() -> tuple[int, ...]:
    """Freeze what exists, raise the thresholds; returns the old ones."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    return thresholds


def _init_worker(batch: Plan) -> None:
    global _PLAN, _WORKSPACE
    _collect_rarely()  # a worker lives for the batch only: nothing to restore
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it cancels the pool
    close_archives()  # a forked worker must not read through the parent's handles (shared file offset)
    _PLAN, _WORKSPACE = batch, batch.workspace()


def _convert_index(index: int) -> EntryResult:
    assert _PLAN is not None and _WORKSPACE is not None
    return convert_entry(_PLAN, _WORKSPACE, index)


def run(batch: Plan, on_result: Callable[[EntryResult], None] | None = None) -> list[EntryResult]:
    """Convert every entry of the plan, in parallel when `options.jobs` > 1; results in entry order."""
    results = []
    for result in _results(batch):
        results.append(result)
        if on_result:
            on_result(result)
    return results


def _results(batch: Plan) -> Iterator[EntryResult]:
    count = len(batch.entries)
    jobs = min(batch.options.jobs, count)
    if jobs <= 1:
        workspace = batch.workspace()
        try:
            with few_collections():
                for index in range(count):
                    yield convert_entry(batch, workspace, index)
        finally:
            close_archives()
        return
    chunk = max(1, min(16, count // (jobs * 8)))
    close_archives()  # listing opened them; forked workers would share their file offsets
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(batch,)) as pool:
        try:
            yield from pool.map(_convert_index, range(count), chunksize=chunk)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def convert_entry(batch: Plan, workspace: Workspace, index: int) -> EntryResult:
    """Read, translate and (unless checking) write one entry; failures become a failed result."""
    entry, output = batch.entries[index], batch.outputs[index]
    options = batch.options
    try:
        notebook = read_entry(entry.relpath, entry.display, entry.locator, entry.format, options.limits)
        if notebook is None:
            result = EntryResult(entry.display, output, "copied")
            if batch.outdir is not None:
                data = entry.locator.read(entry.display, options.limits)
                result.written = _writer(batch).write(output, data)
                result.sha256 = sha256(data)
            return result
        translation = translate_notebook(notebook, options, workspace)
        result = EntryResult(
            entry.display,
            output,
            "converted",
            format=notebook.format,
            language=notebook.language,
            cells=_cell_reports(notebook, translation.cells),
            findings=translation.findings,
            requirements=translation.requirements,
        )
        if batch.outdir is not None:
            data = render(notebook, translation, options)
            result.written = _writer(batch).write(output, data)
            result.sha256 = sha256(data)
        return result
    except InputError as exc:
        return EntryResult(entry.display, None, "failed", error=exc.reason)
    except OutputConflictError as exc:
        return EntryResult(entry.display, None, "failed", error=str(exc))
    except Exception as exc:  # a bug must not cost the other 999 notebooks: report it with its traceback
        trace = "".join(traceback.format_exception(exc)[-3:]).strip()
        error = f"internal error ({type(exc).__name__}: {exc}); please report it with this file. {trace}"
        return EntryResult(entry.display, None, "failed", error=error)


def render(notebook: Notebook, translation: Translation, options: Options) -> bytes:
    if options.target == "script":
        return script_text(notebook, translation).encode("utf-8")
    nb = notebook_json(notebook, translation, options.target)
    validate(nb)
    return notebook_bytes(nb)


def _writer(batch: Plan) -> OutputDir:
    """The output folder of the batch (one per batch and process: it resolves the folder once)."""
    assert batch.outdir is not None
    global _WRITER
    if _WRITER is None or _WRITER[0] is not batch:
        _WRITER = (batch, OutputDir(Path(batch.outdir), batch.manifest, batch.options.force))
    return _WRITER[1]


_WRITER: tuple[Plan, OutputDir] | None = None


def _cell_reports(notebook: Notebook, cells: list[OutCell]) -> list[CellReport]:
    outputs: dict[int, list[int]] = {}
    for position, out in enumerate(cells):
        if out.origin is not None and out.origin.path == notebook.source and out.origin.cell is not None:
            outputs.setdefault(out.origin.cell, []).append(position)
    reports = []
    for index, cell in enumerate(notebook.cells):
        kind = cell.kind if cell.kind != "code" else split_magic(cell.source).magic or notebook.language
        reports.append(CellReport(index, kind, outputs.get(index, [])))
    return reports
