"""Databricks paths in Python string literals: rewritten through the path map, or flagged."""

from __future__ import annotations

import libcst as cst

from emrlab.converters.codegen import py_str
from emrlab.converters.findings import Severity
from emrlab.converters.pathmap import PathMap, rewrite_text
from emrlab.converters.pyengine import PythonRule, RuleContext
from emrlab.converters.pynodes import literal_value
from emrlab.converters.rulebase import Example, Rule
from emrlab.converters.translate import Context

CANDIDATES = ("dbfs", "/mnt/", "/FileStore", "/Volumes/", "/databricks-datasets")


class DatabricksPaths(PythonRule):
    """DBFS paths (`dbfs:/`, `/dbfs/`, `/mnt/...`, `/FileStore`) and Unity Catalog volumes (`/Volumes/...`)
    do not exist on EMR, and a scheme-less path means HDFS there, not DBFS. With `--path-map
    dbfs:/mnt/raw=s3://bucket/raw` (or `[paths]` in emrlab.toml) every spelling of a mapped location is
    rewritten; anything unmapped is flagged with the literal so the map can be completed."""

    id = "EMR012"
    name = "databricks-paths"
    message = "Databricks path rewritten through the path map"
    candidates = CANDIDATES
    literal_only = True
    examples = (
        Example(
            'df = spark.read.parquet("dbfs:/mnt/raw/orders")\npdf = open("/dbfs/mnt/raw/a.csv")',
            ('df = spark.read.parquet("s3://lake/raw/orders")\npdf = open("s3://lake/raw/a.csv")',),
            path_map=(("dbfs:/mnt/raw", "s3://lake/raw"),),
            flags=("EMR130",),
        ),
        Example(
            'spark.read.csv(f"/mnt/raw/{day}/x.csv")',
            ('spark.read.csv(f"s3://lake/raw/{day}/x.csv")',),
            path_map=(("/mnt/raw", "s3://lake/raw"),),
        ),
    )

    def leave_SimpleString(
        self, original: cst.SimpleString, updated: cst.SimpleString, rc: RuleContext
    ) -> cst.BaseExpression:
        value = literal_value(original)
        if not isinstance(value, str) or not any(c in value for c in CANDIDATES):
            return updated
        new = _rewrite(value, original, rc)
        if new == value:
            return updated
        rc.replaced()
        return updated.with_changes(value=py_str(new))  # in its parentheses, if any

    def leave_FormattedStringText(
        self, original: cst.FormattedStringText, updated: cst.FormattedStringText, rc: RuleContext
    ) -> cst.FormattedStringText:
        if not any(c in original.value for c in CANDIDATES):
            return updated
        new = _rewrite(original.value, original, rc)
        if new != original.value:
            rc.replaced()
            return updated.with_changes(value=new)
        return updated


def _rewrite(text: str, node: cst.CSTNode, rc: RuleContext) -> str:
    new, unmapped, datasets = rewrite_text(text, path_map(rc.ctx))
    for path in unmapped:
        rc.flag(UnmappedPath, node, f"Databricks path {path!r} has no mapping on EMR")
    for path in datasets:
        rc.flag(DatabricksDatasets, node, f"{path!r} exists only on Databricks")
    if "/dbfs/" in text and new != text:
        rc.flag(FusePath, node)
    return new


def path_map(ctx: Context) -> PathMap:
    return PathMap.of(ctx.options.path_map)


class UnmappedPath(Rule):
    """A DBFS or volume path with no `--path-map` entry: on EMR it does not exist (a scheme-less path
    would even mean HDFS)."""

    id = "EMR114"
    name = "unmapped-path"
    message = "Databricks path has no mapping on EMR"
    severity = Severity.WARNING
    fix = "add --path-map FROM=TO (or a [paths] entry in emrlab.toml) pointing it at S3"
    examples = (
        Example(
            'df = spark.read.json("dbfs:/FileStore/tables/x.json")',
            ('df = spark.read.json("dbfs:/FileStore/tables/x.json")',),
        ),
    )


class DatabricksDatasets(Rule):
    """`/databricks-datasets` is a read-only sample library mounted only in Databricks workspaces."""

    id = "EMR115"
    name = "databricks-datasets"
    message = "/databricks-datasets exists only on Databricks"
    severity = Severity.WARNING
    fix = "copy the sample data you need to S3 and read it from there (or use s3://... public datasets)"
    examples = (
        Example(
            'spark.read.text("/databricks-datasets/README.md")',
            ('spark.read.text("/databricks-datasets/README.md")',),
        ),
    )


class FusePath(Rule):
    """`/dbfs/...` is DBFS seen as local files (for `open`, pandas). Mapped to `s3://`, such code needs a
    file system that understands S3 URLs (pandas with s3fs, `fsspec.open`) or Mountpoint for S3."""

    id = "EMR130"
    name = "fuse-path"
    message = "a /dbfs/ local-file path now points at S3: local file APIs need s3fs or Mountpoint for S3"
    severity = Severity.INFO
    fix = (
        "use fsspec/s3fs (pandas reads s3:// with s3fs installed) or mount the bucket with Mountpoint for S3"
    )


class ShellPath(Rule):
    """Shell commands (`%sh` cells, `!cmd` lines) that touch `/dbfs/...`, `/mnt/...` or other
    Databricks paths: on EMR those paths do not exist, and shell tools cannot read `s3://` URLs, so no
    rewrite is safe."""

    id = "EMR133"
    name = "shell-databricks-path"
    message = "a shell command uses a Databricks path"
    severity = Severity.WARNING
    fix = "use `aws s3 ls/cp` with the S3 location, or emrlab.runtime.fs from Python"
    examples = (Example("!ls -la /dbfs/tmp/out", ("!ls -la /dbfs/tmp/out",)),)
