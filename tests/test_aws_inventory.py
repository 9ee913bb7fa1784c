"""emrlab.aws.inventory on moto's server over real HTTP (`aws_env`), with an injected `now`.

moto lacks some calls and shapes; only those are stubbed, each test saying which:
- GetAutoTerminationPolicy (moto answers 500): a botocore `before-call` handler on that one operation of the
  real moto client (what botocore's Stubber does internally, for one operation instead of a whole client);
- ListInstanceFleets and non-zero Serverless utilisation: botocore Stubber on that service's client, the
  other services (EC2, CloudWatch, STS) still on moto.
Expected money is computed from the price snapshot (PriceBook lookups) and the formulas of cost.md, not
copied from the code under test.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aws_fixtures import REGION, stubbed
from botocore.awsrequest import AWSResponse

from emrlab.aws import inventory
from emrlab.aws.cache import SessionPool, TTLCache
from emrlab.aws.errors import AccessDenied, NoCredentials, NotFound
from emrlab.aws.prices import load_prices
from emrlab.aws.session import boto_session, client

pytestmark = pytest.mark.timeout(120)
HOUR = 3600.0
ROOT_GB = 15.0


def counting_pool(counts: Counter[str], extra: list[tuple[str, Any]] | None = None) -> SessionPool:
    """A SessionPool whose clients count every AWS call by operation name (botocore `before-call`)."""

    def count(model: Any, **_: Any) -> None:
        counts[model.name] += 1

    return SessionPool(hooks=[("before-call", count), *(extra or [])])


def auto_termination(idle_timeout: int) -> tuple[str, Callable[..., Any]]:
    """moto has no GetAutoTerminationPolicy: answer it (only it) with `idle_timeout` seconds."""

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("", 200, {}, None), {"AutoTerminationPolicy": {"IdleTimeout": idle_timeout}}

    return ("before-call.emr.GetAutoTerminationPolicy", answer)


def run_cluster(emr: Any, name: str, *, spot_core: bool = False, tags: dict[str, str] | None = None) -> str:
    core: dict[str, Any] = {
        "Name": "core",
        "InstanceRole": "CORE",
        "InstanceType": "r5.2xlarge",
        "InstanceCount": 2,
        "EbsConfiguration": {
            "EbsBlockDeviceConfigs": [
                {"VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": 64}, "VolumesPerInstance": 1}
            ]
        },
    }
    if spot_core:
        core.update(Market="SPOT", BidPrice="0.30")
    answer = emr.run_job_flow(
        Name=name,
        ReleaseLabel="emr-7.1.0",
        Applications=[{"Name": "Spark"}, {"Name": "Livy"}],
        Instances={
            "InstanceGroups": [
                {
                    "Name": "primary",
                    "InstanceRole": "MASTER",
                    "InstanceType": "m5.xlarge",
                    "InstanceCount": 1,
                },
                core,
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
            "Placement": {"AvailabilityZone": f"{REGION}a"},
        },
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )
    return str(answer["JobFlowId"])


def created(emr: Any, cluster_id: str) -> datetime:
    return emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["Timeline"]["CreationDateTime"]  # type: ignore[no-any-return]


def on_demand_rate(book: Any, instance_type: str, ebs: dict[str, float]) -> float:
    """USD/h of one on-demand instance: EC2 + EMR uplift + EBS GB x $/GB-month / 730."""
    ebs_rate = sum(gb * book.ebs_gb_month(REGION, kind) / 730.0 for kind, gb in ebs.items())
    return book.ec2_on_demand(REGION, instance_type) + book.emr_uplift(REGION, instance_type) + ebs_rate


@pytest.fixture
def emr(aws_env: str) -> Any:
    return client(boto_session(REGION), "emr")


def test_list_rows_are_costed_with_one_list_instances_per_cluster(emr: Any) -> None:
    first = run_cluster(emr, "etl-daily")
    second = run_cluster(emr, "adhoc")
    emr.terminate_job_flows(JobFlowIds=[second])
    now = created(emr, first) + timedelta(hours=2)
    counts: Counter[str] = Counter()
    answer = inventory.list_clusters(counting_pool(counts), regions=[REGION], now=now)

    assert [c["id"] for c in answer["clusters"]] == [first]  # ACTIVE by default
    row = answer["clusters"][0]
    assert row["state"] == "WAITING" and row["region"] == REGION and row["instance_count"] == 3
    assert row["uptime_seconds"] == pytest.approx(2 * HOUR, abs=1)
    book = load_prices()
    # moto lists each instance's root volume (8 GB gp2) in ListInstances; EMR's root_gb is added on top
    primary = on_demand_rate(book, "m5.xlarge", {"gp2": 8 + ROOT_GB})
    core = on_demand_rate(book, "r5.2xlarge", {"gp2": 8 + ROOT_GB})
    assert row["cost"]["per_hour"] == pytest.approx(primary + 2 * core, rel=1e-4)
    assert row["cost"]["so_far"] == pytest.approx(2 * (primary + 2 * core), rel=1e-3)
    assert row["cost"]["estimate"] is True and row["cost"]["snapshot_date"] == book.snapshot_date
    assert answer["totals"]["count"] == 1 and answer["totals"]["per_hour"] == pytest.approx(
        row["cost"]["per_hour"]
    )
    assert answer["account"]["account_id"] == "123456789012"
    assert counts["ListInstances"] == 1 and counts["ListClusters"] == 1
    assert counts["DescribeCluster"] == 0 and counts["ListInstanceGroups"] == 0

    everything = inventory.list_clusters(counting_pool(Counter()), regions=[REGION], states="ALL", now=now)
    assert {c["id"] for c in everything["clusters"]} == {first, second}
    ended = next(c for c in everything["clusters"] if c["id"] == second)
    assert ended["state"] == "TERMINATED" and ended["ended"] and ended["cost"]["per_hour"] == 0.0
    assert ended["idle_seconds"] is None
    named = inventory.list_clusters(counting_pool(Counter()), regions=[REGION], name="ETL", now=now)
    assert [c["id"] for c in named["clusters"]] == [first]


def test_cold_list_of_many_clusters_batches_ec2_and_cloudwatch(emr: Any) -> None:
    ids = [run_cluster(emr, f"c{n}", spot_core=n % 2 == 0) for n in range(6)]
    counts: Counter[str] = Counter()
    answer = inventory.list_clusters(
        counting_pool(counts), regions=[REGION], now=created(emr, ids[0]) + timedelta(hours=1)
    )
    assert len(answer["clusters"]) == 6
    assert counts == Counter(
        ListClusters=1, ListInstances=6, DescribeVolumes=1, DescribeSpotPriceHistory=1, GetMetricData=1,
        GetCallerIdentity=1,
    )  # fmt: skip
    assert all(c["cost"]["per_hour"] is not None for c in answer["clusters"])


def test_spot_instances_are_priced_from_spot_history(emr: Any) -> None:
    cluster_id = run_cluster(emr, "spotty", spot_core=True)
    now = created(emr, cluster_id) + timedelta(hours=1)
    ec2 = client(boto_session(REGION), "ec2")
    history = ec2.describe_spot_price_history(InstanceTypes=["r5.2xlarge"])["SpotPriceHistory"]
    spot = next(float(h["SpotPrice"]) for h in history if h["AvailabilityZone"] == f"{REGION}a")
    row = inventory.list_clusters(counting_pool(Counter()), regions=[REGION], now=now)["clusters"][0]
    book = load_prices()
    ebs = (8 + ROOT_GB) * book.ebs_gb_month(REGION, "gp2") / 730.0
    core = spot + book.emr_uplift(REGION, "r5.2xlarge") + ebs
    primary = on_demand_rate(book, "m5.xlarge", {"gp2": 8 + ROOT_GB})
    assert row["cost"]["per_hour"] == pytest.approx(primary + 2 * core, rel=1e-4)


def test_idle_seconds_come_from_the_trailing_is_idle_datapoints(emr: Any) -> None:
    cluster_id = run_cluster(emr, "sleepy")
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    watch = client(boto_session(REGION), "cloudwatch")
    for minutes, value in ((20, 0.0), (15, 1.0), (10, 1.0), (5, 1.0)):
        watch.put_metric_data(
            Namespace="AWS/ElasticMapReduce",
            MetricData=[
                {
                    "MetricName": "IsIdle",
                    "Dimensions": [{"Name": "JobFlowId", "Value": cluster_id}],
                    "Timestamp": now - timedelta(minutes=minutes),
                    "Value": value,
                }
            ],
        )
    row = inventory.list_clusters(counting_pool(Counter()), regions=[REGION], now=now)["clusters"][0]
    assert row["idle_seconds"] == pytest.approx(15 * 60)


class WestStubbed(SessionPool):
    """us-west-2 answered by a Stubber-wrapped EMR client: moto's server files every EMR call under one
    region when reached through a single AWS_ENDPOINT_URL. Other services and us-east-1 stay on moto."""

    def __init__(self, west: Any) -> None:
        super().__init__()
        self.west = west

    def session(self, region: str) -> Any:
        return self.west if region == "us-west-2" else super().session(region)


def test_pages_carry_a_marker_per_region(emr: Any) -> None:
    ids = {run_cluster(emr, f"bulk{n}") for n in range(52)}
    west, stub = stubbed("emr")
    west.region_name = "us-west-2"
    started = datetime(2026, 11, 30, tzinfo=timezone.utc)
    far = {
        "Id": "j-WEST",
        "Name": "far-away",
        "Status": {"State": "WAITING", "Timeline": {"CreationDateTime": started}},
    }
    stub.add_response("list_clusters", {"Clusters": [far]})
    stub.add_response("list_instances", {"Instances": []}, {"ClusterId": "j-WEST"})
    pool = WestStubbed(west)
    with stub:
        first = inventory.list_clusters(pool, regions=[REGION, "us-west-2"])
    assert first["next_page"] and len(first["clusters"]) == 51  # 50 (one EMR page) + 1
    assert {c["region"] for c in first["clusters"]} == {REGION, "us-west-2"}
    second = inventory.list_clusters(pool, regions=[REGION, "us-west-2"], page=first["next_page"])
    assert second["next_page"] is None and {c["region"] for c in second["clusters"]} == {REGION}
    seen = {c["id"] for c in first["clusters"] + second["clusters"]}
    assert seen == ids | {"j-WEST"}
    with pytest.raises(inventory.InvalidRequest, match="other filters"):
        inventory.list_clusters(pool, regions=[REGION, "us-west-2"], name="bulk", page=first["next_page"])
    with pytest.raises(inventory.InvalidRequest, match="not valid"):
        inventory.list_clusters(pool, regions=[REGION], page="garbage!")
    with pytest.raises(inventory.InvalidRequest, match="unknown state"):
        inventory.list_clusters(pool, regions=[REGION], states="SLEEPING")


def test_cluster_detail_groups_links_tags_and_projection(emr: Any) -> None:
    """GetAutoTerminationPolicy is answered by a before-call handler (moto lacks it)."""
    cluster_id = run_cluster(emr, "etl", spot_core=True, tags={"team": "data"})
    now = created(emr, cluster_id) + timedelta(minutes=30)
    counts: Counter[str] = Counter()
    pool = counting_pool(counts, [auto_termination(3600)])
    detail = inventory.cluster_detail(pool, cluster_id, region=REGION, now=now)["cluster"]
    assert detail["tags"] == {"team": "data"} and detail["collection"] == "INSTANCE_GROUP"
    assert {a["name"] for a in detail["applications"]} == {"Spark", "Livy"}
    roles = {g["role"]: g for g in detail["groups"]}
    assert roles["CORE"]["market"] == "SPOT" and roles["CORE"]["ebs_gb"] == 64.0
    assert roles["CORE"]["running"] == 2 and roles["MASTER"]["instance_types"] == ["m5.xlarge"]
    total = sum(g["per_hour"] for g in detail["groups"])
    assert total == pytest.approx(detail["cost"]["per_hour"], rel=1e-6)
    assert detail["auto_termination_idle_seconds"] == 3600.0
    # no IsIdle datapoints: the whole idle timeout is still ahead
    assert detail["cost"]["projected"] == pytest.approx(detail["cost"]["per_hour"], rel=1e-6)
    dns = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["MasterPublicDnsName"]
    assert detail["links"]["spark_history"] == f"http://{dns}:18080/"
    assert detail["links"]["yarn"].startswith(f"http://{dns}:8088")
    assert cluster_id in detail["links"]["console"]
    assert detail["connect"] == f"%emr connect --cluster {cluster_id} --region {REGION}"
    assert counts["DescribeCluster"] == 1 and counts["ListInstanceGroups"] == 1


def test_cluster_detail_without_an_auto_termination_answer_has_no_projection(emr: Any) -> None:
    cluster_id = run_cluster(emr, "etl")
    answer = inventory.cluster_detail(SessionPool(), cluster_id, region=REGION)
    assert answer["cluster"]["auto_termination_idle_seconds"] is None
    assert answer["cluster"]["cost"]["projected"] is None
    assert any("auto-termination" in w for w in answer["warnings"])


def test_fleet_cluster_detail(aws_env: str) -> None:
    """ListInstanceFleets and a fleet cluster: Stubber on EMR (moto lacks fleets); EC2/CloudWatch on moto."""
    session, stub = stubbed("emr")
    start = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
    now = start + timedelta(hours=3)
    cluster = {
        "Id": "j-FLEET",
        "Name": "fleet",
        "Status": {"State": "RUNNING", "Timeline": {"CreationDateTime": start}},
        "InstanceCollectionType": "INSTANCE_FLEET",
        "Ec2InstanceAttributes": {"Ec2AvailabilityZone": f"{REGION}b"},
        "Applications": [{"Name": "Spark", "Version": "3.5.0"}],
        "MasterPublicDnsName": "ec2-1-2-3-4.compute-1.amazonaws.com",
        "EbsRootVolumeSize": 20,
    }
    fleet = {
        "Id": "if-CORE",
        "Name": "core",
        "InstanceFleetType": "CORE",
        "TargetOnDemandCapacity": 2,
        "TargetSpotCapacity": 0,
        "ProvisionedOnDemandCapacity": 2,
        "ProvisionedSpotCapacity": 0,
        "InstanceTypeSpecifications": [
            {
                "InstanceType": "m5.xlarge",
                "EbsBlockDevices": [{"VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": 32}}],
            }
        ],
    }
    instances = [
        {
            "Id": f"ci-{n}",
            "Ec2InstanceId": f"i-{n}",
            "InstanceFleetId": "if-CORE",
            "Market": "ON_DEMAND",
            "InstanceType": "m5.xlarge",
            "EbsVolumes": [{"VolumeId": f"vol-gone{n}", "Device": "/dev/sdb"}],
            "Status": {"State": "RUNNING", "Timeline": {"CreationDateTime": start}},
        }
        for n in range(2)
    ]
    stub.add_response("describe_cluster", {"Cluster": cluster}, {"ClusterId": "j-FLEET"})
    stub.add_response("list_instance_fleets", {"InstanceFleets": [fleet]}, {"ClusterId": "j-FLEET"})
    stub.add_response("list_instances", {"Instances": instances}, {"ClusterId": "j-FLEET"})
    stub.add_response("get_auto_termination_policy", {}, {"ClusterId": "j-FLEET"})
    with stub:
        detail = inventory.cluster_detail(session, "j-FLEET", region=REGION, now=now)["cluster"]
    stub.assert_no_pending_responses()
    book = load_prices()
    # the volumes are unknown to EC2: EBS comes from the fleet's EbsBlockDevices, plus the 20 GB gp2 root
    rate = on_demand_rate(book, "m5.xlarge", {"gp3": 32, "gp2": 20})
    assert detail["collection"] == "INSTANCE_FLEET"
    group = detail["groups"][0]
    assert group["role"] == "CORE" and group["requested"] == 2 and group["ebs_gb"] == 32.0
    assert detail["cost"]["so_far"] == pytest.approx(2 * rate * 3, rel=1e-4)
    assert detail["uptime_seconds"] == 3 * HOUR and detail["auto_termination_idle_seconds"] is None


def test_serverless_list_prices_only_started_warm_pools(aws_env: str) -> None:
    api = client(boto_session(REGION), "emr-serverless")
    capacity = {
        "DRIVER": {
            "workerCount": 2,
            "workerConfiguration": {"cpu": "4 vCPU", "memory": "16 GB", "disk": "20 GB"},
        }
    }
    warm = api.create_application(
        name="adhoc", releaseLabel="emr-7.1.0", type="SPARK", initialCapacity=capacity
    )
    cold = api.create_application(name="nightly", releaseLabel="emr-7.1.0", type="SPARK")
    api.start_application(applicationId=warm["applicationId"])
    api.stop_application(applicationId=cold["applicationId"])  # moto creates applications STARTED
    counts: Counter[str] = Counter()
    answer = inventory.list_applications(counting_pool(counts), regions=[REGION])
    rows = {a["id"]: a for a in answer["applications"]}
    rates = load_prices().serverless(REGION, "X86_64")
    assert rows[warm["applicationId"]]["cost"]["per_hour"] == pytest.approx(
        2 * (4 * rates.vcpu_hour + 16 * rates.gb_hour)
    )
    assert rows[cold["applicationId"]]["cost"]["per_hour"] == 0.0
    assert rows[cold["applicationId"]]["livy"] is None
    assert counts["GetApplication"] == 1 and counts["ListApplications"] == 1
    assert answer["totals"] == {
        "per_hour": pytest.approx(rows[warm["applicationId"]]["cost"]["per_hour"]),
        "count": 2,
    }
    assert [
        a["name"]
        for a in inventory.list_applications(SessionPool(), regions=[REGION], name="night")["applications"]
    ] == ["nightly"]

    result = inventory.stop_application(SessionPool(), warm["applicationId"], region=REGION)
    assert result["state"] == "STOPPED"
    assert api.get_application(applicationId=warm["applicationId"])["application"]["state"] == "STOPPED"


def test_serverless_detail_bills_each_job_run(aws_env: str) -> None:
    """Non-zero billed utilisation: Stubber on EMR Serverless (moto reports zero)."""
    session, stub = stubbed("emr-serverless")
    created_at = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    app = {
        "applicationId": "00app",
        "name": "adhoc",
        "arn": "arn:aws:emr-serverless:us-east-1:123456789012:/applications/00app",
        "releaseLabel": "emr-7.1.0",
        "type": "Spark",
        "state": "STOPPED",
        "createdAt": created_at,
        "updatedAt": created_at,
        "architecture": "X86_64",
        "autoStopConfiguration": {"enabled": True, "idleTimeoutMinutes": 15},
    }
    run = {
        "applicationId": "00app",
        "jobRunId": "00run",
        "arn": "arn:aws:emr-serverless:us-east-1:123456789012:/applications/00app/jobruns/00run",
        "createdBy": "arn:aws:iam::123456789012:user/me",
        "createdAt": created_at,
        "updatedAt": created_at,
        "executionRole": "arn:aws:iam::1:role/job",
        "state": "SUCCESS",
        "stateDetails": "done",
        "releaseLabel": "emr-7.1.0",
        "jobDriver": {"sparkSubmit": {"entryPoint": "s3://b/x.py"}},
        "totalExecutionDurationSeconds": 600,
        "billedResourceUtilization": {"vCPUHour": 10.0, "memoryGBHour": 40.0, "storageGBHour": 0.0},
        "totalResourceUtilization": {"vCPUHour": 5.0, "memoryGBHour": 20.0, "storageGBHour": 0.0},
    }
    listed = {
        key: run[key]
        for key in (
            "applicationId",
            "arn",
            "createdBy",
            "createdAt",
            "updatedAt",
            "executionRole",
            "state",
            "stateDetails",
            "releaseLabel",
        )
    }
    listed["id"] = "00run"
    stub.add_response("get_application", {"application": app}, {"applicationId": "00app"})
    stub.add_response("list_job_runs", {"jobRuns": [listed]}, {"applicationId": "00app", "maxResults": 20})
    stub.add_response("get_job_run", {"jobRun": run}, {"applicationId": "00app", "jobRunId": "00run"})
    with stub:
        detail = inventory.application_detail(
            session, "00app", region=REGION, now=created_at + timedelta(hours=1)
        )
    rates = load_prices().serverless(REGION, "X86_64")
    job = detail["application"]["job_runs"][0]
    assert job["cost"]["billed"] == pytest.approx(10 * rates.vcpu_hour + 40 * rates.gb_hour)
    assert job["cost"]["efficiency"] == pytest.approx(0.5) and job["cost"]["estimate"] is False
    assert detail["application"]["auto_stop_idle_minutes"] == 15
    assert detail["application"]["connect"] == (
        "%emr connect --serverless 00app --region us-east-1 --execution-role arn:aws:iam::1:role/job --start"
    )


def test_terminate_changes_moto_state_and_unknown_ids_are_not_found(emr: Any) -> None:
    cluster_id = run_cluster(emr, "doomed")
    assert inventory.terminate_cluster(SessionPool(), cluster_id, region=REGION)["state"].startswith(
        "TERMINAT"
    )
    assert emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"].startswith("TERMINAT")
    with pytest.raises(NotFound):
        inventory.terminate_cluster(SessionPool(), "j-NOSUCHCLUSTER", region=REGION)


def test_access_denied_names_the_action(aws_env: str) -> None:
    """An IAM refusal: Stubber on EMR (moto does not enforce IAM by default)."""
    session, stub = stubbed("emr")
    stub.add_client_error("list_clusters", "AccessDeniedException", "not authorized", 400)
    with stub, pytest.raises(AccessDenied) as caught:
        inventory.list_clusters(session, regions=[REGION])
    assert caught.value.action == "elasticmapreduce:ListClusters"


def test_no_credentials(aws_env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(NoCredentials, match="aws configure"):
        inventory.list_clusters(SessionPool(), regions=[REGION])


def test_ttl_cache_shares_one_fetch_and_honours_refresh_and_ttl() -> None:
    clock = [0.0]
    cache = TTLCache(30.0, clock=lambda: clock[0])
    calls: list[int] = []
    gate = threading.Event()

    def slow() -> int:
        calls.append(1)
        gate.wait(10)
        return len(calls)

    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(5)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and {r.value for r in results} == {1}
    assert cache.get("k", slow).cached is True and len(calls) == 1
    assert cache.get("k", slow, refresh=True).value == 2
    clock[0] = 31.0
    assert cache.get("k", slow).cached is False and len(calls) == 3

    def broken() -> int:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cache.get("e", broken)
    assert cache.get("e", lambda: 7).value == 7  # errors are not cached
