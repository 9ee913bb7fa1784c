"""A seeded synthetic corpus of Databricks exports for the conversion benchmark (our own text).

It follows the idiom mix and cell sizes of the Databricks idiom notes and writes every supported format:
SOURCE `.py/.sql/.scala/.r`, `.dbc` archives, Databricks and plain `.ipynb`, HTML exports, and zips.
"""

from __future__ import annotations

import base64
import io
import json
import random
import urllib.parse
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEED = 20240611
KEPT_CORPUS = Path(__file__).resolve().parent / ".corpus"
ZIP_TIME = (2024, 1, 1, 0, 0, 0)

# Per-cell kind weights from the idiom notes' cell counts per notebook ("" = the notebook's own language).
CELL_MIX = {"md": 470, "": 380, "sql": 30, "md-sandbox": 25, "sh": 20, "python": 16, "fs": 7, "scala": 5}
CELL_MIX |= {"pip": 9, "r": 2}  # %pip: Python notebooks only, so weighted up
PLAIN_MIX = {"md": 45, "": 55}
FORMATS = {"source": 45, "dbc": 30, "ipynb-databricks": 14, "ipynb": 6, "html": 2}
SPARK_LANGUAGES = {"python": 33, "scala": 57, "sql": 9, "r": 1}  # ipynb cannot hold Scala: more here
LANGUAGES = {"source": SPARK_LANGUAGES, "dbc": SPARK_LANGUAGES, "ipynb-databricks": {"python": 85, "sql": 15}}
LANGUAGES |= {"ipynb": {"python": 1}, "html": {"python": 1, "scala": 1}}
TOKENS = {"python": "#", "r": "#", "sql": "--", "scala": "//"}
SOURCE_EXT = {"python": ".py", "r": ".r", "sql": ".sql", "scala": ".scala"}
NOTEBOOK_KEY, CELL_KEY = "application/vnd.databricks.v1+notebook", "application/vnd.databricks.v1+cell"


def snippets(text: str, separator: str = "\n---\n") -> tuple[str, ...]:
    """Templates written one after another (str.format fields: a b words, c d columns, v name, T Name,
    n k numbers, s s2 s3 sentences)."""
    return tuple(part.strip("\n") for part in text.split(separator))


WORDS = snippets("orders customers sensors events clicks ledger stock weather trips payments invoices", " ")
WORDS += snippets("devices routes claims readings tickets shipments stores reviews flights", " ")
COLUMNS = snippets("id region amount status created_at country score label category price quantity", " ")
VERBS = snippets("Load Clean Join Aggregate Validate Publish Score Inspect Archive Compare Reload", " ")
ADJECTIVES = snippets("raw daily curated late partitioned nested hourly deduplicated enriched", " ")
TAILS = snippets(
    "before writing them to the silver layer, so that the dashboard stays fast, for last week, and keep the "
    "rejected rows apart, with the schema agreed with the owners, from the widgets above",
    ", ",
)
PACKAGES = snippets("faker==24.0.0 xgboost==2.0.3 holidays geopy==2.4.1 pyyaml great-expectations", " ")
PYTHON = snippets("""
df_{n} = spark.read.format("delta").load("dbfs:/mnt/{a}/{b}")
---
display(df_{n}.groupBy("{c}").count().orderBy("count", ascending=False))
---
files = dbutils.fs.ls("dbfs:/FileStore/{a}/")
for info in files:
    print(info.name, info.size)
---
{v} = dbutils.widgets.get("{v}")
---
dbutils.widgets.text("{v}", "{b}", "{T}")
---
password = dbutils.secrets.get(scope="{a}", key="{b}-password")
---
def {v}_clean(df, column="{c}"):
    \"\"\"{s}\"\"\"
    kept = df.filter(F.col(column).isNotNull())
    return kept.withColumn(column + "_len", F.length(column))
---
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType
---
import pandas as pd

pdf = df_{n}.limit({k}).toPandas()
pdf.describe()
---
spark.sql("CREATE DATABASE IF NOT EXISTS {a}_{b}")
spark.sql("USE {a}_{b}")
---
with open("/dbfs/tmp/{a}/{b}.csv") as handle:
    header = handle.readline().strip().split(",")
print(header)
---
dbutils.fs.rm("dbfs:/tmp/{a}/checkpoints", True)
dbutils.fs.mkdirs("/mnt/{a}/{b}")
---
dbutils.fs.cp("/databricks-datasets/{a}/{b}.json", "dbfs:/tmp/{a}/{b}.json")
---
displayHTML("<h2>{s}</h2>")
---
counts = {{}}
for i in range({n}):
    counts[i] = spark.range(i * {k}).count()
print(counts)
---
import mlflow

with mlflow.start_run(run_name="{a}-{b}"):
    mlflow.log_param("{c}", {k})
    mlflow.log_metric("rmse", 0.{k})
---
{v} = (
    df_{n}.where(F.col("{c}") > {k})
    .select("{c}", "{d}")
    .dropDuplicates(["{c}"])
)
---
df_{n}.write.mode("overwrite").format("delta").saveAsTable("main.{a}.{b}")
---
# {s}
spark.conf.set("spark.sql.shuffle.partitions", "{k}")
---
spark.conf.set("spark.databricks.delta.schema.autoMerge.enabled", "true")
---
schema = StructType(
    [
        StructField("{c}", StringType(), True),
        StructField("{d}", StringType(), True),
    ]
)
raw = spark.read.schema(schema).json("/Volumes/main/{a}/{b}")
---
class {T}Loader:
    \"\"\"{s}\"\"\"

    def __init__(self, path="dbfs:/mnt/{a}"):
        self.path = path

    def load(self):
        return spark.read.parquet(self.path + "/{b}")
---
pairs = sc.parallelize(range({k})).map(lambda x: (x % {n}, x)).reduceByKey(lambda a, b: a + b)
---
result = dbutils.notebook.run("./{a}_{b}", 600, {{"{v}": "{b}"}})
print(result)
---
df_{n}.createOrReplaceTempView("{a}_{b}")
display(spark.sql("SELECT {c}, count(*) AS n FROM {a}_{b} GROUP BY {c}"))
---
try:
    dbutils.fs.ls("/mnt/{a}")
except Exception as error:
    print("not mounted yet:", error)
""")
PYTHON_BROKEN = snippets("""
print "{s}"
---
{v} = <FILL_IN>
---
!ls -la /dbfs/tmp/{a}
---
%time df_{n}.count()
""")
SCALA = snippets("""
val df{n} = spark.read.parquet("dbfs:/mnt/{a}/{b}")
---
display(df{n}.groupBy("{c}").count())
---
dbutils.fs.ls("/FileStore/{a}").foreach(f => println(f.name + " " + f.size))
---
val {v} = dbutils.widgets.get("{v}")
val {v}Default = getArgument("{v}", "{b}")
---
import org.apache.spark.sql.functions._
import spark.implicits._
---
case class {T}(id: Long, {c}: String, {d}: Double)
---
def {v}Clean(df: DataFrame): DataFrame = {{
  // {s}
  df.filter(col("{c}").isNotNull)
    .withColumn("{d}", lit({k}))
}}
---
val {v} = sc.parallelize(1 to {k}).map(_ * {n}).sum()
println(s"total: ${v}")
---
spark.sql("OPTIMIZE {a}.{b} ZORDER BY ({c})")
---
val password = dbutils.secrets.get(scope = "{a}", key = "{b}")
---
df{n}.write.format("delta").mode("overwrite").save("/mnt/{a}/{b}")
---
for (i <- 1 to {n}) {{
  println(s"batch $i of {n}")
}}
---
displayHTML("<p>{s}</p>")
dbutils.fs.rm("dbfs:/tmp/{a}", recurse = true)
---
val joined = df{n}
  .join(spark.table("{a}.{b}"), Seq("{c}"), "left")
  .where($"{d}" > {k})
display(joined)
""")
SQL = snippets("""
SELECT {c}, count(*) AS n
FROM main.{a}.{b}
WHERE {d} IS NOT NULL
GROUP BY {c}
ORDER BY n DESC
---
CREATE TABLE IF NOT EXISTS {a}.{b}
USING DELTA
LOCATION "dbfs:/mnt/{a}/{b}"
---
OPTIMIZE {a}.{b} ZORDER BY ({c})
---
SELECT * FROM {a}.{b} WHERE {c} = "${{{v}}}"
---
CREATE WIDGET TEXT {v} DEFAULT "{b}"
---
-- {s}
CREATE OR REPLACE TEMPORARY VIEW {a}_{b} AS
SELECT {c}, {d}, current_date() AS loaded_on
FROM parquet.`/mnt/{a}/{b}`
---
DESCRIBE HISTORY {a}.{b}
---
MERGE INTO {a}.{b} AS t
USING {a}_updates AS s
ON t.{c} = s.{c}
WHEN MATCHED THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *
""")
R = snippets("""
library(SparkR)
---
{v} <- read.df("dbfs:/mnt/{a}/{b}", source = "parquet")
display({v})
---
# {s}
""")
SHELL = snippets("""
ls -la /dbfs/tmp/{a}
---
pip list | grep -i {a}
---
curl -sSL https://example.com/{a}.csv -o /tmp/{a}.csv
---
unzip -o /tmp/{a}.zip -d /dbfs/tmp/{a}
---
nproc && free -m
""")
FS = snippets("""
ls dbfs:/mnt/{a}/
---
ls /databricks-datasets/{a}
---
head /FileStore/{a}/{b}.csv
---
mkdirs /mnt/{a}/{b}
---
cp dbfs:/tmp/{a}/{b}.csv dbfs:/mnt/{a}/{b}.csv
---
rm -r dbfs:/tmp/{a}
""")
MARKDOWN = snippets("""
## {s}
---
{s} {s2} {s3}
---
- {s}
- {s2}
- {s3}
---
```python
df = spark.table("{a}.{b}")
```
---
**Note:** {s}
---
| {c} | {d} |
|-----|-----|
| {k} | {n} |
---
See [{T} notes](https://example.com/{a}).
""")
SANDBOX = """<div style="text-align: center">
  <h2>{T} {b}</h2>
  <p>{s}</p>
  <img src="/files/{a}/{b}.png"/>
</div>"""


@dataclass
class CellSpec:
    magic: str  # "" for a cell in the notebook's own language
    args: str
    body: str
    title: str | None = None
    show_title: bool = True

    def text(self) -> str:
        """The cell as emrlab's notebook model holds it: the magic line (if any), then the body."""
        if not self.magic:
            return self.body
        head = f"%{self.magic} {self.args}".rstrip()
        return f"{head}\n{self.body}" if self.body else head


@dataclass
class NotebookSpec:
    path: str  # inside its project, without extension
    language: str
    cells: list[CellSpec] = field(default_factory=list)
    widgets: dict[str, str] = field(default_factory=dict)


@dataclass
class Project:
    """A folder of notebooks exported together; `bundle` is the zip it is packed in, if any."""

    name: str
    fmt: str
    bundle: int | None
    notebooks: list[NotebookSpec] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        """The project folder's workspace path when the corpus folder is converted (archives expand in
        place: a zip's or .dbc's members sit in the folder that holds the archive)."""
        return f"{'' if self.bundle is None else 'archives/'}{self.fmt}/{self.name}"


def pick(rng: random.Random, weights: Mapping[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)} the {rng.choice(ADJECTIVES)} {rng.choice(WORDS)} {rng.choice(TAILS)}."


def fill(template: str, rng: random.Random) -> str:
    """`template` with random words, columns, numbers and sentences in its fields."""
    a, b, v = rng.sample(WORDS, 3)
    c, d = rng.sample(COLUMNS, 2)
    n, k = rng.randint(1, 9), rng.randint(2, 500)
    s, s2, s3 = (sentence(rng) for _ in range(3))
    return template.format(a=a, b=b, c=c, d=d, v=v, T=v.title(), n=n, k=k, s=s, s2=s2, s3=s3)


def code(rng: random.Random, templates: Sequence[str], mu: float = 1.8) -> str:
    """Snippets until the cell reaches its size (log-normal lines: median 6, a long tail to 150)."""
    lines = max(1, min(150, round(rng.lognormvariate(mu, 0.85))))
    parts: list[str] = []
    while sum(p.count("\n") + 1 for p in parts) < lines:
        parts.append(fill(rng.choice(templates), rng))
    return "\n".join(parts)


def python(rng: random.Random) -> str:
    body = code(rng, PYTHON)
    if rng.random() < 0.07:  # about 8% of real Python cells do not parse (Python 2, placeholders, magics)
        body = f"{fill(rng.choice(PYTHON_BROKEN), rng)}\n{body}"
    return body


def markdown(rng: random.Random) -> str:
    parts = [f"# {fill('{T} {b}', rng)}"] if rng.random() < 0.3 else []
    parts += [fill(rng.choice(MARKDOWN), rng) for _ in range(rng.randint(1, 4))]
    return "\n\n".join(parts)


BODIES: dict[str, Callable[[random.Random], tuple[str, str]]] = {
    "md": lambda rng: ("", markdown(rng)),
    "md-sandbox": lambda rng: ("", fill(SANDBOX, rng)),
    "python": lambda rng: ("", python(rng)),
    "scala": lambda rng: ("", code(rng, SCALA)),
    "sql": lambda rng: ("", code(rng, SQL, mu=1.2)),
    "r": lambda rng: ("", code(rng, R, mu=1.0)),
    "sh": lambda rng: ("", code(rng, SHELL, mu=0.5)),
    "fs": lambda rng: (fill(rng.choice(FS), rng), ""),
    "pip": lambda rng: (
        f"install {rng.choice(PACKAGES)}",
        rng.choice(("", "dbutils.library.restartPython()")),
    ),
}


def make_cell(language: str, plain: bool, rng: random.Random) -> CellSpec:
    magic = pick(rng, PLAIN_MIX if plain else CELL_MIX)
    if magic == language or (magic == "pip" and language != "python"):
        magic = ""
    args, body = BODIES[magic or language](rng)
    cell = CellSpec(magic, args, body)
    if magic not in ("md", "md-sandbox") and rng.random() < 0.08:
        cell.title, cell.show_title = f"{rng.choice(VERBS)} {rng.choice(WORDS)}", rng.random() < 0.8
    return cell


def run_args(project: Project, caller: str, include: str, rng: random.Random) -> str:
    """`%run` arguments in the notes' proportions: relative, quoted, with `$args`, absolute."""
    relative = ("../" if "/" in caller else "./") + include
    form = rng.random()
    if form < 0.6:
        return relative
    if form < 0.78:
        return f'"{relative}"'
    if form < 0.95:
        return f"{relative} $env={rng.choice(('dev', 'prod'))} $reset_all_data=false"
    return f"/Users/dev@example.com/{project.prefix}/{include}"


def make_notebook(
    path: str, language: str, plain: bool, run: str | None, count: int, rng: random.Random
) -> NotebookSpec:
    notebook = NotebookSpec(path, language, [CellSpec("md", "", markdown(rng))])
    if run is not None:
        notebook.cells.append(CellSpec("run", run, ""))
    while len(notebook.cells) < count:
        notebook.cells.append(make_cell(language, plain, rng))
    if not plain and rng.random() < 0.06:
        notebook.widgets = {rng.choice(WORDS): rng.choice(WORDS) for _ in range(rng.randint(1, 3))}
    return notebook


def make_notebooks(project: Project, size: int, rng: random.Random) -> list[NotebookSpec]:
    """The first notebook of each language used twice is an include the others `%run` (35% of them)."""
    plain = project.fmt == "ipynb"
    languages = [pick(rng, LANGUAGES[project.fmt]) for _ in range(size)]
    includes: dict[str, str] = {}
    notebooks = []
    for index, language in enumerate(languages):
        if language not in includes and languages.count(language) > 1 and not plain:
            includes[language] = f"includes/common_{language}"
            notebooks.append(
                make_notebook(includes[language], language, plain, None, rng.randint(6, 12), rng)
            )
            continue
        words = rng.sample(WORDS, 2)
        name = (
            f"{index:02d} - {words[0].title()} {words[1]}"
            if rng.random() < 0.15
            else f"{index:02d}_{words[0]}"
        )
        path = f"stage{index % 3}/{name}" if rng.random() < 0.4 else name
        include = includes.get(language)
        run = run_args(project, path, include, rng) if include and rng.random() < 0.35 else None
        notebooks.append(make_notebook(path, language, plain, run, round(rng.triangular(10, 40, 16)), rng))
    return notebooks


def make_projects(total: int, rng: random.Random) -> list[Project]:
    """Projects until `total` notebooks; the first five cover every format, every eighth goes in a zip."""
    projects: list[Project] = []
    left, zipped = total, 0
    while left > 0:
        index = len(projects)
        fmt = list(FORMATS)[index] if index < len(FORMATS) else pick(rng, FORMATS)
        bundle = None
        if index % 8 == 1 and fmt in ("source", "dbc", "ipynb-databricks"):
            bundle, zipped = zipped // 4, zipped + 1
        project = Project(f"p{index:03d}-{rng.choice(WORDS)}", fmt, bundle)
        size = min(left, rng.randint(1, 3) if fmt == "html" else rng.randint(4, 28))
        project.notebooks = make_notebooks(project, size, rng)
        projects.append(project)
        left -= size
    return projects


def uid(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def source_text(notebook: NotebookSpec, rng: random.Random) -> str:
    """A SOURCE export: other-language and magic cells wrapped in MAGIC lines, optional DBTITLE."""
    token = TOKENS[notebook.language]
    chunks = []
    for cell in notebook.cells:
        text = cell.text()
        if cell.magic:
            text = "\n".join(f"{token} MAGIC {line}".rstrip() for line in text.split("\n"))
        if cell.title is not None:
            text = f"{token} DBTITLE {int(cell.show_title)},{cell.title}\n{text}"
        chunks.append(text)
    old = " exported at Thu, 7 Jul 2016 05:00:57 UTC" if rng.random() < 0.06 else ""
    body = f"\n\n{token} COMMAND ----------\n\n".join(chunks)
    return f"{token} Databricks notebook source{old}\n{body}\n"


def table_result(rng: random.Random) -> dict[str, Any]:
    rows = [[rng.randint(0, 10**6), rng.choice(WORDS), rng.random()] for _ in range(rng.randint(3, 40))]
    schema = [{"name": name, "type": '"string"', "metadata": "{}"} for name in rng.sample(COLUMNS, 3)]
    return {"type": "table", "data": rows, "schema": schema, "overflow": False, "arguments": {}}


def command(cell: CellSpec, index: int, rng: random.Random) -> dict[str, Any]:
    text = cell.text()
    code_cell = cell.magic not in ("md", "md-sandbox")
    return {
        "version": "CommandV1",
        "origId": 1_000_000 + index,
        "guid": uid(rng),
        "subtype": "command",
        "commandType": "auto",
        "position": index + 1.0 if rng.random() < 0.9 else index + 0.5,
        "command": "\n" + text if cell.magic and rng.random() < 0.5 else text,
        "commandTitle": cell.title or "",
        "showCommandTitle": bool(cell.title) and cell.show_title,
        "hideCommandCode": False,
        "collapsed": False,
        "results": table_result(rng) if code_cell and rng.random() < 0.3 else None,
        "state": "finished",
        "startTime": 1700000000000 + index,
        "inputWidgets": {},
    }


def widget_specs(widgets: Mapping[str, str]) -> dict[str, Any]:
    return {
        name: {
            "currentValue": default,
            "nuid": f"w-{name}",
            "widgetInfo": {"widgetType": "text", "name": name, "defaultValue": default, "label": None},
        }
        for name, default in widgets.items()
    }


def notebook_v1(notebook: NotebookSpec, rng: random.Random) -> dict[str, Any]:
    """NotebookV1 JSON as in .dbc archives; commands[] sometimes out of display order."""
    commands = [command(cell, index, rng) for index, cell in enumerate(notebook.cells)]
    if rng.random() < 0.2:
        rng.shuffle(commands)
    return {
        "version": "NotebookV1",
        "origId": rng.randint(10**12, 10**13),
        "name": notebook.path.rsplit("/", 1)[-1],
        "language": notebook.language,
        "commands": commands,
        "dashboards": [],
        "guid": uid(rng),
        "globalVars": {},
        "iPythonMetadata": None,
        "inputWidgets": widget_specs(notebook.widgets),
    }


def ipynb_cell(cell: CellSpec, plain: bool, rng: random.Random) -> dict[str, Any]:
    markdown_cell = cell.magic in ("md", "md-sandbox")
    text = cell.body if markdown_cell else cell.text()
    built: dict[str, Any] = {"cell_type": "markdown" if markdown_cell else "code"}
    if plain:
        built |= {"id": uid(rng)[:8], "metadata": {}}
    else:
        meta = {
            "nuid": uid(rng),
            "showTitle": bool(cell.title) and cell.show_title,
            "title": cell.title or "",
        }
        built["metadata"] = {CELL_KEY: meta | {"isMarkdownSandbox": cell.magic == "md-sandbox"}}
    built["source"] = text.splitlines(keepends=True)
    if not markdown_cell:
        built |= {"execution_count": None if plain else 0, "outputs": []}
        if not plain and rng.random() < 0.2:
            html = f"<div><table><tr><td>{sentence(rng)}</td></tr></table></div>"
            meta = {"application/vnd.databricks.v1+output": {"type": "html", "datasetInfos": []}}
            built["outputs"] = [
                {"output_type": "display_data", "data": {"text/html": [html]}, "metadata": meta}
            ]
    return built


def ipynb_text(notebook: NotebookSpec, plain: bool, rng: random.Random) -> str:
    """A Databricks JUPYTER export (nbformat 4.0, Databricks metadata) or a plain Jupyter notebook."""
    cells = [ipynb_cell(cell, plain, rng) for cell in notebook.cells]
    if plain:
        kernel = {"display_name": "Python 3", "language": "python", "name": "python3"}
        metadata: dict[str, Any] = {"kernelspec": kernel, "language_info": {"name": "python"}}
    else:
        name = notebook.path.rsplit("/", 1)[-1]
        widgets = widget_specs(notebook.widgets)
        info = {"language": notebook.language, "notebookName": name, "dashboards": [], "widgets": widgets}
        metadata = {NOTEBOOK_KEY: info, "language_info": {"name": notebook.language}}
    data = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5 if plain else 0}
    return json.dumps(data, indent=1, ensure_ascii=False)


def html_text(notebook: NotebookSpec, rng: random.Random) -> str:
    model = base64.b64encode(urllib.parse.quote(json.dumps(notebook_v1(notebook, rng))).encode()).decode()
    return (
        '<!DOCTYPE html><html><head><meta name="databricks-html-version" content="1">'
        f"<script>var __DATABRICKS_NOTEBOOK_MODEL = '{model}';</script></head><body></body></html>"
    )


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A zip with fixed timestamps, so the same seed gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def dbc_bytes(project: Project, rng: random.Random) -> bytes:
    """A .dbc: folder entries (some with FolderV1 records), sometimes manifest.mf, one JSON per notebook."""
    files: dict[str, bytes] = {}
    if rng.random() < 0.3:
        files["manifest.mf"] = json.dumps({"version": "Manifest", "guid": uid(rng), "origId": -1}).encode()
    folders = {f"{project.name}/{nb.path}".rsplit("/", 1)[0] for nb in project.notebooks}
    for folder in sorted(folders) if rng.random() < 0.7 else ():  # some archives have no folder entries
        record = {"version": "FolderV1", "name": folder.rsplit("/", 1)[-1], "guid": "", "children": []}
        files[f"{folder}/"] = json.dumps(record).encode() if rng.random() < 0.2 else b""
    for nb in project.notebooks:
        files[f"{project.name}/{nb.path}.{nb.language}"] = json.dumps(notebook_v1(nb, rng)).encode()
    return zip_bytes(files)


def project_files(project: Project, rng: random.Random) -> dict[str, bytes]:
    if project.fmt == "dbc":
        return {f"dbc/{project.name}.dbc": dbc_bytes(project, rng)}
    files = {}
    for nb in project.notebooks:
        if project.fmt == "source":
            name, text = nb.path + SOURCE_EXT[nb.language], source_text(nb, rng)
        elif project.fmt == "html":
            name, text = nb.path + ".html", html_text(nb, rng)
        else:
            name, text = nb.path + ".ipynb", ipynb_text(nb, project.fmt == "ipynb", rng)
        files[f"{project.fmt}/{project.name}/{name}"] = text.encode()
    return files


def write_corpus(root: Path, projects: Sequence[Project], rng: random.Random) -> Counter[str]:
    """Write every project (folders, or zips under archives/); count files and notebooks by kind."""
    counts: Counter[str] = Counter()
    bundles: dict[int, dict[str, bytes]] = {}
    for project in projects:
        files = project_files(project, rng)
        where = "zipped" if project.bundle is not None else project.fmt
        counts[f"{where} files"] += len(files)
        counts[f"{project.fmt} notebooks"] += len(project.notebooks)
        counts.update(nb.language for nb in project.notebooks)
        if project.bundle is not None:
            bundles.setdefault(project.bundle, {}).update(files)
            continue
        for relpath, data in files.items():
            (root / relpath).parent.mkdir(parents=True, exist_ok=True)
            counts["bytes"] += (root / relpath).write_bytes(data)
    for bundle, files in bundles.items():
        (root / "archives").mkdir(exist_ok=True)
        counts["bytes"] += (root / "archives" / f"bundle-{bundle}.zip").write_bytes(zip_bytes(files))
    counts["zips"] = len(bundles)
    return counts
