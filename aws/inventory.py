"""What the panel and `%emr cost` show: EMR clusters and EMR Serverless applications with their cost, as
plain JSON-able dicts shaped like the HTTP API (CONTRACTS.md section 4), over one or several regions.

`session` is a `emrlab.aws.cache.SessionPool` (one cached client set per region: what the server uses), or
any boto3 Session (then other regions get new sessions of the same profile). Errors are emrlab.aws.errors
(NoCredentials, AccessDenied, Throttled, NotFound, AwsError) or InvalidRequest for bad filters and tokens.
Call counts are documented in inventory_clusters / inventory_serverless; `now` is injectable everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from emrlab.aws import inventory_clusters, inventory_serverless
from emrlab.aws.errors import aws_errors
from emrlab.aws.inventory_common import (
    InvalidRequest,
    account_id,
    decode_page,
    default_regions,
    encode_page,
    filter_key,
    iso,
    name_matches,
    parse_states,
    prices_block,
    regional,
    utcnow,
)
from emrlab.aws.session import client

__all__ = [
    "InvalidRequest",
    "application_detail",
    "cluster_detail",
    "list_applications",
    "list_clusters",
    "stop_application",
    "terminate_cluster",
]


def _book(prices: Any) -> Any:
    if prices is not None:
        return prices
    from emrlab.aws.prices import load_prices

    return load_prices()


def _account(session: Any, regions: Sequence[str], profile: str | None) -> dict[str, Any]:
    first = regional(session, regions[0])
    return {"regions": list(regions), "profile": profile, "account_id": account_id(first)}


def _profile(session: Any, profile: str | None) -> str | None:
    return (
        profile
        if profile is not None
        else getattr(session, "profile", getattr(session, "profile_name", None))
    )


def list_clusters(
    session: Any,
    *,
    regions: Sequence[str] | None = None,
    states: str | Sequence[str] | None = "ACTIVE",
    name: str | None = None,
    page: str | None = None,
    now: datetime | None = None,
    prices: Any = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """One page of clusters over `regions` (one ListClusters page per region), every row costed.

    `states`: ACTIVE (default), ALL or a comma list of EMR states; `name`: case-insensitive substring
    (applied to the page ListClusters returned, so a page may hold fewer rows than AWS's 50 per region);
    `page`: the previous answer's `next_page`."""
    now = now or utcnow()
    book = _book(prices)
    chosen = default_regions(session, regions)
    wanted = parse_states(states, inventory_clusters.ALL_STATES, inventory_clusters.ACTIVE_STATES)
    key = filter_key("clusters", wanted, name or "", chosen)
    markers = decode_page(page, chosen, key)
    clusters: list[dict[str, Any]] = []
    warnings: list[str] = []
    following: dict[str, str] = {}
    for region, marker in markers.items():
        regional_session = regional(session, region)
        request: dict[str, Any] = {"ClusterStates": wanted} if wanted else {}
        if marker:
            request["Marker"] = marker
        with aws_errors("elasticmapreduce:ListClusters", f"region {region}"):
            answer = client(regional_session, "emr").list_clusters(**request)
        if answer.get("Marker"):
            following[region] = str(answer["Marker"])
        listed = [c for c in answer.get("Clusters", []) if name_matches(str(c.get("Name", "")), name)]
        clusters += inventory_clusters.rows(
            regional_session, listed, region=region, now=now, book=book, warnings=warnings
        )
    priced = [c["cost"] for c in clusters]
    return {
        "account": _account(session, chosen, _profile(session, profile)),
        "prices": prices_block(book),
        "clusters": clusters,
        "next_page": encode_page(following, key),
        "totals": {
            "per_hour": round(sum(c["per_hour"] or 0.0 for c in priced), 6),
            "so_far": round(sum(c["so_far"] or 0.0 for c in priced), 6),
            "count": len(clusters),
        },
        "warnings": warnings,
        "fetched_at": iso(now),
        "cached": False,
    }


def cluster_detail(
    session: Any,
    cluster_id: str,
    *,
    region: str | None = None,
    now: datetime | None = None,
    prices: Any = None,
) -> dict[str, Any]:
    """`{"cluster": {...}, "prices": {...}}` for one cluster (groups or fleets, links, connect, cost)."""
    now = now or utcnow()
    book = _book(prices)
    where = default_regions(session, [region] if region else None)[0]
    row, warnings = inventory_clusters.detail(
        regional(session, where), cluster_id, region=where, now=now, book=book
    )
    return {
        "cluster": row,
        "prices": prices_block(book),
        "warnings": warnings,
        "fetched_at": iso(now),
        "cached": False,
    }


def list_applications(
    session: Any,
    *,
    regions: Sequence[str] | None = None,
    states: str | Sequence[str] | None = "ACTIVE",
    name: str | None = None,
    page: str | None = None,
    now: datetime | None = None,
    prices: Any = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """One page of EMR Serverless applications over `regions`, with the warm-pool $/h of STARTED ones."""
    now = now or utcnow()
    book = _book(prices)
    chosen = default_regions(session, regions)
    wanted = parse_states(states, inventory_serverless.ALL_STATES, inventory_serverless.ACTIVE_STATES)
    key = filter_key("applications", wanted, name or "", chosen)
    markers = decode_page(page, chosen, key)
    apps: list[dict[str, Any]] = []
    following: dict[str, str] = {}
    for region, marker in markers.items():
        regional_session = regional(session, region)
        request: dict[str, Any] = {"maxResults": 50}
        if wanted:
            request["states"] = wanted
        if marker:
            request["nextToken"] = marker
        with aws_errors("emr-serverless:ListApplications", f"region {region}"):
            answer = client(regional_session, "emr-serverless").list_applications(**request)
        if answer.get("nextToken"):
            following[region] = str(answer["nextToken"])
        listed = [a for a in answer.get("applications", []) if name_matches(str(a.get("name", "")), name)]
        apps += inventory_serverless.rows(regional_session, listed, region=region, now=now, book=book)
    return {
        "account": _account(session, chosen, _profile(session, profile)),
        "prices": prices_block(book),
        "applications": apps,
        "next_page": encode_page(following, key),
        "totals": {"per_hour": round(sum(a["cost"]["per_hour"] or 0.0 for a in apps), 6), "count": len(apps)},
        "warnings": [],
        "fetched_at": iso(now),
        "cached": False,
    }


def application_detail(
    session: Any, app_id: str, *, region: str | None = None, now: datetime | None = None, prices: Any = None
) -> dict[str, Any]:
    """`{"application": {...}, "prices": {...}}`: capacity, auto-stop, recent job runs with billed cost."""
    now = now or utcnow()
    book = _book(prices)
    where = default_regions(session, [region] if region else None)[0]
    row = inventory_serverless.detail(regional(session, where), app_id, region=where, now=now, book=book)
    return {"application": row, "prices": prices_block(book), "fetched_at": iso(now), "cached": False}


def terminate_cluster(session: Any, cluster_id: str, *, region: str | None = None) -> dict[str, Any]:
    """TerminateJobFlows for one cluster (NotFound first if it does not exist); returns its new state."""
    where = default_regions(session, [region] if region else None)[0]
    emr = client(regional(session, where), "emr")
    with aws_errors("elasticmapreduce:DescribeCluster", f"cluster {cluster_id}"):
        emr.describe_cluster(ClusterId=cluster_id)
    with aws_errors("elasticmapreduce:TerminateJobFlows", f"cluster {cluster_id}"):
        emr.terminate_job_flows(JobFlowIds=[cluster_id])
    with aws_errors("elasticmapreduce:DescribeCluster", f"cluster {cluster_id}"):
        state = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]
    return {"id": cluster_id, "region": where, "state": str(state)}


def stop_application(session: Any, app_id: str, *, region: str | None = None) -> dict[str, Any]:
    """StopApplication for one EMR Serverless application; returns its new state."""
    where = default_regions(session, [region] if region else None)[0]
    api = client(regional(session, where), "emr-serverless")
    with aws_errors("emr-serverless:StopApplication", f"application {app_id}"):
        api.stop_application(applicationId=app_id)
    state = inventory_serverless.get_application(api, app_id)["state"]
    return {"id": app_id, "region": where, "state": str(state)}
