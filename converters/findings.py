"""Findings (what a rule noticed) and input failures (what could not be read at all)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from emrlab.converters.model import JSON


class Severity(enum.IntEnum):
    """How much a finding matters; `--fail-on` compares against it."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r}; use one of {choices}") from None


@dataclass(frozen=True)
class Finding:
    """Something in a notebook that a person should look at, with where it is and what to do."""

    rule: str
    severity: Severity
    file: str
    cell: int | None
    message: str
    fix: str = ""
    line: int | None = None
    column: int | None = None

    def to_json(self) -> JSON:
        return {
            "rule": self.rule,
            "severity": self.severity.label,
            "file": self.file,
            "cell": self.cell,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "fix": self.fix,
        }


class InputError(Exception):
    """An input (file, archive or archive entry) that cannot be converted; the message says what to do."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason
