"""Python cells: IPython-only lines translated for the target, then the Python rewrite step."""

from __future__ import annotations

import shlex

from emrlab.converters.codegen import py_str
from emrlab.converters.magics import MagicCell
from emrlab.converters.model import Cell
from emrlab.converters.pylines import magic_lines
from emrlab.converters.rulebase import Example
from emrlab.converters.rules.flags import LineMagicDropped, PipOptionUnsupported
from emrlab.converters.rules.shell import shell_code
from emrlab.converters.translate import CellRule, Context, OutCell

_QUIET_PIP_OPTIONS = {"-q", "--quiet", "-U", "--upgrade", "--no-cache-dir", "--disable-pip-version-check"}
_DROPPED_MAGICS = {"restart_python", "matplotlib"}  # not needed outside IPython: no finding
_TIMING_MAGICS = {"time", "timeit"}  # keep the statement, drop the timing


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


class PipInstall(CellRule):
    """`%pip install` is notebook-scoped on Databricks. EMR Studio's equivalent is EMR's notebook-scoped
    `sc.install_pypi_package` (installs on the cluster for this session), and so is the `emrlab`
    target's, inside `%%emr` (the packages belong in the remote session, not the local kernel); a
    Jupyter kernel keeps `%pip`; a script cannot install, so its packages go to `requirements.txt`."""

    id = "EMR007"
    name = "pip-install"
    message = "`%pip` became the target's way to install packages"
    examples = (
        Example(
            "%pip install faker==24.0 --quiet",
            ('sc.install_pypi_package("faker==24.0")',),
            target="emr-studio",
        ),
        Example("%pip install faker==24.0", ("%pip install faker==24.0",), target="jupyter"),
        Example(
            "%pip install faker==24.0\nimport faker",
            ("# %pip install faker==24.0  (emrlab: added to requirements.txt)\nimport faker",),
            target="script",
        ),
        Example(
            "%pip install faker==24.0 --quiet",
            ('%%emr\nsc.install_pypi_package("faker==24.0")',),
            target="emrlab",
        ),
    )

    @staticmethod
    def rewrite(line: str, cell: Cell, ctx: Context) -> str:
        """The target's version of one `%pip`/`!pip`/`pip` line (`emr-studio` and `emrlab`: EMR's
        notebook-scoped `sc.install_pypi_package`)."""
        if ctx.target == "jupyter":
            return line
        indent, text = _indent(line), line.strip()
        try:
            words = shlex.split(text.lstrip("%!"))
        except ValueError:
            words = []
        command = words[1] if len(words) > 1 else ""
        packages = [w for w in words[2:] if not w.startswith("-")]
        options = [w for w in words[2:] if w.startswith("-") and w not in _QUIET_PIP_OPTIONS]
        if command not in ("install", "uninstall") or options or not packages:
            ctx.flag(PipOptionUnsupported, cell, PipOptionUnsupported.message.format(line=text))
            return f"{indent}# {text}  (emrlab: not supported here)"
        if ctx.target == "script":
            if command == "install":
                ctx.requirements.extend(packages)
            note = "added to requirements.txt" if command == "install" else "not applied"
            return f"{indent}# {text}  (emrlab: {note})"
        method = "install_pypi_package" if command == "install" else "uninstall_package"
        return "\n".join(f"{indent}sc.{method}({py_str(p)})" for p in packages)


class PythonCell(CellRule):
    """Python cells are IPython cells on Databricks. In a Jupyter kernel every IPython line runs as it
    is; Livy sessions (EMR Studio's, and the `emrlab` target's `%%emr` cells) and scripts run plain
    Python, so `%pip` is translated, `!cmd` runs through subprocess, and other line magics are
    commented out with a finding."""

    id = "EMR006"
    name = "python-cell"
    message = "Python cell translated for the target"
    owns = frozenset({"python"})
    examples = (
        Example("df = spark.range(3)\ndf.count()", ("df = spark.range(3)\ndf.count()",)),
        Example("!ls /tmp", (shell_code("ls /tmp"),), target="script"),
        Example("%python\nx = 1", ("x = 1",), language="sql"),
        Example("%python\nx = 1", ("%%pyspark\nx = 1",), target="emr-studio", language="scala"),
        Example(
            "df = spark.range(3)\n!ls /tmp",
            (f"%%emr\ndf = spark.range(3)\n{shell_code('ls /tmp')}",),
            target="emrlab",
        ),
    )

    def translate(self, cell: Cell, magic: MagicCell, ctx: Context) -> list[OutCell]:
        code = magic.text if magic.magic else magic.body
        if ctx.target in ("emr-studio", "emrlab", "script"):  # no IPython there: translate its lines
            code = self._ipython_lines(code, cell, ctx)
        code = ctx.rewrite_python(code, cell, ctx)
        return [OutCell("code", code, cell.origin)]

    def _ipython_lines(self, code: str, cell: Cell, ctx: Context) -> str:
        lines = code.split("\n")
        for index in magic_lines(code):
            line = lines[index]
            text = line.strip()
            name = text.lstrip("%!").split(maxsplit=1)[0] if text.lstrip("%!") else ""
            if name == "pip" or text.startswith("pip "):
                lines[index] = PipInstall.rewrite(line, cell, ctx)
            elif text.startswith("!"):
                lines[index] = _indented(shell_code(text[1:].strip()), _indent(line))
            elif name in _TIMING_MAGICS and text.startswith("%") and not text.startswith("%%"):
                statement = text.lstrip("%")[len(name) :].strip()
                lines[index] = f"{_indent(line)}{statement}" if statement else f"{_indent(line)}# {text}"
            elif name in _DROPPED_MAGICS:
                lines[index] = f"{_indent(line)}# {text}  (emrlab: IPython only)"
            else:
                ctx.flag(LineMagicDropped, cell, LineMagicDropped.message.format(line=text), line=index + 1)
                lines[index] = f"{_indent(line)}# {text}  (emrlab: IPython only)"
            if lines[index].lstrip().startswith("#") and _opens_block(lines, index):
                lines[index] = f"{_indent(line)}pass  {lines[index].lstrip()}"  # keep the block valid
        return "\n".join(lines)


def _opens_block(lines: list[str], index: int) -> bool:
    """True when line `index` is the first in a block (`if ...:`): a comment alone there is a SyntaxError."""
    for previous in reversed(lines[:index]):
        code = previous.split("#", 1)[0].rstrip()
        if code:
            return code.endswith(":")
    return False


def _indented(code: str, indent: str) -> str:
    return "\n".join(indent + line for line in code.split("\n"))
