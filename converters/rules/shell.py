"""`%sh` cells run on the Spark driver, as on Databricks: a subprocess call inside the Python cell."""

from __future__ import annotations

from emrlab.converters.codegen import py_str
from emrlab.converters.magics import MagicCell
from emrlab.converters.model import Cell
from emrlab.converters.rulebase import Example
from emrlab.converters.translate import CellRule, Context, OutCell


def shell_code(script: str) -> str:
    """Python that runs `script` with bash, shows its output and fails like the shell did."""
    return (
        "import subprocess\n"
        f'_sh = subprocess.run(["bash", "-c", {py_str(script)}], stdout=subprocess.PIPE, '
        "stderr=subprocess.STDOUT, universal_newlines=True)\n"
        'print(_sh.stdout, end="")\n'
        "_sh.check_returncode()"
    )


class ShellCell(CellRule):
    """Databricks runs `%sh` on the driver node. `%%bash` or sparkmagic's `%%local` would run on the
    notebook host instead, so the script runs through `subprocess` inside the Spark session's Python: on
    EMR that is the driver. Output is printed and a non-zero exit fails the cell."""

    id = "EMR004"
    name = "shell-cell"
    message = "`%sh` cell runs through subprocess on the driver"
    owns = frozenset({"sh"})
    examples = (Example("%sh\nls /tmp | head -3", (shell_code("ls /tmp | head -3"),)),)

    def translate(self, cell: Cell, magic: MagicCell, ctx: Context) -> list[OutCell]:
        from emrlab.converters.pyengine import flag_shell_paths

        flag_shell_paths([magic.text], cell, ctx)
        return [OutCell("code", shell_code(magic.text), cell.origin)]
