"""Rebuild the demo's `Reports.dbc` archive and `Campaigns.ipynb` export from the definitions below.

Run `python examples/make_archive.py` after editing them; both outputs are committed.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "workspace"


def command(text: str, position: float, title: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "version": "CommandV1",
        "origId": int(position * 100),
        "guid": f"5e1f0c2a-0000-4000-8000-{int(position * 100):012d}",
        "subtype": "command",
        "commandType": "auto",
        "position": position,
        "command": text,
        "commandTitle": title,
        "showCommandTitle": bool(title),
        "results": None,
        **extra,
    }


def widget(name: str, default: str, kind: str = "text", choices: list[str] | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {"widgetType": kind, "name": name, "defaultValue": default, "label": name.title()}
    if choices:
        info["options"] = {"widgetType": kind, "choices": choices}
    return {"nuid": f"w-{name}", "currentValue": default, "widgetInfo": info}


WEEKLY = {
    "version": "NotebookV1",
    "origId": 1001,
    "name": "weekly",
    "language": "python",
    "inputWidgets": {
        "week": widget("week", "2026-W47"),
        "region": widget("region", "eu", "dropdown", ["eu", "us"]),
    },
    # Stored out of display order, as real archives often are: `position` decides.
    "commands": [
        command(
            "summary = spark.sql(f\"SELECT '{week}' AS week, '{region}' AS region\")\ndisplay(summary)",
            3.0,
            "Summary",
        ),
        command("\n%md\n# Weekly report\nParameters come from the `week` and `region` widgets.", 1.0),
        command("%run ../Shop/00-setup $env=prod", 2.0),
        command("%sql\nSELECT 1 AS sanity_check", 4.0),
        command('dbutils.notebook.exit("weekly done")', 5.0, results={"type": "exit", "data": "weekly done"}),
    ],
}
DASHBOARD = {
    "version": "NotebookV1",
    "origId": 1002,
    "name": "dashboard",
    "language": "scala",
    "commands": [
        command("%md\n## Dashboard feed", 1.0),
        command('val weekly = spark.table("shop_prod.orders")\ndisplay(weekly)', 2.0),
        command("%sql\nSELECT count(*) FROM shop_prod.orders", 3.0),
    ],
}


def campaigns() -> dict[str, Any]:
    cells = [
        ("markdown", "# Campaigns\nA JUPYTER export: widgets live in the notebook metadata.", {}),
        (
            "code",
            'campaign = dbutils.widgets.get("campaign")\nprint(f"campaign {campaign}")',
            {"title": "Read"},
        ),
        ("code", "%sql\nSELECT '${campaign}' AS campaign", {}),
        ("code", "%pip install slugify==0.0.1\nimport os", {}),
    ]
    built = []
    for n, (kind, source, meta) in enumerate(cells):
        cell: dict[str, Any] = {
            "cell_type": kind,
            "source": source.splitlines(keepends=True),
            "metadata": {
                "application/vnd.databricks.v1+cell": {"nuid": f"c{n}", "showTitle": bool(meta), **meta}
            },
        }
        if kind == "code":
            cell.update(execution_count=0, outputs=[])
        built.append(cell)
    return {
        "cells": built,
        "metadata": {
            "application/vnd.databricks.v1+notebook": {
                "language": "python",
                "notebookName": "Campaigns",
                "widgets": {"campaign": widget("campaign", "black-friday")},
            },
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 0,
    }


def main() -> None:
    entries = {
        "Reports/": "",
        "Reports/weekly.python": json.dumps(WEEKLY, indent=1),
        "Reports/dashboard.scala": json.dumps(DASHBOARD, indent=1),
        "manifest.mf": json.dumps({"version": "Manifest", "guid": "demo", "origId": -1}),
    }
    with zipfile.ZipFile(HERE / "Reports.dbc", "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in entries.items():  # fixed timestamps: rebuilding gives the same bytes
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(2026, 11, 1, 0, 0, 0)), text, zipfile.ZIP_DEFLATED
            )
    (HERE / "Campaigns.ipynb").write_text(json.dumps(campaigns(), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
