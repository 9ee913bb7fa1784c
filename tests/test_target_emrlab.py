"""The `emrlab` target: Python-kernel notebooks that load emrlab's magics, connect, and run Spark cells
remotely as `%%emr` cells; widget values reach the remote session through the parameters sender."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from builders import magic_cell, notebook_v1, source_text, widget, write_dbc
from conftest import Converter, cells

from emrlab.converters.config import ConfigError, Options, load_config, options_from
from emrlab.converters.magics import split_magic
from emrlab.converters.rules.shell import shell_code

LOCAL_ROLES = ("spark-session", "parameters", "send-parameters")


def write_source(folder: Path, name: str, language: str, cell_texts: list[str]) -> Path:
    ext = {"python": ".py", "sql": ".sql", "scala": ".scala", "r": ".r"}[language]
    path = folder / f"{name}{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source_text(language, cell_texts))
    return path


def body(path: Path) -> list[str]:
    """The sources of the notebook's own cells (prologue cells left out)."""
    return [
        c["source"] for c in cells(path) if c["metadata"]["emrlab"].get("role") not in (*LOCAL_ROLES, "setup")
    ]


def test_layout_load_ext_then_connect_then_cells(run_convert: Converter, tmp_path: Path) -> None:
    write_source(tmp_path / "in", "nb", "python", ["df = spark.range(2)"])
    _, out = run_convert(tmp_path / "in", target="emrlab")
    notebook = nbformat.read(out / "nb.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    assert notebook.metadata.emrlab.target == "emrlab"
    got = [(c.cell_type, c.source, c.metadata.emrlab.get("role")) for c in notebook.cells]
    assert got == [
        ("code", "%load_ext emrlab", "spark-session"),
        ("code", "%emr connect --local", "spark-session"),
        ("code", "%%emr\ndf = spark.range(2)", None),
    ]


@pytest.mark.parametrize("language", ["python", "sql", "scala", "r"])
def test_every_language_gets_the_python_kernel_and_the_connect_cells(
    run_convert: Converter, tmp_path: Path, language: str
) -> None:
    write_source(tmp_path / "in", "nb", language, ["1"])
    _, out = run_convert(tmp_path / "in", target="emrlab")
    notebook = nbformat.read(out / "nb.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    assert [c.source for c in notebook.cells[:2]] == ["%load_ext emrlab", "%emr connect --local"]


def test_connect_line_from_options_and_config(run_convert: Converter, tmp_path: Path) -> None:
    write_source(tmp_path / "in", "nb", "python", ["x = 1"])
    _, out = run_convert(tmp_path / "in", target="emrlab", connect="--cluster j-ABC123 --region eu-west-1")
    assert cells(out / "nb.ipynb")[1]["source"] == "%emr connect --cluster j-ABC123 --region eu-west-1"
    toml = tmp_path / "emrlab.toml"
    toml.write_text('[convert]\ntarget = "emrlab"\nconnect = "--serverless 00abc --execution-role arn:x"\n')
    config = load_config(toml)
    assert options_from(config).connect == "--serverless 00abc --execution-role arn:x"
    assert options_from(config, connect="--url https://livy:8998").connect == "--url https://livy:8998"
    assert Options().connect == "--local"


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("", "arguments of one"),
        ("--local\nprint(1)", "arguments of one"),
        ("--cluster 'j-1", "quote it"),
        ("%emr connect --local", "only the arguments"),
        ("--name x", "exactly one of"),
        ("--local --cluster j-1", "exactly one of"),
        ("--url http://x --token abc", "secret"),
    ],
)
def test_bad_connect_arguments_say_what_to_do(value: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        options_from({"convert": {"connect": value}})


def test_each_kind_of_cell(run_convert: Converter, tmp_path: Path) -> None:
    write_source(tmp_path / "in", "lib", "python", ["shared = 1"])
    write_source(
        tmp_path / "in",
        "nb",
        "python",
        [
            magic_cell("python", "%md\n# Title"),
            "x = 1\n!echo hi",
            magic_cell("python", "%sql\nCREATE OR REPLACE TEMP VIEW v AS SELECT 1 AS one;\nSELECT * FROM v"),
            magic_cell("python", "%scala\nval n = 1"),
            magic_cell("python", "%r\nx <- 1"),
            magic_cell("python", "%sh\necho driver"),
            magic_cell("python", "%pip install faker==24.0"),
            magic_cell("python", "%fs ls s3://lake/raw"),
            magic_cell("python", "%run ./lib"),
        ],
    )
    report, out = run_convert(tmp_path / "in", target="emrlab")
    nb_cells = [c for c in cells(out / "nb.ipynb") if c["metadata"]["emrlab"].get("role") not in LOCAL_ROLES]
    got = [(c["cell_type"], c["source"]) for c in nb_cells]
    assert got == [
        (
            "code",
            "%%emr\n# emrlab.runtime stands in for dbutils (`%emr connect` puts it in the session).\n"
            "import emrlab.runtime",
        ),
        ("markdown", "# Title"),
        ("code", f"%%emr\nx = 1\n{shell_code('echo hi')}"),
        ("code", "%%emr sql\nCREATE OR REPLACE TEMP VIEW v AS SELECT 1 AS one;"),
        ("code", "%%emr sql\nSELECT * FROM v"),
        ("code", "%%emr scala\nval n = 1"),
        ("raw", "%r\nx <- 1"),
        ("code", f"%%emr\n{shell_code('echo driver')}"),
        ("code", '%%emr\nsc.install_pypi_package("faker==24.0")'),
        ("code", '%%emr\nemrlab.runtime.display(emrlab.runtime.fs.ls("s3://lake/raw"))'),
        ("code", "%%emr\n# %run ./lib  (emrlab: inlined below)"),
        ("code", "%%emr\nshared = 1"),
    ]
    assert [f.rule for f in report.findings if f.file.endswith("nb.py")] == ["EMR103"]


def test_sql_binds_sqldf_when_the_notebook_reads_it(run_convert: Converter, tmp_path: Path) -> None:
    write_source(
        tmp_path / "in", "q", "sql", ["SELECT 1 AS one", magic_cell("sql", "%python\nprint(_sqldf.count())")]
    )
    _, out = run_convert(tmp_path / "in", target="emrlab")
    assert body(out / "q.ipynb") == [
        '%%emr\n_sqldf = spark.sql("SELECT 1 AS one")\nemrlab.runtime.display(_sqldf)',
        "%%emr\nprint(_sqldf.count())",
    ]


def test_scala_notebook_runs_remotely(run_convert: Converter, tmp_path: Path) -> None:
    write_source(tmp_path / "in", "s", "scala", ["val x = 1", magic_cell("scala", "%python\nprint(1)")])
    report, out = run_convert(tmp_path / "in", target="emrlab")
    assert body(out / "s.ipynb") == ["%%emr scala\nval x = 1", "%%emr\nprint(1)"]
    assert report.findings == [] and report.exit_code() == 0


def widget_notebook(tmp_path: Path) -> Path:
    nb = notebook_v1(
        "p",
        "python",
        [
            'emrlab_day = dbutils.widgets.get("day")',
            "emrlab_all = dbutils.widgets.getAll()",
            'print("region", my_region)',
        ],
        inputWidgets={"day": widget("day", "2026-01-01"), "my-region": widget("my-region", "eu")},
    )
    return write_dbc(tmp_path / "p.dbc", {"p.python": nb})


def test_parameters_stay_local_and_the_next_cell_sends_them(run_convert: Converter, tmp_path: Path) -> None:
    _, out = run_convert(widget_notebook(tmp_path), target="emrlab")
    nb_cells = cells(out / "p.ipynb")
    assert [c["source"] for c in nb_cells[:2]] == ["%load_ext emrlab", "%emr connect --local"]
    parameters, sender = nb_cells[2], nb_cells[3]
    assert parameters["metadata"]["tags"] == ["parameters"]
    assert parameters["source"].splitlines()[1:] == [
        'day = "2026-01-01"',
        'my_region = "eu"',
        '__emrlab_widgets__ = ("day", "my-region",)',
    ]
    assert sender["metadata"]["emrlab"]["role"] == "send-parameters"
    assert not sender["source"].startswith("%")  # local Python: it runs before anything remote
    assert 'get_ipython().run_cell_magic("emr", "", _emrlab_code)' in sender["source"]
    assert nb_cells[4]["source"].startswith("%%emr\n") and "import emrlab.runtime" in nb_cells[4]["source"]


class RemoteStandIn:
    """Stands in for the remote Livy session: a `%%emr` cell magic that runs the cell in its own
    namespace. The real magics (emrlab.magics, built alongside) run it on Livy; the end-to-end test on
    the local endpoint covers those. Here only the local/remote split of the namespaces matters."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {}
        self.statements: list[str] = []
        self.output = io.StringIO()

    def __call__(self, line: str, cell: str) -> None:
        assert line == "", "the converted notebook runs remote code in the default session"
        self.statements.append(cell)
        with contextlib.redirect_stdout(self.output):
            exec(compile(cell, "<remote>", "exec"), self.namespace)


def run_with_stand_in(notebook: Any) -> tuple[RemoteStandIn, str]:
    """Run a converted notebook's cells in a real in-process IPython shell: local cells there, `%%emr`
    cells in the stand-in namespace. Returns the stand-in and what the local kernel printed."""
    import contextlib
    import io

    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    remote = RemoteStandIn()
    shell.register_magic_function(remote, magic_kind="cell", magic_name="emr")
    printed = io.StringIO()
    try:
        for cell in notebook.cells:
            if cell.cell_type != "code" or cell.source.startswith(("%load_ext", "%emr connect")):
                continue  # the real magics' own cells
            with contextlib.redirect_stdout(printed):
                result = shell.run_cell(cell.source, store_history=False)
            result.raise_error()
    finally:
        InteractiveShell.clear_instance()
    return remote, printed.getvalue()


@pytest.mark.timeout(60)
def test_papermill_parameters_reach_remote_widgets_get(run_convert: Converter, tmp_path: Path) -> None:
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    _, out = run_convert(widget_notebook(tmp_path), target="emrlab")
    notebook = load_notebook_node(str(out / "p.ipynb"))  # how papermill reads it (adds empty tags)
    injected = parameterize_notebook(notebook, {"day": 20300101, "my_region": "us 'west'"})
    remote, printed = run_with_stand_in(injected)
    assert printed == ""  # no cell of the notebook's own ran locally
    assert remote.namespace["day"] == "20300101" and remote.namespace["my_region"] == "us 'west'"
    assert remote.namespace["emrlab_day"] == "20300101"  # emrlab.runtime.widgets.get("day") remotely
    assert remote.namespace["emrlab_all"] == {"day": "20300101", "my-region": "us 'west'"}
    assert remote.output.getvalue() == "region us 'west'\n"
    assert remote.statements[0] == (
        "day = '20300101'\nmy_region = \"us 'west'\"\n__emrlab_widgets__ = ('day', 'my-region')\n"
    )


def test_converting_the_output_again_keeps_it_and_takes_the_new_connect_line(
    run_convert: Converter, tmp_path: Path
) -> None:
    _, first = run_convert(widget_notebook(tmp_path), target="emrlab")
    again_in = tmp_path / "again"
    again_in.mkdir()
    (again_in / "p.ipynb").write_bytes((first / "p.ipynb").read_bytes())
    _, second = run_convert(again_in, target="emrlab")
    assert (second / "p.ipynb").read_text() == (first / "p.ipynb").read_text()
    _, third = run_convert(again_in, target="emrlab", connect="--cluster j-NEW")
    before, after = cells(first / "p.ipynb"), cells(third / "p.ipynb")
    assert after[1]["source"] == "%emr connect --cluster j-NEW"
    assert [c["source"] for c in after[2:]] == [c["source"] for c in before[2:]]


@pytest.mark.parametrize(
    ("source", "magic", "text"),
    [
        ("%%emr\nx = 1", "python", "x = 1"),
        ("%%emr sql\nSELECT 1", "sql", "SELECT 1"),
        ("%%emr scala\nval n = 1", "scala", "val n = 1"),
        ("%%emr -o df\nx = 1", None, "%%emr -o df\nx = 1"),
        ("%emr connect --local", None, "%emr connect --local"),
    ],
)
def test_emr_cell_magics_read_back_as_their_language(source: str, magic: str | None, text: str) -> None:
    split = split_magic(source)
    assert (split.magic, split.text if split.magic else split.body) == (magic, text)


def test_report_records_the_target(run_convert: Converter, tmp_path: Path) -> None:
    write_source(tmp_path / "in", "nb", "python", ["x = 1"])
    _, out = run_convert(tmp_path / "in", target="emrlab")
    assert json.loads((out / "report.json").read_text())["target"] == "emrlab"


def test_other_targets_output_and_papermill_parameters_cells(run_convert: Converter, tmp_path: Path) -> None:
    _, jupyter = run_convert(widget_notebook(tmp_path), target="jupyter")
    plain = nbformat.v4.new_notebook()
    plain.cells = [
        nbformat.v4.new_code_cell("n = 3\nlabel: str = 'x'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(n)"),
    ]
    plain.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "from_jupyter.ipynb").write_bytes((jupyter / "p.ipynb").read_bytes())
    nbformat.write(plain, folder / "papermill.ipynb")
    _, out = run_convert(folder, target="emrlab")
    for name in ("from_jupyter", "papermill"):
        nb_cells = cells(out / f"{name}.ipynb")
        assert [c["source"] for c in nb_cells[:2]] == ["%load_ext emrlab", "%emr connect --local"], name
        tagged = [i for i, c in enumerate(nb_cells) if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1 and not nb_cells[tagged[0]]["source"].startswith("%"), name
        sender = nb_cells[tagged[0] + 1]
        assert sender["metadata"]["emrlab"]["role"] == "send-parameters", name
        others = [c for i, c in enumerate(nb_cells) if i > tagged[0] + 1 and c["cell_type"] == "code"]
        assert others and all(c["source"].startswith("%%emr\n") for c in others), name
        again = tmp_path / f"again-{name}"
        again.mkdir()
        (again / f"{name}.ipynb").write_bytes((out / f"{name}.ipynb").read_bytes())
        _, second = run_convert(again, target="emrlab")
        assert (second / f"{name}.ipynb").read_text() == (out / f"{name}.ipynb").read_text(), name
    assert '[("n", n), ("label", label)]' in cells(out / "papermill.ipynb")[3]["source"]
