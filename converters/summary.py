"""The terminal summary of a batch: counts, the notebooks that need work, failures, where the report is."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from emrlab.converters.report import BatchReport, readiness

MAX_ROWS = 20


def print_summary(report: BatchReport, console: Console, html: Path | None) -> None:
    counts = report.severity_counts()
    verb = "converted" if report.outdir else "checked"
    console.print(
        f"[bold]{len(report.notebooks)}[/] notebooks {verb}, [bold]{len(report.files)}[/] other files "
        f"{'copied' if report.outdir else 'seen'}, [bold]{len(report.failed)}[/] failed "
        f"(target {report.options.target})"
    )
    console.print(
        f"findings: [red]{counts.get('error', 0)} errors[/], [yellow]{counts.get('warning', 0)} warnings[/], "
        f"{counts.get('info', 0)} info · readiness {report.readiness()}%"
    )
    needing_work = sorted((r for r in report.notebooks if r.findings), key=lambda r: (readiness(r), r.input))
    if needing_work:
        table = Table("ready", "errors", "warnings", "rules", "notebook", title="Notebooks that need a look")
        table.columns[4].overflow = "fold"
        for result in needing_work[:MAX_ROWS]:
            errors = sum(1 for f in result.findings if f.severity.label == "error")
            warnings = sum(1 for f in result.findings if f.severity.label == "warning")
            rules = sorted({f.rule for f in result.findings})
            table.add_row(
                f"{readiness(result)}%",
                str(errors),
                str(warnings),
                ", ".join(rules[:3]),
                escape(result.input),
            )
        console.print(table)
        if len(needing_work) > MAX_ROWS:
            console.print(f"... and {len(needing_work) - MAX_ROWS} more in the report")
    for where, reason in report.failed[:MAX_ROWS]:
        console.print(f"[red]failed[/] {escape(where)}: {escape(reason)}")
    if len(report.failed) > MAX_ROWS:
        console.print(f"... and {len(report.failed) - MAX_ROWS} more failures in the report")
    if report.outdir:
        console.print(f"output: {escape(report.outdir)}")
    if html:
        console.print(f"report: {escape(str(html))} (and {escape(str(html.with_suffix('.json')))})")
