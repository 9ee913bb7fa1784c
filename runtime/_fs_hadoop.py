"""Any Hadoop file system (hdfs://, file://, scheme-less paths, EMRFS...) through the active SparkSession's
JVM: `Path(p).getFileSystem(hadoopConfiguration)`, `FileUtil.copy` for copies."""

from __future__ import annotations

import errno
from typing import Any

from ._fsbase import Backend, FileInfo, basename


class HadoopBackend(Backend):
    """Hadoop's FileSystem API over py4j; `path` strings go to `org.apache.hadoop.fs.Path` unchanged."""

    def __init__(self, spark: Any) -> None:
        self._jvm = spark._jvm
        self._conf = spark._jsc.hadoopConfiguration()
        self._hadoop = self._jvm.org.apache.hadoop

    def _resolve(self, path: str) -> tuple[Any, Any]:
        """(FileSystem, Path) of `path`."""
        jpath = self._hadoop.fs.Path(path)
        return jpath.getFileSystem(self._conf), jpath

    @staticmethod
    def _info(status: Any) -> FileInfo:
        uri = status.getPath().toString()
        if status.isDirectory():
            return FileInfo(uri.rstrip("/") + "/", basename(uri) + "/", 0, int(status.getModificationTime()))
        return FileInfo(uri, basename(uri), int(status.getLen()), int(status.getModificationTime()))

    def stat(self, path: str) -> FileInfo | None:
        """See Backend."""
        fs, jpath = self._resolve(path)
        if not fs.exists(jpath):
            return None
        return self._info(fs.getFileStatus(jpath))

    def ls(self, path: str) -> list[FileInfo]:
        """See Backend."""
        fs, jpath = self._resolve(path)
        if not fs.exists(jpath):
            raise FileNotFoundError(f"ls: {path} does not exist")
        return sorted((self._info(status) for status in fs.listStatus(jpath)), key=lambda info: info.name)

    def walk(self, path: str) -> list[str]:
        """See Backend."""
        fs, jpath = self._resolve(path)
        found: list[str] = []
        pending = [(jpath, "")]
        while pending:
            directory, relative = pending.pop()
            for status in fs.listStatus(directory):
                name = relative + status.getPath().getName()
                if status.isDirectory():
                    found.append(name + "/")
                    pending.append((status.getPath(), name + "/"))
                else:
                    found.append(name)
        return sorted(found)

    def read(self, path: str, max_bytes: int) -> bytes:
        """See Backend."""
        fs, jpath = self._resolve(path)
        if not fs.exists(jpath):
            raise FileNotFoundError(f"head: {path} does not exist")
        status = fs.getFileStatus(jpath)
        if status.isDirectory():
            raise IsADirectoryError(f"head: {path} is a directory")
        count = max(0, min(max_bytes, int(status.getLen())))
        if count == 0:
            return b""
        stream = fs.open(jpath)
        try:
            # py4j passes byte[] by value, so Java must fill and return it: commons-io (on Spark's
            # classpath) reads exactly `count` bytes.
            return bytes(self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream, count))
        finally:
            stream.close()

    def write(self, path: str, data: bytes, overwrite: bool) -> None:
        """See Backend."""
        fs, jpath = self._resolve(path)
        if fs.exists(jpath):
            if fs.getFileStatus(jpath).isDirectory():
                raise IsADirectoryError(f"put: {path} is a directory")
            if not overwrite:
                raise FileExistsError(f"put: {path} already exists; pass overwrite=True to replace it")
        stream = fs.create(jpath, True)
        try:
            stream.write(bytearray(data))
        finally:
            stream.close()

    def mkdirs(self, path: str) -> None:
        """See Backend."""
        fs, jpath = self._resolve(path)
        if not fs.mkdirs(jpath):
            raise OSError(f"mkdirs: could not create {path}")

    def delete(self, path: str, recurse: bool) -> bool:
        """See Backend."""
        fs, jpath = self._resolve(path)
        if not fs.exists(jpath):
            return False
        if not recurse and fs.getFileStatus(jpath).isDirectory() and len(fs.listStatus(jpath)):
            raise OSError(errno.ENOTEMPTY, f"rm: {path} is a non-empty directory; pass recurse=True")
        return bool(fs.delete(jpath, recurse))

    def copy_file(self, src: str, dst: str) -> None:
        """See Backend (FileUtil.copy, also between two Hadoop file systems)."""
        src_fs, src_path = self._resolve(src)
        dst_fs, dst_path = self._resolve(dst)
        if not self._hadoop.fs.FileUtil.copy(src_fs, src_path, dst_fs, dst_path, False, True, self._conf):
            raise OSError(f"cp: Hadoop could not copy {src} to {dst}")

    def rename(self, src: str, dst: str) -> bool:
        """See Backend: FileSystem.rename when both paths are on one file system."""
        src_fs, src_path = self._resolve(src)
        dst_fs, dst_path = self._resolve(dst)
        if src_fs.getUri().toString() != dst_fs.getUri().toString():
            return False
        parent = dst_path.getParent()
        if parent is not None:
            dst_fs.mkdirs(parent)
        return bool(src_fs.rename(src_path, dst_path))

    def download(self, path: str, local_file: str) -> None:
        """See Backend (no checksum file next to `local_file`)."""
        fs, jpath = self._resolve(path)
        fs.copyToLocalFile(False, jpath, self._hadoop.fs.Path(local_file), True)

    def upload(self, local_file: str, path: str) -> None:
        """See Backend."""
        fs, jpath = self._resolve(path)
        fs.copyFromLocalFile(False, True, self._hadoop.fs.Path(local_file), jpath)
