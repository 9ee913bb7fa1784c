"""emrlab.runtime beyond fs: secrets on a real moto server, widgets read from the caller's globals, notebook
exit/run with real kernels (nbclient, papermill) and real subprocesses, display in a real kernel and in a
plain process, the EMR context, and the promise to ship alone to Python 3.7 cluster nodes."""

from __future__ import annotations

import ast
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import libcst
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import emrlab.runtime
from emrlab.runtime import context, notebook, secrets, widgets
from emrlab.runtime.notebook import NotebookExit, NotebookRunError

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "runtime"


def _env() -> dict[str, str]:
    return {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}


def _notebook(*sources: str, parameters: str | None = None) -> Any:
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    if parameters is not None:
        cells.insert(0, nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _outputs_text(cell: Any) -> str:
    parts = []
    for output in cell.outputs:
        parts.append(str(output.get("text", "")))
        parts.extend(str(value) for value in output.get("data", {}).values())
        parts.extend(output.get("traceback", []))
    return "\n".join(parts)


# --- ships alone, Python 3.7 ---------------------------------------------------------------------------


_RUNTIME_GENERICS = {"list", "dict", "tuple", "set", "frozenset", "type"}
_TYPE_NAMES = _RUNTIME_GENERICS | {"int", "str", "float", "bytes", "bool"}


def _annotations(tree: ast.AST) -> set[int]:
    """ids of the nodes inside annotations (strings at run time with `from __future__ import annotations`)."""
    roots: list[ast.AST | None] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            roots.append(node.returns)
        elif isinstance(node, (ast.arg, ast.AnnAssign)):
            roots.append(node.annotation)
    return {id(inner) for root in roots if root is not None for inner in ast.walk(root)}


def _python37_problems(source: str) -> list[str]:
    """Why `source` would not run on Python 3.7: its grammar, and typing syntax evaluated at run time
    (`X | Y` of types, `list[int]`), which 3.7 parses but cannot evaluate."""
    # libcst's native parser accepts newer syntax whatever python_version says (see the test below),
    # so the grammar is checked by CPython's own parser in 3.7 mode as well.
    libcst.parse_module(source, config=libcst.PartialParserConfig(python_version="3.7"))
    try:
        tree = ast.parse(source, feature_version=(3, 7))
    except SyntaxError as err:
        return [f"line {err.lineno}: {err.msg}"]
    skip = _annotations(tree)
    problems = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = (node.left, node.right)
            if any(
                (isinstance(side, ast.Constant) and side.value is None)
                or (isinstance(side, ast.Name) and side.id in _TYPE_NAMES)
                for side in sides
            ):
                problems.append(f"line {node.lineno}: X | Y of types outside an annotation")
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in _RUNTIME_GENERICS
        ):
            problems.append(f"line {node.lineno}: {node.value.id}[...] outside an annotation")
    return problems


@pytest.mark.parametrize("source", sorted(RUNTIME.glob("*.py")), ids=lambda path: path.name)
def test_runtime_keeps_to_the_python37_grammar(source: Path) -> None:
    assert _python37_problems(source.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "code",
    [
        "if (n := 1):\n    pass\n",
        "def f(a, /, b):\n    pass\n",
        "match x:\n    case 1:\n        pass\n",
        "x = f'{x=}'\n",
        "ok = isinstance(x, int | None)\n",
        "Rows = list[int]\n",
    ],
)
def test_the_python37_check_can_fail(code: str) -> None:
    assert _python37_problems("from __future__ import annotations\n" + code)


def test_libcst_alone_would_not_catch_newer_syntax() -> None:
    """Why `_python37_problems` also asks CPython: libcst's native parser ignores python_version."""
    config = libcst.PartialParserConfig(python_version="3.7")
    libcst.parse_module("if (n := 1):\n    pass\n", config=config)


@pytest.mark.parametrize("source", sorted(RUNTIME.glob("*.py")), ids=lambda path: path.name)
def test_runtime_imports_nothing_else_of_emrlab(source: Path) -> None:
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.level <= 1, f"{source.name}: relative import leaves emrlab.runtime"
            names = [node.module or ""] if node.level == 0 else []
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            assert name.split(".")[0] != "emrlab" or name.startswith("emrlab.runtime"), name


def test_importing_the_runtime_imports_no_heavy_library() -> None:
    code = (
        "import sys, emrlab.runtime\n"
        "from emrlab.runtime import dbutils, display, displayHTML, DBUtils, fs, secrets, widgets, notebook\n"
        "heavy = ('pyspark', 'boto3', 'botocore', 'IPython', 'papermill', 'pandas', 'py4j')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _python37() -> str | None:
    candidates = [
        shutil.which("python3.7"),
        *map(str, Path.home().glob(".pyenv/versions/3.7*/bin/python3.7")),
    ]
    for candidate in filter(None, candidates):
        try:
            done = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if done.stdout.strip() == "(3, 7)":
            return candidate
    return None


def test_runtime_runs_shipped_alone_on_python37(tmp_path: Path) -> None:
    """The zip a cluster gets (emrlab/__init__.py + emrlab/runtime/) works on Python 3.7 without
    pyspark, boto3 or IPython: local fs, widgets, context, display and exit."""
    python = _python37()
    if python is None:
        pytest.skip("no Python 3.7 interpreter on this machine")
    bundle = tmp_path / "emrlab-runtime.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(ROOT / "emrlab" / "__init__.py", "emrlab/__init__.py")
        for source in RUNTIME.glob("*.py"):
            archive.write(source, f"emrlab/runtime/{source.name}")
    code = (
        f"import sys; sys.path.insert(0, {str(bundle)!r})\n"
        "from emrlab.runtime import dbutils, display, context\n"
        f"base = {str(tmp_path / 'data')!r}\n"
        "dbutils.fs.put(base + '/a.txt', 'hello')\n"
        "dbutils.fs.cp(base, base + '-copy', recurse=True)\n"
        "print([f.name for f in dbutils.fs.ls(base + '-copy')], dbutils.fs.head(base + '/a.txt', 4))\n"
        "city = 42\n"
        "print(dbutils.widgets.get('city'), dbutils.widgets.variable_name('my-param'),"
        " context.cluster_id())\n"
        "display([1, 2])\n"
        "dbutils.notebook.exit('bye')\n"
        "print('not reached')\n"
    )
    exit_file = tmp_path / "exit.txt"
    done = subprocess.run(
        [python, "-I", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], "EMRLAB_EXIT_FILE": str(exit_file)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["['a.txt'] hell", "42 my_param None", "[1, 2]"]
    assert exit_file.read_text() == "bye"


# --- secrets on moto --------------------------------------------------------------------------------------

SECRET = "s3cr3t-Value-never-shown"


@pytest.fixture
def secret_store(aws_env: str) -> Iterator[Any]:
    client = boto3.client("secretsmanager")
    client.create_secret(Name="shop/db-password", SecretString=SECRET)
    client.create_secret(Name="shop/cert", SecretBinary=b"\x00\x01binary")
    client.create_secret(Name="ops/token", SecretString="t")
    client.create_secret(Name="teams/shop/api-key", SecretString="from-template")
    client.create_secret(Name="shop-json", SecretString='{"user": "admin", "port": 5432}')
    yield client
    secrets._settings.clear()


def test_secrets_read_list_and_never_leak(
    secret_store: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):  # botocore logs response bodies at DEBUG: not ours
        assert secrets.get("shop", "db-password") == SECRET
        assert secrets.getBytes("shop", "db-password") == SECRET.encode()
        assert secrets.getBytes("shop", "cert") == b"\x00\x01binary"
    assert secrets.list("shop") == [secrets.SecretMetadata("cert"), secrets.SecretMetadata("db-password")]
    assert [scope.name for scope in secrets.listScopes()] == ["ops", "shop", "teams"]
    assert emrlab.runtime.dbutils.secrets.get("ops", "token") == "t"
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    assert caplog.records, "botocore logged nothing at DEBUG: the leak check would prove nothing"
    assert not [record for record in caplog.records if SECRET in record.getMessage()]


def test_missing_secret_names_the_id_and_says_what_to_do(secret_store: Any) -> None:
    with pytest.raises(secrets.SecretNotFoundError) as caught:
        secrets.get("shop", "nope")
    message = str(caught.value)
    assert "'shop/nope'" in message and "create-secret" in message and "EMRLAB_SECRETS_TEMPLATE" in message
    assert isinstance(caught.value, KeyError)


def test_secret_naming_template(secret_store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMRLAB_SECRETS_TEMPLATE", "teams/{scope}/{key}")
    assert secrets.get("shop", "api-key") == "from-template"
    assert secrets.list("shop") == [secrets.SecretMetadata("api-key")]
    secrets.configure(template="{scope}-json")  # one JSON secret per scope; configure wins over the env
    assert secrets.get("shop", "user") == "admin"
    assert secrets.get("shop", "port") == "5432"
    assert [meta.key for meta in secrets.list("shop")] == ["port", "user"]
    with pytest.raises(secrets.SecretNotFoundError, match="no key 'password'"):
        secrets.get("shop", "password")
    with pytest.raises(ValueError, match="must use"):
        secrets.configure(template="{key}")


def test_access_denied_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto does not enforce IAM here, so botocore's Stubber (a mock) plays the refusal."""
    from botocore.stub import Stubber

    client = boto3.client(
        "secretsmanager", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    stubber.add_client_error("get_secret_value", "AccessDeniedException", "not authorized", 400)
    monkeypatch.setattr(secrets, "_client", lambda: client)
    with stubber, pytest.raises(secrets.SecretAccessDeniedError, match=r"'shop/db-password'.*GetSecretValue"):
        secrets.get("shop", "db-password")


# --- widgets ----------------------------------------------------------------------------------------------


def _run_in(namespace: dict[str, Any], code: str) -> dict[str, Any]:
    """Run `code` as a notebook cell would: with `namespace` as its globals."""
    namespace.setdefault("widgets", widgets)
    exec(code, namespace)
    return namespace


def test_widget_values_come_from_the_callers_globals() -> None:
    ns = _run_in({"env": "prod", "my_param": "x", "class_": "c", "_1st": "one"}, "value = widgets.get('env')")
    assert ns["value"] == "prod"
    assert _run_in(ns, "v = widgets.get('my-param'), widgets.get('class'), widgets.get('1st')")["v"] == (
        "x",
        "c",
        "one",
    )
    # also from a function the notebook defined (its globals are the notebook's)
    assert _run_in(ns, "def f():\n    return widgets.get('env')\nv = f()")["v"] == "prod"
    # through the dbutils facade
    ns["dbutils"] = emrlab.runtime.DBUtils(spark=None)
    assert _run_in(ns, "v = dbutils.widgets.get('env')")["v"] == "prod"


def test_papermill_injected_values_become_strings() -> None:
    ns = _run_in(
        {"count": 5, "ratio": 0.5, "flag": True, "picked": ["a", "b"], "nothing": None},
        "v = [widgets.get(n) for n in ('count', 'ratio', 'flag', 'picked', 'nothing')]",
    )
    assert ns["v"] == ["5", "0.5", "true", "a,b", ""]


def test_widget_fallbacks_and_error(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run_in({}, "v = widgets.get('day', '2024-01-01')")["v"] == "2024-01-01"
    monkeypatch.setenv("EMRLAB_WIDGET_RUN_DATE", "2025-02-02")
    assert _run_in({}, "v = widgets.get('run-date')")["v"] == "2025-02-02"
    assert _run_in({"run_date": "param"}, "v = widgets.get('run-date')")["v"] == "param"
    with pytest.raises(widgets.InputWidgetNotDefined) as caught:
        _run_in({}, "widgets.get('my-param')")
    message = str(caught.value)
    assert "my_param = " in message and "--my-param" in message and "EMRLAB_WIDGET_MY_PARAM" in message


def test_variable_names_match_the_converter() -> None:
    from emrlab.converters.codegen import identifier

    for name in ("my-param", "class", "1st", "match", "_", "été", "a b.c", "", "ok"):
        assert widgets.variable_name(name) == identifier(name), name


def test_get_all_and_runtime_definitions(monkeypatch: pytest.MonkeyPatch) -> None:
    ns = _run_in(
        {"env": "prod", "limit": 10, "__emrlab_widgets__": ("env", "limit")}, "v = widgets.get_all()"
    )
    assert ns["v"] == {"env": "prod", "limit": "10"}
    code = (
        "widgets.text('env', 'dev')\n"  # a parameter already given: kept
        "widgets.dropdown('color', 'red', ['red', 'blue'])\n"
        "widgets.multiselect('days', 'mon,tue', ['mon', 'tue', 'wed'])\n"
        "widgets.combobox('from-env', 'x')\n"
        "widgets.remove('env'); widgets.removeAll()\n"
        "v = widgets.getAll()"
    )
    monkeypatch.setenv("EMRLAB_WIDGET_FROM_ENV", "y")
    ns = _run_in({"env": "prod"}, code)
    assert ns["v"] == {"env": "prod", "color": "red", "days": "mon,tue", "from-env": "y"}
    with pytest.raises(ValueError, match="not one of the choices"):
        _run_in({}, "widgets.dropdown('color', 'green', ['red', 'blue'])")


# --- notebook.exit and notebook.run ----------------------------------------------------------------------


def test_notebook_exit_value_is_the_exception_text() -> None:
    assert str(NotebookExit("done: 3")) == "done: 3"


def test_exit_in_a_script_writes_the_value_and_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EMRLAB_EXIT_FILE", str(tmp_path / "exit"))
    with pytest.raises(SystemExit) as caught:
        notebook.exit("secret-ish result")
    assert caught.value.code == 0
    assert (tmp_path / "exit").read_text() == "secret-ish result"
    captured = capsys.readouterr()
    assert "secret-ish result" not in captured.out + captured.err


CHILD_SCRIPT = """\
import argparse
_parser = argparse.ArgumentParser()
_parser.add_argument("--city", dest="city", default="Lisbon")
_parser.add_argument("--n", dest="n", default="1")
_args, _ = _parser.parse_known_args()
city, n = _args.city, _args.n
import emrlab.runtime
{body}
"""


@pytest.fixture
def scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A converted workspace of scripts; the running "parent" is parent.py in it."""
    monkeypatch.setenv("EMRLAB_NOTEBOOK_PATH", str(tmp_path / "parent.py"))
    bodies = {
        "kids/child.py": "emrlab.runtime.notebook.exit(city + '-' + emrlab.runtime.widgets.get('n'))",
        "kids/plain.py": "print('ran to the end')",
        "kids/broken.py": "raise ValueError('child broke here')",
        "kids/slow.py": "import time\ntime.sleep(60)",
        "kids/nested.py": "result = emrlab.runtime.notebook.run('./child', 60)\n"
        "emrlab.runtime.notebook.exit('nested ' + result)",
    }
    for name, body in bodies.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(CHILD_SCRIPT.format(body=body))
    return tmp_path


def test_run_a_script_child_with_arguments(scripts: Path) -> None:
    assert notebook.run("./kids/child", 60, {"city": "Porto", "n": 3}) == "Porto-3"
    assert notebook.run("kids/child") == "Lisbon-1"
    assert notebook.run(str(scripts / "kids" / "child.py"), 60, {"n": "9"}) == "Lisbon-9"
    assert notebook.run("./kids/plain", 60) == ""
    # the child's own folder is where its relative runs resolve
    assert notebook.run("./kids/nested", 60, {"city": "Faro"}) == "nested Lisbon-1"


def test_run_reports_failures(scripts: Path) -> None:
    with pytest.raises(NotebookRunError, match=r"(?s)broken\.py failed with exit status 1.*child broke here"):
        notebook.run("./kids/broken", 60)
    with pytest.raises(NotebookRunError, match=r"slow\.py did not finish within 1 s"):
        notebook.run("./kids/slow", 1)
    with pytest.raises(NotebookRunError, match=r"'\./kids/missing' not found: looked for .*missing\.py"):
        notebook.run("./kids/missing", 60)


@pytest.mark.slow
def test_run_a_notebook_child_with_papermill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMRLAB_NOTEBOOK_PATH", str(tmp_path / "parent.ipynb"))
    kids = tmp_path / "kids"
    kids.mkdir()
    child = _notebook(
        "from emrlab.runtime import context, notebook, widgets",
        "notebook.exit('got ' + widgets.get('x') + ' in ' + context.notebook_path())",
        "raise RuntimeError('a cell after exit ran')",
        parameters='x = "default"',
    )
    nbformat.write(child, kids / "child.ipynb")
    nbformat.write(_notebook("y = 1 + 1"), kids / "plain.ipynb")
    nbformat.write(_notebook("1 / 0"), kids / "broken.ipynb")
    assert notebook.run("./kids/child", 120, {"x": 7}) == f"got 7 in {kids / 'child.ipynb'}"
    assert notebook.run("./kids/plain", 120) == ""
    with pytest.raises(NotebookRunError, match=r"broken\.ipynb failed in cell 1: ZeroDivisionError"):
        notebook.run("./kids/broken", 120)


@pytest.mark.slow
def test_exit_stops_a_kernel_and_later_cells_do_not_run() -> None:
    nb = _notebook(
        "from emrlab.runtime import notebook",
        "print('before')\nnotebook.exit('the value')",
        "print('third cell ran')",
    )
    with pytest.raises(CellExecutionError) as caught:
        NotebookClient(nb, timeout=120, kernel_name="python3").execute(env=_env())
    assert (caught.value.ename, caught.value.evalue) == ("NotebookExit", "the value")
    assert nb.cells[2].outputs == []
    shown = _outputs_text(nb.cells[1])
    assert "before" in shown and "Notebook exited: the value" in shown
    assert "Traceback" not in shown and "notebook.py" not in shown


@pytest.mark.slow
def test_exit_handler_is_registered_once_and_keeps_other_handlers() -> None:
    nb = _notebook(
        "class Other(Exception):\n    pass\n"
        "get_ipython().set_custom_exc((Other,), lambda shell, *exc, **kw: print('other handler'))",
        "from emrlab.runtime import notebook\nnotebook.exit('a')",
        "notebook.exit('b')",
        "raise Other()",
        "print([c.__name__ for c in get_ipython().custom_exceptions])",
    )
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute(env=_env())
    texts = [_outputs_text(cell) for cell in nb.cells]
    assert "Notebook exited: a" in texts[1] and "Notebook exited: b" in texts[2]
    assert "other handler" in texts[3]
    assert "['Other', 'NotebookExit']" in texts[4]


# --- display ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local SparkSession for this module's display tests (stopped at the end of the module)."""
    from pyspark.sql import SparkSession

    session = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
    try:
        yield session
    finally:
        session.stop()


@pytest.mark.slow
def test_display_without_ipython_prints(spark: Any, capsys: pytest.CaptureFixture[str]) -> None:
    emrlab.runtime.display(spark.range(5).selectExpr("id", "concat('row-', id) AS label"), limit=3)
    out = capsys.readouterr().out
    assert "| id | label |" in out and "| 2  | row-2 |" in out and "row-3" not in out
    assert "showing the first 3 rows" in out
    emrlab.runtime.display(spark.range(2))
    out = capsys.readouterr().out
    assert "| 1  |" in out and "showing" not in out
    emrlab.runtime.display(spark.readStream.format("rate").load())
    assert "streaming DataFrame is not supported" in capsys.readouterr().out
    emrlab.runtime.display({"a": 1})
    emrlab.runtime.displayHTML("<b>hi</b>")
    assert capsys.readouterr().out == "{'a': 1}\n<b>hi</b>\n"


@pytest.mark.slow
def test_display_in_a_kernel_renders_html() -> None:
    nb = _notebook(
        "from pyspark.sql import SparkSession\n"
        "spark = SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false').getOrCreate()\n"
        "from emrlab.runtime import display, displayHTML",
        "display(spark.range(10).selectExpr('id', 'id * 2 AS twice'), limit=3)",
        "display(spark.range(2))",
        "display(spark.readStream.format('rate').load())",
        "displayHTML('<b>bold</b>')",
        "import pandas as pd\ndisplay(pd.DataFrame({'x': [41]}))",
        "spark.stop()",
    )
    NotebookClient(nb, timeout=240, kernel_name="python3").execute(env=_env())
    (table,) = nb.cells[1].outputs
    markup = "".join(table["data"]["text/html"].split())
    assert "<table" in markup and "<td>2</td><td>4</td>" in markup and "<td>3</td>" not in markup
    assert "showing the first 3 rows" in table["data"]["text/html"]
    assert "showing" not in nb.cells[2].outputs[0]["data"]["text/html"]
    assert "streaming DataFrame is not supported" in _outputs_text(nb.cells[3])
    assert nb.cells[4].outputs[0]["data"]["text/html"] == "<b>bold</b>"
    assert "<td>41</td>" in "".join(nb.cells[5].outputs[0]["data"]["text/html"].split())


# --- context ----------------------------------------------------------------------------------------------


def test_context_on_and_off_emr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMRLAB_JOB_FLOW_JSON", str(tmp_path / "job-flow.json"))
    assert context.cluster_id() is None
    (tmp_path / "job-flow.json").write_text('{"jobFlowId": "j-2AXXXXXXGAPLF", "instanceCount": 3}')
    assert context.cluster_id() == "j-2AXXXXXXGAPLF"
    monkeypatch.setenv("EMRLAB_NOTEBOOK_PATH", "/home/hadoop/etl/daily.ipynb")
    monkeypatch.setenv("EMRLAB_RUN_ID", "run-7")
    assert context.notebook_path() == "/home/hadoop/etl/daily.ipynb"
    assert context.current_run_id() == "run-7"
    tags = context.tags()
    assert tags["clusterId"] == "j-2AXXXXXXGAPLF" and tags["runId"] == "run-7"
    assert tags["notebookPath"] == "/home/hadoop/etl/daily.ipynb"
    monkeypatch.delenv("EMRLAB_RUN_ID")
    assert context.current_run_id() is None and "runId" not in context.tags()


def test_dbutils_facade() -> None:
    dbutils = emrlab.runtime.DBUtils(spark=object())
    assert dbutils is emrlab.runtime.dbutils
    assert (dbutils.fs, dbutils.secrets, dbutils.widgets, dbutils.notebook) == (
        emrlab.runtime.fs,
        secrets,
        widgets,
        notebook,
    )
    assert dbutils.library.restartPython() is None


@pytest.fixture(autouse=True)
def no_leftover_ipython_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Magics tests leave an in-process IPython shell behind; tests of plain-Python behaviour (scripts,
    spark-submit) must not see it."""
    shell_module = sys.modules.get("IPython.core.interactiveshell")
    if shell_module is not None:
        monkeypatch.setattr(shell_module.InteractiveShell, "_instance", None)
