"""`%fs <command> <args>` cells become the equivalent `dbutils.fs` call (which the runtime provides)."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from emrlab.converters.codegen import py_str
from emrlab.converters.magics import MagicCell
from emrlab.converters.model import Cell
from emrlab.converters.pathmap import PathMap, rewrite_text
from emrlab.converters.rulebase import Example
from emrlab.converters.rules.dbfs import FsMount
from emrlab.converters.rules.flags import FsCommandUnknown
from emrlab.converters.rules.paths import DatabricksDatasets, UnmappedPath
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


def fs_call(
    args: str, path: Callable[[str], str] = str, show_with: str = "emrlab.runtime.display"
) -> str | None:
    """The Python for `%fs <args>` (paths passed through `path`), or None when not understood."""
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
            param = params[len(positional)] if len(positional) < len(params) else ""
            positional.append(py_str(word if param == "contents" else path(word)))
    if len(positional) != len(params) or words[0] in ("mounts", "help"):
        return None
    arguments = ", ".join([*positional, *(f"{k}={v}" for k, v in keywords.items())])
    call = f"emrlab.runtime.fs.{words[0]}({arguments})"
    if show == "display":
        return f"{show_with}({call})"
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
        paths = PathMap.of(ctx.options.path_map)
        show_with = "display" if "display" in ctx.bound else "emrlab.runtime.display"

        def mapped(word: str) -> str:
            new, unmapped, datasets = rewrite_text(word, paths)
            for found in unmapped:
                ctx.flag(UnmappedPath, cell, f"Databricks path {found!r} has no mapping on EMR")
            for found in datasets:
                ctx.flag(DatabricksDatasets, cell, f"{found!r} exists only on Databricks")
            return new

        for line in lines:
            command = line.split()[0] if line.split() else ""
            if command == "help":
                code.append(f"# %fs {line}  (emrlab: not needed outside Databricks)")
                continue
            if command == "mounts":
                ctx.flag(FsMount, cell, "DBFS mounts do not exist on EMR")
                code.append(f"# %fs {line}  (emrlab: DBFS mounts do not exist on EMR)")
                continue
            call = fs_call(line, mapped, show_with)
            if call is not None:
                ctx.notes.runtime_used = True
            if call is None:
                command = line.split()[0] if line.split() else ""
                ctx.flag(FsCommandUnknown, cell, FsCommandUnknown.message.format(command=command))
                code.append(f"# %fs {line}")
            else:
                code.append(call)
        return [OutCell("code", "\n".join(code), cell.origin)]
