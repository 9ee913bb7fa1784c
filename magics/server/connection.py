"""The connection file of a running local endpoint: {"url", "token", "pid", "auth", "ca_file"}, mode 0600."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

CONNECTION_FILE_ENV = "EMRLAB_LIVY_CONNECTION_FILE"


def runtime_dir() -> Path:
    """The user's runtime folder for emrlab ($XDG_RUNTIME_DIR/emrlab, else ~/.local/share/emrlab/runtime)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and Path(base).is_dir():
        return Path(base) / "emrlab"
    return Path.home() / ".local" / "share" / "emrlab" / "runtime"


def default_connection_file() -> Path:
    """Where `emrlab livy` writes (and `%emr connect --local` reads) its connection file unless told
    otherwise: $EMRLAB_LIVY_CONNECTION_FILE, else livy-connection.json in Jupyter's runtime directory."""
    chosen = os.environ.get(CONNECTION_FILE_ENV)
    return Path(chosen).expanduser() if chosen else runtime_dir() / "livy-connection.json"


def write_connection_file(path: Path, info: dict[str, Any]) -> None:
    """Write the file atomically with mode 0600 (it holds the token)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(info, handle)
    tmp.replace(path)


def read_connection_file(path: Path) -> dict[str, Any] | None:
    """The file's JSON object, or None when it is missing or half-written."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def remove_connection_file(path: Path, pid: int) -> None:
    """Remove the file if it still describes process pid."""
    info = read_connection_file(path)
    if info is not None and info.get("pid") == pid:
        path.unlink(missing_ok=True)
