"""Turn the command line's inputs (files, folders, `.dbc`/`.zip` archives, nested) into a flat entry list.

Only names and first bytes are read here; each entry's content is read later, by whichever worker
converts it. An archive inside a folder (or inside another archive) expands in place; archives inside
archives are spooled to a temporary folder on disk, never held in memory. With several inputs, each
folder or archive given on the command line gets its own top-level folder, named after it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from emrlab.converters.archive import (
    ZIP_READ_ERRORS,
    Locator,
    check_member,
    is_zip,
    open_archive,
    safe_member_name,
)
from emrlab.converters.config import Limits
from emrlab.converters.findings import InputError
from emrlab.converters.sniff import HEAD_BYTES, Format, sniff

SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".ipynb_checkpoints", "__MACOSX"}
SKIP_NAMES = {"manifest.mf", ".DS_Store"}


@dataclass(frozen=True)
class Entry:
    """One input file: its path in the batch's workspace, a name for people, and where its bytes are."""

    relpath: str
    display: str
    locator: Locator
    format: Format

    @property
    def is_notebook(self) -> bool:
        return self.format not in ("other", "archive", "folder")


@dataclass
class Collected:
    entries: list[Entry] = field(default_factory=list)
    failures: list[InputError] = field(default_factory=list)
    spool: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        if self.spool is not None:
            self.spool.cleanup()
            self.spool = None


def collect(inputs: Sequence[Path], limits: Limits) -> Collected:
    """Every entry of every input, with a failure (and no entry) for what cannot be listed."""
    collected = Collected()
    several = len(inputs) > 1
    for path in inputs:
        display = str(path)
        if path.is_dir():
            prefix = f"{path.resolve().name}/" if several else ""
            _walk_dir(path, prefix, collected, limits)
        elif path.is_file():
            try:
                head = Locator(str(path)).head(display, limits, HEAD_BYTES)
            except InputError as exc:
                collected.failures.append(exc)
                continue
            fmt = sniff(path.name, head)
            if fmt == "archive":
                prefix = f"{path.stem}/" if several else ""
                _walk_archive(str(path), display, prefix, collected, limits, depth=1)
            else:
                collected.entries.append(Entry(path.name, display, Locator(str(path)), fmt))
        else:
            collected.failures.append(InputError(display, "no such file or folder"))
    return collected


def _walk_dir(root: Path, prefix: str, collected: Collected, limits: Limits) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name in SKIP_NAMES:
                continue
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            display = str(path)
            if not path.is_file():  # FIFOs, sockets, dangling links: reading them would hang or fail
                collected.failures.append(InputError(display, "not a regular file; skipped"))
                continue
            try:
                head = Locator(str(path)).head(display, limits, HEAD_BYTES)
            except InputError as exc:
                collected.failures.append(exc)
                continue
            fmt = sniff(name, head)
            if fmt == "archive":
                _walk_archive(str(path), display, prefix + _folder_of(rel), collected, limits, depth=1)
            else:
                collected.entries.append(Entry(prefix + rel, display, Locator(str(path)), fmt))


def _folder_of(relpath: str) -> str:
    """The folder holding `relpath`, with a trailing slash ("" at the top).

    An archive found inside a folder or another archive expands in place, like the exported folder
    it is: `%run ../Shop/setup` in one of its notebooks then resolves against its siblings.
    """
    folder = relpath.rpartition("/")[0]
    return f"{folder}/" if folder else ""


def _members(
    archive: zipfile.ZipFile, display: str, collected: Collected
) -> Iterator[tuple[zipfile.ZipInfo, str]]:
    """(member, safe relative name) for each file member, reporting unsafe and duplicate names."""
    seen: set[str] = set()
    for info in sorted(archive.infolist(), key=lambda i: i.filename):
        if info.is_dir():
            continue
        where = f"{display}!{info.filename}"
        safe = safe_member_name(info.filename)
        if safe is None:
            reason = "entry name is absolute or climbs out of the archive ('..'); it was not extracted"
            collected.failures.append(InputError(where, reason))
            continue
        if safe.rsplit("/", 1)[-1] in SKIP_NAMES:
            continue
        if safe in seen:
            reason = "duplicate entry name in the archive; the first one was converted, this one skipped"
            collected.failures.append(InputError(where, reason))
            continue
        seen.add(safe)  # Databricks names are case-sensitive; outputs are de-duplicated later
        yield info, safe


def _walk_archive(
    file: str, display: str, prefix: str, collected: Collected, limits: Limits, depth: int
) -> None:
    try:
        archive = open_archive(file)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        reason = f"not a readable zip archive ({exc}); re-export it or check the download is complete"
        collected.failures.append(InputError(display, reason))
        return
    total = sum(i.file_size for i in infos)
    if total > limits.max_archive_bytes:
        reason = (
            f"expands to {total:,} bytes, over the {limits.max_archive_bytes:,}-byte limit "
            "(raise [limits] max_archive_bytes in emrlab.toml if this is genuine)"
        )
        collected.failures.append(InputError(display, reason))
        return
    for info, safe in _members(archive, display, collected):
        where = f"{display}!{info.filename}"
        locator = Locator(file, info.filename, info.header_offset)
        try:
            check_member(info, where, limits)
            head = locator.head(where, limits, HEAD_BYTES)
        except InputError as exc:
            collected.failures.append(exc)
            continue
        fmt = sniff(safe, head)
        if fmt == "folder":
            continue
        if fmt != "archive":
            collected.entries.append(Entry(prefix + safe, where, locator, fmt))
        elif depth >= limits.max_nesting:
            reason = (
                f"archives nested deeper than {depth} levels (raise [limits] max_nesting if this is genuine)"
            )
            collected.failures.append(InputError(where, reason))
        else:
            spooled = _spool(locator, where, collected, limits)
            if spooled:
                _walk_archive(spooled, where, prefix + _folder_of(safe), collected, limits, depth + 1)


def _spool(locator: Locator, where: str, collected: Collected, limits: Limits) -> str | None:
    """Copy a nested archive to the batch's temporary folder so workers can open it by path."""
    if collected.spool is None:
        collected.spool = tempfile.TemporaryDirectory(prefix="emrlab-")
    target = Path(collected.spool.name, f"{sum(1 for _ in Path(collected.spool.name).iterdir())}.zip")
    assert locator.member is not None
    try:
        archive = open_archive(locator.file)
        with archive.open(locator.member_info(archive)) as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink, 1024 * 1024)
    except ZIP_READ_ERRORS as exc:
        collected.failures.append(InputError(where, f"damaged nested archive ({exc}); re-export it"))
        return None
    with target.open("rb") as handle:
        if not is_zip(handle.read(4)):
            collected.failures.append(InputError(where, "named like an archive but is not a zip"))
            return None
    return str(target)
