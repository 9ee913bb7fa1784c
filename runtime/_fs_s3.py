"""Amazon S3 (`s3://`, `s3a://`, `s3n://`) through boto3: instance roles on EMR, moto via AWS_ENDPOINT_URL.

S3 has no directories: a "directory" is a key prefix ending with "/" (listed with Delimiter "/"), and
`mkdirs` writes an empty "dir/" marker object so that an empty directory can be listed.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from . import _aws
from ._fsbase import Backend, FileInfo, basename

_MISSING = ("404", "NoSuchKey", "NotFound")
_DENIED = ("403", "AccessDenied", "AllAccessDisabled")
DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes


def split(path: str) -> tuple[str, str, str]:
    """(scheme, bucket, key) of an S3 URI."""
    scheme, sep, rest = path.partition("://")
    bucket, _, key = rest.partition("/")
    if not sep or not bucket:
        raise ValueError(f"{path}: not an S3 URI (expected s3://bucket/key)")
    return scheme.lower(), bucket, key


def _prefix(key: str) -> str:
    """The listing prefix of directory `key` ("" for the bucket's root)."""
    return key.rstrip("/") + "/" if key.strip("/") else ""


def _millis(when: Any) -> int:
    return int(when.timestamp() * 1000) if when is not None else 0


def _translated(path: str, bucket: str, err: Exception) -> Exception | None:
    """Python's exception for an S3 error about `path`, or None to re-raise the original."""
    code = _aws.error_code(err)
    if code == "NoSuchBucket":
        return FileNotFoundError(f"{path}: bucket {bucket} does not exist")
    if code in _MISSING:
        return FileNotFoundError(f"{path} does not exist")
    if code in _DENIED:
        return PermissionError(
            f"{path}: S3 denied access ({code}); the cluster's instance role (or your AWS credentials) "
            "needs permission for this bucket and prefix"
        )
    return None


class S3Backend(Backend):
    """S3 objects and prefixes; the URI scheme of the caller is kept in the paths it returns."""

    def __init__(self) -> None:
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The boto3 S3 client (made on first use)."""
        if self._client is None:
            self._client = _aws.client("s3")
        return self._client

    def _call(self, path: str, method: Callable[..., Any], **kwargs: Any) -> Any:
        """Call a client method, turning missing things and refusals into Python's exceptions."""
        from botocore.exceptions import ClientError

        try:
            return method(**kwargs)
        except ClientError as err:
            better = _translated(path, str(kwargs.get("Bucket", "")), err)
            if better is None:
                raise
            raise better from err

    def _pages(self, path: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """The pages of list_objects_v2(**kwargs), errors translated as in `_call`."""
        from botocore.exceptions import ClientError

        try:
            yield from self.client.get_paginator("list_objects_v2").paginate(**kwargs)
        except ClientError as err:
            better = _translated(path, str(kwargs.get("Bucket", "")), err)
            if better is None:
                raise
            raise better from err

    def _head(self, path: str, bucket: str, key: str) -> dict[str, Any] | None:
        try:
            return self._call(path, self.client.head_object, Bucket=bucket, Key=key)  # type: ignore[no-any-return]
        except FileNotFoundError:
            return None

    def stat(self, path: str) -> FileInfo | None:
        """See Backend."""
        scheme, bucket, key = split(path)
        root = f"{scheme}://{bucket}/"
        if not key.strip("/"):
            self._call(path, self.client.head_bucket, Bucket=bucket)
            return FileInfo(root, bucket + "/", 0, 0)
        if not key.endswith("/"):
            head = self._head(path, bucket, key)
            if head is not None:
                when = head.get("LastModified")
                return FileInfo(root + key, basename(key), int(head["ContentLength"]), _millis(when))
        prefix = _prefix(key)
        found = self._call(path, self.client.list_objects_v2, Bucket=bucket, Prefix=prefix, MaxKeys=1)
        if found.get("KeyCount", 0):
            return FileInfo(root + prefix, basename(key) + "/", 0, 0)
        return None

    def ls(self, path: str) -> list[FileInfo]:
        """See Backend."""
        scheme, bucket, key = split(path)
        root, prefix = f"{scheme}://{bucket}/", _prefix(key)
        entries: list[FileInfo] = []
        marker = False
        for page in self._pages(path, Bucket=bucket, Prefix=prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                entries.append(FileInfo(root + common["Prefix"], common["Prefix"][len(prefix) :], 0, 0))
            for item in page.get("Contents", []):
                if item["Key"] == prefix:
                    marker = True
                    continue
                name, size = item["Key"][len(prefix) :], int(item["Size"])
                entries.append(FileInfo(root + item["Key"], name, size, _millis(item["LastModified"])))
        if not entries and not marker and prefix:
            info = self.stat(path)
            if info is None:
                raise FileNotFoundError(f"ls: {path} does not exist")
            return [info]
        return sorted(entries, key=lambda info: info.name)

    def walk(self, path: str) -> list[str]:
        """See Backend."""
        _, bucket, key = split(path)
        prefix = _prefix(key)
        found: set[str] = set()
        for page in self._pages(path, Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                parts = item["Key"][len(prefix) :].split("/")
                found.update("/".join(parts[:depth]) + "/" for depth in range(1, len(parts)))
                if parts[-1]:
                    found.add("/".join(parts))
        return sorted(found)

    def read(self, path: str, max_bytes: int) -> bytes:
        """See Backend."""
        _, bucket, key = split(path)
        if key.endswith("/") or self._head(path, bucket, key) is None:
            if self.stat(path) is None:
                raise FileNotFoundError(f"head: {path} does not exist")
            raise IsADirectoryError(f"head: {path} is a directory")
        if max_bytes <= 0:
            return b""
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{max_bytes - 1}")
        except ClientError as err:
            if _aws.error_code(err) == "InvalidRange":  # an empty object
                return b""
            raise
        return response["Body"].read()  # type: ignore[no-any-return]

    def write(self, path: str, data: bytes, overwrite: bool) -> None:
        """See Backend."""
        _, bucket, key = split(path)
        if not key or key.endswith("/"):
            raise IsADirectoryError(f"put: {path} names a directory, not a file")
        if not overwrite and self._head(path, bucket, key) is not None:
            raise FileExistsError(f"put: {path} already exists; pass overwrite=True to replace it")
        self._call(path, self.client.put_object, Bucket=bucket, Key=key, Body=data)

    def mkdirs(self, path: str) -> None:
        """See Backend."""
        _, bucket, key = split(path)
        if key.strip("/"):
            self._call(path, self.client.put_object, Bucket=bucket, Key=_prefix(key), Body=b"")

    def delete(self, path: str, recurse: bool) -> bool:
        """See Backend."""
        _, bucket, key = split(path)
        prefix = _prefix(key)
        is_file = bool(key) and not key.endswith("/") and self._head(path, bucket, key) is not None
        below = [
            item["Key"]
            for page in self._pages(path, Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]
        keys = [key] if is_file else []
        if recurse or not is_file:
            if not recurse and [k for k in below if k != prefix]:
                raise OSError(errno.ENOTEMPTY, f"rm: {path} is a non-empty directory; pass recurse=True")
            keys += below
        if not keys:
            return False
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": k} for k in keys[start : start + DELETE_BATCH]]
            done = self._call(
                path, self.client.delete_objects, Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
            )
            if done.get("Errors"):
                first = done["Errors"][0]
                problem = f"{first.get('Code')}: {first.get('Message')}"
                raise OSError(f"rm: S3 did not delete {first.get('Key')} ({problem})")
        return True

    def copy_file(self, src: str, dst: str) -> None:
        """See Backend (a managed copy: CopyObject, or multipart copy for big objects)."""
        _, src_bucket, src_key = split(src)
        _, bucket, key = split(dst)
        source = {"Bucket": src_bucket, "Key": src_key}
        self._call(src, self.client.copy, CopySource=source, Bucket=bucket, Key=key)

    def download(self, path: str, local_file: str) -> None:
        """See Backend."""
        _, bucket, key = split(path)
        Path(local_file).parent.mkdir(parents=True, exist_ok=True)
        self._call(path, self.client.download_file, Bucket=bucket, Key=key, Filename=local_file)

    def upload(self, local_file: str, path: str) -> None:
        """See Backend."""
        _, bucket, key = split(path)
        self._call(path, self.client.upload_file, Filename=local_file, Bucket=bucket, Key=key)
