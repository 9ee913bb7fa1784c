"""`dbutils.notebook` for EMR: `exit(value)` stops the notebook with a result, `run(path, ...)` runs a
converted child notebook (papermill for `.ipynb`, a Python subprocess for `.py`) and returns its result."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from . import _nbrun, context
from ._ipython import shell as _ipython_shell

__all__ = ["NotebookExit", "NotebookRunError", "exit", "run"]

EXIT_FILE_ENV = _nbrun.EXIT_FILE_ENV


class NotebookExit(Exception):  # noqa: N818 (the name the runner and users see)
    """Raised by `exit` in a kernel so that later cells do not run; `str()` is the exit value."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return self.value


NotebookRunError = _nbrun.NotebookRunError


def _ipython() -> Any:
    """The running IPython shell, or None."""
    return _ipython_shell()


def _on_exit(shell: Any, etype: Any, value: BaseException, tb: Any, tb_offset: Any = None) -> list[str]:
    """IPython's handler for NotebookExit: a one-line error output instead of a traceback."""
    line = f"Notebook exited: {value}"
    show = getattr(shell, "_showtraceback", None)
    if callable(show):
        # an `error` output with ename NotebookExit and evalue the value: runners (papermill) read it
        show(etype, value, [line])
    else:
        print(line)
    return []


def _register(shell: Any) -> None:
    """Install `_on_exit` once, keeping any custom exception handler already installed."""
    handled = tuple(getattr(shell, "custom_exceptions", ()) or ())
    if NotebookExit in handled:
        return
    previous = shell.CustomTB if handled else None

    def handler(shell: Any, etype: Any, value: BaseException, tb: Any, tb_offset: Any = None) -> Any:
        if isinstance(value, NotebookExit) or previous is None:
            return _on_exit(shell, etype, value, tb, tb_offset)
        return previous(etype, value, tb, tb_offset=tb_offset)

    shell.set_custom_exc((*handled, NotebookExit), handler)


def exit(value: Any = "") -> NoReturn:
    """Stop the notebook with `value` (as str) as its result.

    In a kernel: raise NotebookExit, shown as one line, so that later cells do not run. In a script:
    write the value to the file named by EMRLAB_EXIT_FILE (set by `run`) and exit with status 0."""
    text = value if isinstance(value, str) else str(value)
    shell = _ipython()
    if shell is not None:
        _register(shell)
        raise NotebookExit(text)
    target = os.environ.get(EXIT_FILE_ENV)
    if target:
        Path(target).write_text(text, encoding="utf-8")
    print("emrlab: the notebook called notebook.exit(); stopping here", file=sys.stderr)
    sys.exit(0)


def _base_dir() -> Path:
    """The folder of the running notebook, against which relative `run` paths resolve."""
    if os.environ.get(context.NOTEBOOK_PATH_ENV):
        return Path(context.notebook_path()).resolve().parent
    if _ipython() is not None:
        return Path.cwd()
    return Path(sys.argv[0] or ".").resolve().parent


def run(path: str, timeout_seconds: int = 0, arguments: dict[str, Any] | None = None) -> str:
    """Run the converted notebook at `path` (Databricks style: relative to this notebook, no extension)
    with `arguments` as its widget values; return the value it passed to `exit` ("" if none).

    `timeout_seconds` (0 = none) applies per cell for `.ipynb` children and to the whole `.py` run.
    Failures raise NotebookRunError naming the child and the error."""
    params = {str(key): _text(value) for key, value in (arguments or {}).items()}
    prefer_notebook = _ipython() is not None
    child = _nbrun.find_child(path, _base_dir(), prefer_notebook)
    if child.suffix == ".ipynb":
        return _nbrun.run_notebook(child, params, timeout_seconds)
    return _nbrun.run_script(child, params, timeout_seconds)


def _text(value: Any) -> str:
    from .widgets import as_text

    return as_text(value)
