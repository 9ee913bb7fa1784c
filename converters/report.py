"""The batch's outcome: per-notebook cells and findings, failures, readiness, exit status, report.json."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from emrlab import __version__
from emrlab.converters.config import Options
from emrlab.converters.findings import Finding, InputError, Severity
from emrlab.converters.model import JSON
from emrlab.converters.pipeline import EntryResult

EXIT_FINDINGS = 1
EXIT_FAILED = 2


def readiness(result: EntryResult) -> int:
    """Percent of a notebook's input cells with no warning or error finding (100 = nothing to do)."""
    if not result.cells:
        return 100 if not result.findings else 0
    blocked = {f.cell for f in result.findings if f.severity >= Severity.WARNING}
    ready = sum(1 for cell in result.cells if cell.index not in blocked)
    return round(100 * ready / len(result.cells))


@dataclass
class BatchReport:
    """Everything a conversion produced, for the terminal summary, report.json and report.html."""

    options: Options
    inputs: list[str]
    outdir: str | None
    results: list[EntryResult]
    failures: list[InputError] = field(default_factory=list)

    @property
    def notebooks(self) -> list[EntryResult]:
        return [r for r in self.results if r.status == "converted"]

    @property
    def files(self) -> list[EntryResult]:
        return [r for r in self.results if r.status == "copied"]

    @property
    def failed(self) -> list[tuple[str, str]]:
        listed = [(f.where, f.reason) for f in self.failures]
        return listed + [(r.input, r.error or "") for r in self.results if r.status == "failed"]

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.notebooks for f in r.findings]

    @property
    def requirements(self) -> list[str]:
        return sorted({req for r in self.notebooks for req in r.requirements}, key=str.lower)

    def severity_counts(self) -> Counter[str]:
        return Counter(f.severity.label for f in self.findings)

    def readiness(self) -> int:
        cells = sum(len(r.cells) for r in self.notebooks)
        if not cells:
            return 100
        return round(sum(readiness(r) * len(r.cells) for r in self.notebooks) / cells)

    def exit_code(self) -> int:
        """Bit 1: findings at or above --fail-on; bit 2: some inputs failed. OR-ed, never summed."""
        code = 0
        if any(self.options.fails(f.severity) for f in self.findings):
            code |= EXIT_FINDINGS
        if self.failed:
            code |= EXIT_FAILED
        return code

    def to_json(self) -> JSON:
        counts = self.severity_counts()
        return {
            "emrlab": __version__,
            "target": self.options.target,
            "inputs": self.inputs,
            "output": self.outdir,
            "summary": {
                "notebooks": len(self.notebooks),
                "files_copied": len(self.files),
                "failed": len(self.failed),
                "findings": {s.label: counts.get(s.label, 0) for s in reversed(Severity)},
                "readiness": self.readiness(),
            },
            "notebooks": [_notebook_json(r) for r in self.notebooks],
            "files": [{"input": r.input, "output": r.output} for r in self.files],
            "failures": [{"input": where, "reason": reason} for where, reason in self.failed],
            "requirements": self.requirements,
        }


def _notebook_json(result: EntryResult) -> JSON:
    return {
        "input": result.input,
        "output": result.output,
        "format": result.format,
        "language": result.language,
        "readiness": readiness(result),
        "cells": [{"index": c.index, "kind": c.kind, "outputs": c.outputs} for c in result.cells],
        "findings": [f.to_json() for f in result.findings],
    }
