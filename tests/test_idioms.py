"""Per-idiom rewrite rates over our fixtures: every Databricks idiom in a Python cell is rewritten or
flagged (none left untouched without a finding), and every rewritable idiom is rewritten ≥ 95%."""

from __future__ import annotations

from pathlib import Path

from emrlab.converters.config import Limits, Options
from emrlab.converters.idioms import IDIOMS, Tally, rewritable, tally_notebook
from emrlab.converters.inputs import collect
from emrlab.converters.readers import read_entry
from emrlab.converters.sniff import workspace_path
from emrlab.converters.translator import translate_notebook
from emrlab.converters.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = [ROOT / "tests" / "fixtures" / "idioms", ROOT / "examples" / "workspace"]
PATH_MAP = (("dbfs:/", "s3://lake/dbfs"), ("/Volumes", "s3://lake/volumes"))


def tallies_for(target: str) -> dict[str, Tally]:
    options = Options(target=target, jobs=1, path_map=PATH_MAP)  # type: ignore[arg-type]
    tallies: dict[str, Tally] = {}
    for folder in FIXTURES:
        collected = collect([folder], Limits())
        notebooks = {
            workspace_path(e.relpath): read_entry(e.relpath, e.display, e.locator, e.format, Limits())
            for e in collected.entries
        }
        found = {path: nb for path, nb in notebooks.items() if nb is not None}
        workspace = Workspace(found, found.__getitem__)
        for notebook in found.values():
            tally_notebook(notebook, translate_notebook(notebook, options, workspace), tallies)
        collected.close()
    return tallies


def test_every_idiom_is_rewritten_or_flagged() -> None:
    for target in ("jupyter", "script", "emr-studio", "emrlab"):
        tallies = tallies_for(target)
        assert {i.name for i in IDIOMS} <= set(tallies), "the fixture must hold every idiom"
        for name, tally in tallies.items():
            assert tally.untouched == 0, f"{target}: {name} left untouched without a finding: {tally}"
            if rewritable(name):
                assert tally.rate() >= 0.95, f"{target}: {name} rewritten {tally.rate():.0%}: {tally}"
            else:
                assert tally.flagged == tally.total, f"{target}: {name} should be flagged: {tally}"
