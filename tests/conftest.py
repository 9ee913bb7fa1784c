"""Shared fixtures: run conversions in-process, read their outputs, compare golden files strictly."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emrlab.converters import BatchReport, Options, convert

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# The Ctrl-C tests need SIGINT to reach Python. A shell without job control starts `make test &` with SIGINT
# ignored, and children inherit that, so put Python's own handler back.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
GOLDEN = Path(__file__).parent / "golden"
# The panel's handler tests need pytest-jupyter; the pyspark 3.5 venv runs only the runtime tests, without it.
pytest_plugins: tuple[str, ...] = ("livy_fixtures",)
if importlib.util.find_spec("pytest_jupyter") is not None:
    pytest_plugins += ("pytest_jupyter.jupyter_server",)


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
        if include_generated or role not in ("spark-session", "parameters", "setup", "pip"):
            result.append(cell["source"])
    return result


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real moto server on 127.0.0.1 (the demo's, emrlab.extension.demo) for the whole session; its URL.

    It does not change the environment: point boto3 at it with the `aws_env` fixture (or your own)."""
    from emrlab.extension.demo import moto_server as start_moto

    with start_moto(tmp_path_factory.mktemp("moto") / "moto_server.log") as url:
        yield url


@pytest.fixture
def aws_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """boto3 in this process (and its children) talks to a freshly reset moto server; yields its URL."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return moto_server
