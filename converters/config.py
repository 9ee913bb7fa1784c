"""Conversion options: defaults, `emrlab.toml`, and the safety limits for untrusted archives."""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

from emrlab.converters.findings import Severity

Target = Literal["emr-studio", "jupyter", "script", "emrlab"]
TARGETS: tuple[Target, ...] = ("emr-studio", "jupyter", "script", "emrlab")
FailOn = Literal["error", "warning", "info", "never"]

MIB = 1024 * 1024
# `%emr connect` modes (emrlab.magics); the `emrlab` target's notebooks connect with one of them.
CONNECT_MODES = ("--local", "--cluster", "--serverless", "--url")


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile or broken export from exhausting memory or disk."""

    max_archive_bytes: int = 4096 * MIB  # total uncompressed bytes of one archive
    max_ratio: int = 200  # uncompressed / compressed size of one archive entry
    max_entry_bytes: int = 512 * MIB  # one file or archive entry
    max_cell_bytes: int = 2 * MIB  # larger cells are kept verbatim, not translated
    max_nesting: int = 3  # archives inside archives


@dataclass(frozen=True)
class Options:
    """Everything that decides what a conversion produces (the same options give the same output)."""

    target: Target = "emr-studio"
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    path_map: tuple[tuple[str, str], ...] = ()
    fail_on: FailOn = "error"
    force: bool = False
    limits: Limits = field(default_factory=Limits)
    select: tuple[str, ...] = ()  # rule ids, id prefixes (EMR1) or names; empty = all
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()  # (rule id or name, severity) overrides
    connect: str = "--local"  # the `emrlab` target's `%emr connect` arguments

    def fails(self, severity: Severity) -> bool:
        return self.fail_on != "never" and severity >= Severity.parse(self.fail_on)

    def enabled(self, rule_id: str, rule_name: str) -> bool:
        """Whether a rule runs: selected (or no selection) and not ignored."""

        def named(patterns: tuple[str, ...]) -> bool:
            return any(rule_id.startswith(p.upper()) or p.lower() == rule_name for p in patterns)

        return (not self.select or named(self.select)) and not named(self.ignore)

    def severity_of(self, rule_id: str, rule_name: str, default: Severity) -> Severity:
        for key, value in self.severity:
            if key.upper() == rule_id or key.lower() == rule_name:
                return Severity.parse(value)
        return default


class ConfigError(ValueError):
    """A bad option or config file; the message names it and says what is allowed."""


def parse_path_map(items: list[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in items:
        source, sep, dest = item.partition("=")
        if not sep or not source or not dest:
            raise ConfigError(f"--path-map {item!r}: expected FROM=TO, e.g. dbfs:/mnt/raw=s3://bucket/raw")
        pairs.append((source, dest))
    return tuple(pairs)


def load_config(path: Path) -> dict[str, Any]:
    """Read `emrlab.toml`: `[convert]` options, `[paths]` map and `[limits]`."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    unknown = set(data) - {"convert", "paths", "limits", "severity"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown section(s) {sorted(unknown)}; use [convert], [paths], [limits], [severity]"
        )
    return data


def options_from(config: dict[str, Any], **overrides: Any) -> Options:
    """Build Options from a config dict, command-line values (not None) taking precedence."""
    convert = config.get("convert", {})
    values: dict[str, Any] = dict(convert)
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(Options)} - {"limits", "severity"}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown option(s) {sorted(unknown)} in [convert]; known: {sorted(known)}")
    paths = tuple((str(k), str(v)) for k, v in config.get("paths", {}).items())
    values["path_map"] = paths + tuple(values.get("path_map", ()))
    limit_values = config.get("limits", {})
    limit_names = {f.name for f in fields(Limits)}
    bad = [k for k, v in limit_values.items() if k not in limit_names or not isinstance(v, int) or v <= 0]
    if bad:
        raise ConfigError(f"[limits] {sorted(bad)}: expected positive integers among {sorted(limit_names)}")
    severities = tuple((str(k), str(v)) for k, v in config.get("severity", {}).items())
    for key, value in severities:
        try:
            Severity.parse(value)
        except ValueError as exc:
            raise ConfigError(f"[severity] {key}: {exc}") from None
    values["select"] = tuple(values.get("select", ()))
    values["ignore"] = tuple(values.get("ignore", ()))
    options = Options(**values, limits=replace(Limits(), **limit_values), severity=severities)
    if options.target not in TARGETS:
        raise ConfigError(f"unknown target {options.target!r}; use one of {', '.join(TARGETS)}")
    if options.fail_on not in ("error", "warning", "info", "never"):
        raise ConfigError(f"unknown --fail-on {options.fail_on!r}; use error, warning, info or never")
    if not isinstance(options.jobs, int) or options.jobs < 1:
        raise ConfigError(f"--jobs must be a positive integer, got {options.jobs!r}")
    check_connect(options.connect)
    return options


def check_connect(args: object) -> str:
    """Validate `--connect ARGS` / `[convert] connect`: the arguments of one `%emr connect` line."""
    example = 'e.g. connect = "--cluster j-XXXXXXXX" in emrlab.toml or --connect="--local"'
    if not isinstance(args, str) or not args.strip() or "\n" in args or "\r" in args:
        raise ConfigError(f"connect {args!r}: expected the arguments of one `%emr connect` line, {example}")
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise ConfigError(f"connect {args!r}: {exc}; quote it as a shell would, {example}") from None
    if words[:2] == ["%emr", "connect"]:
        raise ConfigError(f"connect {args!r}: give only the arguments after `%emr connect`, {example}")
    secret = [w for w in words if w.split("=", 1)[0] in ("--token", "--password", "--secret")]
    if secret:
        raise ConfigError(
            f"connect: {secret[0].split('=', 1)[0]} would write a secret into every notebook; %emr connect "
            "reads tokens from EMRLAB_LIVY_TOKEN, the local endpoint's connection file or a prompt"
        )
    modes = [w.split("=", 1)[0] for w in words if w.split("=", 1)[0] in CONNECT_MODES]
    if len(modes) != 1:
        raise ConfigError(f"connect {args!r}: name exactly one of {', '.join(CONNECT_MODES)}, {example}")
    return args
