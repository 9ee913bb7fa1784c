"""Flags raised while translating cells: things emrlab keeps but cannot make run on the target."""

from __future__ import annotations

from typing import ClassVar

from emrlab.converters.findings import Severity
from emrlab.converters.rulebase import Example, Rule


class RunTargetMissing(Rule):
    """`%run` inlines the called notebook, so the called notebook must be part of the batch.

    When it is not (a typo, or a notebook outside the export), the `%run` line is kept as a comment
    and everything the called notebook defined is missing: later cells will fail.
    """

    id = "EMR101"
    name = "run-target-missing"
    message = "`%run` target is not in the batch; the line is kept as a comment"
    severity = Severity.ERROR
    fix = "add the called notebook to the inputs (convert the whole exported folder), or correct the path"
    reported_through_run = True
    examples = (Example("%run ./not_exported", ("# %run ./not_exported  (emrlab: target not found)",)),)


class RunCycle(Rule):
    """Notebooks that `%run` each other would inline forever; the call that closes the cycle is kept
    as a comment."""

    id = "EMR102"
    name = "run-cycle"
    message = "`%run` calls form a cycle; the call closing it is kept as a comment"
    severity = Severity.ERROR
    fix = "break the cycle: move the shared code into one notebook that both %run"
    reported_through_run = True
    examples = (
        Example(
            "%run ./loop",
            ("# %run ./loop  (emrlab: inlined below)", "# %run ./example  (emrlab: cycle, not inlined)"),
        ),
    )
    example_workspace: ClassVar[dict[str, str]] = {
        "loop": "# Databricks notebook source\n# MAGIC %run ./example"
    }


class CellNotRunnable(Rule):
    """The target's kernel cannot run this cell's language (Scala or R outside EMR Studio's Spark
    kernels; R in the `emrlab` target, whose `%%emr` magics run Python, SQL and Scala). The cell is kept
    verbatim (a raw cell in notebooks, a comment in scripts)."""

    id = "EMR103"
    name = "cell-not-runnable"
    message = "the target cannot run this {language} cell; it is kept verbatim and will not run"
    severity = Severity.ERROR
    fix = (
        "convert with --target emr-studio (its Spark kernels run Scala and R) or, for Scala, --target emrlab "
        "(%%emr scala), or port the cell to PySpark"
    )
    examples = (
        Example("%scala\nval n = spark.range(3).count()", ("%scala\nval n = spark.range(3).count()",)),
        Example("%r\nx <- 1", ("%r\nx <- 1",), target="emrlab"),
    )


class UnknownMagic(Rule):
    """A `%magic` emrlab does not know how to translate is kept as it was written."""

    id = "EMR104"
    name = "unknown-magic"
    message = "unknown magic `{magic}` kept verbatim; check it runs on the target"
    severity = Severity.WARNING
    fix = "replace the magic with code the kernel runs, or delete it if the target does not need it"
    examples = (Example("%conda install numpy", ("%conda install numpy",), language="sql"),)


class HugeCell(Rule):
    """Cells over `[limits] max_cell_bytes` (generated code, embedded data) are kept verbatim rather than
    translated, so a single giant cell cannot stall the batch."""

    id = "EMR105"
    name = "huge-cell"
    message = "cell of {size:,} bytes is over the {limit:,}-byte limit; kept verbatim, not translated"
    severity = Severity.WARNING
    fix = "review the cell by hand, or raise [limits] max_cell_bytes in emrlab.toml"


class LineMagicDropped(Rule):
    """IPython line magics (`%matplotlib`, `%time`, `%load_ext` ...) run only in an IPython kernel; in
    scripts and Livy sessions they are syntax errors, so they are commented out."""

    id = "EMR106"
    name = "line-magic-dropped"
    message = "IPython line `{line}` cannot run on this target; commented out"
    severity = Severity.WARNING
    fix = "use plain Python instead (e.g. time.perf_counter() for %time), or convert with --target jupyter"
    examples = (
        Example(
            "%load_ext autoreload\nprint(1)",
            ("# %load_ext autoreload  (emrlab: IPython only)\nprint(1)",),
            target="script",
        ),
    )


class PipOptionUnsupported(Rule):
    """`%pip` options such as `-r requirements.txt` or `--index-url` have no equivalent in EMR's
    notebook-scoped `sc.install_pypi_package`; install them with a bootstrap action instead."""

    id = "EMR107"
    name = "pip-option-unsupported"
    message = "`{line}` cannot be expressed on this target; commented out"
    severity = Severity.WARNING
    fix = "install these packages with an EMR bootstrap action or a custom image"
    examples = (
        Example(
            "%pip install -r /dbfs/reqs.txt",
            ("# %pip install -r /dbfs/reqs.txt  (emrlab: not supported here)",),
            target="emr-studio",
        ),
    )


class FsCommandUnknown(Rule):
    """A `%fs` command without a `dbutils.fs` equivalent is kept as a comment."""

    id = "EMR108"
    name = "fs-command-unknown"
    message = "`%fs {command}` has no dbutils.fs equivalent; kept as a comment"
    severity = Severity.WARNING
    fix = "write the equivalent dbutils.fs call by hand"
    examples = (Example("%fs frobnicate /x", ("# %fs frobnicate /x",)),)


class CellPython2(Rule):
    """A cell that only parses as Python 2 (`print x`, `except E, e:`) cannot run on EMR's Python 3;
    it is kept verbatim."""

    id = "EMR110"
    name = "python2-cell"
    message = "Python 2 code; kept verbatim, not rewritten"
    severity = Severity.ERROR
    fix = "port the cell to Python 3 (e.g. with `python -m lib2to3` or pyupgrade), then convert again"
    examples = (Example('print "total", n', ('print "total", n',)),)


class CellPlaceholder(Rule):
    """Training notebooks leave `<FILL_IN>` for the learner; the cell is kept verbatim."""

    id = "EMR111"
    name = "placeholder-cell"
    message = "the cell has a <FILL_IN> placeholder; kept verbatim"
    severity = Severity.WARNING
    fix = "fill in the placeholder, or delete the exercise cell"
    examples = (Example("df = <FILL_IN>", ("df = <FILL_IN>",)),)


class CellSyntaxError(Rule):
    """A cell that is not valid Python (it would fail on Databricks too) is kept verbatim."""

    id = "EMR112"
    name = "syntax-error-cell"
    message = "not valid Python; kept verbatim"
    severity = Severity.ERROR
    fix = "fix the syntax error (it fails on Databricks too)"
    examples = (Example("def broken(:\n    pass", ("def broken(:\n    pass",)),)


class DbutilsUnhandled(Rule):
    """A `dbutils` call no rule rewrites (a rare utility, or a dynamic use such as passing `dbutils`
    around) has no equivalent in emrlab.runtime; it is left as it was and will fail on EMR."""

    id = "EMR129"
    name = "dbutils-unhandled"
    message = "this dbutils use has no EMR equivalent; it will fail as it is"
    severity = Severity.ERROR
    fix = "replace it by hand (emrlab.runtime has fs, secrets, widgets, notebook and context)"
    examples = (Example("dbutils.data.summarize(df)", ("dbutils.data.summarize(df)",)),)
