"""Property tests of the whole conversion: generated Databricks notebooks, written as real SOURCE exports,
`.dbc` archives and Jupyter exports, go through `emrlab.converters.convert` into temporary folders.

The properties (what every conversion promises, whatever the notebook):
1. every input cell is the origin of at least one output cell (notebook metadata and report.json);
2. a cell the target does not change comes out byte-identical;
3. output cells keep the input's order;
4. converting the same input twice gives byte-identical files, report.json included;
5. converting emrlab's own notebook output again changes nothing.

Function-scoped fixtures are not reset between Hypothesis examples, so each example makes its own
temporary folder.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from builders import TOKENS, command, ipynb_export, magic_cell, notebook_v1, source_text, widget, write_dbc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emrlab.converters import Options, convert

TARGETS = ("emr-studio", "jupyter", "script", "emrlab")
NOTEBOOK_TARGETS = ("emr-studio", "jupyter", "emrlab")
FORMATS = ("source", "dbc", "ipynb")
SOURCE_EXTENSIONS = {"python": ".py", "sql": ".sql", "scala": ".scala"}
# cells emrlab generates for the notebook
PROLOGUE_ROLES = ("parameters", "spark-session", "setup", "pip", "send-parameters")
# EMRLAB_PROPERTY_EXAMPLES=1000 for a longer search than the suite's default.
SETTINGS = settings(
    max_examples=int(os.environ.get("EMRLAB_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Text users type: quotes, backslashes, `%`, `;`, `#`, non-ASCII (incl. astral and U+2028), tabs.
CHARS = [*"aZ09 _-.,:;!?()[]{}<>=+*/&|@$^~`#'\"\\%\t", "é", "ß", "Ω", "日本", "🙂", "\u00a0", "\u2028"]
one_line = st.lists(st.sampled_from(CHARS), max_size=12).map("".join)
word = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
small = st.integers(0, 999)
# Lines that look like IPython or Databricks syntax but sit inside a Python string.
LOOKALIKES = [
    "%sql SELECT 1",
    "%%sql",
    "!ls -la",
    "pip install x",
    "  %time x = 1",
    "# MAGIC %md",
    "%run ./x",
]


@dataclass
class CellSpec:
    """One generated cell. `source` is the text Databricks holds (magic line included).

    `kind` is `plain` (code in the notebook's language without IPython lines), `ipython` (Python with
    IPython lines) or the magic's name. `expected` is the text a target must keep byte-identical: the
    markdown of `%md` cells, the body of `%python` cells.
    """

    kind: str
    source: str
    title: str | None = None
    show_title: bool = False
    expected: str | None = None
    sandbox: bool = False


@dataclass
class NotebookSpec:
    name: str
    language: str
    cells: list[CellSpec]
    widgets: dict[str, str] = field(default_factory=dict)


@dataclass
class Batch:
    format: str
    notebooks: list[NotebookSpec]
    dbc_step: float = 1.0
    dbc_order: list[list[int]] = field(default_factory=list)

    def output(self, index: int, target: str) -> str:
        """The output path (relative to the output folder) of notebook `index`."""
        name = self.notebooks[index].name
        stem = f"Shared/{name}" if self.format == "dbc" else name  # an archive expands in place
        return stem + (".py" if target == "script" else ".ipynb")


# ---------------------------------------------------------------------------------------------------
# Strategies: code in each language, then cells, notebooks and batches.


@st.composite
def python_statement(draw: st.DrawFn, n: int) -> str:
    """A valid Python statement with no IPython line at a statement start (but lookalikes inside)."""
    name, text, k = f"v{n}", draw(one_line), draw(small)
    choice = draw(st.integers(0, 10))
    if choice == 0:
        return f"{name} = {text!r}"
    if choice == 1:
        return f"print({text!r}, {k} % 4)"
    if choice == 2:
        return f'{name} = "%s-%d" % ({text!r}, {k})'
    if choice == 3:  # a continuation line starting with `%` or `!=` is an operator, not a magic
        op = draw(st.sampled_from(["%", "!=", "%  "]))
        return f"{name} = (\n    {k}\n    {op} 3\n)"
    if choice == 4:
        return f"{name} = {k} \\\n    % 5"
    if choice == 5:
        quote = draw(st.sampled_from(['"""', "'''"]))
        safe = one_line.map(lambda s: s.replace("\\", "").replace(quote[0], ""))
        lines = draw(st.lists(st.sampled_from(LOOKALIKES) | safe, min_size=1, max_size=3))
        return f"{name} = {quote}\n" + "\n".join(lines) + f"\n{quote}"
    if choice == 6:
        return f"def f{n}(a, b={text!r}):\n    if a % 2:\n        return b\n\n    return a"
    if choice == 7:
        return f"# note: {text}"
    if choice == 8:
        return f"{name} = {{{text!r}: [1, 2,\n    {k}]}}"
    if choice == 9:
        return f"for i in range({k}):\n    pass"
    return f"{name} = {k}"


@st.composite
def python_code(draw: st.DrawFn, ipython: bool = False) -> str:
    count = draw(st.integers(1, 4))
    parts = [draw(python_statement(i)) for i in range(count)]
    if ipython:
        pkg = draw(word)
        magics = [
            f"%pip install {pkg}",
            f"!echo {pkg}",
            f"%time v9 = {pkg!r}",
            "%matplotlib inline",
            "%load_ext autoreload",
            f"pip install {pkg}",
            "%restart_python",
            f"if True:\n    v8 = 1\n    !ls /tmp/{pkg}",
        ]
        for line in draw(st.lists(st.sampled_from(magics), min_size=1, max_size=3)):
            if draw(st.booleans()):  # alone in a block: `if ...:\n    %pip install x`
                line = "if v0:\n" + "\n".join(f"    {part}" for part in line.split("\n"))
            parts.insert(draw(st.integers(0, len(parts))), line)
    separators = [draw(st.sampled_from(["\n", "\n\n"])) for _ in parts[1:]]
    code = parts[0]
    for separator, part in zip(separators, parts[1:], strict=True):
        code += separator + part
    return code


def sql_quote(text: str, quote: str = "'") -> str:
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


@st.composite
def sql_statement(draw: st.DrawFn) -> str:
    text, k = draw(one_line), draw(small)
    return draw(
        st.sampled_from(
            [
                f"SELECT {k} AS n",
                f"SELECT {sql_quote(text)} AS s",
                f"SELECT id,\n  {sql_quote(text)} AS c\nFROM range({k})",
                f"CREATE TABLE IF NOT EXISTS t{k} (id INT, s STRING)",
                f"INSERT INTO t{k} VALUES ({k}, {sql_quote(text, chr(34))})",
                f"-- note: {text}\nSELECT {k}",
                f"/* {text.replace('*/', '')} */ SELECT {k}",
            ]
        )
    )


@st.composite
def sql_code(draw: st.DrawFn) -> str:
    statements = draw(st.lists(sql_statement(), min_size=1, max_size=3))
    sql = draw(st.sampled_from([";\n", ";\n\n", "; "])).join(statements)
    return sql + draw(st.sampled_from(["", ";"]))


@st.composite
def scala_code(draw: st.DrawFn) -> str:
    lines = []
    for n in range(draw(st.integers(1, 3))):
        text = draw(one_line).replace("\\", "\\\\").replace('"', '\\"')
        lines.append(
            draw(
                st.sampled_from(
                    [
                        f'val v{n} = "{text}"',
                        f"println(v{n} + {n})",
                        f"// note: {text}",
                        f"spark.range({n}).count()",
                        f'def f{n}(a: Int): String = {{\n  s"${{a % 2}}"\n}}',
                    ]
                )
            )
        )
    return "\n".join(lines)


@st.composite
def markdown_text(draw: st.DrawFn) -> str:
    line = st.one_of(
        one_line,
        one_line.map(lambda s: "# " + s),
        one_line.map(lambda s: "* " + s),
        one_line.map(lambda s: f"<b>{s}</b>"),
        one_line.map(lambda s: s + "  "),  # a markdown line break
        st.sampled_from(["", "    indented code", "%sql not a magic here", "| a | b |", "$$x^2$$", "  "]),
    )
    return "\n".join(draw(st.lists(line, max_size=5)))


@st.composite
def shell_script(draw: st.DrawFn) -> str:
    text, k = draw(one_line), draw(small)
    lines = [
        f"echo {shlex.quote(text)}",
        f"ls -la /tmp | head -{k}",
        f"printf '%s\\n' {shlex.quote(text)}",
        f"# note {text}",
    ]
    return "\n".join(draw(st.lists(st.sampled_from(lines), min_size=1, max_size=3)))


@st.composite
def cell(draw: st.DrawFn, language: str, notebooks: int) -> CellSpec:
    kinds = ["plain", "md", "sql", "sh", "fs", "python", "scala", "pip", "run"]
    if language == "python":
        kinds.append("ipython")
    kind = draw(st.sampled_from(kinds))
    spec = _cell(draw, kind, language, notebooks)
    spec.title = draw(st.none() | one_line.filter(bool))
    spec.show_title = draw(st.booleans())
    return spec


def _cell(draw: st.DrawFn, kind: str, language: str, notebooks: int) -> CellSpec:
    if kind == "plain":
        code = {"python": python_code(), "sql": sql_code(), "scala": scala_code()}[language]
        return CellSpec(kind, draw(code))
    if kind == "ipython":
        return CellSpec(kind, draw(python_code(ipython=True)))
    if kind == "md":
        sandbox = draw(st.booleans())
        body = draw(markdown_text())
        inline = None if sandbox else draw(st.none() | one_line.map(str.strip).filter(bool))
        if inline is None:
            magic = "%md-sandbox" if sandbox else "%md"
            return CellSpec(kind, f"{magic}\n{body}", expected=body, sandbox=sandbox)
        source = f"%md {inline}\n{body}" if body else f"%md {inline}"
        return CellSpec(kind, source, expected=f"{inline}\n{body}" if body else inline)
    if kind == "sql":
        return CellSpec(kind, f"%sql\n{draw(sql_code())}")
    if kind == "sh":
        return CellSpec(kind, f"%sh\n{draw(shell_script())}")
    if kind == "fs":
        text, name = draw(one_line), draw(word)
        commands = [
            f"ls /mnt/{text}",
            f"ls dbfs:/tmp/{name}",
            f"head --maxBytes={draw(small)} /mnt/{name}.csv",
            f"cp -r /mnt/{name} /mnt/{name}2",
            f"rm -r dbfs:/tmp/{name}",
            f"frobnicate /{name}",
        ]
        return CellSpec(kind, f"%fs {draw(st.sampled_from(commands))}")
    if kind == "python":
        body = draw(python_code())
        magic = draw(st.sampled_from(["%python", "%py"]))
        return CellSpec(kind, f"{magic}\n{body}", expected=body)
    if kind == "scala":
        return CellSpec(kind, f"%scala\n{draw(scala_code())}")
    if kind == "pip":
        line = f"%pip install {draw(word)}=={draw(small)}.0" + draw(st.sampled_from(["", " --quiet"]))
        if language == "python" and draw(st.booleans()):
            line += "\n" + draw(python_code())
        return CellSpec(kind, line)
    assert kind == "run"
    target = draw(st.sampled_from([*(f"nb{i}" for i in range(notebooks)), "missing"]))
    args = draw(st.sampled_from(["", f" $env={draw(word)}", ' $msg="hello world" $n=3']))
    return CellSpec(kind, f"%run ./{target}{args}")


@st.composite
def batches(draw: st.DrawFn, formats: tuple[str, ...] = FORMATS) -> Batch:
    fmt = draw(st.sampled_from(formats))
    count = draw(st.integers(1, 3))
    notebooks = []
    for index in range(count):
        language = draw(st.sampled_from(["python", "sql", "scala"]))
        cells = draw(st.lists(cell(language, count), min_size=1, max_size=6))
        widgets = {} if fmt == "source" else draw(st.dictionaries(word, one_line, max_size=2))
        notebooks.append(NotebookSpec(f"nb{index}", language, cells, widgets))
    batch = Batch(fmt, notebooks)
    if fmt == "dbc":  # commands[] is not in display order in real archives; `position` is
        batch.dbc_step = draw(st.sampled_from([1.0, 0.5, 1024.0]))
        batch.dbc_order = [draw(st.permutations(range(len(nb.cells)))) for nb in notebooks]
    return batch


# ---------------------------------------------------------------------------------------------------
# Writing a batch as real exports, converting it, reading the outputs.


def source_cell(language: str, spec: CellSpec) -> str:
    token = TOKENS[language]
    text = spec.source if spec.kind in ("plain", "ipython") else magic_cell(language, spec.source)
    if spec.title is not None:
        text = f"{token} DBTITLE {int(spec.show_title)},{spec.title}\n{text}"
    return text


def dbc_notebook(batch: Batch, index: int) -> dict[str, Any]:
    nb = batch.notebooks[index]
    commands = []
    for position, spec in enumerate(nb.cells):
        text = spec.source if spec.kind in ("plain", "ipython") else "\n" + spec.source
        title = {"commandTitle": spec.title or "", "showCommandTitle": spec.show_title}
        commands.append(command(text, (position + 1) * batch.dbc_step, **title))
    ordered = [commands[i] for i in batch.dbc_order[index]]
    widgets = {name: widget(name, default) for name, default in nb.widgets.items()}
    return notebook_v1(nb.name, nb.language, ordered, inputWidgets=widgets)


def ipynb_notebook(nb: NotebookSpec) -> dict[str, Any]:
    cells: list[tuple[str, str, dict[str, Any]]] = []
    for spec in nb.cells:
        meta: dict[str, Any] = {"title": spec.title, "showTitle": spec.show_title} if spec.title else {}
        if spec.kind == "md":  # Databricks exports `%md` cells as markdown, without the magic line
            assert spec.expected is not None
            cells.append(("markdown", spec.expected, {**meta, "isMarkdownSandbox": spec.sandbox}))
        else:
            cells.append(("code", spec.source, meta))
    widgets = {name: widget(name, default) for name, default in nb.widgets.items()}
    return ipynb_export(cells, language=nb.language, widgets=widgets)


def write_batch(batch: Batch, folder: Path) -> Path:
    folder.mkdir(parents=True)
    if batch.format == "dbc":
        dbc_ext = {"python": "python", "sql": "sql", "scala": "scala"}
        entries = {
            f"Shared/{nb.name}.{dbc_ext[nb.language]}": dbc_notebook(batch, i)
            for i, nb in enumerate(batch.notebooks)
        }
        write_dbc(folder / "workspace.dbc", entries, folders=["Shared/"])
    for nb in batch.notebooks:
        if batch.format == "source":
            text = source_text(nb.language, [source_cell(nb.language, c) for c in nb.cells])
            (folder / f"{nb.name}{SOURCE_EXTENSIONS[nb.language]}").write_text(text, encoding="utf-8")
        elif batch.format == "ipynb":
            data = json.dumps(ipynb_notebook(nb), ensure_ascii=False)
            (folder / f"{nb.name}.ipynb").write_text(data, encoding="utf-8")
    return folder


def run_convert(indir: Path, outdir: Path, target: str) -> dict[str, Any]:
    """Convert `indir` into `outdir`; report.json, after checking that nothing failed."""
    convert([indir], outdir, Options(target=target, jobs=1))  # type: ignore[arg-type]
    report: dict[str, Any] = json.loads((outdir / "report.json").read_text(encoding="utf-8"))
    assert report["failures"] == [], report["failures"]
    return report


def report_entries(report: dict[str, Any], batch: Batch, target: str) -> list[dict[str, Any]]:
    """report.json's notebook entries, in the batch's notebook order."""
    by_output = {entry["output"]: entry for entry in report["notebooks"]}
    assert len(by_output) == len(batch.notebooks)
    return [by_output[batch.output(i, target)] for i in range(len(batch.notebooks))]


def origin_of(out_cell: dict[str, Any]) -> dict[str, Any]:
    """The output cell's origin: {path, cell} (the input cell's id, when it had one, left out)."""
    origin = out_cell["metadata"]["emrlab"]["origin"]
    return {"path": origin["path"], "cell": origin["cell"]}


def role_of(out_cell: dict[str, Any]) -> str:
    return out_cell["metadata"]["emrlab"].get("role", "")  # type: ignore[no-any-return]


def own_cells(nb_json: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """The output cells made from input cell `index` of this notebook, without its title cell."""
    source = nb_json["metadata"]["emrlab"]["source"]
    return [
        c
        for c in nb_json["cells"]
        if origin_of(c) == {"path": source, "cell": index} and role_of(c) != "title"
    ]


def all_files(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


_SCRIPT_MARKER = re.compile(r"^# %%(?: \[(?:markdown|raw)\])? cell (\d+)\b", re.M)


# ---------------------------------------------------------------------------------------------------
# The properties.


@pytest.mark.parametrize("target", TARGETS)
@SETTINGS
@given(batch=batches())
def test_every_input_cell_has_outputs_in_order(batch: Batch, target: str) -> None:
    """Properties 1 and 3: each input cell is the origin of >= 1 output cell, and the notebook's own
    cells come out in input order (prologue cells and cells inlined by %run aside)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        report = run_convert(write_batch(batch, root / "in"), root / "out", target)
        for nb, entry in zip(batch.notebooks, report_entries(report, batch, target), strict=True):
            count = len(nb.cells)
            assert [c["index"] for c in entry["cells"]] == list(range(count))
            outputs = [c["outputs"] for c in entry["cells"]]
            assert all(outputs), f"input cells without output in {entry['input']}: {outputs}"
            for before, after in itertools.pairwise(outputs):
                assert max(before) < min(after), f"cells out of order in {entry['input']}: {outputs}"
            path = root / "out" / entry["output"]
            if target == "script":
                text = path.read_text(encoding="utf-8")
                indexes = [int(m) for m in _SCRIPT_MARKER.findall(text)]
                assert set(indexes) == set(range(count)), indexes
                assert indexes == sorted(indexes), indexes
                compile(text, str(path), "exec")
                continue
            nb_json = json.loads(path.read_text(encoding="utf-8"))
            source = nb_json["metadata"]["emrlab"]["source"]
            assert source == entry["input"]
            for index, positions in enumerate(outputs):  # the report and the notebook agree
                for position in positions:
                    assert origin_of(nb_json["cells"][position]) == {"path": source, "cell": index}
            own = [
                origin_of(c)["cell"]
                for c in nb_json["cells"]
                if origin_of(c)["path"] == source and role_of(c) not in PROLOGUE_ROLES
            ]
            assert set(own) == set(range(count)), own
            assert own == sorted(own), own


@pytest.mark.parametrize("target", TARGETS)
@SETTINGS
@given(batch=batches())
def test_unchanged_cells_are_byte_identical(batch: Batch, target: str) -> None:
    """Property 2: plain Python in Python notebooks (every target), the markdown of `%md` cells
    (notebook targets), `%python` bodies for jupyter and Scala in Scala notebooks for EMR Studio; for
    the emrlab target the same code, after the `%%emr` / `%%emr scala` line that runs it remotely."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run_convert(write_batch(batch, root / "in"), root / "out", target)
        for i, nb in enumerate(batch.notebooks):
            path = root / "out" / batch.output(i, target)
            if target == "script":
                text = path.read_text(encoding="utf-8")
                for index, spec in enumerate(nb.cells):
                    if spec.kind == "plain" and nb.language == "python":
                        assert f"# %% cell {index}\n{spec.source}\n" in text
                continue
            nb_json = json.loads(path.read_text(encoding="utf-8"))
            for index, spec in enumerate(nb.cells):
                expected = _unchanged(spec, nb.language, target)
                if expected is not None:
                    got = [(c["cell_type"], c["source"]) for c in own_cells(nb_json, index)]
                    assert got == [expected], f"cell {index} of {nb.name} changed"


def _unchanged(spec: CellSpec, language: str, target: str) -> tuple[str, str] | None:
    """(cell type, text) that `spec` must come out as on `target`, when the target keeps it as it is."""
    if spec.kind == "md" and spec.expected is not None:
        return ("markdown", spec.expected)
    if target == "emrlab":
        if spec.kind == "plain" and language in ("python", "scala"):
            magic = "%%emr" if language == "python" else "%%emr scala"
            return ("code", f"{magic}\n{spec.source}")
        if spec.kind == "python" and spec.expected is not None:
            return ("code", f"%%emr\n{spec.expected}")
        return None
    if spec.kind == "plain" and language == "python":
        return ("code", spec.source)
    if spec.kind == "python" and target == "jupyter" and spec.expected is not None:
        return ("code", spec.expected)
    if spec.kind == "plain" and language == "scala" and target == "emr-studio":
        return ("code", spec.source)
    return None


@pytest.mark.parametrize("target", TARGETS)
@SETTINGS
@given(batch=batches())
def test_conversion_is_deterministic(batch: Batch, target: str) -> None:
    """Property 4: the same input converted twice, into two folders, gives byte-identical files.

    report.json records the output folder as it was given, so both runs are given `out`, each from
    its own working directory.
    """
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        indir = write_batch(batch, root / "in")
        files = []
        for run in ("first", "second"):
            (root / run).mkdir()
            with working_directory(root / run):
                run_convert(indir, Path("out"), target)
            files.append(all_files(root / run / "out"))
        assert "report.json" in files[0]
        assert files[0].keys() == files[1].keys()
        for name, data in files[0].items():
            assert data == files[1][name], f"{name} differs between two conversions of the same input"


@pytest.mark.parametrize("target", NOTEBOOK_TARGETS)
@SETTINGS
@given(batch=batches())
def test_converting_output_again_changes_nothing(batch: Batch, target: str) -> None:
    """Property 5: emrlab's own .ipynb output, converted again for the same target, is unchanged."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run_convert(write_batch(batch, root / "in"), root / "out1", target)
        outputs = [batch.output(i, target) for i in range(len(batch.notebooks))]
        for relpath in outputs:
            (root / "in2" / relpath).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / "out1" / relpath, root / "in2" / relpath)
        report = run_convert(root / "in2", root / "out2", target)
        assert len(report["notebooks"]) == len(outputs)
        for relpath in outputs:
            first = (root / "out1" / relpath).read_text(encoding="utf-8")
            second = (root / "out2" / relpath).read_text(encoding="utf-8")
            assert second == first, f"{relpath} changed when converted again"
