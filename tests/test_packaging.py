"""One distribution, one import package: the wheel holds only `emrlab` (no generic top-level names such as
`converters`) plus the JupyterLab panel's data files, installs without a compiler or Kerberos headers, and
works when installed for real (JupyterLab and jupyter_server then see the panel and the server extension)."""

from __future__ import annotations

import email
import json
import os
import re
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
    assert {t for t in top if not t.endswith((".dist-info", ".data"))} == {"emrlab"}
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


LABEXT = "share/jupyter/labextensions/emrlab/"
SERVER_CONFIG = "etc/jupyter/jupyter_server_config.d/emrlab.json"


def _data(wheel: Path) -> dict[str, bytes]:
    """The wheel's data files (paths relative to the install prefix) and their bytes."""
    with zipfile.ZipFile(wheel) as archive:
        (prefix,) = {n.split("/", 1)[0] for n in archive.namelist() if n.split("/", 1)[0].endswith(".data")}
        root = f"{prefix}/data/"
        return {n[len(root) :]: archive.read(n) for n in archive.namelist() if n.startswith(root)}


def test_wheel_ships_the_prebuilt_labextension(wheel: Path) -> None:
    data = _data(wheel)
    package = json.loads(data[LABEXT + "package.json"])
    assert package["name"] == "emrlab"
    load = package["jupyterlab"]["_build"]["load"]  # written by the builder: the federated entry point
    assert load.startswith("static/remoteEntry.") and LABEXT + load in data
    assert b"emrlab:plugin" in b"".join(v for k, v in data.items() if k.startswith(LABEXT + "static/"))
    assert any(k.startswith(LABEXT + "static/") and k.endswith(".js") and k != LABEXT + load for k in data)
    assert json.loads(data[LABEXT + "install.json"])["packageName"] == "emrlab"
    assert not [k for k in data if "node_modules" in k or k.endswith(".ts")]


def test_wheel_ships_the_settings_schema(wheel: Path) -> None:
    schema = json.loads(_data(wheel)[LABEXT + "schemas/emrlab/plugin.json"])
    assert schema == json.loads((ROOT / "extension/schema/plugin.json").read_text())
    props = schema["properties"]
    assert {k: props[k]["default"] for k in props} == {
        "regions": [],
        "profile": None,
        "pollSeconds": 30,
        "idleWarningMinutes": 30,
        "budgetPerHour": None,
    }


def test_wheel_enables_the_server_extension(wheel: Path) -> None:
    config = json.loads(_data(wheel)[SERVER_CONFIG])
    assert config == {"ServerApp": {"jpserver_extensions": {"emrlab.extension": True}}}


def test_installed_wheel_is_seen_by_jupyterlab_and_jupyter_server(wheel: Path, tmp_path: Path) -> None:
    """Installed into a fresh prefix (and only that prefix's data and config paths added), JupyterLab lists
    the panel enabled and OK, and the prefix's own jupyter_server config (read as ServerApp reads it)
    enables a valid emrlab.extension imported from that prefix."""
    prefix = tmp_path / "prefix"
    # --ignore-installed: with a bare --prefix pip would first uninstall the developer's own emrlab
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--ignore-installed", "-q", "--prefix"]
    subprocess.run([*install, str(prefix), str(wheel)], check=True, timeout=300, capture_output=True)
    (site,) = prefix.glob("lib/python*/site-packages")
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "JUPYTER_PATH": str(prefix / "share/jupyter"),
        "JUPYTER_CONFIG_PATH": str(prefix / "etc/jupyter"),
    }
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    section = _section(listed.stdout + listed.stderr, str(prefix / "share/jupyter/labextensions"))
    assert any("emrlab v" in line and "enabled" in line and "OK" in line for line in section), listed.stderr
    code = (
        "import json, os, emrlab.extension\n"
        "from jupyter_core.paths import jupyter_config_path\n"
        "from jupyter_server.extension.config import ExtensionConfigManager\n"
        "from jupyter_server.extension.manager import ExtensionPackage\n"
        "own = [p for p in jupyter_config_path() if p.startswith(os.environ['PREFIX'])]\n"
        "enabled = ExtensionConfigManager(read_config_path=own).get_jpserver_extensions()\n"
        "ExtensionPackage(name='emrlab.extension', enabled=True).validate()\n"
        "print(json.dumps({'enabled': enabled.get('emrlab.extension'), 'file': emrlab.extension.__file__}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PREFIX": str(prefix)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["enabled"] is True
    assert found["file"].startswith(str(site))


def _section(output: str, header_part: str) -> list[str]:
    """The indented lines under the first unindented header line containing `header_part` (ANSI stripped)."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in output.splitlines()]
    found: list[str] = []
    inside = False
    for line in lines:
        if line and not line[0].isspace():
            if inside:
                break
            inside = header_part in line
        elif inside:
            found.append(line)
    return found
