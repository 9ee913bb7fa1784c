"""The EMR cost model (pure: no AWS calls; inputs are boto3 response dicts, `now` is always injected).

EMR on EC2 (``cluster_cost``): every instance of ``ListInstances`` (terminated ones included) is billed per
second from its ``CreationDateTime`` (billing starts before the instance is ready, so creation time is the
conservative start) to its ``EndDateTime`` or `now`, with a 60-second minimum. Its hourly rate is the EC2
price (on-demand from the price snapshot; Spot from the time-weighted ``DescribeSpotPriceHistory`` of its AZ
and type, never the ``BidPrice``, which is only a ceiling) + the EMR uplift of its type + its EBS (GB x
$/GB-month / 730). The burn rate sums the instances still running; the projection is burn x the seconds left
until the auto-termination idle timeout. A figure that needs a price the snapshot does not have (or a Spot
price without history) is None, and what is missing is listed in ``unpriced``: "no price", never a guess.

EMR Serverless (``job_run_cost``, ``application_burn``): a job run's billed cost applies the region's and
architecture's per-vCPU-hour, per-GB-hour and per-storage-GB-hour rates to ``billedResourceUtilization``; the
used cost applies them to ``totalResourceUtilization``; efficiency is used / billed. While a run has no
``totalExecutionDurationSeconds`` it is still running and its figures are an estimate. A STARTED application's
pre-initialised capacity burns sum(workerCount x (vCPU x P_vcpu + GB x P_mem + max(0, disk - 20) x P_storage))
per hour, idle or not.

Every figure is an estimate from the snapshot whose date each result carries.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emrlab.aws.prices import PriceBook, ServerlessRates

log = logging.getLogger(__name__)

MINIMUM_SECONDS = 60.0
HOURS_PER_MONTH = 730.0  # AWS prices EBS per GB-month and prorates it over 730 hours
DEFAULT_ROOT_VOLUME_TYPE = "gp2"  # EMR's root volume (EbsRootVolumeSize) is gp2 unless configured otherwise
FREE_SERVERLESS_DISK_GB = 20.0  # EMR Serverless bills worker storage above 20 GB only
SPOT_PRODUCTS = ("Linux/UNIX", "Linux/UNIX (Amazon VPC)")
_ROUND = 6


def as_utc(value: Any) -> datetime:
    """A tz-aware UTC datetime from a datetime (naive = UTC), an ISO 8601 string or epoch seconds."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float):
        moment = datetime.fromtimestamp(float(value), tz=timezone.utc)
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise TypeError(f"expected a datetime, an ISO 8601 string or epoch seconds, got {value!r}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


# ---------------------------------------------------------------------------------------------- EMR on EC2


@dataclass(frozen=True)
class InstanceUsage:
    """One EC2 instance of a cluster: what it is, where, and when it ran (end None = still running)."""

    instance_id: str
    instance_type: str
    market: str  # "ON_DEMAND" | "SPOT"
    az: str | None
    start: datetime
    end: datetime | None
    ebs_gb: Mapping[str, float] = field(default_factory=dict)  # volume type -> GB (data + root volumes)


@dataclass(frozen=True)
class CostSplit:
    """Cost so far split into EC2, the EMR uplift and EBS (USD; the priced part if something is unpriced)."""

    ec2: float
    emr: float
    ebs: float


@dataclass(frozen=True)
class ClusterCost:
    """The cost figures of one cluster (or of any set of its instances)."""

    so_far: float | None
    per_hour: float | None
    projected: float | None
    split: CostSplit
    unpriced: tuple[str, ...]
    snapshot_date: str

    def to_json(self) -> dict[str, Any]:
        """The "cost" object of the HTTP API (CONTRACTS.md section 4)."""
        return {
            "so_far": _round(self.so_far),
            "per_hour": _round(self.per_hour),
            "projected": _round(self.projected),
            "split": {
                "ec2": round(self.split.ec2, _ROUND),
                "emr": round(self.split.emr, _ROUND),
                "ebs": round(self.split.ebs, _ROUND),
            },
            "unpriced": list(self.unpriced),
            "estimate": True,
            "snapshot_date": self.snapshot_date,
        }


class SpotPrices:
    """Spot price history as step functions per (AZ, instance type): a price holds from its timestamp
    until the next one. Only Linux/UNIX products count (EMR runs Linux)."""

    def __init__(self, series: Mapping[tuple[str, str], Sequence[tuple[datetime, float]]]) -> None:
        self._series = {key: sorted(points) for key, points in series.items()}
        self._times = {key: [t for t, _ in points] for key, points in self._series.items()}

    @classmethod
    def from_history(cls, history: Iterable[Mapping[str, Any]]) -> SpotPrices:
        """From DescribeSpotPriceHistory's ``SpotPriceHistory`` entries (all pages, any order)."""
        series: dict[tuple[str, str], dict[datetime, float]] = {}
        for entry in history:
            product = entry.get("ProductDescription")
            if product is not None and product not in SPOT_PRODUCTS:
                continue
            key = (str(entry["AvailabilityZone"]), str(entry["InstanceType"]))
            series.setdefault(key, {})[as_utc(entry["Timestamp"])] = float(entry["SpotPrice"])
        return cls({key: sorted(points.items()) for key, points in series.items()})

    def _keys(self, az: str | None, instance_type: str) -> list[tuple[str, str]]:
        if az is not None:
            return [(az, instance_type)] if (az, instance_type) in self._series else []
        return sorted(key for key in self._series if key[1] == instance_type)

    def average(self, az: str | None, instance_type: str, start: datetime, end: datetime) -> float | None:
        """Time-weighted mean USD/hour over [start, end] in `az` (None: the mean over the AZs with history).

        Each price holds until the next entry, so an interval without a price change uses the latest earlier
        price. When the history begins inside the interval, the part before its first entry is unknown and the
        mean is over the covered part; no entry at or before `end` means no price (None)."""
        figures = [
            f
            for f in (self._average(key, as_utc(start), as_utc(end)) for key in self._keys(az, instance_type))
        ]
        known = [f for f in figures if f is not None]
        return sum(known) / len(known) if known else None

    def _average(self, key: tuple[str, str], start: datetime, end: datetime) -> float | None:
        points, times = self._series[key], self._times[key]
        last = bisect.bisect_right(times, end) - 1
        if last < 0:
            return None
        first = max(0, bisect.bisect_right(times, start) - 1)
        begin = max(start, times[first])
        if end <= begin:
            return points[last][1]
        total = 0.0
        for index in range(first, last + 1):
            piece_start = max(begin, times[index])
            piece_end = end if index == last else min(end, times[index + 1])
            total += points[index][1] * max(0.0, (piece_end - piece_start).total_seconds())
        return total / (end - begin).total_seconds()


def usages_from_instances(
    instances: Iterable[Mapping[str, Any]],
    *,
    ebs_by_volume: Mapping[str, tuple[str, float]],
    ebs_by_group: Mapping[str, Mapping[str, float]],
    root_gb: float,
    az: str | None,
) -> list[InstanceUsage]:
    """InstanceUsage records from ``ListInstances`` entries (instances without a creation time are skipped).

    EBS per instance: its ``EbsVolumes`` looked up in `ebs_by_volume` (DescribeVolumes: id -> (type, GB)) when
    every one is known, else its group's or fleet's ``EbsBlockDevices`` (`ebs_by_group`: id -> {type: GB per
    instance}); plus the root volume, `root_gb` of gp2."""
    made: list[InstanceUsage] = []
    for instance in instances:
        timeline = (instance.get("Status") or {}).get("Timeline") or {}
        created = timeline.get("CreationDateTime")
        if created is None:
            continue
        ended = timeline.get("EndDateTime")
        volumes = [str(v.get("VolumeId")) for v in instance.get("EbsVolumes") or [] if v.get("VolumeId")]
        ebs: dict[str, float] = {}
        if volumes and all(v in ebs_by_volume for v in volumes):
            for volume in volumes:
                kind, size = ebs_by_volume[volume]
                ebs[kind] = ebs.get(kind, 0.0) + float(size)
        else:
            group = instance.get("InstanceGroupId") or instance.get("InstanceFleetId")
            for kind, size in (ebs_by_group.get(str(group), {}) if group else {}).items():
                ebs[kind] = ebs.get(kind, 0.0) + float(size)
        if root_gb > 0:
            ebs[DEFAULT_ROOT_VOLUME_TYPE] = ebs.get(DEFAULT_ROOT_VOLUME_TYPE, 0.0) + float(root_gb)
        made.append(
            InstanceUsage(
                instance_id=str(instance.get("Ec2InstanceId") or instance.get("Id") or ""),
                instance_type=str(instance.get("InstanceType") or ""),
                market=str(instance.get("Market") or "ON_DEMAND"),
                az=az,
                start=as_utc(created),
                end=None if ended is None else as_utc(ended),
                ebs_gb=ebs,
            )
        )
    return made


def cluster_cost(
    usages: Sequence[InstanceUsage],
    *,
    region: str,
    prices: PriceBook,
    now: datetime,
    spot: SpotPrices | None = None,
    idle_seconds_left: float | None = None,
) -> ClusterCost:
    """Cost so far, burn ($/h of the running instances) and projection of a cluster's instances.

    `idle_seconds_left`: seconds until the auto-termination idle timeout (pass it for WAITING clusters only).
    so_far is None when any instance lacks a price; per_hour (and projected) when a running one does."""
    now = as_utc(now)
    ec2 = emr = ebs = 0.0
    unpriced: list[str] = []
    so_far_known = burn_known = True
    burn = 0.0
    for usage in usages:
        end = now if usage.end is None else as_utc(usage.end)
        start = as_utc(usage.start)
        seconds = max(MINIMUM_SECONDS, (end - start).total_seconds())
        hours = seconds / 3600.0
        missing: list[str] = []
        if usage.market == "SPOT":
            ec2_rate = (
                None if spot is None else spot.average(usage.az, usage.instance_type, start, max(start, end))
            )
            ec2_now = ec2_rate
            if usage.end is None and spot is not None:
                ec2_now = spot.average(usage.az, usage.instance_type, now, now)
        else:
            ec2_rate = ec2_now = prices.ec2_on_demand(region, usage.instance_type)
        uplift = prices.emr_uplift(region, usage.instance_type)
        if ec2_rate is None or ec2_now is None or uplift is None:
            missing.append(usage.instance_type)
        ebs_rate = 0.0
        for kind, gb in sorted(usage.ebs_gb.items()):
            per_month = prices.ebs_gb_month(region, kind)
            if per_month is None:
                if gb > 0:
                    missing.append(f"EBS {kind}")
                continue
            ebs_rate += gb * per_month / HOURS_PER_MONTH
        ec2 += (ec2_rate or 0.0) * hours
        emr += (uplift or 0.0) * hours
        ebs += ebs_rate * hours
        if missing:
            so_far_known = False
            unpriced.extend(m for m in missing if m not in unpriced)
            if usage.end is None:
                burn_known = False
        elif usage.end is None:
            burn += (ec2_now or 0.0) + (uplift or 0.0) + ebs_rate
    per_hour = burn if burn_known else None
    projected = None
    if per_hour is not None and idle_seconds_left is not None:
        projected = per_hour * max(0.0, idle_seconds_left) / 3600.0
    return ClusterCost(
        so_far=ec2 + emr + ebs if so_far_known else None,
        per_hour=per_hour,
        projected=projected,
        split=CostSplit(ec2=ec2, emr=emr, ebs=ebs),
        unpriced=tuple(unpriced),
        snapshot_date=prices.snapshot_date,
    )


# ------------------------------------------------------------------------------------------ EMR Serverless

FINISHED_STATES = frozenset({"SUCCESS", "FAILED", "CANCELLED"})


@dataclass(frozen=True)
class JobRunCost:
    """Billed and used cost of one EMR Serverless job run (None = not reported yet, or no sourced price)."""

    billed: float | None
    used: float | None
    efficiency: float | None
    estimate: bool
    elapsed_seconds: float
    snapshot_date: str

    def to_json(self) -> dict[str, Any]:
        """The job run "cost" object of the HTTP API (CONTRACTS.md section 4)."""
        return {
            "billed": _round(self.billed),
            "used": _round(self.used),
            "efficiency": _round(self.efficiency, 4),
            "estimate": self.estimate,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "snapshot_date": self.snapshot_date,
        }


def utilisation_cost(utilisation: Mapping[str, Any] | None, rates: ServerlessRates) -> float | None:
    """USD of a ``ResourceUtilization`` dict (vCPUHour, memoryGBHour, storageGBHour); None when absent."""
    if not utilisation:
        return None
    return (
        float(utilisation.get("vCPUHour") or 0.0) * rates.vcpu_hour
        + float(utilisation.get("memoryGBHour") or 0.0) * rates.gb_hour
        + float(utilisation.get("storageGBHour") or 0.0) * rates.storage_gb_hour
    )


def job_run_cost(
    job_run: Mapping[str, Any], *, architecture: str, region: str, prices: PriceBook, now: datetime
) -> JobRunCost:
    """Cost of ``GetJobRun["jobRun"]``: billed from billedResourceUtilization, used from
    totalResourceUtilization, efficiency = used / billed (capped at 1); an estimate while still running."""
    now = as_utc(now)
    duration = job_run.get("totalExecutionDurationSeconds")
    state = str(job_run.get("state") or "")
    estimate = duration is None or state not in FINISHED_STATES
    if duration is not None:
        elapsed = float(duration)
    else:
        began = job_run.get("startedAt") or job_run.get("createdAt")
        finished = job_run.get("endedAt")
        elapsed = 0.0
        if began is not None:
            stop = as_utc(finished) if finished is not None and state in FINISHED_STATES else now
            elapsed = max(0.0, (stop - as_utc(began)).total_seconds())
    rates = prices.serverless(region, architecture)
    billed = used = efficiency = None
    if rates is not None:
        billed = utilisation_cost(job_run.get("billedResourceUtilization"), rates)
        used = utilisation_cost(job_run.get("totalResourceUtilization"), rates)
        if billed is not None and used is not None and billed > 0:
            efficiency = min(1.0, used / billed)
    return JobRunCost(
        billed=billed,
        used=used,
        efficiency=efficiency,
        estimate=estimate,
        elapsed_seconds=elapsed,
        snapshot_date=prices.snapshot_date,
    )


_QUANTITY = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")
_UNITS = {"": 1.0, "vcpu": 1.0, "gb": 1.0, "mb": 1.0 / 1024.0, "tb": 1024.0}


def parse_quantity(text: Any) -> float:
    """A number from the API's worker strings: "4 vCPU" -> 4, "16 GB" -> 16, "20GB" -> 20, "512 MB" -> 0.5."""
    match = _QUANTITY.match(str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(f"cannot read a worker size from {text!r} (expected e.g. '4 vCPU' or '16 GB')")
    return float(match.group(1)) * _UNITS[unit]


def application_burn(application: Mapping[str, Any], *, region: str, prices: PriceBook) -> float | None:
    """USD/hour of ``GetApplication["application"]``'s pre-initialised capacity while STARTED (0.0 otherwise);
    None when its region/architecture has no sourced price or a worker size cannot be read."""
    if application.get("state") != "STARTED":
        return 0.0
    rates = prices.serverless(region, str(application.get("architecture") or "X86_64"))
    if rates is None:
        return None
    total = 0.0
    for kind, capacity in (application.get("initialCapacity") or {}).items():
        workers = float(capacity.get("workerCount") or 0)
        config = capacity.get("workerConfiguration") or {}
        try:
            vcpu = parse_quantity(config.get("cpu", "0"))
            memory = parse_quantity(config.get("memory", "0"))
            disk = parse_quantity(config.get("disk", f"{FREE_SERVERLESS_DISK_GB:g} GB"))
        except ValueError as error:
            log.warning("application %s, %s workers: %s", application.get("applicationId"), kind, error)
            return None
        extra_disk = max(0.0, disk - FREE_SERVERLESS_DISK_GB)
        total += workers * (
            vcpu * rates.vcpu_hour + memory * rates.gb_hour + extra_disk * rates.storage_gb_hour
        )
    return total


def _round(value: float | None, digits: int = _ROUND) -> float | None:
    return None if value is None else round(value, digits)
