"""What each target needs around the translated cells: kernel, file extension, Spark session prologue."""

from __future__ import annotations

from emrlab.converters.codegen import py_str
from emrlab.converters.config import Target
from emrlab.converters.model import JSON, Language, Notebook, Origin
from emrlab.converters.translate import OutCell

_PYTHON_INFO: JSON = {
    "name": "python",
    "mimetype": "text/x-python",
    "codemirror_mode": {"name": "ipython", "version": 3},
    "pygments_lexer": "ipython3",
    "file_extension": ".py",
}
# sparkmagic's kernels, as EMR Studio names them.
_STUDIO_KERNELS: dict[str, tuple[JSON, JSON]] = {
    "python": (
        {"name": "pysparkkernel", "display_name": "PySpark", "language": "python"},
        {
            "name": "pyspark",
            "mimetype": "text/x-python",
            "codemirror_mode": {"name": "python", "version": 3},
            "pygments_lexer": "python3",
        },
    ),
    "scala": (
        {"name": "sparkkernel", "display_name": "Spark", "language": "scala"},
        {
            "name": "scala",
            "mimetype": "text/x-scala",
            "codemirror_mode": "text/x-scala",
            "pygments_lexer": "scala",
        },
    ),
    "r": (
        {"name": "sparkrkernel", "display_name": "SparkR", "language": "r"},
        {
            "name": "sparkR",
            "mimetype": "text/x-rsrc",
            "codemirror_mode": "text/x-rsrc",
            "pygments_lexer": "r",
        },
    ),
}


def kernel(target: Target, language: Language) -> tuple[JSON, JSON]:
    """(kernelspec, language_info) for a notebook of `language` converted for `target`.

    `jupyter` and `emrlab` notebooks always get the Python 3 kernel (`emrlab` runs Spark code remotely
    through `%%emr` magics, Scala included); `script` has no kernel (its `.py` is not a notebook)."""
    if target == "emr-studio":
        spec, info = _STUDIO_KERNELS["python" if language == "sql" else language]
        return dict(spec), dict(info)
    return {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}, dict(
        _PYTHON_INFO
    )


def extension(target: Target) -> str:
    """`.py` for scripts, `.ipynb` for every notebook target (`emrlab` included)."""
    return ".py" if target == "script" else ".ipynb"


def spark_session_cell(notebook: Notebook, target: Target, runtime: bool = False) -> OutCell | None:
    """The cell that creates `spark` and `sc` (Databricks and Livy predefine them; Python kernels don't).

    None for `emr-studio` and `emrlab`: their code runs in a Livy session, which defines both (the
    `emrlab` target's `%load_ext` / `%emr connect` cells come from `emrlab.converters.remote`)."""
    if target in ("emr-studio", "emrlab"):
        return None
    builder = f"SparkSession.builder.appName({py_str(notebook.name)})"
    if target == "jupyter":  # DataFrames shown as tables, as `display` does on Databricks
        builder += '.config("spark.sql.repl.eagerEval.enabled", "true")'
    lines = [
        "# Databricks predefines `spark` and `sc`; here the notebook creates them.",
        "from pyspark.sql import SparkSession",
        "",
        f"spark = {builder}.getOrCreate()",
        "sc = spark.sparkContext",
    ]
    if any("sqlContext" in cell.source for cell in notebook.cells):
        lines += ["from pyspark.sql import SQLContext", "", "sqlContext = SQLContext(sc)"]
    if runtime:
        lines += ["", "import emrlab.runtime  # stands in for dbutils, display and widgets"]
    return OutCell("code", "\n".join(lines), Origin(notebook.source, None), role="spark-session")
