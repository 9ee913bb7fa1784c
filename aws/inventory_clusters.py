"""EMR-on-EC2 clusters for the panel: list rows with cost, and the detail of one cluster.

A page of N clusters costs ListClusters (one page per region) + ONE ListInstances per cluster (in a few
threads) + batched calls per region: EC2 DescribeVolumes with volume-id filters (<= 200 ids a call) for the
live instances' volumes (their type and size, and the instances' AZ: a volume lives in its instance's AZ,
so no DescribeInstances), one paginated DescribeSpotPriceHistory for the set of (AZ, type) pairs of Spot
instances, one CloudWatch GetMetricData for IsIdle of up to 500 active clusters.

Fallbacks (emrlab.aws.inventory_batch; an IAM refusal adds a line to the response's `warnings`):
DescribeVolumes denied, or a volume already gone -> the groups' EbsBlockDevices when known (detail), plus
the root volume; spot history denied -> Spot instances have no price (cost null, type listed as unpriced);
GetMetricData denied or no datapoints -> idle_seconds null. GetAutoTerminationPolicy (detail only) is
optional: when it fails, auto_termination_idle_seconds and the projection are null.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.config import Config

from emrlab.aws import cost
from emrlab.aws.errors import AwsError, aws_errors
from emrlab.aws.inventory_batch import Volumes, idle_seconds, spot_prices, volumes
from emrlab.aws.inventory_common import console_base, iso, parallel, seconds_between
from emrlab.aws.session import client

ACTIVE_STATES = ("STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING")
ALL_STATES = (*ACTIVE_STATES, "TERMINATED", "TERMINATED_WITH_ERRORS")
LIVE_STATES = frozenset({"STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"})
DEFAULT_ROOT_GB = 15.0  # EMR's default EbsRootVolumeSize
# The auto-termination policy only feeds the projection: a failing call must not hold the detail up.
OPTIONAL_CALL = Config(retries={"mode": "adaptive", "total_max_attempts": 2})


def list_instances(emr: Any, cluster_id: str) -> list[dict[str, Any]]:
    """Every instance of the cluster, terminated ones included (paginated ListInstances)."""
    found: list[dict[str, Any]] = []
    with aws_errors("elasticmapreduce:ListInstances", f"cluster {cluster_id}"):
        for page in emr.get_paginator("list_instances").paginate(ClusterId=cluster_id):
            found.extend(page.get("Instances", []))
    return found


def close_instances(cluster: Mapping[str, Any], instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A terminated cluster's instances end when it did, at the latest (moto leaves EndDateTime out)."""
    status = cluster.get("Status", {})
    ended = status.get("Timeline", {}).get("EndDateTime")
    if ended is None or status.get("State") not in ("TERMINATED", "TERMINATED_WITH_ERRORS"):
        return instances
    closed = []
    for instance in instances:
        if _ended(instance):
            closed.append(instance)
            continue
        status = dict(instance.get("Status", {}))
        status["Timeline"] = {**status.get("Timeline", {}), "EndDateTime": ended}
        closed.append({**instance, "Status": status})
    return closed


def _ended(instance: Mapping[str, Any]) -> bool:
    return bool(instance.get("Status", {}).get("Timeline", {}).get("EndDateTime"))


def zone_of(instances: Sequence[Mapping[str, Any]], found: Volumes) -> str | None:
    """The AZ of the cluster's instances, read off their volumes."""
    for instance in instances:
        for volume in instance.get("EbsVolumes", []):
            known = found.get(str(volume.get("VolumeId")))
            if known and known[2]:
                return known[2]
    return None


def usages(
    instances: Sequence[Mapping[str, Any]],
    found: Volumes,
    *,
    az: str | None,
    root_gb: float = DEFAULT_ROOT_GB,
    by_group: Mapping[str, Mapping[str, float]] | None = None,
) -> list[cost.InstanceUsage]:
    """InstanceUsage records of the cost model (EBS from the volumes found, else the groups')."""
    return cost.usages_from_instances(
        instances,
        ebs_by_volume={vid: (kind, size) for vid, (kind, size, _) in found.items()},
        ebs_by_group=by_group or {},
        root_gb=root_gb,
        az=az,
    )


def spot_pairs(
    instances: Sequence[Mapping[str, Any]], az: str | None
) -> tuple[set[tuple[str | None, str]], Any]:
    """(AZ, type) pairs of the Spot instances and their earliest creation time."""
    pairs: set[tuple[str | None, str]] = set()
    earliest = None
    for instance in instances:
        if instance.get("Market") == "SPOT":
            pairs.add((az, str(instance.get("InstanceType"))))
            created = instance.get("Status", {}).get("Timeline", {}).get("CreationDateTime")
            if created is not None and (earliest is None or created < earliest):
                earliest = created
    return pairs, earliest


def summary(
    cluster: Mapping[str, Any],
    *,
    region: str,
    now: datetime,
    instances: Sequence[Mapping[str, Any]],
    figures: cost.ClusterCost,
    idle: float | None,
) -> dict[str, Any]:
    """The list row of section 4 from a ListClusters (or DescribeCluster) entry."""
    status = cluster.get("Status", {})
    timeline = status.get("Timeline", {})
    reason = status.get("StateChangeReason") or {}
    created, ended = timeline.get("CreationDateTime"), timeline.get("EndDateTime")
    return {
        "id": cluster["Id"],
        "name": cluster.get("Name", ""),
        "region": region,
        "state": status.get("State", "UNKNOWN"),
        "state_reason": str(reason.get("Message") or reason.get("Code") or ""),
        "created": iso(created),
        "ready": iso(timeline.get("ReadyDateTime")),
        "ended": iso(ended),
        "uptime_seconds": seconds_between(created, ended or now),
        "idle_seconds": idle,
        "instance_count": sum(1 for i in instances if not _ended(i)),
        "release": cluster.get("ReleaseLabel"),
        "cost": figures.to_json(),
    }


def rows(
    session: Any,
    clusters: Sequence[Mapping[str, Any]],
    *,
    region: str,
    now: datetime,
    book: Any,
    warnings: list[str],
) -> list[dict[str, Any]]:
    """Costed list rows for ListClusters entries of one region, with the batched calls described above."""
    emr = client(session, "emr")
    per_cluster = parallel(lambda c: close_instances(c, list_instances(emr, str(c["Id"]))), list(clusters))
    everything = [i for listed in per_cluster for i in listed]
    found = volumes(session, everything, warnings)
    zones = [zone_of(listed, found) for listed in per_cluster]
    pairs: set[tuple[str | None, str]] = set()
    starts = []
    for listed, az in zip(per_cluster, zones, strict=True):
        more, first = spot_pairs(listed, az)
        pairs |= more
        if first is not None:
            starts.append(first)
    spot = spot_prices(session, pairs, min(starts) if starts else None, now, warnings)
    live = [str(c["Id"]) for c in clusters if c.get("Status", {}).get("State") in LIVE_STATES]
    idle = idle_seconds(session, live, now, warnings)
    made = []
    for cluster, listed, az in zip(clusters, per_cluster, zones, strict=True):
        figures = cost.cluster_cost(
            usages(listed, found, az=az), region=region, prices=book, now=now, spot=spot
        )
        made.append(
            summary(
                cluster,
                region=region,
                now=now,
                instances=listed,
                figures=figures,
                idle=idle.get(cluster["Id"]),
            )
        )
    return made


def _groups(emr: Any, cluster_id: str, collection: str) -> list[dict[str, Any]]:
    name, key, action = (
        ("list_instance_fleets", "InstanceFleets", "ListInstanceFleets")
        if collection == "INSTANCE_FLEET"
        else ("list_instance_groups", "InstanceGroups", "ListInstanceGroups")
    )
    found: list[dict[str, Any]] = []
    with aws_errors(f"elasticmapreduce:{action}", f"cluster {cluster_id}"):
        for page in emr.get_paginator(name).paginate(ClusterId=cluster_id):
            found.extend(page.get(key, []))
    return found


def _ebs_per_instance(devices: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    per_type: dict[str, float] = {}
    for device in devices:
        spec = device.get("VolumeSpecification", {})
        kind = str(spec.get("VolumeType", "gp2"))
        per_type[kind] = per_type.get(kind, 0.0) + float(spec.get("SizeInGB", 0))
    return per_type


def _auto_termination(session: Any, cluster_id: str, warnings: list[str]) -> float | None:
    emr = client(session, "emr", config=OPTIONAL_CALL)
    try:
        with aws_errors("elasticmapreduce:GetAutoTerminationPolicy", f"cluster {cluster_id}"):
            policy = emr.get_auto_termination_policy(ClusterId=cluster_id).get("AutoTerminationPolicy") or {}
    except AwsError as error:
        warnings.append(f"auto-termination policy unknown ({error}); no projection.")
        return None
    timeout = policy.get("IdleTimeout")
    return float(timeout) if timeout is not None else None


def _links(cluster: Mapping[str, Any], region: str) -> dict[str, str | None]:
    dns = cluster.get("MasterPublicDnsName")
    live = cluster.get("Status", {}).get("State") in LIVE_STATES
    apps = {str(a.get("Name", "")).lower() for a in cluster.get("Applications", [])}
    base = f"http://{dns}" if dns and live else None
    spark = base is not None and "spark" in apps
    return {
        "spark_history": f"{base}:18080/" if spark else None,
        "spark_ui": f"{base}:8088/cluster/apps/RUNNING" if spark else None,  # each app's Spark UI via YARN
        "yarn": f"{base}:8088/cluster" if base else None,
        "console": f"{console_base(region)}#/clusterDetails/{cluster['Id']}",
    }


def detail(
    session: Any, cluster_id: str, *, region: str, now: datetime, book: Any
) -> tuple[dict[str, Any], list[str]]:
    """The detail object of section 4 (DescribeCluster, groups or fleets, instances, auto-termination)."""
    warnings: list[str] = []
    emr = client(session, "emr")
    with aws_errors("elasticmapreduce:DescribeCluster", f"cluster {cluster_id}"):
        cluster = dict(emr.describe_cluster(ClusterId=cluster_id)["Cluster"])
    collection = str(cluster.get("InstanceCollectionType") or "INSTANCE_GROUP")
    groups = _groups(emr, cluster_id, collection)
    instances = close_instances(cluster, list_instances(emr, cluster_id))
    state = cluster.get("Status", {}).get("State")
    policy = _auto_termination(session, cluster_id, warnings) if state in LIVE_STATES else None
    found = volumes(session, instances, warnings)
    az = (cluster.get("Ec2InstanceAttributes") or {}).get("Ec2AvailabilityZone") or zone_of(instances, found)
    pairs, first = spot_pairs(instances, az)
    spot = spot_prices(session, pairs, first, now, warnings)
    idle = idle_seconds(session, [cluster_id] if state in LIVE_STATES else [], now, warnings).get(cluster_id)
    by_group: dict[str, dict[str, float]] = {}
    for group in groups:
        devices = group.get("EbsBlockDevices")
        if devices is None:  # a fleet: the per-type specs (the largest EBS among them)
            specs = group.get("InstanceTypeSpecifications", [])
            options = [_ebs_per_instance(s.get("EbsBlockDevices", [])) for s in specs] or [{}]
            by_group[str(group["Id"])] = max(options, key=lambda o: sum(o.values()))
        else:
            by_group[str(group["Id"])] = _ebs_per_instance(devices)
    root_gb = float(cluster.get("EbsRootVolumeSize") or DEFAULT_ROOT_GB)
    left = None
    if state == "WAITING" and policy is not None:
        left = max(0.0, policy - (idle or 0.0))
    all_usages = usages(instances, found, az=az, root_gb=root_gb, by_group=by_group)
    figures = cost.cluster_cost(
        all_usages, region=region, prices=book, now=now, spot=spot, idle_seconds_left=left
    )
    row = summary(cluster, region=region, now=now, instances=instances, figures=figures, idle=idle)
    row.update(
        applications=[
            {"name": a.get("Name"), "version": a.get("Version")} for a in cluster.get("Applications", [])
        ],
        tags={str(t["Key"]): str(t.get("Value", "")) for t in cluster.get("Tags", [])},
        collection=collection,
        auto_termination_idle_seconds=policy,
        groups=[
            _group_row(g, instances, found, az, root_gb, by_group, region, now, book, spot) for g in groups
        ],
        links=_links(cluster, region),
        connect=f"%emr connect --cluster {cluster_id} --region {region}",
    )
    return row, warnings


def _group_row(
    group: Mapping[str, Any],
    instances: Sequence[Mapping[str, Any]],
    found: Volumes,
    az: str | None,
    root_gb: float,
    by_group: Mapping[str, Mapping[str, float]],
    region: str,
    now: datetime,
    book: Any,
    spot: cost.SpotPrices | None,
) -> dict[str, Any]:
    gid = str(group["Id"])
    mine = [i for i in instances if gid in (i.get("InstanceGroupId"), i.get("InstanceFleetId"))]
    running = [i for i in mine if not _ended(i)]
    burn = cost.cluster_cost(
        usages(running, found, az=az, root_gb=root_gb, by_group=by_group),
        region=region,
        prices=book,
        now=now,
        spot=spot,
    ).per_hour
    if "InstanceFleetType" in group:
        specs = group.get("InstanceTypeSpecifications", [])
        markets = [str(i.get("Market")) for i in running]
        spot_count = markets.count("SPOT")
        market = "SPOT" if spot_count and spot_count >= len(markets) - spot_count else "ON_DEMAND"
        if not markets:
            market = (
                "SPOT"
                if group.get("TargetSpotCapacity") and not group.get("TargetOnDemandCapacity")
                else "ON_DEMAND"
            )
        return {
            "id": gid,
            "name": group.get("Name", ""),
            "role": group.get("InstanceFleetType"),
            "market": market,
            "instance_types": [str(s.get("InstanceType")) for s in specs],
            "requested": int(group.get("TargetOnDemandCapacity", 0))
            + int(group.get("TargetSpotCapacity", 0)),
            "running": int(group.get("ProvisionedOnDemandCapacity", 0))
            + int(group.get("ProvisionedSpotCapacity", 0)),
            "ebs_gb": sum(by_group.get(gid, {}).values()),
            "per_hour": burn,
        }
    return {
        "id": gid,
        "name": group.get("Name", ""),
        "role": group.get("InstanceGroupType"),
        "market": group.get("Market", "ON_DEMAND"),
        "instance_types": [str(group.get("InstanceType"))],
        "requested": int(group.get("RequestedInstanceCount", 0)),
        "running": int(group.get("RunningInstanceCount", 0)),
        "ebs_gb": sum(by_group.get(gid, {}).values()),
        "per_hour": burn,
    }
