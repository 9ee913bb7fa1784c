"""The `dbutils` object: `DBUtils(spark)` and `dbutils.fs.ls(...)` keep working after conversion."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from . import fs, notebook, secrets, widgets


class _Library:
    """`dbutils.library`: on EMR, install packages with %pip or bootstrap actions instead."""

    def restartPython(self) -> None:  # noqa: N802 (Databricks' name)
        """No-op: a Jupyter kernel picks up %pip installs without a restart of this kind."""


class DBUtilsFacade:
    """`fs`, `secrets`, `widgets`, `notebook` are the emrlab.runtime modules themselves, so that
    `widgets.get` sees its real caller's globals."""

    fs: ModuleType = fs
    secrets: ModuleType = secrets
    widgets: ModuleType = widgets
    notebook: ModuleType = notebook
    library = _Library()

    def __repr__(self) -> str:
        return "<emrlab.runtime.dbutils: fs, secrets, widgets, notebook, library>"


dbutils = DBUtilsFacade()


def DBUtils(spark: Any = None) -> DBUtilsFacade:  # noqa: N802 (Databricks' name)
    """Databricks Connect's `DBUtils(spark)`: the same `dbutils` object whatever `spark` is."""
    return dbutils
