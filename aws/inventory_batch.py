"""The batched calls behind a page of cluster rows (one per region and page, not one per cluster): EC2
DescribeVolumes by volume-id filter, one DescribeSpotPriceHistory for the Spot (AZ, type) pairs, CloudWatch
GetMetricData for IsIdle of up to 500 clusters. An IAM refusal of any of them is a warning, not an error:
the rows are still listed with what is known (see emrlab.aws.inventory_clusters)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from emrlab.aws import cost
from emrlab.aws.errors import AccessDenied, aws_errors
from emrlab.aws.session import client

VOLUME_IDS_PER_CALL = 200  # EC2 filter value limit
METRIC_QUERIES_PER_CALL = 500  # GetMetricData limit
IDLE_LOOKBACK = timedelta(hours=12)  # 144 five-minute points x 500 clusters stays under 100,800 datapoints
IDLE_PERIOD = 300
SPOT_PRODUCTS = ["Linux/UNIX", "Linux/UNIX (Amazon VPC)"]

Volumes = dict[str, tuple[str, float, str]]  # volume id -> (type, GB, AZ)


def ended(instance: Mapping[str, Any]) -> bool:
    """Whether a ListInstances entry has an EndDateTime."""
    return bool(instance.get("Status", {}).get("Timeline", {}).get("EndDateTime"))


def volumes(session: Any, instances: Sequence[Mapping[str, Any]], warnings: list[str]) -> Volumes:
    """DescribeVolumes (volume-id filter, 200 ids a call) for the EBS volumes of the live instances."""
    ids = sorted({v["VolumeId"] for i in instances if not ended(i) for v in i.get("EbsVolumes", [])})
    found: Volumes = {}
    if not ids:
        return found
    ec2 = client(session, "ec2")
    try:
        for start in range(0, len(ids), VOLUME_IDS_PER_CALL):
            chunk = ids[start : start + VOLUME_IDS_PER_CALL]
            with aws_errors("ec2:DescribeVolumes"):
                pages = ec2.get_paginator("describe_volumes").paginate(
                    Filters=[{"Name": "volume-id", "Values": chunk}]
                )
                for page in pages:
                    for volume in page.get("Volumes", []):
                        found[str(volume["VolumeId"])] = (
                            str(volume.get("VolumeType", "gp2")),
                            float(volume.get("Size", 0)),
                            str(volume.get("AvailabilityZone", "")),
                        )
    except AccessDenied as error:
        warnings.append(f"EBS volumes unknown ({error}); EBS cost counts the root volume only.")
    return found


def spot_prices(
    session: Any,
    pairs: set[tuple[str | None, str]],
    start: datetime | None,
    now: datetime,
    warnings: list[str],
) -> cost.SpotPrices | None:
    """One paginated DescribeSpotPriceHistory for the (AZ, instance type) pairs of Spot instances."""
    if not pairs or start is None:
        return None
    request: dict[str, Any] = {
        "InstanceTypes": sorted({kind for _, kind in pairs}),
        "ProductDescriptions": SPOT_PRODUCTS,
        "StartTime": start,
        "EndTime": now,
    }
    zones = {az for az, _ in pairs}
    if None not in zones:
        request["Filters"] = [{"Name": "availability-zone", "Values": sorted(str(z) for z in zones)}]
    history: list[dict[str, Any]] = []
    try:
        with aws_errors("ec2:DescribeSpotPriceHistory"):
            for page in (
                client(session, "ec2").get_paginator("describe_spot_price_history").paginate(**request)
            ):
                history.extend(page.get("SpotPriceHistory", []))
    except AccessDenied as error:
        warnings.append(f"Spot prices unknown ({error}); Spot instances show no price.")
        return None
    return cost.SpotPrices.from_history(history)


def idle_seconds(
    session: Any, cluster_ids: Sequence[str], now: datetime, warnings: list[str]
) -> dict[str, float]:
    """Seconds each cluster has been idle (trailing IsIdle=1 datapoints) from GetMetricData, 500 a call;
    clusters without datapoints are absent."""
    result: dict[str, float] = {}
    if not cluster_ids:
        return result
    watch = client(session, "cloudwatch")
    try:
        for start in range(0, len(cluster_ids), METRIC_QUERIES_PER_CALL):
            chunk = list(cluster_ids[start : start + METRIC_QUERIES_PER_CALL])
            queries = [
                {
                    "Id": f"q{n}",
                    "ReturnData": True,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/ElasticMapReduce",
                            "MetricName": "IsIdle",
                            "Dimensions": [{"Name": "JobFlowId", "Value": cluster_id}],
                        },
                        "Period": IDLE_PERIOD,
                        "Stat": "Maximum",
                    },
                }
                for n, cluster_id in enumerate(chunk)
            ]
            series: dict[str, list[tuple[datetime, float]]] = {}
            with aws_errors("cloudwatch:GetMetricData"):
                pages = watch.get_paginator("get_metric_data").paginate(
                    MetricDataQueries=queries,
                    StartTime=now - IDLE_LOOKBACK,
                    EndTime=now,
                    ScanBy="TimestampDescending",
                )
                for page in pages:
                    for item in page.get("MetricDataResults", []):
                        points = series.setdefault(str(item["Id"]), [])
                        points.extend(zip(item.get("Timestamps", []), item.get("Values", []), strict=False))
            for n, cluster_id in enumerate(chunk):
                idle = _trailing_idle(series.get(f"q{n}", []), now)
                if idle is not None:
                    result[cluster_id] = idle
    except AccessDenied as error:
        warnings.append(f"idle time unknown ({error}).")
    return result


def _trailing_idle(points: list[tuple[datetime, float]], now: datetime) -> float | None:
    if not points:
        return None
    ordered = sorted(points, key=lambda p: p[0], reverse=True)
    if ordered[0][1] < 1:
        return 0.0
    earliest = ordered[0][0]
    for stamp, value in ordered:
        if value < 1:
            break
        earliest = stamp
    return max(0.0, (now - earliest).total_seconds())
