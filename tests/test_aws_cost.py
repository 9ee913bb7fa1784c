"""The cost model (emrlab.aws.cost) on the packaged price snapshot, with an injected clock.

Inputs are the dicts boto3 returns (ListInstances, DescribeSpotPriceHistory, GetJobRun, GetApplication)
written as literals: the model is pure, and moto cannot produce past creation times or non-zero Serverless
utilisation. Expected figures are computed from the snapshot's own rates, so a refreshed snapshot keeps the
tests meaningful.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from emrlab.aws import cost
from emrlab.aws.prices import PriceBook, load_prices

pytestmark = pytest.mark.timeout(30)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
REGION = "us-east-1"
AZ = "us-east-1a"


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return load_prices()


def _rate(book: PriceBook, kind: str) -> float:
    ec2, emr = book.ec2_on_demand(REGION, kind), book.emr_uplift(REGION, kind)
    assert ec2 is not None and emr is not None, f"the snapshot must price {kind} in {REGION}"
    return ec2 + emr


def _gp3(book: PriceBook) -> float:
    per_month = book.ebs_gb_month(REGION, "gp3")
    assert per_month is not None
    return per_month


def _instance(
    iid: str, kind: str, market: str, start: datetime, end: datetime | None = None, **extra: Any
) -> dict[str, Any]:
    timeline: dict[str, Any] = {"CreationDateTime": start, "ReadyDateTime": start + timedelta(minutes=5)}
    if end is not None:
        timeline["EndDateTime"] = end
    state = "TERMINATED" if end else "RUNNING"
    return {
        "Id": f"ci-{iid}",
        "Ec2InstanceId": f"i-{iid}",
        "InstanceType": kind,
        "Market": market,
        "Status": {"State": state, "Timeline": timeline},
        **extra,
    }


def _flat_spot(kind: str, price: float, since: datetime) -> cost.SpotPrices:
    return cost.SpotPrices.from_history(
        [
            {
                "AvailabilityZone": AZ,
                "InstanceType": kind,
                "ProductDescription": "Linux/UNIX",
                "SpotPrice": f"{price:.6f}",
                "Timestamp": since,
            }
        ]
    )


def test_worked_example_burns_about_0_806_per_hour(book: PriceBook) -> None:
    """cost.md: 1 x m5.xlarge on-demand + 2 x r5.2xlarge Spot at $0.15 with 64 GB gp3 each ~= $0.806/h."""
    start = NOW - timedelta(hours=2)
    instances = [
        _instance("m", "m5.xlarge", "ON_DEMAND", start, InstanceGroupId="ig-master"),
        _instance("c1", "r5.2xlarge", "SPOT", start, InstanceGroupId="ig-core"),
        _instance("c2", "r5.2xlarge", "SPOT", start, InstanceGroupId="ig-core"),
    ]
    usages = cost.usages_from_instances(
        instances, ebs_by_volume={}, ebs_by_group={"ig-core": {"gp3": 64.0}}, root_gb=0, az=AZ
    )
    spot = _flat_spot("r5.2xlarge", 0.15, NOW - timedelta(days=1))
    figures = cost.cluster_cost(usages, region=REGION, prices=book, now=NOW, spot=spot)

    r5_emr = book.emr_uplift(REGION, "r5.2xlarge")
    assert r5_emr is not None
    expected = _rate(book, "m5.xlarge") + 2 * (0.15 + r5_emr + 64 * _gp3(book) / 730)
    assert figures.per_hour == pytest.approx(expected)
    assert figures.per_hour == pytest.approx(0.806, abs=0.0015)
    assert figures.so_far == pytest.approx(expected * 2)
    split = figures.split
    assert split.ec2 + split.emr + split.ebs == pytest.approx(figures.so_far)
    assert split.ebs == pytest.approx(2 * 64 * _gp3(book) / 730 * 2)
    assert figures.unpriced == () and figures.snapshot_date == book.snapshot_date
    json_form = figures.to_json()
    assert json_form["estimate"] is True and json_form["split"]["ebs"] == round(split.ebs, 6)


def test_one_minute_minimum_per_instance(book: PriceBook) -> None:
    start = NOW - timedelta(seconds=10)
    usages = cost.usages_from_instances(
        [_instance("a", "m5.xlarge", "ON_DEMAND", start, end=start + timedelta(seconds=5))],
        ebs_by_volume={},
        ebs_by_group={},
        root_gb=0,
        az=AZ,
    )
    figures = cost.cluster_cost(usages, region=REGION, prices=book, now=NOW)
    assert figures.so_far == pytest.approx(_rate(book, "m5.xlarge") * 60 / 3600)


def test_terminated_instances_count_for_so_far_not_burn(book: PriceBook) -> None:
    start = NOW - timedelta(hours=3)
    instances = [
        _instance("live", "m5.xlarge", "ON_DEMAND", start),
        _instance("gone", "r5.2xlarge", "ON_DEMAND", start, end=start + timedelta(hours=1)),
    ]
    usages = cost.usages_from_instances(instances, ebs_by_volume={}, ebs_by_group={}, root_gb=15, az=AZ)
    figures = cost.cluster_cost(usages, region=REGION, prices=book, now=NOW)
    gp2 = book.ebs_gb_month(REGION, "gp2")
    assert gp2 is not None
    root = 15 * gp2 / 730
    assert figures.per_hour == pytest.approx(_rate(book, "m5.xlarge") + root)
    assert figures.so_far == pytest.approx(
        (_rate(book, "m5.xlarge") + root) * 3 + (_rate(book, "r5.2xlarge") + root) * 1
    )


def test_projection_until_idle_timeout(book: PriceBook) -> None:
    usages = cost.usages_from_instances(
        [_instance("a", "m5.xlarge", "ON_DEMAND", NOW - timedelta(hours=1))],
        ebs_by_volume={},
        ebs_by_group={},
        root_gb=0,
        az=AZ,
    )
    figures = cost.cluster_cost(usages, region=REGION, prices=book, now=NOW, idle_seconds_left=1800)
    assert figures.projected == pytest.approx(_rate(book, "m5.xlarge") / 2)
    assert cost.cluster_cost(usages, region=REGION, prices=book, now=NOW).projected is None


def test_unpriced_type_gives_no_price_never_a_guess(book: PriceBook) -> None:
    kind = "x9z.97xlarge"
    assert book.ec2_on_demand(REGION, kind) is None
    instances = [
        _instance("a", "m5.xlarge", "ON_DEMAND", NOW - timedelta(hours=1)),
        _instance("b", kind, "ON_DEMAND", NOW - timedelta(hours=1)),
    ]
    usages = cost.usages_from_instances(instances, ebs_by_volume={}, ebs_by_group={}, root_gb=0, az=AZ)
    figures = cost.cluster_cost(usages, region=REGION, prices=book, now=NOW, idle_seconds_left=600)
    assert figures.so_far is None and figures.per_hour is None and figures.projected is None
    assert figures.unpriced == (kind,)
    assert figures.to_json()["unpriced"] == [kind]


def test_terminated_unpriced_instance_leaves_burn_priced(book: PriceBook) -> None:
    instances = [
        _instance("a", "m5.xlarge", "ON_DEMAND", NOW - timedelta(hours=1)),
        _instance("b", "x9z.97xlarge", "ON_DEMAND", NOW - timedelta(hours=2), end=NOW - timedelta(hours=1)),
    ]
    usages = cost.usages_from_instances(instances, ebs_by_volume={}, ebs_by_group={}, root_gb=0, az=AZ)
    figures = cost.cluster_cost(usages, region=REGION, prices=book, now=NOW)
    assert figures.so_far is None
    assert figures.per_hour == pytest.approx(_rate(book, "m5.xlarge"))


def test_spot_without_history_is_unpriced(book: PriceBook) -> None:
    usages = cost.usages_from_instances(
        [_instance("s", "r5.2xlarge", "SPOT", NOW - timedelta(hours=1), BidPrice="0.30")],
        ebs_by_volume={},
        ebs_by_group={},
        root_gb=0,
        az=AZ,
    )
    for spot in (None, cost.SpotPrices.from_history([])):
        figures = cost.cluster_cost(usages, region=REGION, prices=book, now=NOW, spot=spot)
        assert figures.so_far is None and figures.per_hour is None
        assert figures.unpriced == ("r5.2xlarge",)


def test_spot_time_weighting_with_a_mid_run_price_change(book: PriceBook) -> None:
    start = NOW - timedelta(hours=4)
    history = [  # any order, other products and AZs ignored
        {
            "AvailabilityZone": AZ,
            "InstanceType": "r5.2xlarge",
            "ProductDescription": "Linux/UNIX",
            "SpotPrice": "0.200000",
            "Timestamp": NOW - timedelta(hours=1),
        },
        {
            "AvailabilityZone": AZ,
            "InstanceType": "r5.2xlarge",
            "ProductDescription": "Linux/UNIX",
            "SpotPrice": "0.100000",
            "Timestamp": start - timedelta(days=3),
        },
        {
            "AvailabilityZone": AZ,
            "InstanceType": "r5.2xlarge",
            "ProductDescription": "Windows",
            "SpotPrice": "9.000000",
            "Timestamp": start,
        },
        {
            "AvailabilityZone": "us-east-1b",
            "InstanceType": "r5.2xlarge",
            "ProductDescription": "Linux/UNIX",
            "SpotPrice": "5.000000",
            "Timestamp": start,
        },
    ]
    spot = cost.SpotPrices.from_history(history)
    assert spot.average(AZ, "r5.2xlarge", start, NOW) == pytest.approx((0.1 * 3 + 0.2 * 1) / 4)
    # an interval with no change inside uses the latest earlier price
    assert spot.average(AZ, "r5.2xlarge", start, start + timedelta(hours=1)) == pytest.approx(0.1)
    assert spot.average(AZ, "r5.2xlarge", start - timedelta(days=10), start - timedelta(days=9)) is None
    usages = cost.usages_from_instances(
        [_instance("s", "r5.2xlarge", "SPOT", start)], ebs_by_volume={}, ebs_by_group={}, root_gb=0, az=AZ
    )
    figures = cost.cluster_cost(usages, region=REGION, prices=book, now=NOW, spot=spot)
    r5_emr = book.emr_uplift(REGION, "r5.2xlarge")
    assert r5_emr is not None
    assert figures.split.ec2 == pytest.approx(0.1 * 3 + 0.2 * 1)
    assert figures.so_far == pytest.approx(0.5 + r5_emr * 4)
    assert figures.per_hour == pytest.approx(0.2 + r5_emr)  # burn uses the price now


def test_ebs_from_volumes_when_all_known_else_from_group(book: PriceBook) -> None:
    volumes = [{"Device": "/dev/sdb", "VolumeId": "vol-1"}, {"Device": "/dev/sdc", "VolumeId": "vol-2"}]
    known = cost.usages_from_instances(
        [_instance("a", "m5.xlarge", "ON_DEMAND", NOW, EbsVolumes=volumes, InstanceGroupId="ig-1")],
        ebs_by_volume={"vol-1": ("gp3", 32.0), "vol-2": ("gp3", 32.0)},
        ebs_by_group={"ig-1": {"gp2": 500.0}},
        root_gb=15,
        az=AZ,
    )
    assert dict(known[0].ebs_gb) == {"gp3": 64.0, "gp2": 15.0}
    partial = cost.usages_from_instances(
        [_instance("a", "m5.xlarge", "ON_DEMAND", NOW, EbsVolumes=volumes, InstanceGroupId="ig-1")],
        ebs_by_volume={"vol-1": ("gp3", 32.0)},
        ebs_by_group={"ig-1": {"gp2": 500.0}},
        root_gb=15,
        az=AZ,
    )
    assert dict(partial[0].ebs_gb) == {"gp2": 515.0}
    assert (
        cost.usages_from_instances(
            [{"Id": "ci-x", "Status": {}}], ebs_by_volume={}, ebs_by_group={}, root_gb=15, az=AZ
        )
        == []
    )


def test_unknown_ebs_type_is_listed_unpriced(book: PriceBook) -> None:
    assert book.ebs_gb_month(REGION, "io9") is None
    usage = cost.InstanceUsage(
        "i-1", "m5.xlarge", "ON_DEMAND", AZ, NOW - timedelta(hours=1), None, {"io9": 100.0}
    )
    figures = cost.cluster_cost([usage], region=REGION, prices=book, now=NOW)
    assert figures.so_far is None and figures.unpriced == ("EBS io9",)


def test_injected_now_drives_so_far(book: PriceBook) -> None:
    usage = cost.InstanceUsage("i-1", "m5.xlarge", "ON_DEMAND", AZ, NOW, None, {})
    one = cost.cluster_cost([usage], region=REGION, prices=book, now=NOW + timedelta(hours=1)).so_far
    two = cost.cluster_cost([usage], region=REGION, prices=book, now=NOW + timedelta(hours=2)).so_far
    assert one is not None and two is not None and two == pytest.approx(2 * one)
    naive = cost.cluster_cost(
        [usage], region=REGION, prices=book, now=(NOW + timedelta(hours=1)).replace(tzinfo=None)
    )
    assert naive.so_far == pytest.approx(one)


# ---------------------------------------------------------------------------------------------- Serverless


def _job_run(**extra: Any) -> dict[str, Any]:
    run: dict[str, Any] = {
        "applicationId": "00f1",
        "jobRunId": "00r1",
        "state": "SUCCESS",
        "createdAt": NOW - timedelta(hours=1),
        "updatedAt": NOW,
    }
    run.update(extra)
    return run


def test_serverless_billed_cost_10_vcpu_hours_40_gb_hours(book: PriceBook) -> None:
    """cost.md: 10 vCPU-h + 40 GB-h = $0.757 in us-east-1 on X86_64."""
    rates = book.serverless(REGION, "X86_64")
    assert rates is not None
    run = _job_run(
        totalExecutionDurationSeconds=1800,
        billedResourceUtilization={"vCPUHour": 10.0, "memoryGBHour": 40.0, "storageGBHour": 0.0},
        totalResourceUtilization={"vCPUHour": 5.0, "memoryGBHour": 20.0, "storageGBHour": 0.0},
    )
    figures = cost.job_run_cost(run, architecture="X86_64", region=REGION, prices=book, now=NOW)
    assert figures.billed == pytest.approx(10 * rates.vcpu_hour + 40 * rates.gb_hour)
    assert figures.billed == pytest.approx(0.757, abs=0.0005)
    assert figures.used == pytest.approx(figures.billed / 2)
    assert figures.efficiency == pytest.approx(0.5)
    assert figures.estimate is False and figures.elapsed_seconds == 1800
    assert figures.to_json()["billed"] == round(figures.billed, 6)


def test_serverless_arm64_uses_its_own_rates(tmp_path: Path, book: PriceBook) -> None:
    """The packaged snapshot has no sourced ARM64 rates, so ARM64 runs show no price; a snapshot that has them
    (written here, its source marked as test data) prices them with the ARM64 rates, not the x86 ones."""
    run = _job_run(
        totalExecutionDurationSeconds=60,
        billedResourceUtilization={"vCPUHour": 10.0, "memoryGBHour": 40.0, "storageGBHour": 5.0},
    )
    if book.serverless(REGION, "ARM64") is None:
        assert (
            cost.job_run_cost(run, architecture="ARM64", region=REGION, prices=book, now=NOW).billed is None
        )
    data = json.loads(json.dumps(book.data))
    data["sources"].append(
        {"id": "test", "title": "test data", "url": "https://example.invalid/", "retrieved": "2026-12-01"}
    )
    data["regions"][REGION]["serverless"]["ARM64"] = {
        "vcpu_hour": 0.04,
        "gb_hour": 0.004,
        "storage_gb_hour": 0.0001,
        "source": "test",
    }
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    arm_book = load_prices(path)
    arm = cost.job_run_cost(run, architecture="ARM64", region=REGION, prices=arm_book, now=NOW)
    x86 = cost.job_run_cost(run, architecture="X86_64", region=REGION, prices=arm_book, now=NOW)
    assert arm.billed == pytest.approx(10 * 0.04 + 40 * 0.004 + 5 * 0.0001)
    assert x86.billed is not None and arm.billed < x86.billed


def test_running_job_is_an_estimate_with_elapsed_time(book: PriceBook) -> None:
    run = _job_run(state="RUNNING", startedAt=NOW - timedelta(minutes=10))
    figures = cost.job_run_cost(run, architecture="X86_64", region=REGION, prices=book, now=NOW)
    assert figures.estimate is True and figures.elapsed_seconds == pytest.approx(600)
    assert figures.billed is None and figures.efficiency is None
    later = cost.job_run_cost(
        run, architecture="X86_64", region=REGION, prices=book, now=NOW + timedelta(minutes=5)
    )
    assert later.elapsed_seconds == pytest.approx(900)


def test_unpriced_region_job_has_no_price(book: PriceBook) -> None:
    run = _job_run(totalExecutionDurationSeconds=60, billedResourceUtilization={"vCPUHour": 1.0})
    assert (
        cost.job_run_cost(run, architecture="X86_64", region="mars-north-1", prices=book, now=NOW).billed
        is None
    )


def _application(state: str = "STARTED", architecture: str = "X86_64") -> dict[str, Any]:
    return {
        "applicationId": "00f1",
        "name": "adhoc",
        "state": state,
        "architecture": architecture,
        "initialCapacity": {
            "DRIVER": {
                "workerCount": 1,
                "workerConfiguration": {"cpu": "4 vCPU", "memory": "16 GB", "disk": "20 GB"},
            },
            "EXECUTOR": {
                "workerCount": 2,
                "workerConfiguration": {"cpu": "4vCPU", "memory": "30GB", "disk": "100 GB"},
            },
        },
    }


def test_warm_pool_burn_of_a_started_application(book: PriceBook) -> None:
    rates = book.serverless(REGION, "X86_64")
    assert rates is not None
    burn = cost.application_burn(_application(), region=REGION, prices=book)
    expected = (4 * rates.vcpu_hour + 16 * rates.gb_hour) + 2 * (
        4 * rates.vcpu_hour + 30 * rates.gb_hour + 80 * rates.storage_gb_hour
    )
    assert burn == pytest.approx(expected)
    assert cost.application_burn(_application("STOPPED"), region=REGION, prices=book) == 0.0
    assert cost.application_burn(_application(), region="mars-north-1", prices=book) is None


def test_worker_size_strings() -> None:
    assert cost.parse_quantity("4 vCPU") == 4
    assert cost.parse_quantity("16 GB") == 16
    assert cost.parse_quantity("20GB") == 20
    assert cost.parse_quantity("512 MB") == 0.5
    with pytest.raises(ValueError, match="worker size"):
        cost.parse_quantity("lots")
