"""Each target writes what its runtime can run: kernels, prologue cells, parameters, scripts."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from builders import ipynb_export, magic_cell, notebook_v1, source_text, widget, write_dbc
from conftest import Converter, cells, sources


def write_source(folder: Path, name: str, language: str, cell_texts: list[str]) -> Path:
    ext = {"python": ".py", "sql": ".sql", "scala": ".scala", "r": ".r"}[language]
    path = folder / f"{name}{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source_text(language, cell_texts))
    return path


@pytest.mark.parametrize(
    ("target", "language", "kernel"),
    [
        ("emr-studio", "python", "pysparkkernel"),
        ("emr-studio", "sql", "pysparkkernel"),
        ("emr-studio", "scala", "sparkkernel"),
        ("emr-studio", "r", "sparkrkernel"),
        ("jupyter", "python", "python3"),
        ("jupyter", "scala", "python3"),
        ("emrlab", "python", "python3"),
        ("emrlab", "sql", "python3"),
        ("emrlab", "scala", "python3"),
    ],
)
def test_kernels_per_target(
    run_convert: Converter, tmp_path: Path, target: str, language: str, kernel: str
) -> None:
    write_source(tmp_path / "in", "nb", language, ["1"])
    _, out = run_convert(tmp_path / "in", target=target)
    notebook = nbformat.read(out / "nb.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == kernel
    assert notebook.metadata.emrlab.target == target


def test_jupyter_target_creates_the_spark_session_first(run_convert: Converter, tmp_path: Path) -> None:
    write_source(tmp_path / "in", "nb", "python", ["df = spark.range(2)", "sqlContext.sql('SELECT 1')"])
    _, out = run_convert(tmp_path / "in", target="jupyter")
    first = cells(out / "nb.ipynb")[0]
    assert first["metadata"]["emrlab"]["role"] == "spark-session"
    assert "SparkSession.builder" in first["source"] and "sqlContext = SQLContext(sc)" in first["source"]
    assert sources(out / "nb.ipynb") == ["df = spark.range(2)", "sqlContext.sql('SELECT 1')"]


def test_emr_studio_has_no_prologue_livy_defines_spark(run_convert: Converter, tmp_path: Path) -> None:
    write_source(tmp_path / "in", "nb", "python", ["df = spark.range(2)"])
    _, out = run_convert(tmp_path / "in", target="emr-studio")
    assert [c["source"] for c in cells(out / "nb.ipynb")] == ["df = spark.range(2)"]


def test_widgets_become_a_parameters_cell_before_everything(run_convert: Converter, tmp_path: Path) -> None:
    nb = notebook_v1(
        "p",
        "python",
        ["print(day, my_region)"],
        inputWidgets={"day": widget("day", "2026-01-01"), "my-region": widget("my-region", "eu")},
    )
    dbc = write_dbc(tmp_path / "p.dbc", {"p.python": nb})
    for target in ("jupyter", "emr-studio"):
        _, out = run_convert(dbc, target=target)
        first = cells(out / "p.ipynb")[0]
        assert first["metadata"]["tags"] == ["parameters"]
        assert first["source"].splitlines()[1:] == ['day = "2026-01-01"', 'my_region = "eu"']


def test_script_parameters_come_from_arguments(run_convert: Converter, tmp_path: Path) -> None:
    nb = notebook_v1("p", "python", ["print(day)"], inputWidgets={"day": widget("day", "2026-01-01")})
    dbc = write_dbc(tmp_path / "p.dbc", {"p.python": nb})
    _, out = run_convert(dbc, target="script")
    script = (out / "p.py").read_text()
    namespace: dict[str, object] = {}
    params = script.split("# %% spark-session")[0]
    import sys

    argv, sys.argv = sys.argv, ["p.py", "--day", "2030-12-31"]
    try:
        exec(compile(params, "p.py", "exec"), namespace)
    finally:
        sys.argv = argv
    assert namespace["day"] == "2030-12-31"


def test_sql_notebook_for_each_target(run_convert: Converter, tmp_path: Path) -> None:
    write_source(tmp_path / "in", "q", "sql", ["SELECT 1;\nSELECT 2", magic_cell("sql", "%python\nx = 1")])
    _, studio = run_convert(tmp_path / "in", target="emr-studio")
    assert sources(studio / "q.ipynb") == ["%%sql\nSELECT 1;", "%%sql\nSELECT 2", "x = 1"]
    _, jupyter = run_convert(tmp_path / "in", target="jupyter")
    assert sources(jupyter / "q.ipynb") == [
        'spark.sql("SELECT 1;")\n_sqldf = spark.sql("SELECT 2")\nemrlab.runtime.display(_sqldf)',
        "x = 1",
    ]


def test_scala_cells_in_python_kernels_are_kept_raw_and_flagged(
    run_convert: Converter, tmp_path: Path
) -> None:
    write_source(tmp_path / "in", "s", "scala", ["val x = 1", magic_cell("scala", "%python\nprint(1)")])
    report, out = run_convert(tmp_path / "in", target="jupyter")
    nb_cells = [c for c in cells(out / "s.ipynb") if "role" not in c["metadata"]["emrlab"]]
    assert [(c["cell_type"], c["source"]) for c in nb_cells] == [("raw", "val x = 1"), ("code", "print(1)")]
    assert [f.rule for f in report.findings] == ["EMR103"]
    assert report.exit_code() == 1


def test_markdown_sandbox_and_titles(run_convert: Converter, tmp_path: Path) -> None:
    export = ipynb_export(
        [
            ("markdown", "<b>bold</b>", {"isMarkdownSandbox": True}),
            ("code", "x = 1", {"title": "Shown", "showTitle": True}),
            ("code", "y = 2", {"title": "Hidden", "showTitle": False}),
        ]
    )
    (tmp_path / "t.ipynb").write_text(json.dumps(export))
    _, out = run_convert(tmp_path / "t.ipynb", target="emr-studio")
    got = [
        (c["cell_type"], c["source"], c["metadata"]["emrlab"].get("title")) for c in cells(out / "t.ipynb")
    ]
    assert got == [
        ("markdown", "<b>bold</b>", None),
        ("markdown", "#### Shown", None),
        ("code", "x = 1", "Shown"),
        ("code", "y = 2", "Hidden"),
    ]


def test_run_inlines_across_folders_with_arguments_and_absolute_paths(
    run_convert: Converter, tmp_path: Path
) -> None:
    root = tmp_path / "in"
    write_source(root / "lib", "setup", "python", ["print(env, other)"])
    write_source(
        root / "jobs",
        "main",
        "python",
        [
            magic_cell("python", "%run ../lib/setup $env=prod"),
            magic_cell("python", '%run "/Users/me@example.com/project/lib/setup"'),
            magic_cell("python", "%run ./missing"),
        ],
    )
    nb = notebook_v1(
        "setup",
        "python",
        ["print(env, other)"],
        inputWidgets={"env": widget("env", "dev"), "other": widget("other", "o")},
    )
    write_dbc(root / "lib.dbc", {"lib/setup.python": nb})
    report, out = run_convert(root, target="jupyter")
    got = sources(out / "jobs" / "main.ipynb")
    assert got[0].splitlines()[1:] in (['env = "prod"'], ['env = "prod"', 'other = "o"'])
    assert got[1] == "print(env, other)"
    assert got[4] == "# %run ./missing  (emrlab: target not found)"
    missing = [f for f in report.findings if f.rule == "EMR101"]
    assert len(missing) == 1 and missing[0].cell == 2 and missing[0].file.endswith("main.py")


def test_run_cycle_is_reported_on_the_caller(run_convert: Converter, tmp_path: Path) -> None:
    write_source(tmp_path, "a", "python", [magic_cell("python", "%run ./b")])
    write_source(tmp_path, "b", "python", [magic_cell("python", "%run ./a")])
    report, _ = run_convert(tmp_path / "a.py", tmp_path / "b.py", target="jupyter")
    assert sorted((f.rule, Path(f.file).name) for f in report.findings) == [
        ("EMR102", "a.py"),
        ("EMR102", "b.py"),
    ]


def test_other_files_are_copied_unchanged_and_listed(run_convert: Converter, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "data.csv").write_bytes(b"a,b\n1,\xff\n")
    (tmp_path / "in" / "util.py").write_text("X = 1\n")
    _, out = run_convert(tmp_path / "in")
    assert (out / "data.csv").read_bytes() == b"a,b\n1,\xff\n"
    assert (out / "util.py").read_text() == "X = 1\n"
    listed = json.loads((out / "report.json").read_text())["files"]
    assert sorted(f["output"] for f in listed) == ["data.csv", "util.py"]


def test_script_target_writes_requirements_and_compiles(run_convert: Converter, tmp_path: Path) -> None:
    write_source(
        tmp_path / "in",
        "job",
        "python",
        [
            magic_cell("python", "%pip install faker==24.0 requests\nimport os"),
            magic_cell("python", "%md\n# Notes"),
            magic_cell("python", "%sh\necho hi"),
            "%matplotlib inline\nx = 1",
        ],
    )
    _, out = run_convert(tmp_path / "in", target="script")
    script = (out / "job.py").read_text()
    compile(script, "job.py", "exec")
    assert (out / "requirements.txt").read_text() == "faker==24.0\nrequests\n"
    assert "# %% [markdown] cell 1\n# # Notes" in script


def test_python_we_generate_runs_through_pyspark_in_a_scala_kernel(
    run_convert: Converter, tmp_path: Path
) -> None:
    write_source(tmp_path / "in", "lib", "python", ["x = 1"])
    write_source(
        tmp_path / "in",
        "s",
        "scala",
        [
            "val n = 1",
            magic_cell("scala", "%sh\necho hi"),
            magic_cell("scala", "%fs ls /tmp"),
            magic_cell("scala", "%run ./lib"),
            magic_cell("scala", "%sql\nSELECT 1"),
        ],
    )
    _, out = run_convert(tmp_path / "in", target="emr-studio")
    got = sources(out / "s.ipynb")
    assert got[0] == "val n = 1"
    assert all(source.startswith("%%pyspark\n") for source in got[1:5]), got
    assert got[4] == "%%pyspark\nx = 1"
    assert got[5] == "%%sql\nSELECT 1"
