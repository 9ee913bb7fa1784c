"""Each input format is read into the same notebook model: cells in display order, magics kept,
titles, widgets and exit values carried over."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from builders import (
    command,
    html_export,
    ipynb_export,
    magic_cell,
    notebook_v1,
    source_text,
    widget,
    write_dbc,
)

from emrlab.converters.config import Limits
from emrlab.converters.inputs import collect
from emrlab.converters.model import Notebook
from emrlab.converters.readers import read_entry


def read_all(*inputs: Path) -> dict[str, Notebook | None]:
    collected = collect(list(inputs), Limits())
    assert not collected.failures, collected.failures
    try:
        return {
            e.relpath: read_entry(e.relpath, e.display, e.locator, e.format, Limits())
            for e in collected.entries
        }
    finally:
        collected.close()


def only(notebooks: dict[str, Notebook | None]) -> Notebook:
    found = [nb for nb in notebooks.values() if nb is not None]
    assert len(found) == 1
    return found[0]


# --- SOURCE ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "suffix"), [("python", ".py"), ("sql", ".sql"), ("scala", ".scala"), ("r", ".r")]
)
def test_source_language_from_header_and_extension(tmp_path: Path, language: str, suffix: str) -> None:
    path = tmp_path / f"nb{suffix}"
    path.write_text(source_text(language, ["x", "y"]))
    notebook = only(read_all(path))
    assert notebook.language == language
    assert [c.source for c in notebook.cells] == ["x", "y"]
    assert notebook.format == "source"


def test_source_old_header_with_export_date(tmp_path: Path) -> None:
    path = tmp_path / "old.py"
    path.write_text(
        source_text("python", ["print(1)"], header_suffix=" exported at Thu, 7 Jul 2016 05:00:57 UTC")
    )
    assert [c.source for c in only(read_all(path)).cells] == ["print(1)"]


def test_source_magic_lines_with_and_without_trailing_space(tmp_path: Path) -> None:
    cell = "# MAGIC %md\n# MAGIC # Title\n# MAGIC\n# MAGIC \n# MAGIC text"
    path = tmp_path / "md.py"
    path.write_text(source_text("python", [cell]))
    assert only(read_all(path)).cells[0].source == "%md\n# Title\n\n\ntext"


def test_source_titles_shown_and_hidden(tmp_path: Path) -> None:
    path = tmp_path / "titles.py"
    path.write_text(source_text("python", ["# DBTITLE 1,Load data\nx = 1", "# DBTITLE 0,Hidden one\ny = 2"]))
    first, second = only(read_all(path)).cells
    assert (first.title, first.show_title, first.source) == ("Load data", True, "x = 1")
    assert (second.title, second.show_title, second.source) == ("Hidden one", False, "y = 2")


def test_source_bare_magics_and_line_magics_sharing_a_cell(tmp_path: Path) -> None:
    cells = [
        "%pip install faker\nimport faker",
        magic_cell("python", "%pip install x==1\ndbutils.library.restartPython()"),
    ]
    path = tmp_path / "pip.py"
    path.write_text(source_text("python", cells))
    notebook = only(read_all(path))
    assert [c.source for c in notebook.cells] == [
        "%pip install faker\nimport faker",
        "%pip install x==1\ndbutils.library.restartPython()",
    ]


def test_sql_and_scala_sources_unwrap_their_own_magic_prefix(tmp_path: Path) -> None:
    sql = tmp_path / "q.sql"
    sql.write_text(source_text("sql", ["SELECT 1", magic_cell("sql", "%python\nprint(1)")]))
    scala = tmp_path / "s.scala"
    scala.write_text(source_text("scala", ["val x = 1", magic_cell("scala", "%sql\nSELECT 2")]))
    notebooks = read_all(sql, scala)
    assert [c.source for c in notebooks["q.sql"].cells] == ["SELECT 1", "%python\nprint(1)"]  # type: ignore[union-attr]
    assert [c.source for c in notebooks["s.scala"].cells] == ["val x = 1", "%sql\nSELECT 2"]  # type: ignore[union-attr]


def test_python_file_without_header_is_copied_not_converted(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("def f():\n    return 1\n")
    assert read_all(tmp_path) == {"helpers.py": None}


# --- DBC ------------------------------------------------------------------------------------------


def test_dbc_sorts_commands_by_position_and_keeps_titles_widgets_and_exit(tmp_path: Path) -> None:
    nb = notebook_v1(
        "etl",
        "python",
        [
            command("third", 3.5, commandTitle="Third", showCommandTitle=True),
            command("\n%md\n# first", 0.5),
            command('dbutils.notebook.exit("ok")', 9, results={"type": "exit", "data": "ok"}),
            command(
                "second", 2, results={"type": "table", "data": [[1]]}, inputWidgets={"c": widget("c", "3")}
            ),
        ],
        inputWidgets={"a": widget("a", "1"), "b": widget("b", "x", "dropdown", ["x", "y"])},
    )
    dbc = write_dbc(
        tmp_path / "w.dbc", {"Team/etl.python": nb, "manifest.mf": {"version": "Manifest"}}, folders=["Team/"]
    )
    notebooks = read_all(dbc)
    assert list(notebooks) == ["Team/etl.python"]
    notebook = notebooks["Team/etl.python"]
    assert notebook is not None
    assert notebook.path == "Team/etl"
    assert [c.source for c in notebook.cells] == [
        "\n%md\n# first",
        "second",
        "third",
        'dbutils.notebook.exit("ok")',
    ]
    assert notebook.cells[2].title == "Third" and notebook.cells[2].show_title
    assert [(w.name, w.default, w.kind, w.choices) for w in notebook.widgets] == [
        ("a", "1", "text", ()),
        ("b", "x", "dropdown", ("x", "y")),
        ("c", "3", "text", ()),
    ]
    assert notebook.metadata == {"exit_value": "ok"}
    assert notebook.cells[0].origin.id == "guid-500"


def test_dbc_language_from_extension_when_missing(tmp_path: Path) -> None:
    nb = notebook_v1("s", "scala", ["val x = 1"])
    del nb["language"]
    notebook = only(read_all(write_dbc(tmp_path / "a.dbc", {"s.scala": nb})))
    assert notebook.language == "scala"


def test_dbc_folder_records_without_trailing_slash_are_skipped(tmp_path: Path) -> None:
    folder = json.dumps({"version": "FolderV1", "name": "Team", "children": []})
    dbc = write_dbc(tmp_path / "f.dbc", {"Team": folder, "Team2/x.python": notebook_v1("x", "python", ["1"])})
    assert list(read_all(dbc)) == ["Team2/x.python"]


# --- Jupyter --------------------------------------------------------------------------------------


def test_databricks_ipynb_export_with_widgets_titles_and_missing_keys(tmp_path: Path) -> None:
    export = ipynb_export(
        [
            ("markdown", "# Title"),
            ("code", "%sql\nSELECT 1", {"title": "Query", "showTitle": True}),
            ("code", "%pip install x\ndbutils.library.restartPython()"),
        ],
        widgets={"day": widget("day", "2026-01-01")},
    )
    for cell in export["cells"]:
        cell.pop("outputs", None)  # nbformat 4.0 exports may lack keys
    path = tmp_path / "e.ipynb"
    path.write_text(json.dumps(export))
    notebook = only(read_all(path))
    assert notebook.format == "ipynb-databricks"
    assert [(c.kind, c.source) for c in notebook.cells] == [
        ("markdown", "# Title"),
        ("code", "%sql\nSELECT 1"),
        ("code", "%pip install x\ndbutils.library.restartPython()"),
    ]
    assert notebook.cells[1].title == "Query" and notebook.cells[1].show_title
    assert "application/vnd.databricks.v1+cell" not in notebook.cells[1].metadata
    assert [(w.name, w.default) for w in notebook.widgets] == [("day", "2026-01-01")]


def test_sql_language_ipynb_export(tmp_path: Path) -> None:
    path = tmp_path / "q.dbquery.ipynb"
    path.write_text(json.dumps(ipynb_export([("code", "SELECT 1")], language="sql")))
    notebooks = read_all(path)
    notebook = notebooks["q.dbquery.ipynb"]
    assert notebook is not None and notebook.language == "sql" and notebook.path == "q"


def test_plain_ipynb_keeps_cell_metadata(tmp_path: Path) -> None:
    plain = {
        "cells": [
            {
                "cell_type": "code",
                "source": ["x = 1\n", "y = 2"],
                "metadata": {"tags": ["keep"]},
                "outputs": [],
                "execution_count": 3,
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "plain.ipynb"
    path.write_text(json.dumps(plain))
    notebook = only(read_all(path))
    assert notebook.format == "ipynb" and notebook.language == "python"
    assert notebook.cells[0].source == "x = 1\ny = 2"
    assert notebook.cells[0].metadata == {"tags": ["keep"]}


# --- HTML, folders, zips --------------------------------------------------------------------------


def test_html_export_embeds_the_notebook(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(html_export(notebook_v1("page", "python", ["%md\n# Hi", "x = 'é'"])))
    notebook = only(read_all(path))
    assert notebook.format == "html"
    assert [c.source for c in notebook.cells] == ["%md\n# Hi", "x = 'é'"]


def test_html_page_that_is_not_an_export_is_copied(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html><body>docs</body></html>")
    assert read_all(tmp_path) == {"index.html": None}


def test_folders_and_zips_of_every_format_nested(tmp_path: Path) -> None:
    inner = write_dbc(tmp_path / "inner.dbc", {"Lib/util.python": notebook_v1("util", "python", ["1"])})
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(inner, "exports/inner.dbc")
        archive.writestr("exports/src/job.py", source_text("python", ["print(1)"]))
        archive.writestr("exports/src/conf.yaml", "a: 1\n")
        archive.writestr("exports/nb.ipynb", json.dumps(ipynb_export([("code", "1")])))
    notebooks = read_all(bundle)
    assert sorted(notebooks) == [
        "exports/Lib/util.python",
        "exports/nb.ipynb",
        "exports/src/conf.yaml",
        "exports/src/job.py",
    ]
    assert notebooks["exports/src/conf.yaml"] is None


def test_format_is_sniffed_from_content_not_name(tmp_path: Path) -> None:
    (tmp_path / "actually_source.txt").write_text(source_text("python", ["x = 1"]))
    write_dbc(tmp_path / "archive.bin", {"a.python": notebook_v1("a", "python", ["y = 2"])})
    notebooks = read_all(tmp_path)
    assert notebooks["actually_source.txt"] is not None
    assert notebooks["a.python"] is not None


def test_several_inputs_each_get_their_own_folder(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        folder.mkdir()
        (folder / "nb.py").write_text(source_text("python", ["1"]))
    dbc = write_dbc(tmp_path / "three.dbc", {"nb.python": notebook_v1("nb", "python", ["1"])})
    assert sorted(read_all(one, two, dbc)) == ["one/nb.py", "three/nb.python", "two/nb.py"]


def test_names_differing_only_in_case_are_two_notebooks(tmp_path: Path) -> None:
    dbc = write_dbc(
        tmp_path / "c.dbc",
        {
            "Etl.python": notebook_v1("Etl", "python", ["1"]),
            "etl.python": notebook_v1("etl", "python", ["2"]),
        },
    )
    notebooks = read_all(dbc)
    assert sorted(notebooks) == ["Etl.python", "etl.python"]
