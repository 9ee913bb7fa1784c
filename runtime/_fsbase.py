"""What every file-system backend of `emrlab.runtime.fs` provides, and the `FileInfo` they return."""

from __future__ import annotations

import posixpath
import re
from typing import NamedTuple

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")


class FileInfo(NamedTuple):
    """One entry of `fs.ls`, as on Databricks: directories have a `name` and `path` ending with "/",
    `size` is in bytes (0 for directories) and `modificationTime` in milliseconds since the epoch."""

    path: str
    name: str
    size: int
    modificationTime: int  # noqa: N815 (Databricks' name)

    def isDir(self) -> bool:  # noqa: N802 (Databricks' name)
        """True for a directory."""
        return self.name.endswith("/")

    def isFile(self) -> bool:  # noqa: N802 (Databricks' name)
        """True for a file."""
        return not self.name.endswith("/")


def scheme(path: str) -> str:
    """The URI scheme of `path` in lower case ("" for a plain path)."""
    match = _SCHEME.match(path)
    return match.group(1).lower() if match else ""


def join(base: str, relative: str) -> str:
    """`relative` (a "/"-separated path) under the directory `base`."""
    if not relative:
        return base
    return base.rstrip("/") + "/" + relative


def basename(path: str) -> str:
    """The last component of `path`, ignoring a trailing "/"."""
    return posixpath.basename(path.rstrip("/"))


class Backend:
    """A file system. Paths are the caller's strings; directories may be given with or without "/"."""

    def stat(self, path: str) -> FileInfo | None:
        """The entry for `path` itself, or None when nothing is there."""
        raise NotImplementedError

    def ls(self, path: str) -> list[FileInfo]:
        """The entries of directory `path` sorted by name ([its own entry] for a file).

        Raises FileNotFoundError when nothing is there."""
        raise NotImplementedError

    def walk(self, path: str) -> list[str]:
        """Every file and directory below directory `path`, relative to it ("/"-separated; directories
        end with "/"), parents before children."""
        raise NotImplementedError

    def read(self, path: str, max_bytes: int) -> bytes:
        """The first `max_bytes` bytes of file `path`."""
        raise NotImplementedError

    def write(self, path: str, data: bytes, overwrite: bool) -> None:
        """Create (or, with `overwrite`, replace) file `path`; FileExistsError otherwise."""
        raise NotImplementedError

    def mkdirs(self, path: str) -> None:
        """Create directory `path` and its parents."""
        raise NotImplementedError

    def delete(self, path: str, recurse: bool) -> bool:
        """Delete `path` (a directory's contents too with `recurse`); False when nothing was there."""
        raise NotImplementedError

    def copy_file(self, src: str, dst: str) -> None:
        """Copy file `src` to `dst` (replacing it), both on this backend."""
        raise NotImplementedError

    def rename(self, src: str, dst: str) -> bool:
        """Move `src` to `dst` (not yet existing) in one step; False when this backend cannot."""
        return False

    def download(self, path: str, local_file: str) -> None:
        """Copy file `path` to the local file `local_file`."""
        raise NotImplementedError

    def upload(self, local_file: str, path: str) -> None:
        """Copy the local file `local_file` to `path`."""
        raise NotImplementedError
