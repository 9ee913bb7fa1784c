"""The demo workspace converted for each target, compared byte for byte with tests/golden/.

Golden files change only through `pytest --update-golden` (review the diff before committing it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emrlab.converters import Options, convert

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


@pytest.mark.parametrize("target", ["emr-studio", "jupyter", "script", "emrlab"])
def test_demo_workspace(
    target: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    golden: object,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    report = convert([Path("examples/workspace")], out, Options(target=target, jobs=1))  # type: ignore[arg-type]
    assert not report.failed
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != ".emrlab-manifest.json")
    assert files, "nothing written"
    for path in files:
        text = path.read_text(encoding="utf-8").replace(str(out), "<OUT>")
        golden(f"{target}/{path.relative_to(out).as_posix()}", text)  # type: ignore[operator]
    if not request.config.getoption("--update-golden"):
        expected = sorted(p.relative_to(GOLDEN / target) for p in (GOLDEN / target).rglob("*") if p.is_file())
        assert expected == [p.relative_to(out) for p in files], "golden files without a matching output"


def test_report_html_escapes_notebook_text(tmp_path: Path) -> None:
    folder = tmp_path / "<script>alert('name')<"
    folder.mkdir()
    (folder / "nb.py").write_text(
        "# Databricks notebook source\n%load_ext <script>alert('cell')</script>\nx = 1\n"
    )
    convert([folder], tmp_path / "out", Options(target="script", jobs=1))
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;cell&#x27;)&lt;/script&gt;" in html
    assert html.count("<script>") == 1  # only the report's own filter script


@pytest.mark.parametrize("target", ["jupyter", "emr-studio", "script", "emrlab"])
def test_generated_python_keeps_to_the_python_37_grammar(target: str) -> None:
    """EMR 6.x nodes run Python 3.7: every Python cell emrlab writes must parse with its grammar (for
    the `emrlab` target: the body of each `%%emr` cell, and the local cells, which IPython runs)."""
    import json

    import libcst

    config = libcst.PartialParserConfig(python_version="3.7")
    folder = GOLDEN / target
    checked = 0
    for path in sorted(folder.rglob("*.py")) + sorted(folder.rglob("*.ipynb")):
        if path.suffix == ".py":
            codes = [path.read_text()]
        else:
            notebook = json.loads(path.read_text())
            if notebook["metadata"]["kernelspec"]["language"] != "python":
                continue
            codes = [c["source"] for c in notebook["cells"] if c["cell_type"] == "code"]
        for code in codes:
            if code.startswith("%%emr\n"):
                code = code.removeprefix("%%emr\n")  # the rest runs in the remote session
            if code.startswith(("%%sql", "%%scalaspark", "%%rspark", "%pip", "%%emr ", "%load_ext", "%emr ")):
                continue  # not Python: a kernel magic
            libcst.parse_module(code, config=config)
            checked += 1
    assert checked >= 5
