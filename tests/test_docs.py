"""The README's rules table is generated from the rules; it must not drift from them."""

from __future__ import annotations

import re
from pathlib import Path

from emrlab.converters.rules import markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_rules_table_is_current() -> None:
    match = re.search(r"<!-- rules:start -->\n(.*?)<!-- rules:end -->", README.read_text(), re.S)
    assert match, "README lost its rules markers"
    assert match.group(1) == markdown_table(), "run `make docs` to regenerate the README's rules table"
