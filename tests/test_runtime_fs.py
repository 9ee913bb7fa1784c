"""emrlab.runtime.fs against real file systems: the local disk through Python and through a real local
SparkSession's Hadoop FileSystem, and S3 on a real moto server (boto3 over HTTP), plus copies between them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from emrlab.runtime import _fs_s3, _spark, fs
from emrlab.runtime.fs import FileInfo


@pytest.fixture(scope="module", params=["python", "spark"])
def local_mode(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The local-disk backends: "python" (no SparkSession: the standard library) and "spark" (one real
    local SparkSession shared by this module's tests: Hadoop's LocalFileSystem through py4j)."""
    if request.param == "python":
        assert _spark.active_session() is None, "a SparkSession from another module is still running"
        yield None
        return
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("emrlab-runtime-fs")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    try:
        yield spark
    finally:
        spark.stop()


def _uri(path: Path, as_uri: bool) -> str:
    return path.as_uri() if as_uri else str(path)


# --- the local disk, with and without Spark --------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("as_uri", [False, True], ids=["plain-path", "file-uri"])
def test_put_head_ls(local_mode: Any, tmp_path: Path, as_uri: bool) -> None:
    base = _uri(tmp_path, as_uri)
    assert fs.put(f"{base}/data/hello.txt", "héllo wörld")
    assert fs.mkdirs(f"{base}/data/empty/nested")
    listing = fs.ls(f"{base}/data")
    assert [entry.name for entry in listing] == ["empty/", "hello.txt"]
    directory, file = listing
    assert isinstance(file, FileInfo) and isinstance(file, tuple)
    assert file.path == f"file:{tmp_path}/data/hello.txt"
    assert file.size == len("héllo wörld".encode())
    assert abs(file.modificationTime - time.time() * 1000) < 600_000
    assert directory.path == f"file:{tmp_path}/data/empty/" and directory.size == 0 and directory.isDir()
    assert [entry.name for entry in fs.ls(f"{base}/data/empty")] == ["nested/"]
    assert fs.ls(f"{base}/data/empty/nested") == []
    assert fs.ls(f"{base}/data/hello.txt") == [file]
    assert fs.head(f"{base}/data/hello.txt") == "héllo wörld"
    assert fs.head(f"{base}/data/hello.txt", maxBytes=5) == "héll"
    with pytest.raises(FileNotFoundError, match="missing"):
        fs.ls(f"{base}/missing")


@pytest.mark.slow
def test_put_refuses_to_overwrite_unless_asked(local_mode: Any, tmp_path: Path) -> None:
    target = str(tmp_path / "a.txt")
    fs.put(target, "one")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        fs.put(target, "two")
    assert fs.head(target) == "one"
    fs.put(target, "three", overwrite=True)
    assert fs.head(target) == "three"
    if local_mode is not None:  # Spark reads what the runtime wrote, checksum and all
        assert [row.value for row in local_mode.read.text(target).collect()] == ["three"]


@pytest.mark.slow
def test_spark_mode_really_uses_hadoop(local_mode: Any, tmp_path: Path) -> None:
    fs.put(str(tmp_path / "a.txt"), "x")
    # Hadoop's LocalFileSystem writes a checksum file next to each file; the standard library does not.
    assert (tmp_path / ".a.txt.crc").exists() == (local_mode is not None)
    assert [entry.name for entry in fs.ls(str(tmp_path))] == ["a.txt"]


@pytest.mark.slow
def test_cp_mv_rm(local_mode: Any, tmp_path: Path) -> None:
    src = tmp_path / "src"
    fs.put(f"{src}/a.txt", "A")
    fs.put(f"{src}/sub/b.txt", "B")
    fs.mkdirs(f"{src}/sub/empty")
    with pytest.raises(IsADirectoryError, match="recurse=True"):
        fs.cp(str(src), str(tmp_path / "copy"))
    assert fs.cp(str(src), str(tmp_path / "copy"), recurse=True)
    copied = (tmp_path / "copy").rglob("*")
    names = sorted(p.relative_to(tmp_path / "copy").as_posix() for p in copied if p.suffix != ".crc")
    assert names == ["a.txt", "sub", "sub/b.txt", "sub/empty"]
    assert fs.head(str(tmp_path / "copy" / "sub" / "b.txt")) == "B"
    assert fs.ls(str(tmp_path / "copy" / "sub" / "empty")) == []
    # a file copied to an existing directory lands inside it
    fs.mkdirs(str(tmp_path / "dest"))
    fs.cp(f"{src}/a.txt", str(tmp_path / "dest"))
    assert fs.head(str(tmp_path / "dest" / "a.txt")) == "A"
    # mv: files, and directories with recurse
    assert fs.mv(f"{src}/a.txt", str(tmp_path / "moved.txt"))
    assert not (src / "a.txt").exists() and fs.head(str(tmp_path / "moved.txt")) == "A"
    with pytest.raises(IsADirectoryError):
        fs.mv(f"{src}/sub", str(tmp_path / "sub2"))
    assert fs.mv(f"{src}/sub", str(tmp_path / "sub2"), recurse=True)
    assert fs.head(str(tmp_path / "sub2" / "b.txt")) == "B" and not (src / "sub").exists()
    # rm
    with pytest.raises(OSError, match="recurse=True"):
        fs.rm(str(tmp_path / "copy"))
    assert fs.rm(str(tmp_path / "copy"), recurse=True)
    assert not (tmp_path / "copy").exists()
    assert fs.rm(str(tmp_path / "moved.txt")) and not (tmp_path / "moved.txt").exists()
    assert fs.rm(str(tmp_path / "never-there")) is False
    with pytest.raises(FileNotFoundError):
        fs.cp(str(tmp_path / "never-there"), str(tmp_path / "x"))


@pytest.mark.slow
def test_unsupported_paths_say_what_to_do(local_mode: Any) -> None:
    with pytest.raises(ValueError, match="DBFS does not exist on EMR"):
        fs.ls("dbfs:/mnt/raw")
    if local_mode is None:
        with pytest.raises(RuntimeError, match="active SparkSession"):
            fs.ls("hdfs:///user/hadoop")


@pytest.mark.parametrize("local_mode", ["python"], indirect=True)
def test_local_checksum_files_are_hidden_and_refreshed(local_mode: None, tmp_path: Path) -> None:
    """Spark leaves `.name.crc` next to files it writes; ls hides them and a rewrite drops the stale one."""
    (tmp_path / "part-0").write_text("old")
    (tmp_path / ".part-0.crc").write_bytes(b"crc")
    assert [entry.name for entry in fs.ls(str(tmp_path))] == ["part-0"]
    fs.put(str(tmp_path / "part-0"), "new", overwrite=True)
    assert not (tmp_path / ".part-0.crc").exists()


# --- S3 on moto --------------------------------------------------------------------------------------------


@pytest.fixture
def bucket(aws_env: str) -> str:
    boto3.client("s3").create_bucket(Bucket="lake")
    return "lake"


def test_s3_put_head_ls(bucket: str) -> None:
    assert fs.put("s3://lake/raw/2024/a.csv", "id,name\n1,é\n")
    fs.put("s3://lake/raw/b.txt", "b")
    listing = fs.ls("s3://lake/raw")
    assert [(entry.name, entry.size) for entry in listing] == [("2024/", 0), ("b.txt", 1)]
    assert listing[0].path == "s3://lake/raw/2024/" and listing[0].isDir()
    assert listing[1].path == "s3://lake/raw/b.txt"
    assert abs(listing[1].modificationTime - time.time() * 1000) < 600_000
    assert fs.ls("s3://lake/raw/") == listing
    assert fs.ls("s3://lake") == [FileInfo("s3://lake/raw/", "raw/", 0, 0)]
    assert fs.ls("s3a://lake/raw/2024")[0].path == "s3a://lake/raw/2024/a.csv"
    assert fs.ls("s3://lake/raw/b.txt") == [listing[1]]
    assert fs.head("s3://lake/raw/2024/a.csv") == "id,name\n1,é\n"
    assert fs.head("s3://lake/raw/2024/a.csv", maxBytes=7) == "id,name"
    with pytest.raises(FileExistsError, match="overwrite=True"):
        fs.put("s3://lake/raw/b.txt", "again")
    fs.put("s3://lake/raw/b.txt", "again", overwrite=True)
    assert fs.head("s3n://lake/raw/b.txt") == "again"
    with pytest.raises(FileNotFoundError):
        fs.ls("s3://lake/nothing")
    with pytest.raises(FileNotFoundError, match="bucket missing-bucket does not exist"):
        fs.ls("s3://missing-bucket/x")
    with pytest.raises(IsADirectoryError):
        fs.head("s3://lake/raw")


def test_s3_empty_object_and_directory_marker(bucket: str) -> None:
    fs.put("s3://lake/empty.txt", "")
    assert fs.head("s3://lake/empty.txt") == ""
    assert fs.mkdirs("s3://lake/new/dir")
    assert fs.ls("s3://lake/new/dir") == []
    assert fs.ls("s3://lake/new") == [FileInfo("s3://lake/new/dir/", "dir/", 0, 0)]
    assert fs.rm("s3://lake/new/dir")  # an empty directory goes without recurse
    assert boto3.client("s3").list_objects_v2(Bucket="lake", Prefix="new/")["KeyCount"] == 0


def test_s3_cp_mv_rm(bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("a.txt", "sub/b.txt", "sub/deeper/c.txt"):
        fs.put(f"s3://lake/src/{key}", key.upper())
    with pytest.raises(IsADirectoryError):
        fs.cp("s3://lake/src", "s3://lake/dst")
    fs.cp("s3://lake/src", "s3://lake/dst", recurse=True)
    assert fs.head("s3://lake/dst/sub/deeper/c.txt") == "SUB/DEEPER/C.TXT"
    fs.cp("s3://lake/src/a.txt", "s3://lake/dst/sub/")
    assert fs.head("s3://lake/dst/sub/a.txt") == "A.TXT"
    fs.mv("s3://lake/src/a.txt", "s3://lake/moved.txt")
    assert fs.head("s3://lake/moved.txt") == "A.TXT" and fs.rm("s3://lake/src/a.txt") is False
    fs.mv("s3://lake/src/sub", "s3://lake/moved-dir", recurse=True)
    assert fs.head("s3://lake/moved-dir/deeper/c.txt") == "SUB/DEEPER/C.TXT"
    assert fs.rm("s3://lake/src/sub", recurse=True) is False
    with pytest.raises(OSError, match="recurse=True"):
        fs.rm("s3://lake/dst")
    monkeypatch.setattr(_fs_s3, "DELETE_BATCH", 2)  # several DeleteObjects requests
    assert fs.rm("s3://lake/dst", recurse=True)
    keys = [item["Key"] for item in boto3.client("s3").list_objects_v2(Bucket="lake")["Contents"]]
    assert sorted(keys) == ["moved-dir/b.txt", "moved-dir/deeper/c.txt", "moved.txt"]


@pytest.mark.slow
def test_copies_between_local_disk_and_s3(local_mode: Any, bucket: str, tmp_path: Path) -> None:
    local = tmp_path / "out"
    fs.put(f"{local}/one.txt", "1")
    fs.put(f"{local}/two/three.txt", "3")
    fs.cp(str(local), "s3://lake/up", recurse=True)
    assert [entry.name for entry in fs.ls("s3://lake/up")] == ["one.txt", "two/"]
    assert fs.head("s3://lake/up/two/three.txt") == "3"
    fs.cp("s3://lake/up", local.as_uri() + "-back", recurse=True)
    assert (tmp_path / "out-back" / "two" / "three.txt").read_text() == "3"
    fs.cp("s3://lake/up/one.txt", str(tmp_path / "single.txt"))
    assert (tmp_path / "single.txt").read_text() == "1"
    fs.mv(str(tmp_path / "single.txt"), "s3://lake/moved/")
    assert fs.head("s3://lake/moved/single.txt") == "1" and not (tmp_path / "single.txt").exists()
