"""The dated price snapshot the cost model reads: EC2 Linux on-demand, the EMR uplift, EBS and EMR Serverless
rates by region, every figure citing a source (an AWS pricing page or the AWS Price List API) and the date it
was read.

The snapshot ships as ``emrlab/aws/data/prices.json``; ``EMRLAB_PRICES=/path.json`` (or ``load_prices(path)``)
uses another file. A figure the snapshot lacks is None ("no price"): the cost model never guesses one.
``refresh`` (in :mod:`emrlab.aws.prices_refresh`) rebuilds the snapshot from the AWS Price List API.

File layout (``schema`` 1)::

    {"schema": 1, "snapshot_date": "YYYY-MM-DD", "currency": "USD",
     "sources": [{"id": "...", "title": "...", "url": "https://...", "retrieved": "YYYY-MM-DD"}],
     "regions": {"us-east-1": {
         "ec2_on_demand": {"m5.xlarge": {"usd": 0.192, "source": "<id>"}},      # USD per instance-hour
         "emr_uplift":    {"m5.xlarge": {"usd": 0.048, "source": "<id>"}},      # USD per instance-hour
         "ebs_gb_month":  {"gp3": {"usd": 0.08, "source": "<id>"}},             # USD per GB-month
         "serverless":    {"X86_64": {"vcpu_hour": 0.05, "gb_hour": 0.005, "storage_gb_hour": 0.0001,
                                      "source": "<id>"}}}},
     "notes": ["..."]}
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emrlab.aws.errors import AwsError

PACKAGED = Path(__file__).with_name("data") / "prices.json"
ENV = "EMRLAB_PRICES"
SCHEMA = 1
SECTIONS = ("ec2_on_demand", "emr_uplift", "ebs_gb_month", "serverless")
ARCHITECTURES = ("X86_64", "ARM64")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PriceSnapshotError(AwsError):
    """The price snapshot file is missing, not JSON, or does not follow the schema."""


@dataclass(frozen=True)
class Source:
    """Where a figure comes from: an AWS pricing page or the Price List API, and the ISO date it was read."""

    id: str
    title: str
    url: str
    retrieved: str


@dataclass(frozen=True)
class ServerlessRates:
    """EMR Serverless USD rates of one region and architecture."""

    vcpu_hour: float
    gb_hour: float
    storage_gb_hour: float
    source: str


class PriceBook:
    """Read-only view of one validated snapshot."""

    def __init__(self, data: Mapping[str, Any], *, path: Path | None = None) -> None:
        self.data = data
        self.path = path
        self.snapshot_date: str = str(data["snapshot_date"])
        self.currency: str = str(data.get("currency", "USD"))
        self.sources: dict[str, Source] = {
            str(s["id"]): Source(str(s["id"]), str(s["title"]), str(s["url"]), str(s["retrieved"]))
            for s in data["sources"]
        }
        self.notes: tuple[str, ...] = tuple(str(n) for n in data.get("notes", []))

    def _figure(self, region: str, section: str, key: str) -> Mapping[str, Any] | None:
        entry = self.data["regions"].get(region, {}).get(section, {}).get(key)
        return entry if isinstance(entry, Mapping) else None

    def ec2_on_demand(self, region: str, instance_type: str) -> float | None:
        """USD/hour of a Linux on-demand instance; None = no sourced price."""
        entry = self._figure(region, "ec2_on_demand", instance_type)
        return None if entry is None else float(entry["usd"])

    def emr_uplift(self, region: str, instance_type: str) -> float | None:
        """EMR's USD/hour on top of EC2 for a type (the same for Spot and on-demand); None = no price."""
        entry = self._figure(region, "emr_uplift", instance_type)
        return None if entry is None else float(entry["usd"])

    def ebs_gb_month(self, region: str, volume_type: str) -> float | None:
        """USD per GB-month of an EBS volume type (gp2, gp3, io1, st1 ...); None = no price."""
        entry = self._figure(region, "ebs_gb_month", volume_type)
        return None if entry is None else float(entry["usd"])

    def serverless(self, region: str, architecture: str) -> ServerlessRates | None:
        """EMR Serverless rates for "X86_64" or "ARM64" workers; None = no price."""
        entry = self._figure(region, "serverless", architecture.upper())
        if entry is None:
            return None
        return ServerlessRates(
            float(entry["vcpu_hour"]),
            float(entry["gb_hour"]),
            float(entry["storage_gb_hour"]),
            str(entry["source"]),
        )

    def source_of(self, region: str, section: str, key: str) -> Source | None:
        """The Source of one figure (None when the figure is absent)."""
        entry = self._figure(region, section, key)
        return None if entry is None else self.sources[str(entry["source"])]

    def regions(self) -> list[str]:
        """Regions with at least one figure."""
        return sorted(self.data["regions"])

    def instance_types(self) -> list[str]:
        """Every instance type with an EC2 or EMR figure in some region."""
        kinds: set[str] = set()
        for tables in self.data["regions"].values():
            kinds.update(tables.get("ec2_on_demand", {}))
            kinds.update(tables.get("emr_uplift", {}))
        return sorted(kinds)

    def describe(self) -> dict[str, Any]:
        """The JSON of GET /emrlab/api/prices: snapshot date, currency, sources, regions."""
        used = {
            str(entry["source"])
            for tables in self.data["regions"].values()
            for section in tables.values()
            for entry in section.values()
        }
        return {
            "snapshot_date": self.snapshot_date,
            "currency": self.currency,
            "sources": [
                {"id": s.id, "title": s.title, "url": s.url, "retrieved": s.retrieved}
                for s in self.sources.values()
                if s.id in used
            ],
            "regions": self.regions(),
        }


def validate(data: Any, where: str) -> None:
    """Raise PriceSnapshotError (naming `where`) unless `data` follows the snapshot schema."""

    def fail(problem: str) -> None:
        raise PriceSnapshotError(f"price snapshot {where}: {problem}. Fix the file or unset {ENV}.")

    if not isinstance(data, dict):
        fail("the top level must be a JSON object")
    if data.get("schema") != SCHEMA:
        fail(f"'schema' must be {SCHEMA}, found {data.get('schema')!r}")
    if not isinstance(data.get("snapshot_date"), str) or not _DATE.match(data["snapshot_date"]):
        fail("'snapshot_date' must be an ISO date (YYYY-MM-DD)")
    sources = data.get("sources")
    if not isinstance(sources, list) or not sources:
        fail("'sources' must be a non-empty list")
    ids: set[str] = set()
    for source in sources:
        if not isinstance(source, dict) or not all(
            isinstance(source.get(k), str) and source[k] for k in ("id", "title", "url", "retrieved")
        ):
            fail(f"every source needs non-empty id, title, url and retrieved strings: {source!r}")
        if not str(source["url"]).startswith("https://"):
            fail(f"source {source['id']!r}: the url must be an https:// address")
        if not _DATE.match(str(source["retrieved"])):
            fail(f"source {source['id']!r}: 'retrieved' must be an ISO date (YYYY-MM-DD)")
        ids.add(str(source["id"]))
    regions = data.get("regions")
    if not isinstance(regions, dict) or not regions:
        fail("'regions' must be a non-empty object")
    for region, tables in regions.items():
        if not isinstance(tables, dict) or set(tables) - set(SECTIONS):
            fail(f"region {region!r}: sections must be among {', '.join(SECTIONS)}")
        for section, figures in tables.items():
            if not isinstance(figures, dict):
                fail(f"{region}.{section} must be an object")
            fields = ("vcpu_hour", "gb_hour", "storage_gb_hour") if section == "serverless" else ("usd",)
            for key, entry in figures.items():
                label = f"{region}.{section}.{key}"
                if section == "serverless" and key not in ARCHITECTURES:
                    fail(f"{label}: the architecture must be one of {', '.join(ARCHITECTURES)}")
                if not isinstance(entry, dict) or entry.get("source") not in ids:
                    fail(f"{label}: every figure needs a 'source' naming an entry of 'sources'")
                for name in fields:
                    value = entry.get(name)
                    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                        fail(f"{label}: '{name}' must be a non-negative number, found {value!r}")


def read_snapshot(path: Path) -> dict[str, Any]:
    """The validated JSON of a snapshot file (PriceSnapshotError naming the file otherwise)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PriceSnapshotError(
            f"price snapshot {path}: no such file. Fix the path or unset {ENV}."
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PriceSnapshotError(f"price snapshot {path}: cannot read it as JSON ({error}).") from None
    validate(data, str(path))
    return dict(data)


_CACHE: dict[tuple[str, int], PriceBook] = {}


def snapshot_path(path: Path | None = None) -> Path:
    """The file load_prices reads: `path`, else $EMRLAB_PRICES, else the packaged snapshot."""
    if path is not None:
        return Path(path)
    override = os.environ.get(ENV)
    return Path(override).expanduser() if override else PACKAGED


def load_prices(path: Path | None = None) -> PriceBook:
    """The PriceBook of `path` / $EMRLAB_PRICES / the packaged snapshot, cached until the file changes."""
    where = snapshot_path(path)
    try:
        stamp = where.stat().st_mtime_ns
    except OSError:
        stamp = -1
    key = (str(where.resolve() if stamp >= 0 else where), stamp)
    book = _CACHE.get(key)
    if book is None:
        book = PriceBook(read_snapshot(where), path=where)
        _CACHE.clear()
        _CACHE[key] = book
    return book


def write_snapshot(data: Mapping[str, Any], out: Path) -> PriceBook:
    """Validate `data`, write it to `out` (sorted, indented JSON) and return its PriceBook."""
    validate(data, str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(out)
    return PriceBook(data, path=out)


def refresh(session: Any, *, regions: Sequence[str], instance_types: Sequence[str], out: Path) -> PriceBook:
    """Rebuild the snapshot from the AWS Price List API and write it to `out` (see prices_refresh)."""
    from emrlab.aws.prices_refresh import refresh as run

    return run(session, regions=regions, instance_types=instance_types, out=out)
