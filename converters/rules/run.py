"""`%run ./other $k=v`: the called notebook's converted cells are inlined where the call was."""

from __future__ import annotations

import shlex
from typing import ClassVar

from emrlab.converters.codegen import identifier, py_str
from emrlab.converters.findings import InputError
from emrlab.converters.magics import MagicCell
from emrlab.converters.model import Cell
from emrlab.converters.rulebase import Example
from emrlab.converters.rules.flags import RunCycle, RunTargetMissing
from emrlab.converters.translate import CellRule, Context, OutCell


def parse_run(args: str) -> tuple[str, dict[str, str]] | None:
    """`./path $a=1 $b="x y"` -> ("./path", {"a": "1", "b": "x y"}); None if it cannot be parsed."""
    try:
        words = shlex.split(args)
    except ValueError:
        return None
    if not words:
        return None
    values: dict[str, str] = {}
    for word in words[1:]:
        name, sep, value = word.removeprefix("$").partition("=")
        if not sep or not name:
            return None
        values[name] = value
    return words[0], values


class RunInline(CellRule):
    """Databricks runs a `%run` target in the caller's namespace, as if its cells were pasted in. emrlab
    does exactly that at conversion time, so the result runs anywhere without the other notebook at
    hand. `$name=value` arguments become the widget values the inlined code reads; the called notebook's
    own widget defaults fill in the rest. Paths resolve relative to the caller across the whole batch."""

    id = "EMR003"
    name = "run-inline"
    message = "`%run` target inlined"
    owns = frozenset({"run"})
    examples = (
        Example(
            "%run ./setup $env=prod",
            ('# %run ./setup $env=prod  (emrlab: inlined below)\nenv = "prod"', "db = 'sales_' + env"),
        ),
    )
    # The example's workspace: the called notebook, as a SOURCE export.
    example_workspace: ClassVar[dict[str, str]] = {
        "setup": "# Databricks notebook source\ndb = 'sales_' + env"
    }

    def translate(self, cell: Cell, magic: MagicCell, ctx: Context) -> list[OutCell]:
        from emrlab.converters.translator import translate_cells  # the translator dispatches to us

        line = f"{magic.written} {magic.args}".rstrip()
        parsed = parse_run(magic.args)
        target = ctx.workspace.resolve(ctx.notebook.path, parsed[0]) if parsed else None
        if parsed is None or target is None:
            ctx.flag(RunTargetMissing, cell)
            return [OutCell("code", f"# {line}  (emrlab: target not found)", cell.origin, role="run")]
        if target in (*ctx.run_stack, ctx.notebook.path):
            chain = " -> ".join((*ctx.run_stack, ctx.notebook.path, target))
            ctx.flag(RunCycle, cell, f"`%run` cycle: {chain}; this call is kept as a comment")
            return [OutCell("code", f"# {line}  (emrlab: cycle, not inlined)", cell.origin, role="run")]
        try:
            child = ctx.workspace.load(target)
        except InputError as exc:
            ctx.flag(RunTargetMissing, cell, f"`%run` target {target} could not be read: {exc.reason}")
            return [OutCell("code", f"# {line}  (emrlab: target unreadable)", cell.origin, role="run")]
        child_ctx = ctx.child(child, cell)
        inlined = translate_cells(child, child_ctx)  # first: it finds the widgets the child's code defines
        values = {w.name: w.default for w in child.widgets}
        values.update({name: w.default for name, w in child_ctx.widgets.items() if name not in values})
        values.update(parsed[1])
        assignments = [f"{identifier(k)} = {py_str(v)}" for k, v in values.items()]
        header = "\n".join([f"# {line}  (emrlab: inlined below)", *assignments])
        cells = [OutCell("code", header, cell.origin, role="run"), *inlined]
        if magic.body.strip():  # Databricks wants %run alone in its cell; keep anything after it
            cells.append(OutCell("code", magic.body, cell.origin))
        return cells
