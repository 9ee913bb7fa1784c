"""The driver's local disk through the standard library (used without an active SparkSession)."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from ._fsbase import Backend, FileInfo, basename


def os_path(path: str) -> str:
    """The local path of `path` (a plain path or a `file:` URI in any of Hadoop's spellings)."""
    if path[:5].lower() != "file:":
        return path
    rest = path[5:]
    if rest.startswith("//"):
        # file://host/path: only the local host is meaningful on the driver
        authority, _, tail = rest[2:].partition("/")
        if authority not in ("", "localhost"):
            raise ValueError(f"{path}: a file: URI names this machine, not host {authority!r}")
        return "/" + tail
    return rest


def _uri(path: Path, is_dir: bool) -> str:
    text = "file:" + path.resolve().as_posix()
    return text.rstrip("/") + "/" if is_dir else text


def _checksum(path: Path) -> Path:
    """Hadoop's checksum companion of a local file (written when Spark writes through file:)."""
    return path.with_name("." + path.name + ".crc")


def _is_checksum(path: Path) -> bool:
    name = path.name
    return name.startswith(".") and name.endswith(".crc") and path.with_name(name[1:-4]).exists()


def _drop_checksum(path: Path) -> None:
    """Remove a checksum Hadoop wrote for earlier contents, which would no longer match."""
    crc = _checksum(path)
    if crc.is_file():
        crc.unlink()


class LocalBackend(Backend):
    """Local files through pathlib/shutil; `file:` URIs in results, Hadoop checksum files hidden."""

    def _info(self, path: Path) -> FileInfo:
        st = path.stat()
        is_dir = path.is_dir()
        name = basename(path.resolve().as_posix()) + ("/" if is_dir else "")
        return FileInfo(_uri(path, is_dir), name, 0 if is_dir else st.st_size, int(st.st_mtime * 1000))

    def stat(self, path: str) -> FileInfo | None:
        """See Backend."""
        local = Path(os_path(path))
        return self._info(local) if local.exists() else None

    def ls(self, path: str) -> list[FileInfo]:
        """See Backend."""
        local = Path(os_path(path))
        if not local.exists():
            raise FileNotFoundError(f"ls: {path} does not exist")
        if not local.is_dir():
            return [self._info(local)]
        entries = [self._info(child) for child in local.iterdir() if not _is_checksum(child)]
        return sorted(entries, key=lambda info: info.name)

    def walk(self, path: str) -> list[str]:
        """See Backend."""
        root = Path(os_path(path))
        found = []
        for child in sorted(root.rglob("*")):
            if not _is_checksum(child):
                relative = child.relative_to(root).as_posix()
                found.append(relative + "/" if child.is_dir() else relative)
        return sorted(found)

    def read(self, path: str, max_bytes: int) -> bytes:
        """See Backend."""
        with Path(os_path(path)).open("rb") as handle:
            return handle.read(max_bytes)

    def write(self, path: str, data: bytes, overwrite: bool) -> None:
        """See Backend."""
        local = Path(os_path(path))
        if local.is_dir():
            raise IsADirectoryError(f"put: {path} is a directory")
        local.parent.mkdir(parents=True, exist_ok=True)
        try:
            with local.open("wb" if overwrite else "xb") as handle:
                handle.write(data)
        except FileExistsError:
            raise FileExistsError(f"put: {path} already exists; pass overwrite=True to replace it") from None
        _drop_checksum(local)

    def mkdirs(self, path: str) -> None:
        """See Backend."""
        Path(os_path(path)).mkdir(parents=True, exist_ok=True)

    def delete(self, path: str, recurse: bool) -> bool:
        """See Backend."""
        local = Path(os_path(path))
        if not local.exists() and not local.is_symlink():
            return False
        if local.is_dir() and not local.is_symlink():
            if recurse:
                shutil.rmtree(str(local))
            elif any(not _is_checksum(child) for child in local.iterdir()):
                raise OSError(errno.ENOTEMPTY, f"rm: {path} is a non-empty directory; pass recurse=True")
            else:
                shutil.rmtree(str(local))
            return True
        local.unlink()
        _drop_checksum(local)
        return True

    def copy_file(self, src: str, dst: str) -> None:
        """See Backend."""
        target = Path(os_path(dst))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(os_path(src), str(target))
        _drop_checksum(target)

    def rename(self, src: str, dst: str) -> bool:
        """See Backend."""
        source, target = Path(os_path(src)), Path(os_path(dst))
        target.parent.mkdir(parents=True, exist_ok=True)
        _drop_checksum(target)
        source.rename(target)
        crc = _checksum(source)
        if crc.is_file():
            crc.rename(_checksum(target))
        return True

    def download(self, path: str, local_file: str) -> None:
        """See Backend."""
        self.copy_file(path, local_file)

    def upload(self, local_file: str, path: str) -> None:
        """See Backend."""
        self.copy_file(local_file, path)
