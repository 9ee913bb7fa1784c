"""setuptools glue for the JupyterLab panel; everything else about the package is in pyproject.toml.

On every build (`pip install .`, `pip install -e .`, `pip wheel .`, sdist) the labextension in
extension/labextension/ is rebuilt when it is missing or older than its sources: `jlpm install --immutable`
(CI=true, so yarn.lock must be complete and committed) then `jlpm build:prod`, with the jlpm of the
jupyterlab/jupyter_builder that [build-system] requires. The built files and the server-extension switch are
installed as data files:

    share/jupyter/labextensions/emrlab/**                         (JupyterLab finds prebuilt extensions there)
    etc/jupyter/jupyter_server_config.d/emrlab.json               (enables emrlab.extension)

EMRLAB_SKIP_LABEXTENSION=1 skips the JavaScript build (the Python package then installs without the panel
unless extension/labextension/ is already built).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup  # type: ignore[import-untyped,unused-ignore]
from setuptools.command.editable_wheel import editable_wheel  # type: ignore[import-untyped,unused-ignore]

HERE = Path(__file__).resolve().parent
JS = HERE / "extension"
BUILT = JS / "labextension"
SOURCES = ("src", "style", "schema", "package.json", "yarn.lock", "tsconfig.json", ".yarnrc.yml")
SERVER_CONFIG = "extension/jupyter-config/jupyter_server_config.d/emrlab.json"
INSTALL_JSON = "extension/install.json"


def _newest(path: Path) -> float:
    if path.is_file():
        return path.stat().st_mtime
    return max((p.stat().st_mtime for p in path.rglob("*") if p.is_file()), default=0.0)


def _stale() -> bool:
    """True when the labextension is missing, a development build, or older than any of its sources."""
    stamp = BUILT / "package.json"
    if not stamp.is_file() or (BUILT / "build_log.json").exists():  # build_log.json: a `jlpm build` dev build
        return True
    sources = [JS / name for name in SOURCES if (JS / name).exists()]
    return max(map(_newest, sources), default=0.0) > stamp.stat().st_mtime


def _jlpm() -> list[str]:
    found = shutil.which("jlpm")
    if found:
        return [found]
    try:
        import jupyter_builder.jlpm  # noqa: F401
    except ImportError:
        raise SystemExit(
            "emrlab: building the JupyterLab panel needs jlpm (from jupyterlab>=4.6 / jupyter_builder): "
            "install with pip (it reads [build-system] requires) or `pip install jupyterlab` first."
        ) from None
    return [sys.executable, "-c", "import sys; from jupyter_builder.jlpm import main; sys.exit(main())"]


def build_labextension() -> None:
    """Rebuild extension/labextension/ when it is stale (needs Node.js >= 20 and the npm registry)."""
    if os.environ.get("EMRLAB_SKIP_LABEXTENSION") == "1" or not (JS / "package.json").is_file():
        return
    if not _stale():
        return
    if shutil.which("node") is None:
        raise SystemExit(
            "emrlab: building the JupyterLab panel needs Node.js >= 20 on PATH (https://nodejs.org, or "
            "`apt-get install nodejs`); set EMRLAB_SKIP_LABEXTENSION=1 to install without the panel."
        )
    jlpm = _jlpm()
    env = {**os.environ, "CI": "true"}
    # the scripts of the build environment (jupyter-builder, used by `jlpm build:prod`) come first
    scripts = [str(Path(jlpm[0]).parent)] if len(jlpm) == 1 else []
    env["PATH"] = os.pathsep.join([*scripts, str(Path(sys.executable).parent), env.get("PATH", "")])
    for args in (["install", "--immutable"], ["build:prod"]):
        print(f"emrlab: jlpm {' '.join(args)} (in extension/)", file=sys.stderr, flush=True)
        subprocess.run([*jlpm, *args], cwd=JS, env=env, check=True)


def data_files() -> list[tuple[str, list[str]]]:
    """The labextension under share/jupyter/labextensions/emrlab and the server config under etc/jupyter."""
    files: list[tuple[str, list[str]]] = []
    if BUILT.is_dir():
        by_dir: dict[str, list[str]] = {}
        for path in sorted(p for p in BUILT.rglob("*") if p.is_file()):
            rel = path.parent.relative_to(BUILT).as_posix()
            target = "share/jupyter/labextensions/emrlab" + ("" if rel == "." else f"/{rel}")
            by_dir.setdefault(target, []).append(path.relative_to(HERE).as_posix())
        by_dir["share/jupyter/labextensions/emrlab"].append(INSTALL_JSON)
        files.extend(by_dir.items())
    files.append(("etc/jupyter/jupyter_server_config.d", [SERVER_CONFIG]))
    return files


class EditableWheelWithData(editable_wheel):  # type: ignore[misc,unused-ignore]
    """`pip install -e .` installs the data files too.

    setuptools' editable_wheel asks the distribution for `has_data()`, which does not exist (it is
    `has_data_files()`), so data files are silently left out of editable installs; this asks the right one.
    """

    def _run_install(self, category: str) -> None:
        if category == "data":
            if self.distribution.has_data_files():
                self.run_command("install_data")
            return
        super()._run_install(category)


build_labextension()
setup(data_files=data_files(), cmdclass={"editable_wheel": EditableWheelWithData})
