"""Safe reads of inputs: files on disk and members of zip archives (`.dbc`, `.zip`).

Archives are never extracted: a member is read when it is converted, so memory follows the largest
notebook, not the archive. Member names that would escape the output folder and zip bombs (declared
size over the cap, or an implausible compression ratio) are refused with a reason.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from emrlab.converters.config import Limits
from emrlab.converters.findings import InputError

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CHUNK = 1024 * 1024
_RATIO_FLOOR = 1024 * 1024  # small members may compress extremely well; judge the ratio above this size
_OPEN_ARCHIVES: OrderedDict[str, zipfile.ZipFile] = OrderedDict()
# What reading a damaged member raises: bad headers or CRC, a broken deflate stream, data cut short,
# an unsupported compression method, a member gone from the central directory.
ZIP_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    ValueError,
    KeyError,
)
_MAX_OPEN = 8


def is_zip(head: bytes) -> bool:
    return head[:4] in ZIP_MAGIC


def safe_member_name(name: str) -> str | None:
    """The member's path as a clean relative posix path, or None if it is absolute or climbs out."""
    name = name.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return posixpath.join(*parts)


def open_archive(path: str) -> zipfile.ZipFile:
    """An open ZipFile for `path`, cached per process (opening parses the whole central directory)."""
    archive = _OPEN_ARCHIVES.get(path)
    if archive is None:
        archive = zipfile.ZipFile(path)
        _OPEN_ARCHIVES[path] = archive
        if len(_OPEN_ARCHIVES) > _MAX_OPEN:
            _OPEN_ARCHIVES.popitem(last=False)[1].close()
    else:
        _OPEN_ARCHIVES.move_to_end(path)
    return archive


def close_archives() -> None:
    while _OPEN_ARCHIVES:
        _OPEN_ARCHIVES.popitem()[1].close()


def check_member(info: zipfile.ZipInfo, where: str, limits: Limits) -> None:
    """Refuse a member whose declared size or compression ratio says zip bomb."""
    if info.file_size > limits.max_entry_bytes:
        raise InputError(
            where,
            f"expands to {info.file_size:,} bytes, over the {limits.max_entry_bytes:,}-byte limit "
            "(raise [limits] max_entry_bytes in emrlab.toml if this is genuine)",
        )
    if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        ratio = info.file_size // max(info.compress_size, 1)
        raise InputError(
            where,
            f"compression ratio {ratio}:1 is over the {limits.max_ratio}:1 limit, which suggests a zip bomb "
            "(raise [limits] max_ratio in emrlab.toml if this is genuine)",
        )


@dataclass(frozen=True)
class Locator:
    """How to get an input's bytes again in any process: a file on disk, or a member of a zip on disk."""

    file: str
    member: str | None = None
    offset: int | None = None  # the member's header offset: a zip can hold two members of the same name

    def member_info(self, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
        """This member's ZipInfo (`getinfo` alone gives the last of several members with one name)."""
        assert self.member is not None
        info = archive.getinfo(self.member)
        if self.offset is None or info.header_offset == self.offset:
            return info
        for candidate in archive.infolist():
            if candidate.header_offset == self.offset and candidate.filename == self.member:
                return candidate
        raise KeyError(f"no member {self.member!r} at offset {self.offset}")

    def read(self, where: str, limits: Limits, size_hint: int | None = None) -> bytes:
        """All the bytes, or an InputError saying why not."""
        if self.member is None:
            try:
                with Path(self.file).open("rb") as handle:
                    data = handle.read(limits.max_entry_bytes + 1)
            except OSError as exc:
                raise InputError(where, f"cannot read ({exc.strerror})") from exc
            if len(data) > limits.max_entry_bytes:
                raise InputError(
                    where,
                    f"larger than the {limits.max_entry_bytes:,}-byte limit "
                    "(raise [limits] max_entry_bytes in emrlab.toml if this is genuine)",
                )
            return data
        return self._read_member(where, limits, None)

    def head(self, where: str, limits: Limits, size: int) -> bytes:
        """The first `size` bytes (for sniffing the format)."""
        if self.member is None:
            try:
                with Path(self.file).open("rb") as handle:
                    return handle.read(size)
            except OSError as exc:
                raise InputError(where, f"cannot read ({exc.strerror})") from exc
        return self._read_member(where, limits, size)

    def _read_member(self, where: str, limits: Limits, size: int | None) -> bytes:
        assert self.member is not None
        try:
            archive = open_archive(self.file)
            info = self.member_info(archive)
            check_member(info, where, limits)
            with archive.open(info) as handle:
                if size is not None:
                    return handle.read(size)
                chunks = []
                while chunk := handle.read(_CHUNK):
                    chunks.append(chunk)
                return b"".join(chunks)
        except InputError:
            raise
        except ZIP_READ_ERRORS as exc:
            raise InputError(where, f"damaged archive entry ({exc}); re-export it") from exc
