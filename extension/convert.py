"""The panel's "Convert for EMR" action: run emrlab's converter on a path inside the server's root_dir and
write `<name>-emr/` beside it (report.html inside). Paths are relative to root_dir: absolute paths, `..`
parts and anything that resolves (through symlinks) outside root_dir are refused."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any


class ConvertRequestError(ValueError):
    """A convert request the server refuses (HTTP 400): the message says what to send instead."""


def _inside(root: Path, relpath: Any) -> Path:
    if not isinstance(relpath, str) or not relpath.strip():
        raise ConvertRequestError('send {"path": "<file or folder relative to the server root>"}.')
    pure = PurePosixPath(relpath.replace("\\", "/"))
    if pure.is_absolute() or relpath.startswith(("/", "\\")) or ":" in pure.parts[0]:
        raise ConvertRequestError(f"{relpath!r} is absolute: give a path relative to the server root.")
    if ".." in pure.parts:
        raise ConvertRequestError(f"{relpath!r} contains '..': give a path inside the server root.")
    resolved = (root / pure).resolve()
    if not resolved.is_relative_to(root):
        raise ConvertRequestError(f"{relpath!r} leads outside the server root (a symlink?).")
    if not resolved.exists():
        raise ConvertRequestError(f"{relpath!r} does not exist under the server root.")
    return resolved


def output_dir(source: Path) -> Path:
    """`<name>-emr/` beside `source` (a file loses its suffix: `etl.dbc` -> `etl-emr/`)."""
    name = source.name if source.is_dir() else source.stem
    return source.with_name(f"{name}-emr")


def convert_path(root_dir: str, relpath: Any, target: Any = "emrlab") -> dict[str, Any]:
    """Convert `relpath` (relative to `root_dir`) for `target`; paths in the answer are relative too."""
    from emrlab.converters import Options, convert
    from emrlab.converters.config import TARGETS, ConfigError

    if target not in TARGETS:
        raise ConvertRequestError(f"target {target!r} is not one of {', '.join(TARGETS)}.")
    root = Path(root_dir).resolve()
    source = _inside(root, relpath)
    outdir = output_dir(source)
    try:
        report = convert([source], outdir, Options(target=target, jobs=1))
    except ConfigError as error:
        raise ConvertRequestError(str(error)) from None
    return {
        "output": outdir.relative_to(root).as_posix(),
        "report": (outdir / "report.html").relative_to(root).as_posix(),
        "notebooks": len(report.notebooks),
        "findings": len(report.findings),
        "failed": len(report.failed),
    }
