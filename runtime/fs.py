"""`dbutils.fs` for EMR: ls, cp, mv, rm, mkdirs, put, head on S3 and on every Hadoop file system.

`s3://` (and `s3a://`, `s3n://`) go through boto3; everything else (hdfs://, file://, scheme-less paths)
through the active SparkSession's Hadoop FileSystem, so scheme-less paths mean what they mean to Spark
(HDFS on a cluster). Without an active SparkSession, `file:` URIs and plain paths use the local disk.
Copies and moves also work between file systems (local <-> S3, HDFS <-> S3).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from . import _spark
from ._fs_hadoop import HadoopBackend
from ._fs_local import LocalBackend, os_path
from ._fs_s3 import S3Backend
from ._fsbase import Backend, FileInfo, basename, join, scheme

__all__ = ["FileInfo", "cp", "head", "ls", "mkdirs", "mv", "put", "rm"]

S3_SCHEMES = ("s3", "s3a", "s3n")


def _backend(path: str) -> Backend:
    """The backend that handles `path`."""
    if not isinstance(path, str) or not path:
        raise ValueError(f"expected a path, got {path!r}")
    kind = scheme(path)
    if kind in S3_SCHEMES:
        return S3Backend()
    if kind == "dbfs":
        raise ValueError(
            f"{path}: DBFS does not exist on EMR; map dbfs:/ paths to s3:// (or hdfs://) locations"
        )
    spark = _spark.active_session()
    if spark is not None:
        return HadoopBackend(spark)
    if kind in ("", "file"):
        return LocalBackend()
    raise RuntimeError(
        f"{path}: {kind}:// paths need an active SparkSession (Hadoop's FileSystem); create one first with "
        "SparkSession.builder.getOrCreate()"
    )


def _copy_file(source: Backend, src: str, target: Backend, dst: str) -> None:
    """Copy one file, staging through a local temporary file between two non-local file systems."""
    if type(source) is type(target):
        source.copy_file(src, dst)
    elif isinstance(source, LocalBackend):
        target.upload(os_path(src), dst)
    elif isinstance(target, LocalBackend):
        source.download(src, os_path(dst))
    else:
        staging = tempfile.mkdtemp(prefix="emrlab-cp-")
        try:
            local = str(Path(staging) / (basename(src) or "file"))
            source.download(src, local)
            target.upload(local, dst)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _target(backend: Backend, to: str, name: str) -> str:
    """Where a file called `name` goes when copied or moved to `to`: into it if it is a directory."""
    if to.endswith("/"):
        return join(to, name)
    existing = backend.stat(to)
    return join(to, name) if existing is not None and existing.isDir() else to


def ls(dir: str) -> list[FileInfo]:
    """The entries of directory `dir` by name (a file gives its own entry); directories end with "/"."""
    return _backend(dir).ls(dir)


def cp(from_: str, to: str, recurse: bool = False) -> bool:
    """Copy a file, or with `recurse=True` a directory's contents, to `to` (on any file system).

    A file copied to an existing directory (or to a path ending with "/") lands inside it."""
    source, target = _backend(from_), _backend(to)
    info = source.stat(from_)
    if info is None:
        raise FileNotFoundError(f"cp: {from_} does not exist")
    if not info.isDir():
        _copy_file(source, from_, target, _target(target, to, info.name))
        return True
    if not recurse:
        raise IsADirectoryError(f"cp: {from_} is a directory; pass recurse=True to copy it")
    entries = source.walk(from_)
    if not entries:
        target.mkdirs(to)
    for index, relative in enumerate(entries):
        if not relative.endswith("/"):
            _copy_file(source, join(from_, relative), target, join(to, relative))
        elif index + 1 == len(entries) or not entries[index + 1].startswith(relative):
            target.mkdirs(join(to, relative))  # an empty directory (files create their parents)
    return True


def mv(from_: str, to: str, recurse: bool = False) -> bool:
    """Move a file, or with `recurse=True` a directory, to `to`: a rename where the file system can,
    else a copy and a delete."""
    source, target = _backend(from_), _backend(to)
    info = source.stat(from_)
    if info is None:
        raise FileNotFoundError(f"mv: {from_} does not exist")
    if info.isDir() and not recurse:
        raise IsADirectoryError(f"mv: {from_} is a directory; pass recurse=True to move it")
    destination = to if info.isDir() else _target(target, to, info.name)
    same = type(source) is type(target)
    if same and target.stat(destination) is None and source.rename(from_, destination):
        return True
    cp(from_, destination, recurse=recurse)
    source.delete(from_, True)
    return True


def rm(dir: str, recurse: bool = False) -> bool:
    """Delete a file, or a directory (its contents too with `recurse=True`); False if nothing was there."""
    return _backend(dir).delete(dir, recurse)


def mkdirs(dir: str) -> bool:
    """Create directory `dir` and its parents (on S3: an empty "dir/" marker object)."""
    _backend(dir).mkdirs(dir)
    return True


def put(file: str, contents: str, overwrite: bool = False) -> bool:
    """Write `contents` to `file` as UTF-8; FileExistsError if it exists and `overwrite` is False."""
    if not isinstance(contents, str):
        raise TypeError(f"put: contents must be a str, not {type(contents).__name__}")
    _backend(file).write(file, contents.encode("utf-8"), overwrite)
    return True


def head(file: str, maxBytes: int = 65536) -> str:  # noqa: N803 (Databricks' parameter name)
    """The first `maxBytes` bytes of `file`, decoded as UTF-8 (a character cut at the end is replaced)."""
    return _backend(file).read(file, max(0, int(maxBytes))).decode("utf-8", errors="replace")
