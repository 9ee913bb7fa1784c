"""`dbutils.fs` calls become `emrlab.runtime.fs`; DBFS mounts become path-map suggestions."""

from __future__ import annotations

import libcst as cst

from emrlab.converters.findings import Severity
from emrlab.converters.pyengine import (
    PythonRule,
    RuleContext,
    argument,
    dotted,
    root_name,
    string_value,
    with_func,
)
from emrlab.converters.rulebase import Example, Rule

FS_METHODS = {"ls", "cp", "mv", "rm", "mkdirs", "put", "head"}
MOUNT_METHODS = {"mount", "unmount", "mounts", "refreshMounts", "updateMount"}


class DbutilsFs(PythonRule):
    """`dbutils.fs` works on DBFS. `emrlab.runtime.fs` offers the same calls with the same signatures and
    results (`FileInfo(path, name, size, modificationTime)`) over S3 (boto3) and the cluster's Hadoop
    file systems (HDFS, local files), so the call sites stay as they were."""

    id = "EMR011"
    name = "dbutils-fs"
    message = "dbutils.fs call now uses emrlab.runtime.fs"
    candidates = ("dbutils",)
    examples = (
        Example(
            'for f in dbutils.fs.ls("s3://bucket/raw/"):\n    print(f.name, f.size)',
            ('for f in emrlab.runtime.fs.ls("s3://bucket/raw/"):\n    print(f.name, f.size)',),
        ),
        Example(
            'dbutils.fs.cp("s3://a/x.csv", "s3://b/x.csv", recurse=True)',
            ('emrlab.runtime.fs.cp("s3://a/x.csv", "s3://b/x.csv", recurse=True)',),
        ),
        Example("dbutils.fs.help()", ("# dbutils.fs.help()  (emrlab: not needed outside Databricks)",)),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call, rc: RuleContext) -> cst.BaseExpression:
        method = _fs_method(original, rc)
        if method in FS_METHODS:
            rc.replaced(original)
            rc.use_runtime()
            return with_func(updated, f"emrlab.runtime.fs.{method}")
        if method in MOUNT_METHODS:
            rc.handled(original)
            rc.flag(FsMount, original, *_mount_advice(original, method))
        return updated

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr, rc: RuleContext) -> cst.BaseSmallStatement:
        if isinstance(original.value, cst.Call):
            method = _fs_method(original.value, rc)
            if method == "help":
                rc.handled(original.value)
                return rc.remove(original, "not needed outside Databricks")
            if method in ("mount", "unmount", "refreshMounts", "updateMount"):
                return rc.remove(original, "DBFS mounts do not exist on EMR; see the finding")
        return updated


class FsMount(Rule):
    """DBFS mounts have no EMR equivalent: EMR reads S3 directly with the cluster's IAM role (EMRFS).
    Instead of mounting, map the mount point to its S3 location with `--path-map` (or `[paths]` in
    emrlab.toml) so every path under it is rewritten; the mount statement is commented out."""

    id = "EMR113"
    name = "fs-mount"
    message = "DBFS mounts do not exist on EMR"
    severity = Severity.WARNING
    fix = "map the mount point to S3 with --path-map (emrlab proposes the entry when the call is literal)"
    examples = (
        Example(
            'dbutils.fs.mount("s3a://sales-raw/landing", "/mnt/raw")',
            (
                '# dbutils.fs.mount("s3a://sales-raw/landing", "/mnt/raw")  '
                "(emrlab: DBFS mounts do not exist on EMR; see the finding)",
            ),
            flags=("EMR114",),  # until the proposed --path-map entry is added
        ),
    )


def _fs_method(call: cst.Call, rc: RuleContext) -> str | None:
    name = dotted(call.func)
    if not name or not name.startswith("dbutils.fs.") or name.count(".") != 2:
        return None
    head = root_name(call.func)
    if head is None or not rc.is_databricks(head):
        return None
    return name.rsplit(".", 1)[1]


def _mount_advice(call: cst.Call, method: str) -> tuple[str, str]:
    if method != "mount":
        return f"dbutils.fs.{method}() has no EMR equivalent (DBFS mounts do not exist on EMR)", ""
    source_arg, point_arg = argument(call, 0, "source"), argument(call, 1, "mount_point")
    source = string_value(source_arg.value) if source_arg else None
    point = string_value(point_arg.value) if point_arg else None
    if source is None or point is None:
        return "DBFS mount with computed arguments: map its mount point to S3 with --path-map", ""
    bucket = source
    for scheme in ("s3a://", "s3n://"):
        if bucket.startswith(scheme):
            bucket = "s3://" + bucket[len(scheme) :]
    if not bucket.startswith("s3://"):
        return (
            f"DBFS mount of {source} (not S3) at {point}",
            f"copy the data to S3 (or read it with the right connector), then --path-map dbfs:{point}=s3://...",
        )
    entry = f"dbfs:{point.rstrip('/')}={bucket.rstrip('/')}"
    return f"DBFS mount of {source} at {point}", f"convert with --path-map {entry}"
