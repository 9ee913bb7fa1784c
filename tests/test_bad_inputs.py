"""Bad input: a clear error and nothing lost.

Every case builds a real batch on disk that holds one bad input next to good notebooks (SOURCE files,
`.ipynb`/HTML exports, `.dbc`/`.zip` archives), converts it, and checks that:
the failure names the file (and the archive entry) with a reason a user can act on; every good notebook
was written and is a valid notebook; report.json lists the failure; exit status bit 2 is set (OR-ed with
bit 1); nothing was written outside OUTDIR; and the inputs are byte-for-byte unchanged. No mocks.
"""

from __future__ import annotations

import hashlib
import json
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
from builders import command, html_export, ipynb_export, magic_cell, notebook_v1, source_text, write_dbc
from conftest import Converter, sources

from emrlab.cli import main
from emrlab.converters import BatchReport, Limits
from emrlab.converters.report import EXIT_FAILED, EXIT_FINDINGS

pytestmark = pytest.mark.timeout(60)

FIVE_MB_OF_ZEROS = bytes(5 * 1024 * 1024)


# ---------------------------------------------------------------------------------------------- helpers


@dataclass
class Batch:
    """A batch on disk: the input folder `inputs`, OUTDIR under `root/work`, and what must come out."""

    root: Path
    good: dict[str, str] = field(default_factory=dict)  # output relpath -> marker its sources contain

    def __post_init__(self) -> None:
        self.outdir.parent.mkdir(parents=True, exist_ok=True)  # OUTDIR's parent must gain nothing else

    @property
    def inputs(self) -> Path:
        return self.root / "in"

    @property
    def outdir(self) -> Path:
        return self.root / "work" / "out"

    def add_good_sources(self) -> Batch:
        """Three good SOURCE notebooks (python, sql, python in a sub-folder) in the input folder."""
        notebooks = {
            "good0.py": source_text(
                "python", ['marker = "good-0"', magic_cell("python", "%md\n# Heading\n\ntext")]
            ),
            "good1.sql": source_text("sql", ["SELECT 'good-1' AS marker"]),
            "sub/good2.py": source_text("python", ['marker = "good-2"\nprint(marker)']),
        }
        for relpath, text in notebooks.items():
            write(self.inputs / relpath, text.encode())
        self.good.update({"good0.ipynb": "good-0", "good1.ipynb": "good-1", "sub/good2.ipynb": "good-2"})
        return self

    def expect_good_members(self, prefix: str, names: Iterable[str]) -> None:
        """Good `.dbc` members built by `good_members`, converted under `prefix`."""
        for name in names:
            self.good[f"{prefix}{name.rsplit('.', 1)[0]}.ipynb"] = marker_of(name)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def marker_of(name: str) -> str:
    return "member-" + name.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def good_members(*names: str) -> dict[str, Any]:
    """Good NotebookV1 members for a `.dbc`, each with its own marker."""
    return {
        name: notebook_v1(name, "python", [f'marker = "{marker_of(name)}"', "%md\n# Notes"]) for name in names
    }


def write_zip(path: Path, members: Sequence[tuple[str, bytes | str]], stored: Iterable[str] = ()) -> Path:
    """A zip written member by member, in order; duplicate names allowed (zipfile only warns)."""
    keep = set(stored)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": intended in these tests
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 5))
                info.compress_type = zipfile.ZIP_STORED if name in keep else zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
    return path


def member_data_span(path: Path, name: str) -> tuple[int, int]:
    """(offset, length) of member `name`'s compressed bytes in the archive file."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    raw = path.read_bytes()
    name_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
    return info.header_offset + 30 + name_len + extra_len, info.compress_size


def corrupt_member(path: Path, name: str) -> None:
    """Flip bytes in the middle of `name`'s compressed data; headers and central directory stay intact."""
    start, length = member_data_span(path, name)
    raw = bytearray(path.read_bytes())
    for i in range(start + length // 2, start + length // 2 + 8):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))


def patch_member(path: Path, name: str, size: int | None = None, method: int | None = None) -> None:
    """Rewrite `name`'s declared uncompressed size and/or compression method in both of its headers."""
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(name).header_offset
    raw = bytearray(path.read_bytes())
    headers = [(offset, 8, 22)]  # (header, method field, size field) of the local header ...
    central = raw.find(b"PK\x01\x02")
    while central != -1:  # ... and of its central directory record
        name_len = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46 : central + 46 + name_len] == name.encode():
            headers.append((central, 10, 24))
        central = raw.find(b"PK\x01\x02", central + 4)
    for header, method_at, size_at in headers:
        if size is not None:
            struct.pack_into("<I", raw, header + size_at, size)
        if method is not None:
            struct.pack_into("<H", raw, header + method_at, method)
    path.write_bytes(bytes(raw))


def deflate_then_garbage(data: bytes) -> bytes:
    """A raw deflate stream of `data`, flushed to a byte boundary, then an invalid block (type 3)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH) + b"\xff" * 64


def snapshot(root: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under `root` (folders are listed too, as "dir")."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        found[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return found


def outside(batch: Batch, tree: Mapping[str, str]) -> dict[str, str]:
    out = batch.outdir.relative_to(batch.root).as_posix()
    return {k: v for k, v in tree.items() if k != out and not k.startswith(out + "/")}


def failure_reason(report: BatchReport, where: str) -> str:
    reasons = [reason for w, reason in report.failed if w == where]
    assert reasons, f"{where} is not reported as failed; failures: {report.failed}"
    assert len(reasons) == 1, f"{where} reported {len(reasons)} times: {reasons}"
    return reasons[0]


def assert_valid_notebook(path: Path) -> nbformat.NotebookNode:
    assert path.is_file(), f"{path} was not written"
    nb = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    return nb


def assert_outcome(
    report: BatchReport, batch: Batch, before: Mapping[str, str], failures: Mapping[str, Sequence[str]]
) -> None:
    """The batch's failures are exactly `failures` (where -> key words of the reason); the rest converted."""
    for where, words in failures.items():
        reason = failure_reason(report, where)
        for word in words:
            assert word.lower() in reason.lower(), f"{where}: {word!r} not in the reason {reason!r}"
    assert sorted(w for w, _ in report.failed) == sorted(failures), report.failed
    assert report.exit_code() & EXIT_FAILED
    saved = json.loads((batch.outdir / "report.json").read_text(encoding="utf-8"))
    assert sorted((f["input"], f["reason"]) for f in saved["failures"]) == sorted(report.failed)
    assert saved["summary"]["failed"] == len(failures)
    written = sorted(p.relative_to(batch.outdir).as_posix() for p in batch.outdir.rglob("*.ipynb"))
    assert set(batch.good) <= set(written), written
    for relpath, marker in batch.good.items():
        nb = assert_valid_notebook(batch.outdir / relpath)
        assert any(marker in cell.source for cell in nb.cells), f"{relpath}: {marker!r} missing"
    assert sorted(r.output or "" for r in report.notebooks) == sorted(batch.good), "converted notebooks"
    assert outside(batch, snapshot(batch.root)) == before, "inputs changed or files written outside OUTDIR"


@pytest.fixture
def batch(tmp_path: Path) -> Batch:
    return Batch(tmp_path).add_good_sources()


def cli_convert(batch: Batch, *args: str) -> int:
    argv = ["convert", str(batch.inputs), "-o", str(batch.outdir), "--target", "jupyter", "-q"]
    return main([*argv, *args] if "--jobs" in args else [*argv, "--jobs", "1", *args])


@pytest.fixture(autouse=True)
def _no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads ./emrlab.toml when present: run from an empty folder so only --config counts."""
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")


# ------------------------------------------------------------------ bad notebooks among good notebooks


def nb_without(key: str) -> dict[str, Any]:
    data = notebook_v1("bad", "python", ["x = 1"])
    del data[key]
    return data


def command_without(key: str) -> dict[str, Any]:
    cmd = command("y = 2", 2.0)
    del cmd[key]
    return notebook_v1("bad", "python", [command("x = 1", 1.0), cmd])


def with_commands(*commands: Any) -> dict[str, Any]:
    return {**notebook_v1("bad", "python", []), "commands": list(commands)}


def encoded(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


LATIN1_NOTEBOOK = json.dumps(notebook_v1("bad", "python", ["s = 'café'"]), ensure_ascii=False).encode(
    "latin-1"
)

BAD_MEMBERS = [
    pytest.param(
        b'{"version": "NotebookV1", "commands": [', ["invalid JSON", "line 1", "re-export"], id="invalid-json"
    ),
    pytest.param(nb_without("commands"), ["`commands`", "missing", "re-export"], id="missing-commands"),
    pytest.param(
        with_commands(command("x = 1", 1.0), 42), ["`commands[1]`", "dict", "int"], id="command-not-object"
    ),
    pytest.param(
        command_without("position"), ["`commands[1].position`", "missing"], id="command-missing-position"
    ),
    pytest.param(
        with_commands({**command("x = 1", 1.0), "position": "1"}),
        ["`commands[0].position`", "str"],
        id="position-is-string",
    ),
    pytest.param(
        with_commands({**command("x = 1", 1.0), "position": True}),
        ["`commands[0].position`"],
        id="position-is-bool",
    ),
    pytest.param(command_without("command"), ["`commands[1].command`", "missing"], id="command-missing-text"),
    pytest.param(
        {**nb_without("commands"), "commands": {}}, ["`commands`", "list", "dict"], id="commands-not-list"
    ),
    pytest.param(
        notebook_v1("bad", "haskell", ["x = 1"]),
        ["unknown notebook language", "haskell"],
        id="unknown-language",
    ),
    pytest.param(
        {**notebook_v1("bad", "python", []), "language": None},
        ["unknown notebook language"],
        id="null-language",
    ),
    pytest.param(
        {**notebook_v1("bad", "python", []), "version": "NotebookV9"},
        ["NotebookV9", "NotebookV1"],
        id="unknown-version",
    ),
    pytest.param(b"[1, 2]", ["`notebook`", "dict", "list"], id="json-not-object"),
    pytest.param(LATIN1_NOTEBOOK, ["not UTF-8", "0xe9", "iconv"], id="non-utf8"),
    pytest.param(b"", ["empty"], id="empty-member"),
    pytest.param(b" \n\t\n", ["empty"], id="blank-member"),
]


@pytest.mark.parametrize(("content", "words"), BAD_MEMBERS)
def test_bad_dbc_member_is_reported_and_the_rest_converts(
    batch: Batch, run_convert: Converter, content: Any, words: list[str]
) -> None:
    members = {**good_members("Shop/a.python", "Shop/b.python"), "Shop/bad.python": encoded(content)}
    dbc = write_dbc(batch.inputs / "export.dbc", members)
    batch.expect_good_members("", ["Shop/a.python", "Shop/b.python"])
    before = snapshot(batch.root)

    report, _ = run_convert(batch.inputs, out=batch.outdir)

    assert_outcome(report, batch, before, {f"{dbc}!Shop/bad.python": words})


def ipynb_with(**changes: Any) -> dict[str, Any]:
    data = ipynb_export([("code", 'marker = "bad"'), ("markdown", "# notes")])
    data.update(changes)
    return data


def bad_cell(**changes: Any) -> dict[str, Any]:
    data = ipynb_with()
    data["cells"][0].update(changes)
    return data


DAMAGED_HTML = (
    '<html><head><meta name="databricks-html-version" content="1"><script>'
    "var __DATABRICKS_NOTEBOOK_MODEL = '!!!not base64!!!';</script></head></html>"
)

BAD_FILES = [
    pytest.param("bad.ipynb", b"", ["empty", "re-export"], id="empty-ipynb"),
    pytest.param(
        "bad.ipynb", b'{"cells": [{"cell_type": "code"', ["invalid JSON", "line 1"], id="invalid-json-ipynb"
    ),
    pytest.param(
        "bad.ipynb",
        ipynb_export([("code", "x = 1")], language="julia"),
        ["unknown notebook language", "julia"],
        id="unknown-language-ipynb",
    ),
    pytest.param("bad.ipynb", ipynb_with(cells={}), ["`cells`", "list"], id="cells-not-list"),
    pytest.param(
        "bad.ipynb", bad_cell(cell_type="weird"), ["`cells[0].cell_type`", "weird"], id="unknown-cell-type"
    ),
    pytest.param("bad.ipynb", bad_cell(source=7), ["`cells[0].source`", "str"], id="cell-source-not-text"),
    pytest.param(
        "bad.ipynb",
        {"nbformat": 3, "worksheets": [], "metadata": {}},
        ["nbformat 3", "nbconvert"],
        id="nbformat-3",
    ),
    pytest.param(
        "bad.py",
        "# Databricks notebook source\ns = 'café'\n".encode("latin-1"),
        ["not UTF-8", "0xe9", "iconv"],
        id="non-utf8-source",
    ),
    pytest.param(
        "bad.sql",
        b"-- Databricks notebook source\nSELECT '\xff\xfe'\n",
        ["not UTF-8", "0xff"],
        id="non-utf8-sql-source",
    ),
    pytest.param(
        "bad.html",
        DAMAGED_HTML.encode(),
        ["embedded notebook model is damaged", "re-export"],
        id="damaged-html",
    ),
    pytest.param(
        "bad.html",
        html_export(nb_without("commands")).encode(),
        ["`commands`", "missing"],
        id="html-missing-commands",
    ),
    pytest.param(
        "bad.html",
        html_export(notebook_v1("bad", "cobol", [])).encode(),
        ["unknown notebook language", "cobol"],
        id="html-unknown-language",
    ),
    pytest.param(
        "bad.dbc", b"this is not a zip", ["not a readable zip archive", "re-export"], id="dbc-not-a-zip"
    ),
    pytest.param("bad.dbc", b"", ["not a readable zip archive"], id="empty-dbc"),
]


@pytest.mark.parametrize(("name", "content", "words"), BAD_FILES)
def test_bad_file_in_a_folder_is_reported_and_the_rest_converts(
    batch: Batch, run_convert: Converter, name: str, content: Any, words: list[str]
) -> None:
    bad = write(batch.inputs / name, encoded(content))
    before = snapshot(batch.root)

    report, _ = run_convert(batch.inputs, out=batch.outdir)

    assert_outcome(report, batch, before, {str(bad): words})


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cli_exit_status_has_bit_2_and_names_the_failure(
    batch: Batch, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    bad = write(batch.inputs / "bad.ipynb", b"{not json")
    dbc = write_dbc(batch.inputs / "export.dbc", {**good_members("a.python", "b.python"), "bad.python": b""})
    batch.expect_good_members("", ["a.python", "b.python"])
    before = snapshot(batch.root)

    status = cli_convert(batch, "--jobs", jobs)

    assert status == EXIT_FAILED  # the good notebooks have no error findings: bit 1 stays clear
    printed = capsys.readouterr().out
    assert f"failed {bad}: invalid JSON" in printed
    assert f"failed {dbc}!bad.python: empty file" in printed
    assert "5 notebooks converted" in printed and "2 failed" in printed
    saved = json.loads((batch.outdir / "report.json").read_text(encoding="utf-8"))
    assert {f["input"] for f in saved["failures"]} == {str(bad), f"{dbc}!bad.python"}
    for relpath in batch.good:
        assert_valid_notebook(batch.outdir / relpath)
    assert outside(batch, snapshot(batch.root)) == before


def test_check_reports_bad_inputs_and_writes_nothing(
    batch: Batch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(batch.inputs / "bad.py", b"# Databricks notebook source\nx = '\xe9'\n")
    ok = json.dumps(notebook_v1("ok", "python", ["x = 1"]))
    dbc = write_zip(batch.inputs / "export.dbc", [("../up.python", ok), ("ok.python", ok)])
    before = snapshot(tmp_path)

    status = main(["check", str(batch.inputs), "--jobs", "1", "-q", "--json"])

    assert status == EXIT_FAILED
    printed = json.loads(capsys.readouterr().out)
    assert {f["input"] for f in printed["failures"]} == {str(bad), f"{dbc}!../up.python"}
    assert printed["summary"]["notebooks"] == 4
    assert snapshot(tmp_path) == before  # `check` never writes


def test_unreadable_file_given_directly_is_reported(batch: Batch, run_convert: Converter) -> None:
    unreadable = Path("/proc/self/mem")  # a real file whose read fails with EIO (Linux)
    if not unreadable.is_file():
        pytest.skip("no /proc/self/mem on this system")
    try:
        unreadable.read_bytes()
    except OSError:
        pass
    else:
        pytest.skip("/proc/self/mem is readable here")
    before = snapshot(batch.root)
    batch.good = {f"in/{k}": v for k, v in batch.good.items()}  # several inputs: folders get a prefix

    report, _ = run_convert(batch.inputs, unreadable, out=batch.outdir)

    assert_outcome(report, batch, before, {str(unreadable): ["cannot read"]})


def test_run_of_a_bad_notebook_is_a_finding_on_the_caller(batch: Batch, run_convert: Converter) -> None:
    bad = write(batch.inputs / "lib/broken.ipynb", b"")
    write(batch.inputs / "main.py", source_text("python", ["%run ./lib/broken", 'marker = "main"']).encode())
    batch.good["main.ipynb"] = "main"
    before = snapshot(batch.root)

    report, _ = run_convert(batch.inputs, out=batch.outdir)

    assert_outcome(report, batch, before, {str(bad): ["empty"]})
    caller = next(r for r in report.notebooks if r.output == "main.ipynb")
    assert [f.rule for f in caller.findings] == ["EMR101"]
    assert "could not be read" in caller.findings[0].message


# ------------------------------------------------------------------------------ broken archives


def test_truncated_dbc_is_reported_and_the_rest_converts(batch: Batch, run_convert: Converter) -> None:
    whole = write_dbc(batch.root / "whole.dbc", good_members(*(f"nb{i}.python" for i in range(6))))
    data = whole.read_bytes()
    half = write(batch.inputs / "half.dbc", data[: len(data) // 2])
    cut_direct = write(batch.root / "direct" / "cut.dbc", data[: len(data) // 3])
    write_dbc(batch.inputs / "export.dbc", good_members("a.python"))
    batch.expect_good_members("", ["a.python"])
    batch.good = {f"in/{k}": v for k, v in batch.good.items()}  # several inputs: folders get a prefix
    before = snapshot(batch.root)

    report, _ = run_convert(batch.inputs, cut_direct, out=batch.outdir)

    words = ["not a readable zip archive", "download is complete"]
    assert_outcome(report, batch, before, {str(half): words, str(cut_direct): words})
    assert report.exit_code() == EXIT_FAILED


@pytest.mark.parametrize(
    ("compression", "size"),
    [
        pytest.param("stored", "small", id="stored-small"),
        pytest.param("deflated", "small", id="deflated-small"),
        pytest.param("stored", "large", id="stored-large"),  # larger than the sniffed head: fails on read
        pytest.param("deflated", "large", id="deflated-large"),
    ],
)
def test_corrupt_member_is_reported_and_its_siblings_convert(
    batch: Batch, run_convert: Converter, compression: str, size: str
) -> None:
    filler = "".join(f"row_{i} = {i * 7919 % 10007}\n" for i in range(8000 if size == "large" else 20))
    bad = notebook_v1("bad", "python", [filler, "done = True"])
    members = [(n, json.dumps(v)) for n, v in good_members("a.python", "z/b.python").items()]
    members.insert(1, ("m/bad.python", json.dumps(bad)))
    dbc = write_zip(
        batch.inputs / "export.dbc", members, stored=["m/bad.python"] if compression == "stored" else []
    )
    corrupt_member(dbc, "m/bad.python")
    batch.expect_good_members("", ["a.python", "z/b.python"])
    before = snapshot(batch.root)

    report, _ = run_convert(batch.inputs, out=batch.outdir)

    assert_outcome(report, batch, before, {f"{dbc}!m/bad.python": ["damaged archive entry", "re-export"]})


@pytest.mark.parametrize("damage", ["crc", "deflate-stream"])
def test_corrupt_nested_archive_is_reported_and_the_rest_converts(
    batch: Batch, run_convert: Converter, damage: str
) -> None:
    rows = "".join(f"{i},{hashlib.sha1(str(i).encode()).hexdigest()}\n" for i in range(8000))
    members = [(n, json.dumps(v)) for n, v in good_members("inner/a.python").items()]
    inner = write_zip(
        batch.root / "inner.zip", [*members, ("data.csv", rows)], stored=["data.csv"]
    ).read_bytes()
    assert len(inner) > 4 * 64 * 1024  # the damage is past the head that listing reads
    good = [(n, json.dumps(v)) for n, v in good_members("b.python").items()]
    if damage == "crc":
        archive = write_zip(batch.inputs / "outer.zip", [*good, ("inner.zip", inner)], stored=["inner.zip"])
        corrupt_member(archive, "inner.zip")
    else:  # valid deflate data for the first 192 KB, then a block zlib refuses
        stream = deflate_then_garbage(inner[: 3 * 64 * 1024])
        archive = write_zip(batch.inputs / "outer.zip", [*good, ("inner.zip", stream)], stored=["inner.zip"])
        patch_member(archive, "inner.zip", size=len(inner), method=zipfile.ZIP_DEFLATED)
    (batch.root / "inner.zip").unlink()
    batch.expect_good_members("", ["b.python"])
    before = snapshot(batch.root)

    report, _ = run_convert(batch.inputs, out=batch.outdir)

    assert_outcome(report, batch, before, {f"{archive}!inner.zip": ["damaged nested archive", "re-export"]})


ESCAPES = [
    pytest.param("../evil.python", id="parent"),
    pytest.param("../../evil.python", id="grandparent"),
    pytest.param("Shop/../../evil.python", id="climbs-from-folder"),
    pytest.param("..\\evil.python", id="backslash-parent"),
    pytest.param("C:/evil.python", id="drive-letter"),
    pytest.param("ABSOLUTE", id="absolute"),
]


@pytest.mark.parametrize("name", ESCAPES)
@pytest.mark.parametrize("nested", [False, True], ids=["dbc", "zip-in-zip"])
def test_entries_that_escape_are_refused_and_nothing_is_written_outside(
    batch: Batch, run_convert: Converter, name: str, nested: bool
) -> None:
    if name == "ABSOLUTE":
        name = str(batch.root / "work" / "abs" / "evil.python")  # lands next to OUTDIR if ever extracted
    evil = json.dumps(notebook_v1("evil", "python", ['marker = "evil"']))
    members = [(n, json.dumps(v)) for n, v in good_members("Shop/a.python", "b.python").items()]
    members.append((name, evil))
    if nested:  # a zip inside a zip expands in place, like the folder it is
        inner = write_zip(batch.root / "inner.zip", members)
        archive = write_zip(batch.inputs / "export.zip", [("inner.zip", inner.read_bytes())])
        inner.unlink()
        where = f"{archive}!inner.zip!{name}"
    else:
        archive = write_zip(batch.inputs / "export.dbc", members)
        where = f"{archive}!{name}"
    batch.expect_good_members("", ["Shop/a.python", "b.python"])
    before = snapshot(batch.root)

    report, _ = run_convert(batch.inputs, out=batch.outdir)

    assert_outcome(report, batch, before, {where: ["absolute or climbs out", "not extracted"]})
    written = [p for p in batch.outdir.rglob("*") if p.is_file() and p.suffix == ".ipynb"]
    assert not [p for p in written if "evil" in p.read_text(encoding="utf-8")]
    assert not (batch.root / "evil.python").exists() and not (batch.root / "work" / "evil.python").exists()


# ------------------------------------------------------------------------------------- zip bombs


def bomb_entry_over_limit(batch: Batch) -> tuple[Path, str, list[str]]:
    members = [(n, json.dumps(v)) for n, v in good_members("a.python", "b.python").items()]
    members.append(("data/big.csv", "id,name\n" * 8_000))  # 64 KB, over max_entry_bytes below
    archive = write_zip(batch.inputs / "export.dbc", members)
    batch.expect_good_members("", ["a.python", "b.python"])
    return archive, f"{archive}!data/big.csv", ["over the 50,000-byte limit", "max_entry_bytes"]


def file_over_limit(batch: Batch) -> tuple[Path, str, list[str]]:
    cells = ['marker = "big"', "rows = [\n" + "    'row',\n" * 6_000 + "]"]  # 66 KB: past the sniffed head
    big = write(batch.inputs / "big.py", source_text("python", cells).encode())
    return big, str(big), ["larger than the 50,000-byte limit", "max_entry_bytes"]


def bomb_archive_over_limit(batch: Batch) -> tuple[Path, str, list[str]]:
    members = [(f"part{i}.csv", "x" * 30_000) for i in range(5)]  # 150 KB in all, each under the limit
    archive = write_zip(batch.inputs / "bomb.zip", members)
    write_dbc(batch.inputs / "export.dbc", good_members("a.python"))
    batch.expect_good_members("", ["a.python"])
    return archive, str(archive), ["expands to 150,000 bytes", "max_archive_bytes"]


def bomb_ratio(batch: Batch) -> tuple[Path, str, list[str]]:
    members: list[tuple[str, bytes | str]] = [
        (n, json.dumps(v)) for n, v in good_members("a.python", "b.python").items()
    ]
    members.append(("zeros.bin", FIVE_MB_OF_ZEROS))
    archive = write_zip(batch.inputs / "export.dbc", members)
    batch.expect_good_members("", ["a.python", "b.python"])
    return archive, f"{archive}!zeros.bin", ["compression ratio", "zip bomb", "max_ratio"]


def bomb_nested_ratio(batch: Batch) -> tuple[Path, str, list[str]]:
    members = [(n, json.dumps(v)) for n, v in good_members("a.python").items()]
    inner = write_zip(batch.root / "inner.zip", [*members, ("zeros.bin", FIVE_MB_OF_ZEROS)])
    archive = write_zip(batch.inputs / "outer.zip", [("inner.zip", inner.read_bytes())], stored=["inner.zip"])
    inner.unlink()
    batch.expect_good_members("", ["a.python"])
    return archive, f"{archive}!inner.zip!zeros.bin", ["compression ratio", "zip bomb"]


def bomb_lying_size(batch: Batch) -> tuple[Path, str, list[str]]:
    members = [(n, json.dumps(v)) for n, v in good_members("a.python", "b.python").items()]
    archive = write_zip(batch.inputs / "export.dbc", [*members, ("zeros.python", FIVE_MB_OF_ZEROS)])
    patch_member(archive, "zeros.python", size=100)  # claims 100 bytes: reading stops there, CRC fails
    batch.expect_good_members("", ["a.python", "b.python"])
    return archive, f"{archive}!zeros.python", ["damaged archive entry", "re-export"]


def bomb_too_deep(batch: Batch) -> tuple[Path, str, list[str]]:
    level: bytes = json.dumps(notebook_v1("deep", "python", ["x = 1"])).encode()
    name = "deep.python"
    for depth in range(4):
        path = write_zip(batch.root / f"level{depth}.zip", [(name, level)])
        level, name = path.read_bytes(), f"level{depth}.zip"
        path.unlink()
    members = [(n, json.dumps(v)) for n, v in good_members("a.python").items()]
    archive = write_zip(batch.inputs / "nest.zip", [*members, (name, level)])
    batch.expect_good_members("", ["a.python"])
    where = f"{archive}!level3.zip!level2.zip!level1.zip"
    return archive, where, ["nested deeper than 3 levels", "max_nesting"]


BOMBS = [
    pytest.param(bomb_entry_over_limit, Limits(max_entry_bytes=50_000), id="entry-over-max_entry_bytes"),
    pytest.param(file_over_limit, Limits(max_entry_bytes=50_000), id="file-over-max_entry_bytes"),
    pytest.param(
        bomb_archive_over_limit, Limits(max_archive_bytes=100_000), id="archive-over-max_archive_bytes"
    ),
    pytest.param(bomb_ratio, Limits(), id="ratio-5MB-of-zeros-default-limits"),
    pytest.param(bomb_ratio, Limits(max_ratio=500, max_archive_bytes=6 * 1024 * 1024), id="ratio-small-caps"),
    pytest.param(bomb_nested_ratio, Limits(), id="ratio-inside-nested-zip"),
    pytest.param(bomb_lying_size, Limits(), id="declared-size-lies"),
    pytest.param(bomb_too_deep, Limits(), id="nested-too-deep"),
]


@pytest.mark.parametrize(("build", "limits"), BOMBS)
def test_zip_bombs_are_refused_and_the_rest_converts(
    batch: Batch,
    run_convert: Converter,
    build: Callable[[Batch], tuple[Path, str, list[str]]],
    limits: Limits,
) -> None:
    _, where, words = build(batch)
    before = snapshot(batch.root)

    report, _ = run_convert(batch.inputs, out=batch.outdir, limits=limits)

    assert_outcome(report, batch, before, {where: words})
    assert not [p for p in batch.outdir.rglob("*") if p.is_file() and p.stat().st_size > 1024 * 1024]


@pytest.mark.parametrize(
    ("config", "status", "refused"),
    [
        pytest.param(None, EXIT_FAILED, True, id="default-limits"),
        pytest.param("[limits]\nmax_ratio = 100000\n", 0, False, id="config-raises-max_ratio"),
        pytest.param(
            "[limits]\nmax_archive_bytes = 1000000\n", EXIT_FAILED, True, id="config-lowers-max_archive"
        ),
    ],
)
def test_limits_are_configurable_with_a_config_file(
    batch: Batch, capsys: pytest.CaptureFixture[str], config: str | None, status: int, refused: bool
) -> None:
    dbc = write_zip(
        batch.inputs / "export.dbc",
        [
            *((n, json.dumps(v)) for n, v in good_members("a.python").items()),
            ("data/zeros.bin", FIVE_MB_OF_ZEROS),
        ],
    )
    batch.expect_good_members("", ["a.python"] if not config or "ratio" in config else [])
    args = []
    if config:
        args = ["--config", str(write(batch.root / "cwd" / "settings.toml", config.encode()))]

    assert cli_convert(batch, *args) == status

    printed = capsys.readouterr().out
    for relpath in batch.good:
        assert_valid_notebook(batch.outdir / relpath)
    copied = batch.outdir / "data" / "zeros.bin"
    if not refused:
        assert copied.read_bytes() == FIVE_MB_OF_ZEROS and "0 failed" in printed
    elif config:  # the whole archive is over the configured total
        assert f"failed {dbc}: expands to" in printed and "max_archive_bytes" in printed
        assert not copied.exists() and not (batch.outdir / "a.ipynb").exists()
    else:
        assert f"failed {dbc}!data/zeros.bin: compression ratio" in printed and "zip bomb" in printed
        assert not copied.exists()


@pytest.mark.parametrize(
    "config", ["[limits]\nmax_ratio = -1\n", "[limits]\nmax_ratios = 5\n", '[limits]\nmax_ratio = "5"\n']
)
def test_bad_limits_in_the_config_file_are_refused_with_their_name(
    batch: Batch, capsys: pytest.CaptureFixture[str], config: str
) -> None:
    path = write(batch.root / "cwd" / "settings.toml", config.encode())

    assert cli_convert(batch, "--config", str(path)) == 2

    error = capsys.readouterr().err
    assert "[limits]" in error and "positive integers" in error
    assert not batch.outdir.exists()


# ------------------------------------------------------------------------------------- huge cells


HUGE_CELL = "rows = [\n" + "".join(f"    ({i}, 'name-{i}'),\n" for i in range(400)) + "]\ndisplay(rows)"
HUGE_MD = "%md\n" + "A long explanation. " * 400


@pytest.mark.parametrize("fmt", ["source", "dbc", "ipynb"])
def test_huge_cells_are_kept_verbatim_with_a_finding(
    tmp_path: Path, run_convert: Converter, fmt: str
) -> None:
    assert len(HUGE_CELL) > 8_000 and len(HUGE_MD) > 8_000
    batch = Batch(tmp_path).add_good_sources()
    cells = ['marker = "huge"', HUGE_CELL, HUGE_MD, "%md\n# small"]
    if fmt == "source":
        text = source_text(
            "python", [cells[0], cells[1], magic_cell("python", cells[2]), magic_cell("python", cells[3])]
        )
        write(batch.inputs / "huge.py", text.encode())
    elif fmt == "dbc":
        write_dbc(batch.inputs / "huge.dbc", {"huge.python": notebook_v1("huge", "python", cells)})
    else:
        write(batch.inputs / "huge.ipynb", json.dumps(ipynb_export([("code", c) for c in cells])).encode())
    output = "huge.ipynb"
    batch.good[output] = "huge"
    before = snapshot(batch.root)

    report, _ = run_convert(batch.inputs, out=batch.outdir, limits=Limits(max_cell_bytes=4096))

    assert not report.failed and report.exit_code() == 0  # a warning, not a failure (--fail-on error)
    for relpath, marker in batch.good.items():
        assert marker in "".join(sources(batch.outdir / relpath))
    result = next(r for r in report.notebooks if r.output == output)
    assert sorted((f.rule, f.cell) for f in result.findings) == [("EMR105", 1), ("EMR105", 2)]
    assert "kept verbatim" in result.findings[0].message and "4,096-byte limit" in result.findings[0].message
    assert_valid_notebook(batch.outdir / output)
    written = sources(batch.outdir / output)
    assert HUGE_CELL in written and HUGE_MD in written  # byte for byte
    assert "# small" in written and "%md\n# small" not in written  # small cells are still translated
    assert outside(batch, snapshot(batch.root)) == before


@pytest.mark.parametrize(
    ("fail_on", "with_bad", "status"),
    [
        pytest.param("warning", True, EXIT_FINDINGS | EXIT_FAILED, id="findings-and-failure"),
        pytest.param("never", True, EXIT_FAILED, id="failure-only"),
        pytest.param("warning", False, EXIT_FINDINGS, id="findings-only"),
    ],
)
def test_exit_bits_are_ored(batch: Batch, fail_on: str, with_bad: bool, status: int) -> None:
    write(batch.inputs / "huge.py", source_text("python", ['marker = "huge"', HUGE_CELL]).encode())
    if with_bad:
        write(batch.inputs / "bad.py", b"# Databricks notebook source\nx = '\xff'\n")
    write(batch.root / "cwd" / "emrlab.toml", b"[limits]\nmax_cell_bytes = 4096\n")

    assert cli_convert(batch, "--fail-on", fail_on) == status  # ./emrlab.toml is read by default

    assert HUGE_CELL in sources(batch.outdir / "huge.ipynb")


# -------------------------------------------------------------------------------- duplicate names


def test_duplicate_member_names_convert_the_first_and_report_the_second(
    batch: Batch, run_convert: Converter
) -> None:
    first = json.dumps(notebook_v1("nb", "python", ['marker = "first"']))
    second = json.dumps(notebook_v1("nb", "python", ['marker = "second"']))
    good = [(n, json.dumps(v)) for n, v in good_members("a.python", "z.python").items()]
    dbc = write_zip(
        batch.inputs / "export.dbc", [good[0], ("Shop/nb.python", first), good[1], ("Shop/nb.python", second)]
    )
    batch.expect_good_members("", ["a.python", "z.python"])
    batch.good["Shop/nb.ipynb"] = "first"
    before = snapshot(batch.root)

    report, _ = run_convert(batch.inputs, out=batch.outdir)

    assert_outcome(
        report, batch, before, {f"{dbc}!Shop/nb.python": ["duplicate entry name", "first one was converted"]}
    )
    written = "".join(sources(batch.outdir / "Shop/nb.ipynb"))
    assert "first" in written and "second" not in written


def test_inputs_whose_outputs_collide_are_all_written_under_distinct_names(
    tmp_path: Path, run_convert: Converter
) -> None:
    batch = Batch(tmp_path)
    folder = batch.inputs
    write(folder / "a.py", source_text("python", ['marker = "from-source"']).encode())
    write(folder / "a.ipynb", json.dumps(ipynb_export([("code", 'marker = "from-ipynb"')])).encode())
    write(folder / "A.sql", source_text("sql", ["SELECT 'upper-case' AS marker"]).encode())
    write_dbc(folder / "x.dbc", {"x/nb.python": notebook_v1("nb", "python", ['marker = "from-dbc"'])})
    write(folder / "x" / "nb.py", source_text("python", ['marker = "from-folder"']).encode())
    own = ("report.json", "report.html", "requirements.txt", ".emrlab-manifest.json")
    for name in own:  # names emrlab writes in OUTDIR itself
        write(folder / name, f"the user's own {name}\n".encode())
    before = snapshot(tmp_path)

    report, outdir = run_convert(folder, out=batch.outdir, target="script")

    assert not report.failed and report.exit_code() == 0
    outputs = [str(r.output) for r in report.results]
    assert len({o.casefold() for o in outputs}) == len(outputs) == 9, outputs
    texts = [(outdir / str(r.output)).read_text(encoding="utf-8") for r in report.notebooks]
    for marker in ("from-source", "from-ipynb", "upper-case", "from-dbc", "from-folder"):
        assert sum(marker in text for text in texts) == 1, (marker, outputs)
    assert len(report.files) == len(own)
    for result in report.files:  # copied under another name, not overwritten by emrlab's own files
        assert result.output not in own, outputs
        name = Path(result.input).name
        assert (outdir / str(result.output)).read_text() == f"the user's own {name}\n"
    assert json.loads((outdir / "report.json").read_text())["summary"]["files_copied"] == len(own)
    assert json.loads((outdir / ".emrlab-manifest.json").read_text())["version"] == 1
    assert outside(batch, snapshot(tmp_path)) == before


def test_two_inputs_with_the_same_name_are_both_written(tmp_path: Path, run_convert: Converter) -> None:
    batch = Batch(tmp_path)
    one = write(batch.inputs / "one" / "etl.py", source_text("python", ['marker = "one"']).encode())
    two = write(batch.inputs / "two" / "etl.py", source_text("python", ['marker = "two"']).encode())
    before = snapshot(tmp_path)

    report, outdir = run_convert(one, two, out=batch.outdir)

    assert not report.failed
    assert sorted(str(r.output) for r in report.notebooks) == ["etl (2).ipynb", "etl.ipynb"]
    for result in report.notebooks:
        assert_valid_notebook(outdir / str(result.output))
        marker = Path(result.input).parent.name
        assert f'marker = "{marker}"' in sources(outdir / str(result.output))
    assert outside(batch, snapshot(tmp_path)) == before


# ------------------------------------------------------------------------------ parallel workers


def test_parallel_workers_read_archives_without_corrupting_each_other(
    tmp_path: Path, run_convert: Converter
) -> None:
    """Workers forked while the parent had the archive open must not share its file offset."""
    names = [f"nb{i:03}.python" for i in range(64)]
    (tmp_path / "in").mkdir()
    archive = write_dbc(tmp_path / "in" / "export.dbc", {**good_members(*names), "bad.python": b"{"})
    for attempt in range(3):  # the race this guards against showed up in most runs of 64 members
        report, outdir = run_convert(archive, out=tmp_path / f"out{attempt}", jobs=2)
        assert [where for where, _ in report.failed] == [f"{archive}!bad.python"], report.failed[:3]
        assert len(report.notebooks) == 64
        for name in names[::16]:
            assert marker_of(name) in "".join(sources(outdir / name.replace(".python", ".ipynb")))
