"""`%fs <command> <args>` cells become the equivalent `dbutils.fs` call (which the runtime provides)."""

from __future__ import annotations

import shlex

from emrlab.converters.codegen import py_str
from emrlab.converters.magics import MagicCell
from emrlab.converters.model import Cell
from emrlab.converters.rulebase import Example
from emrlab.converters.rules.flags import FsCommandUnknown
from emrlab.converters.translate import CellRule, Context, OutCell

# command -> (positional parameter names, flag -> keyword, how the result is shown)
_COMMANDS: dict[str, tuple[tuple[str, ...], dict[str, str], str]] = {
    "ls": (("dir",), {}, "display"),
    "head": (("file",), {"maxbytes": "maxBytes"}, "print"),
    "cp": (("from_", "to"), {"r": "recurse", "recurse": "recurse"}, ""),
    "mv": (("from_", "to"), {"r": "recurse", "recurse": "recurse"}, ""),
    "rm": (("dir",), {"r": "recurse", "recurse": "recurse"}, ""),
    "mkdirs": (("dir",), {}, ""),
    "put": (("file", "contents"), {"f": "overwrite", "overwrite": "overwrite"}, ""),
    "mounts": ((), {}, "display"),
    "help": ((), {}, ""),
}


def fs_call(args: str) -> str | None:
    """The Python for `%fs <args>`, or None when the command or its arguments are not understood."""
    try:
        words = shlex.split(args)
    except ValueError:
        return None
    if not words or words[0] not in _COMMANDS:
        return None
    params, flags, show = _COMMANDS[words[0]]
    positional: list[str] = []
    keywords: dict[str, str] = {}
    for word in words[1:]:
        if word.startswith("-"):
            name, _, value = word.lstrip("-").partition("=")
            keyword = flags.get(name.lower())
            if keyword is None:
                return None
            if keyword == "maxBytes":
                if not value.isdigit():
                    return None
                keywords[keyword] = value
            else:
                keywords[keyword] = "False" if value.lower() == "false" else "True"
        else:
            positional.append(py_str(word))
    if len(positional) != len(params):
        return None
    arguments = ", ".join([*positional, *(f"{k}={v}" for k, v in keywords.items())])
    call = f"dbutils.fs.{words[0]}({arguments})"
    return f"{show}({call})" if show else call


class FsCell(CellRule):
    """`%fs` is shorthand for `dbutils.fs`; spelling it out lets the dbutils rewrite map it to
    `emrlab.runtime.fs`, with the same results shown (`ls` as a table, `head` as text)."""

    id = "EMR005"
    name = "fs-cell"
    message = "`%fs` cell became an emrlab.runtime.fs call"
    owns = frozenset({"fs"})
    examples = (
        Example(
            "%fs ls /mnt/raw",
            ('emrlab.runtime.display(emrlab.runtime.fs.ls("s3://lake/raw"))',),
            path_map=(("dbfs:/mnt/raw", "s3://lake/raw"),),
        ),
        Example(
            "%fs head --maxBytes=100 s3://lake/a.csv",
            ('print(emrlab.runtime.fs.head("s3://lake/a.csv", maxBytes=100))',),
        ),
        Example(
            "%fs cp -r s3://lake/a s3://lake/b",
            ('emrlab.runtime.fs.cp("s3://lake/a", "s3://lake/b", recurse=True)',),
        ),
        Example(
            "%fs rm -r dbfs:/tmp/x", ('emrlab.runtime.fs.rm("dbfs:/tmp/x", recurse=True)',), flags=("EMR114",)
        ),
    )

    def translate(self, cell: Cell, magic: MagicCell, ctx: Context) -> list[OutCell]:
        lines = [line for line in magic.text.split("\n") if line.strip()]
        code = []
        for line in lines:
            call = fs_call(line)
            if call is None:
                command = line.split()[0] if line.split() else ""
                ctx.flag(FsCommandUnknown, cell, FsCommandUnknown.message.format(command=command))
                code.append(f"# %fs {line}")
            else:
                code.append(call)
        return [OutCell("code", ctx.rewrite_python("\n".join(code), cell, ctx), cell.origin)]
