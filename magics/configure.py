"""`%emr configure` / `%%emr configure`: session settings from Livy-style JSON or flags.

Settings are kept as SessionSpec keyword arguments, merged call after call (`--reset` clears them) and
applied whenever a session is (re)created, like sparkmagic's `%%configure -f`.
"""

from __future__ import annotations

import json
from typing import Any

from emrlab.magics.errors import ConfigurationError

# Livy body key (camelCase) -> SessionSpec field.
_FIELDS = {
    "kind": "kind",
    "name": "name",
    "conf": "conf",
    "driverMemory": "driver_memory",
    "driverCores": "driver_cores",
    "executorMemory": "executor_memory",
    "executorCores": "executor_cores",
    "numExecutors": "num_executors",
    "jars": "jars",
    "pyFiles": "py_files",
    "files": "files",
    "archives": "archives",
    "packages": "packages",
    "heartbeatTimeoutInSecond": "heartbeat_timeout",
    "ttl": "ttl",
}
_LISTS = {"jars", "py_files", "files", "archives", "packages"}
_INTS = {"driver_cores", "executor_cores", "num_executors", "heartbeat_timeout"}
_STRS = {"kind", "name", "driver_memory", "executor_memory", "ttl"}


def _field(key: str) -> str:
    if key in _FIELDS:
        return _FIELDS[key]
    if key in _FIELDS.values():
        return key
    known = ", ".join(sorted(_FIELDS))
    raise ConfigurationError(f"unknown session setting {key!r}: use one of {known}")


def _coerce(field: str, value: Any) -> Any:
    if field == "conf":
        if not isinstance(value, dict):
            raise ConfigurationError('"conf" must be a JSON object of Spark settings, e.g. {"spark.x": "1"}')
        return {str(k): str(v) for k, v in value.items()}
    if field in _LISTS:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list):
            return [str(item) for item in value]
        raise ConfigurationError(f"{field} must be a list or a comma-separated string")
    if field in _INTS:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{field} must be an integer, got {value!r}") from None
    return str(value)


def parse_json(text: str) -> dict[str, Any]:
    """Livy-style (or snake_case) JSON settings -> SessionSpec keyword arguments."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError(
            f"session settings are not valid JSON ({exc}): e.g. " + '{"driverMemory": "2g", "conf": {...}}'
        ) from None
    if not isinstance(data, dict):
        raise ConfigurationError("session settings must be a JSON object")
    settings: dict[str, Any] = {}
    for key, value in data.items():
        field = _field(str(key))
        settings[field] = _coerce(field, value)
    return settings


def parse_flags(args: Any) -> dict[str, Any]:
    """Settings given as flags (an argparse namespace from `magic.py`) -> SessionSpec keyword arguments."""
    settings: dict[str, Any] = {}
    for field in sorted(_INTS | _STRS | _LISTS):
        value = getattr(args, field, None)
        if value is not None:
            settings[field] = _coerce(field, value)
    conf: dict[str, str] = {}
    for item in getattr(args, "conf", None) or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigurationError(f"--conf takes KEY=VALUE, got {item!r}")
        conf[key.strip()] = value.strip()
    if conf:
        settings["conf"] = conf
    return settings


def merge(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """`update` on top of `current`; `conf` dictionaries merge key by key."""
    merged = dict(current)
    for key, value in update.items():
        if key == "conf":
            merged["conf"] = {**merged.get("conf", {}), **value}
        else:
            merged[key] = value
    return merged


def describe(settings: dict[str, Any]) -> str:
    """The settings as the Livy body keys, for display."""
    reverse = {field: key for key, field in _FIELDS.items()}
    shown = {reverse.get(field, field): value for field, value in sorted(settings.items())}
    return json.dumps(shown, indent=1, sort_keys=True) if shown else "{} (Livy defaults)"


def split_line(line: str) -> tuple[str, str | None]:
    """Split `-f {"driverMemory": ...}` into the flags and the JSON text (None when there is none)."""
    brace = line.find("{")
    if brace < 0:
        return line, None
    return line[:brace], line[brace:]
