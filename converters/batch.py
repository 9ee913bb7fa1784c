"""The conversion entry points: `convert` (writes notebooks, reports, requirements) and `check`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from emrlab.converters.config import Options
from emrlab.converters.findings import InputError
from emrlab.converters.jsonout import dumps
from emrlab.converters.output import MANIFEST, OutputConflictError, OutputDir, save_manifest, sha256
from emrlab.converters.pipeline import EntryResult, plan, run
from emrlab.converters.report import BatchReport
from emrlab.converters.report_html import render_html

Progress = Callable[[int], Callable[[EntryResult], None]]  # total -> per-result callback


def convert(
    inputs: Sequence[Path],
    outdir: Path,
    options: Options,
    report_path: Path | None = None,
    progress: Progress | None = None,
) -> BatchReport:
    """Convert `inputs` into `outdir`; write report.json/.html (default: in outdir) and the manifest."""
    outdir.mkdir(parents=True, exist_ok=True)
    json_path = report_path or outdir / "report.json"
    own = [MANIFEST, "requirements.txt", *_inside(outdir, json_path, json_path.with_suffix(".html"))]
    batch, failures, collected = plan(inputs, options, outdir, reserved=own)
    try:
        results = run(batch, progress(len(batch.entries)) if progress else None)
    finally:
        collected.close()
    report = BatchReport(options, [str(p) for p in inputs], str(outdir), results, failures)
    manifest = dict(batch.manifest)
    manifest.update({r.output: r.sha256 for r in results if r.output and r.sha256})
    writer = OutputDir(outdir, manifest, options.force)
    extra: dict[str, bytes] = {}
    if report.requirements:  # %pip installs and imports of packages EMR does not ship
        extra["requirements.txt"] = ("\n".join(report.requirements) + "\n").encode()
    for relpath, data in extra.items():
        _write_extra(writer, report, relpath, data)
    _write_report(report, json_path, outdir, writer)
    save_manifest(outdir, writer.manifest)
    return report


def check(inputs: Sequence[Path], options: Options, progress: Progress | None = None) -> BatchReport:
    """Translate everything and report findings; write nothing."""
    batch, failures, collected = plan(inputs, options, None)
    try:
        results = run(batch, progress(len(batch.entries)) if progress else None)
    finally:
        collected.close()
    return BatchReport(options, [str(p) for p in inputs], None, results, failures)


def _inside(outdir: Path, *paths: Path) -> list[str]:
    """Those of `paths` that are inside `outdir`, relative to it: inputs must not be written there."""
    root = outdir.resolve()
    return [p.resolve().relative_to(root).as_posix() for p in paths if p.resolve().is_relative_to(root)]


def _write_extra(writer: OutputDir, report: BatchReport, relpath: str, data: bytes) -> None:
    try:
        writer.write(relpath, data)
        writer.manifest[relpath] = sha256(data)
    except OutputConflictError as exc:
        report.failures.append(InputError(relpath, str(exc)))


def _write_report(report: BatchReport, json_path: Path, outdir: Path, writer: OutputDir) -> None:
    html_path = json_path.with_suffix(".html")
    summary = report.to_json()
    payloads = {json_path: (dumps(summary) + "\n").encode(), html_path: render_html(report, summary).encode()}
    for path, data in payloads.items():
        inside = path.resolve().is_relative_to(outdir.resolve())
        if inside:
            _write_extra(writer, report, path.resolve().relative_to(outdir.resolve()).as_posix(), data)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            OutputDir(path.parent, {}, force=True).write(path.name, data)
