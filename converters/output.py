"""The output folder: safe names, collision-free paths, atomic writes, and never clobbering user files.

A manifest (`.emrlab-manifest.json`) records the hash of every file emrlab wrote. A file is rewritten
only when its content changes; a file that emrlab did not write (or that was edited since) is
overwritten only with `--force`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

MANIFEST = ".emrlab-manifest.json"
_UNSAFE = re.compile(r'[<>:"|?*\\\x00-\x1f]')
_UMASK = os.umask(0o022)
os.umask(_UMASK)
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


class OutputConflictError(Exception):
    """An output path holds a file emrlab did not write; the message says how to proceed."""


def safe_name(component: str) -> str:
    """A file-name component that is valid on Linux, macOS and Windows."""
    name = _UNSAFE.sub("_", component).rstrip(". ") or "_"
    if name.split(".", 1)[0].lower() in _RESERVED:
        name = f"_{name}"
    return name[:200]


def safe_relpath(relpath: str) -> str:
    return "/".join(safe_name(part) for part in relpath.split("/") if part not in ("", ".", ".."))


def unique_paths(wanted: list[str], reserved: Iterable[str] = ()) -> list[str]:
    """The same paths made unique (case-insensitively) and kept off `reserved` (emrlab's own files):
    later duplicates get ` (2)`, ` (3)` ..."""
    taken: set[str] = {path.casefold() for path in reserved}
    result = []
    for path in wanted:
        candidate, n = path, 1
        while candidate.casefold() in taken:
            n += 1
            stem, dot, ext = path.rpartition(".")
            has_ext = dot and "/" not in ext and stem and not stem.endswith("/")
            candidate = f"{stem} ({n}).{ext}" if has_ext else f"{path} ({n})"
        taken.add(candidate.casefold())
        result.append(candidate)
    return result


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class OutputDir:
    """Writes under one root; `manifest` maps relative paths to the hashes emrlab last wrote there."""

    def __init__(self, root: Path, manifest: dict[str, str], force: bool) -> None:
        self.root = root
        self.manifest = manifest
        self.force = force
        self._resolved_root: Path | None = None
        self._folders: set[Path] = set()  # folders made (or found) inside the root, checked once each

    def write(self, relpath: str, data: bytes) -> bool:
        """Write `data` at `relpath` atomically; False when the file already held exactly that."""
        path = self.root / relpath
        self._folder(path.parent, relpath)
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISLNK(mode):
            if not path.resolve().is_relative_to(self._root()):
                raise OutputConflictError(f"{relpath}: resolves outside the output folder; not written")
            mode = path.stat().st_mode if path.exists() else None
        if mode is not None and stat.S_ISREG(mode):
            current = sha256(path.read_bytes())
            if current == sha256(data):
                return False
            if self.manifest.get(relpath) != current and not self.force:
                raise OutputConflictError(
                    f"{path} exists and was not written by emrlab (or was edited since); "
                    "use --force to overwrite it, or choose another output folder"
                )
        elif mode is not None:
            raise OutputConflictError(
                f"{path} exists and is not a file; remove it or choose another output folder"
            )
        fd, temp = _temp_file(path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            temp.chmod(0o666 & ~_UMASK)  # temp files are private; outputs get the usual mode
            temp.replace(path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return True

    def _root(self) -> Path:
        if self._resolved_root is None:
            self._resolved_root = self.root.resolve()
        return self._resolved_root

    def _folder(self, folder: Path, relpath: str) -> None:
        """Make `folder` (once per run), after checking that it lies inside the root once links are
        followed."""
        if folder in self._folders:
            return
        if not folder.resolve().is_relative_to(self._root()):
            raise OutputConflictError(f"{relpath}: resolves outside the output folder; not written")
        folder.mkdir(parents=True, exist_ok=True)
        self._folders.add(folder)


_TEMP_NAMES = itertools.count()


def _temp_file(folder: Path) -> tuple[int, Path]:
    """A new private file in `folder`, opened as `tempfile.mkstemp` opens one (binary, not following
    links), named without its random names."""
    while True:
        temp = folder / f".emrlab-{os.getpid()}-{next(_TEMP_NAMES)}"
        try:
            return os.open(temp, _TEMP_FLAGS, 0o600), temp
        except FileExistsError:
            continue


_TEMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def load_manifest(root: Path) -> dict[str, str]:
    path = root / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # an unreadable manifest only means nothing counts as ours: --force decides
    files = data.get("files") if isinstance(data, dict) else None
    return {k: v for k, v in files.items() if isinstance(v, str)} if isinstance(files, dict) else {}


def save_manifest(root: Path, manifest: dict[str, str]) -> None:
    data = json.dumps({"version": 1, "files": dict(sorted(manifest.items()))}, indent=1) + "\n"
    OutputDir(root, {}, force=True).write(MANIFEST, data.encode())
