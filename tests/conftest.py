"""Shared fixtures: run conversions in-process, read their outputs, compare golden files strictly."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emrlab.converters import BatchReport, Options, convert

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden/* from the current output"
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with tests/golden/NAME strictly; only --update-golden writes the file."""
    update = request.config.getoption("--update-golden")

    def compare(name: str, actual: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        assert path.is_file(), f"missing golden file {path}; create it with `pytest --update-golden`"
        assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"

    return compare


Converter = Callable[..., tuple[BatchReport, Path]]


@pytest.fixture
def run_convert(tmp_path: Path) -> Converter:
    """convert(inputs, target=..., **options) into a fresh folder; returns (report, output folder)."""
    counter = iter(range(1000))

    def run(
        *inputs: Path, target: str = "jupyter", out: Path | None = None, **options: Any
    ) -> tuple[BatchReport, Path]:
        outdir = out or tmp_path / f"out{next(counter)}"
        options.setdefault("jobs", 1)
        report = convert(list(inputs), outdir, Options(target=target, **options))  # type: ignore[arg-type]
        return report, outdir

    return run


def cells(path: Path) -> list[dict[str, Any]]:
    """The cells of a written notebook."""
    return json.loads(path.read_text(encoding="utf-8"))["cells"]  # type: ignore[no-any-return]


def sources(path: Path, include_generated: bool = False) -> list[str]:
    """Cell sources of a written notebook, without emrlab's generated prologue cells by default."""
    result = []
    for cell in cells(path):
        role = cell["metadata"].get("emrlab", {}).get("role")
        if include_generated or role not in ("spark-session", "parameters"):
            result.append(cell["source"])
    return result
