"""Databricks HTML exports: the notebook is embedded as base64 of URL-encoded NotebookV1 JSON."""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse

from emrlab.converters.findings import InputError
from emrlab.converters.model import Notebook
from emrlab.converters.readers.dbc import read_notebook_v1

_MODEL = re.compile(r"__DATABRICKS_NOTEBOOK_MODEL\s*=\s*'([^']*)'")


def read_html(text: str, path: str, where: str) -> Notebook | None:
    """The embedded notebook, or None when the page is not a Databricks notebook export."""
    match = _MODEL.search(text)
    if match is None:
        return None
    encoded = urllib.parse.unquote(match.group(1))  # some pages URL-encode the base64 text too
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        model = json.loads(urllib.parse.unquote(decoded))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(where, f"the embedded notebook model is damaged ({exc}); re-export it") from None
    return read_notebook_v1(model, path, where, "html")
