"""The command line as a user meets it: exit status bits, check writes nothing, reruns touch only what
changed, user files are safe without --force, progress only on a terminal, Ctrl-C exits 130."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from builders import magic_cell, source_text

from emrlab import __version__
from emrlab.cli import main
from emrlab.converters.rules import ALL_RULES

EMRLAB = [sys.executable, "-m", "emrlab"]


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def notebook(folder: Path, name: str, *cells: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(source_text("python", list(cells) or ["x = 1"]))
    return path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"emrlab {__version__}"


@pytest.mark.parametrize(
    ("cells", "bad_input", "fail_on", "expected"),
    [
        (["x = 1"], False, "error", 0),
        ([magic_cell("python", "%scala\nval x = 1")], False, "error", 1),  # EMR103 error
        ([magic_cell("python", "%scala\nval x = 1")], False, "never", 0),
        (["%load_ext foo\nx = 1"], False, "error", 0),  # EMR106 warning on the script target
        (["%load_ext foo\nx = 1"], False, "warning", 1),
        (["x = 1"], True, "error", 2),
        ([magic_cell("python", "%scala\nval x = 1")], True, "error", 3),  # bits OR-ed, never summed
    ],
)
def test_exit_status_bits(
    tmp_path: Path, cells: list[str], bad_input: bool, fail_on: str, expected: int
) -> None:
    notebook(tmp_path / "in", "nb", *cells)
    if bad_input:
        (tmp_path / "in" / "broken.ipynb").write_text("{not json")
    code = main(
        [
            "convert",
            str(tmp_path / "in"),
            "-o",
            str(tmp_path / "out"),
            "--target",
            "script",
            "--fail-on",
            fail_on,
            "--jobs",
            "1",
            "-q",
        ]
    )
    assert code == expected


def test_check_writes_nothing_and_can_print_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notebook(tmp_path / "in", "nb", magic_cell("python", "%scala\nval x = 1"))
    before = tree(tmp_path)
    assert main(["check", str(tmp_path / "in"), "--json", "--jobs", "1", "--target", "jupyter"]) == 1
    assert tree(tmp_path) == before
    report = json.loads(capsys.readouterr().out)
    assert report["output"] is None
    assert [f["rule"] for f in report["notebooks"][0]["findings"]] == ["EMR103"]


def test_rerun_rewrites_only_what_changed(tmp_path: Path) -> None:
    notebook(tmp_path / "in", "a", "x = 1")
    notebook(tmp_path / "in", "b", "y = 2")
    args = ["convert", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--jobs", "1", "-q"]
    assert main(args) == 0
    out_a, out_b = tmp_path / "out" / "a.ipynb", tmp_path / "out" / "b.ipynb"
    stamps = {p: p.stat().st_mtime_ns for p in (out_a, out_b)}
    time.sleep(0.02)
    notebook(tmp_path / "in", "b", "y = 3")
    assert main(args) == 0
    assert out_a.stat().st_mtime_ns == stamps[out_a]
    assert out_b.stat().st_mtime_ns != stamps[out_b]
    assert "y = 3" in out_b.read_text()


def test_files_emrlab_did_not_write_need_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notebook(tmp_path / "in", "a", "x = 1")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.ipynb").write_text("my own notes")
    args = ["convert", str(tmp_path / "in"), "-o", str(out), "--jobs", "1", "-q"]
    assert main(args) == 2
    assert (out / "a.ipynb").read_text() == "my own notes"
    assert "--force" in capsys.readouterr().out
    assert main([*args, "--force"]) == 0
    assert json.loads((out / "a.ipynb").read_text())["cells"]
    (out / "a.ipynb").write_text("edited after conversion")
    assert main(args) == 2, "an output edited since emrlab wrote it is the user's now"


def test_links_out_of_the_output_folder_are_not_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a", "b", "c"):
        notebook(tmp_path / "in" / "sub", name, "x = 1")
    notebook(tmp_path / "in", "top", "y = 2")
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (out / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    (out / "sub" / "a.ipynb").symlink_to(elsewhere / "a.ipynb")  # a file linked out
    (out / "sub" / "b.ipynb").mkdir()  # not a file
    args = ["convert", str(tmp_path / "in"), "-o", str(out), "--jobs", "1", "-q"]
    assert main(args) == 2
    printed = capsys.readouterr().out
    assert "resolves outside the output folder" in printed and "is not a file" in printed
    assert list(elsewhere.iterdir()) == []
    assert json.loads((out / "sub" / "c.ipynb").read_text())["cells"]
    assert json.loads((out / "top.ipynb").read_text())["cells"]
    (out / "sub").rename(tmp_path / "old-sub")
    (out / "sub").symlink_to(elsewhere, target_is_directory=True)  # a folder linked out
    assert main([*args, "--force"]) == 2
    assert "resolves outside the output folder" in capsys.readouterr().out
    assert list(elsewhere.iterdir()) == []


def test_rules_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    listing = capsys.readouterr().out
    assert all(rule.id in listing for rule in ALL_RULES)
    assert main(["explain", "EMR002"]) == 0
    text = capsys.readouterr().out
    assert "sql-cell" in text and "before:" in text and "%%sql" in text
    assert main(["explain", "sql-cell"]) == 0
    assert main(["explain", "EMR999"]) == 2


def test_config_file_sets_options(tmp_path: Path) -> None:
    notebook(tmp_path / "in", "a", "x = 1")
    config = tmp_path / "emrlab.toml"
    config.write_text('[convert]\ntarget = "script"\n\n[paths]\n"dbfs:/mnt/raw" = "s3://bucket/raw"\n')
    assert (
        main(["convert", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--config", str(config), "-q"])
        == 0
    )
    assert (tmp_path / "out" / "a.py").is_file()
    config.write_text('[convert]\ntarget = "databricks"\n')
    assert main(["convert", str(tmp_path / "in"), "-o", str(tmp_path / "o2"), "--config", str(config)]) == 2


def test_progress_only_on_a_terminal(tmp_path: Path) -> None:
    for n in range(30):
        notebook(tmp_path / "in", f"nb{n}", "x = 1")
    args = [*EMRLAB, "convert", str(tmp_path / "in"), "--jobs", "1"]
    piped = subprocess.run([*args, "-o", str(tmp_path / "o1")], capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0 and piped.stderr == ""
    assert "30 notebooks converted" in piped.stdout
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [*args, "-o", str(tmp_path / "o2")], stdout=subprocess.PIPE, stderr=follower
    ) as proc:
        os.close(follower)
        assert proc.wait(timeout=60) == 0
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    os.close(leader)
    assert b"converting" in seen


def test_ctrl_c_exits_130_without_partial_files(tmp_path: Path) -> None:
    for n in range(3000):
        notebook(tmp_path / "in", f"nb{n:04}", "x = 1\n" * 20, magic_cell("python", "%sql\nSELECT 1"))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*EMRLAB, "convert", str(tmp_path / "in"), "-o", str(out), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not any(out.glob("*.ipynb")) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    written = list(out.glob("*.ipynb"))
    assert 0 < len(written) < 3000
    assert not list(out.glob(".emrlab-*")), "no temporary files left behind"
    for path in written:
        json.loads(path.read_text())  # every file that exists is complete


def test_select_ignore_and_severity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notebook(tmp_path / "in", "nb", 'spark.read.json("dbfs:/mnt/raw/x.json")\ndisplay(df)')

    def rules(*extra: str) -> list[tuple[str, str]]:
        assert main(["check", str(tmp_path / "in"), "--json", "--jobs", "1", *extra]) in (0, 1)
        report = json.loads(capsys.readouterr().out)
        return [(f["rule"], f["severity"]) for f in report["notebooks"][0]["findings"]]

    assert rules() == [("EMR114", "warning")]
    assert rules("--ignore", "EMR114") == []
    assert rules("--select", "EMR0") == []  # rewrites only: no flags
    config = tmp_path / "emrlab.toml"
    config.write_text('[severity]\nunmapped-path = "error"\n')
    assert rules("--config", str(config)) == [("EMR114", "error")]
    assert main(["check", str(tmp_path / "in"), "--select", "EMR999"]) == 2
