"""`dbutils.library` and `DBUtils`: restartPython removed (its `%pip` hoisted), installPyPI -> pip, DBUtils
-> the runtime's facade."""

from __future__ import annotations

import libcst as cst

from emrlab.converters.codegen import py_str
from emrlab.converters.pyengine import (
    PythonRule,
    RuleContext,
    argument,
    dotted,
    expression,
    root_name,
    string_value,
)
from emrlab.converters.rulebase import Example


class RestartPython(PythonRule):
    """Databricks needs `dbutils.library.restartPython()` after `%pip install` so the new packages load.
    A Jupyter kernel does not: the `%pip` lines move to a cell at the top of the notebook, before anything
    is imported, and the restart goes. (EMR Studio and the `emrlab` target install with
    `sc.install_pypi_package`, usable at once; scripts list their packages in requirements.txt: none of
    them restarts.)"""

    id = "EMR017"
    name = "restart-python"
    message = "restartPython() removed; %pip hoisted to the top of the notebook"
    candidates = ("restartPython",)
    examples = (
        Example(
            "%pip install faker==24.0\ndbutils.library.restartPython()\nimport faker",
            (
                "%pip install faker==24.0",
                "# dbutils.library.restartPython()  (emrlab: not needed: %pip moved to the top)\n"
                "import faker",
            ),
        ),
    )

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr, rc: RuleContext) -> cst.BaseSmallStatement:
        call = original.value
        if not isinstance(call, cst.Call) or dotted(call.func) != "dbutils.library.restartPython":
            return updated
        head = root_name(call.func)
        if head is None or not rc.is_databricks(head):
            return updated
        rc.handled(call)
        if rc.ctx.target in ("emr-studio", "emrlab", "script"):
            return rc.remove(original, "not needed outside Databricks")
        for index, lines in sorted(rc.masked.lines.items()):
            if lines[0].lstrip().startswith(("%pip", "!pip", "pip ")):
                rc.ctx.notes.hoisted_pip.append("\n".join(rc.masked.drop(index)).strip())
        return rc.remove(original, "not needed: %pip moved to the top")


class InstallPyPI(PythonRule):
    """`dbutils.library.installPyPI(name, version=...)` was removed in DBR 11; the same install is `%pip`
    in Jupyter, `sc.install_pypi_package` on EMR Studio and in the `emrlab` target's remote session,
    and requirements.txt for scripts."""

    id = "EMR018"
    name = "install-pypi"
    message = "installPyPI became the target's way to install packages"
    candidates = ("installPyPI",)
    examples = (
        Example('dbutils.library.installPyPI("faker", version="24.0")', ("%pip install faker==24.0",)),
        Example(
            'dbutils.library.installPyPI("faker")', ('sc.install_pypi_package("faker")',), target="emr-studio"
        ),
        Example(
            'dbutils.library.installPyPI("faker")',
            ('%%emr\nsc.install_pypi_package("faker")',),
            target="emrlab",
        ),
    )

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr, rc: RuleContext) -> cst.BaseSmallStatement:
        call = original.value
        if not isinstance(call, cst.Call) or dotted(call.func) != "dbutils.library.installPyPI":
            return updated
        head = root_name(call.func)
        package_arg, version_arg = argument(call, 0, "project"), argument(call, 1, "version")
        package = string_value(package_arg.value) if package_arg else None
        version = string_value(version_arg.value) if version_arg else None
        if head is None or not rc.is_databricks(head) or package is None:
            return updated
        rc.handled(call)
        requirement = f"{package}=={version}" if version else package
        if rc.ctx.target == "jupyter":
            return rc.remove(original, "", replacement=f"%pip install {requirement}")
        if rc.ctx.target in ("emr-studio", "emrlab"):
            rc.replaced()
            return cst.Expr(
                cst.Call(
                    expression("sc.install_pypi_package"), [cst.Arg(cst.SimpleString(py_str(requirement)))]
                )
            )
        rc.ctx.requirements.append(requirement)
        return rc.remove(original, "added to requirements.txt")


class DbutilsObject(PythonRule):
    """`from pyspark.dbutils import DBUtils; dbutils = DBUtils(spark)` (Databricks Connect and modules)
    becomes the runtime's dbutils-compatible facade."""

    id = "EMR019"
    name = "dbutils-object"
    message = "DBUtils(spark) now uses emrlab.runtime.dbutils"
    candidates = ("DBUtils",)
    examples = (
        Example(
            "from pyspark.dbutils import DBUtils\ndbutils = DBUtils(spark)",
            (
                "# from pyspark.dbutils import DBUtils  (emrlab: emrlab.runtime.dbutils replaces it)\n"
                "dbutils = emrlab.runtime.DBUtils(spark)",
            ),
        ),
    )

    def leave_ImportFrom(
        self, original: cst.ImportFrom, updated: cst.ImportFrom, rc: RuleContext
    ) -> cst.BaseSmallStatement:
        module = dotted(original.module) if original.module else None
        names = original.names
        if module != "pyspark.dbutils" or isinstance(names, cst.ImportStar):
            return updated
        if [a.name.value for a in names if isinstance(a.name, cst.Name)] != ["DBUtils"]:
            return updated
        return rc.remove(original, "emrlab.runtime.dbutils replaces it")

    def leave_Call(self, original: cst.Call, updated: cst.Call, rc: RuleContext) -> cst.BaseExpression:
        if isinstance(original.func, cst.Name) and original.func.value == "DBUtils":
            rc.replaced()
            rc.use_runtime()
            return updated.with_changes(func=expression("emrlab.runtime.DBUtils"))
        return updated
