"""How `notebook.run` finds and runs a child: papermill for `.ipynb`, a Python subprocess for `.py`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

EXIT_FILE_ENV = "EMRLAB_EXIT_FILE"
NOTEBOOK_PATH_ENV = "EMRLAB_NOTEBOOK_PATH"
STDERR_TAIL = 3000  # characters of a failed child's stderr quoted in the error


class NotebookRunError(RuntimeError):
    """A child notebook could not be found, failed, or timed out. The message names the child."""


def find_child(path: str, base: Path, prefer_notebook: bool) -> Path:
    """The converted child for a Databricks-style `path` (relative to `base`, usually no extension)."""
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = base / candidate
    if candidate.suffix in (".ipynb", ".py") and candidate.is_file():
        return candidate.resolve()
    order = (".ipynb", ".py") if prefer_notebook else (".py", ".ipynb")
    tried = [candidate.with_name(candidate.name + suffix) for suffix in order]
    for option in tried:
        if option.is_file():
            return option.resolve()
    raise NotebookRunError(f"notebook {path!r} not found: looked for {' and '.join(map(str, tried))}")


def _child_env(child: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(EXIT_FILE_ENV, None)
    env[NOTEBOOK_PATH_ENV] = str(child)
    return env


def _kernel_manager(env: dict[str, str]) -> Any:
    """A kernel manager class starting kernels with `env` (so that threads running children in
    parallel do not share one os.environ)."""
    from jupyter_client.manager import AsyncKernelManager

    class ChildKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            kw["env"] = {**kw.get("env", {}), **env}
            await super().start_kernel(**kw)

    return ChildKernelManager


def run_notebook(child: Path, params: dict[str, str], timeout: int) -> str:
    """Execute `child` with papermill; its exit value, or "" if it ran to the end."""
    try:
        import papermill
        from papermill.exceptions import PapermillExecutionError
    except ImportError:
        raise NotebookRunError(
            f"notebook {child} is a .ipynb: running it needs papermill (pip install papermill), "
            "or convert the child with --target script"
        ) from None
    workdir = Path(tempfile.mkdtemp(prefix="emrlab-run-"))
    output = workdir / child.name
    try:
        papermill.execute_notebook(
            str(child),
            str(output),
            parameters=params,
            kernel_name="python3",
            cwd=str(child.parent),
            progress_bar=False,
            execution_timeout=timeout or None,
            kernel_manager_class=_kernel_manager(_child_env(child)),
        )
    except PapermillExecutionError as err:
        if err.ename == "NotebookExit":
            shutil.rmtree(str(workdir), ignore_errors=True)
            return str(err.evalue)
        raise NotebookRunError(
            f"notebook {child} failed in cell {err.exec_count}: {err.ename}: {err.evalue} "
            f"(executed notebook kept in {output})"
        ) from None
    except Exception as err:  # a timeout, a dead kernel, an unreadable notebook: report, do not hide
        raise NotebookRunError(f"notebook {child} failed: {type(err).__name__}: {err}") from err
    shutil.rmtree(str(workdir), ignore_errors=True)
    return ""


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Stop the child and whatever it started (a Spark JVM) with it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    process.wait()


def run_script(child: Path, params: dict[str, str], timeout: int) -> str:
    """Run `child` as `python child.py --name value ...`; its exit value, or "" if it ran to the end."""
    command = [sys.executable, str(child)]
    for name, value in params.items():
        command += ["--" + name, value]
    workdir = Path(tempfile.mkdtemp(prefix="emrlab-run-"))
    exit_file = workdir / "exit-value"
    env = _child_env(child)
    env[EXIT_FILE_ENV] = str(exit_file)
    try:
        process = subprocess.Popen(
            command, cwd=str(child.parent), env=env, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            _, stderr = process.communicate(timeout=timeout or None)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise NotebookRunError(f"notebook {child} did not finish within {timeout} s") from None
        except BaseException:  # an interrupted parent stops its child too
            _kill(process)
            raise
        if process.returncode != 0:
            tail = stderr.decode("utf-8", errors="replace")[-STDERR_TAIL:]
            raise NotebookRunError(f"notebook {child} failed with exit status {process.returncode}:\n{tail}")
        return exit_file.read_text(encoding="utf-8") if exit_file.exists() else ""
    finally:
        shutil.rmtree(str(workdir), ignore_errors=True)
