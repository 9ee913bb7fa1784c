"""dbutils-compatible API that converted notebooks call on EMR (pure Python on pyspark and boto3).

Ships alone to clusters: imports nothing else of emrlab and keeps to the Python 3.7 grammar. pyspark,
boto3, IPython and papermill are imported only when a call needs them.

    from emrlab.runtime import dbutils, display, displayHTML
    dbutils.fs.ls("s3://bucket/prefix/")
"""

from __future__ import annotations

from . import context, fs, notebook, secrets, widgets
from ._facade import DBUtils, dbutils
from .display import display, displayHTML

__all__ = [
    "DBUtils",
    "context",
    "dbutils",
    "display",
    "displayHTML",
    "fs",
    "notebook",
    "secrets",
    "widgets",
]
