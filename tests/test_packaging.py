"""One distribution, one import package: the wheel holds only `emrlab` (no generic top-level names such as
`converters`), installs without a compiler or Kerberos headers, and works when installed for real."""

from __future__ import annotations

import email
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (found,) = out.glob("emrlab-*.whl")
    return found


def test_wheel_holds_only_the_emrlab_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"emrlab"}
    for expected in (
        "emrlab/converters/readers/source.py",
        "emrlab/converters/rules/sql.py",
        "emrlab/runtime/__init__.py",
        "emrlab/magics/__init__.py",
        "emrlab/py.typed",
    ):
        assert expected in names


def test_core_install_needs_no_spark_no_kerberos(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        meta_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(meta_name))
    core = [r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r]
    heavy = ("sparkmagic", "requests-kerberos", "gssapi", "pyspark", "pykerberos")
    assert not [r for r in core if r.split(";")[0].strip().lower().startswith(heavy)]
    assert any("sparkmagic" in r and "extra ==" in r for r in metadata.get_all("Requires-Dist") or [])


def test_installed_wheel_imports_and_runs(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import emrlab, emrlab.converters, emrlab.runtime, emrlab.aws, emrlab.magics, emrlab.extension\n"
        "from emrlab.cli import main\n"
        "print(emrlab.__file__)\n"
        "raise SystemExit(main(['rules']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(target))
    assert "EMR002" in done.stdout


@pytest.mark.parametrize("name", ["converters", "runtime", "aws", "magics", "extension"])
def test_no_generic_top_level_import_names(name: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode != 0 and "ModuleNotFoundError" in done.stderr
