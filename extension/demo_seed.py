"""The sample AWS account of `emrlab lab --demo`: EMR clusters, EMR Serverless applications and job runs,
created through boto3 in whatever endpoint the session points at (moto's server in the demo).

Everything is named and sized like a small data team's account, so the panel shows what it shows for real:
running and terminated clusters, on-demand and Spot groups, an instance type without a sourced price, a
warm Serverless pool that burns money and a stopped one that does not, and job runs in several states.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

HOME_REGION = "us-east-1"
# one region: moto's EMR (server mode) answers every region with the same clusters
REGIONS = (HOME_REGION,)
EXECUTION_ROLE = "arn:aws:iam::123456789012:role/emrlab-demo-job"


@dataclass(frozen=True)
class Group:
    """One instance group of a seeded cluster."""

    role: str  # MASTER | CORE | TASK
    instance_type: str
    count: int
    spot_bid: str | None = None


@dataclass(frozen=True)
class ClusterSpec:
    """A seeded EMR cluster; `connectable` clusters get a Livy endpoint override to the local endpoint."""

    name: str
    region: str
    groups: tuple[Group, ...]
    tags: dict[str, str] = field(default_factory=dict)
    release: str = "emr-7.1.0"
    terminated: bool = False
    connectable: bool = True


@dataclass(frozen=True)
class ApplicationSpec:
    """A seeded EMR Serverless application and how many job runs it gets."""

    name: str
    region: str
    warm_workers: int = 0  # pre-initialised DRIVER workers (4 vCPU, 16 GB): a STARTED pool burns them
    started: bool = False
    job_runs: int = 0


CLUSTERS: tuple[ClusterSpec, ...] = (
    ClusterSpec(
        "analytics-prod",
        HOME_REGION,
        (Group("MASTER", "m5.xlarge", 1), Group("CORE", "r5.2xlarge", 4)),
        {"team": "analytics", "env": "prod"},
    ),
    ClusterSpec(
        "ml-training",
        HOME_REGION,
        (
            Group("MASTER", "m5.xlarge", 1),
            Group("CORE", "r5.2xlarge", 2),
            Group("TASK", "r5.2xlarge", 6, spot_bid="0.30"),
        ),
        {"team": "ml"},
    ),
    ClusterSpec(
        "etl-nightly",
        HOME_REGION,
        (Group("MASTER", "m5.xlarge", 1), Group("CORE", "m5.xlarge", 3)),
        {"team": "data-eng", "schedule": "nightly"},
        release="emr-6.15.0",
    ),
    ClusterSpec(
        "adhoc-gpu",
        HOME_REGION,
        (Group("MASTER", "m5.xlarge", 1), Group("CORE", "g5.2xlarge", 1)),
        {"team": "ml", "owner": "sam"},
    ),
    ClusterSpec(
        "reporting",
        HOME_REGION,
        (Group("MASTER", "m5.xlarge", 1), Group("CORE", "m5.xlarge", 2)),
        {"team": "finance"},
        connectable=False,
    ),
    ClusterSpec(
        "backfill-2026-11",
        HOME_REGION,
        (Group("MASTER", "m5.xlarge", 1), Group("CORE", "r5.2xlarge", 8)),
        {"team": "data-eng"},
        terminated=True,
        connectable=False,
    ),
)

APPLICATIONS: tuple[ApplicationSpec, ...] = (
    ApplicationSpec("interactive-analytics", HOME_REGION, warm_workers=2, started=True, job_runs=3),
    ApplicationSpec("nightly-batch", HOME_REGION, job_runs=4),
    ApplicationSpec("reports", HOME_REGION, job_runs=1),
)


@dataclass
class Seeded:
    """What was created: cluster ids by name, the running ones to connect, application ids by name."""

    clusters: dict[str, str] = field(default_factory=dict)
    connectable: list[str] = field(default_factory=list)
    applications: dict[str, str] = field(default_factory=dict)


def _instance_group(group: Group) -> dict[str, Any]:
    made: dict[str, Any] = {
        "Name": group.role.lower(),
        "InstanceRole": group.role,
        "InstanceType": group.instance_type,
        "InstanceCount": group.count,
        "Market": "SPOT" if group.spot_bid else "ON_DEMAND",
    }
    if group.spot_bid:
        made["BidPrice"] = group.spot_bid
    return made


def create_cluster(emr: Any, spec: ClusterSpec) -> str:
    """RunJobFlow for `spec` (Spark, Livy, JupyterEnterpriseGateway; kept alive with no steps)."""
    answer = emr.run_job_flow(
        Name=spec.name,
        ReleaseLabel=spec.release,
        Applications=[{"Name": name} for name in ("Spark", "Livy", "JupyterEnterpriseGateway")],
        Instances={
            "InstanceGroups": [_instance_group(group) for group in spec.groups],
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        VisibleToAllUsers=True,
        Tags=[{"Key": key, "Value": value} for key, value in spec.tags.items()],
    )
    cluster_id = str(answer["JobFlowId"])
    if spec.terminated:
        emr.terminate_job_flows(JobFlowIds=[cluster_id])
    return cluster_id


def create_application(api: Any, spec: ApplicationSpec) -> str:
    """CreateApplication (Livy endpoint on), its job runs, then the state `spec` asks for."""
    request: dict[str, Any] = {
        "name": spec.name,
        "releaseLabel": "emr-7.1.0",
        "type": "SPARK",
        "interactiveConfiguration": {"livyEndpointEnabled": True, "studioEnabled": True},
        "autoStopConfiguration": {"enabled": True, "idleTimeoutMinutes": 15},
    }
    if spec.warm_workers:
        request["initialCapacity"] = {
            "DRIVER": {
                "workerCount": spec.warm_workers,
                "workerConfiguration": {"cpu": "4 vCPU", "memory": "16 GB", "disk": "20 GB"},
            }
        }
    app_id = str(api.create_application(**request)["applicationId"])
    for number in range(spec.job_runs):
        api.start_job_run(
            applicationId=app_id,
            name=f"{spec.name}-run-{number + 1}",
            executionRoleArn=EXECUTION_ROLE,
            jobDriver={"sparkSubmit": {"entryPoint": f"s3://emrlab-demo/jobs/{spec.name}.py"}},
        )
    if spec.started:
        api.start_application(applicationId=app_id)
    else:
        api.stop_application(applicationId=app_id)  # moto creates applications STARTED
    return app_id


def seed(
    client_for: Callable[[str, str], Any],
    clusters: Sequence[ClusterSpec] = CLUSTERS,
    applications: Sequence[ApplicationSpec] = APPLICATIONS,
) -> Seeded:
    """Create the sample account; `client_for(service, region)` gives a boto3 client."""
    seeded = Seeded()
    for spec in clusters:
        cluster_id = create_cluster(client_for("emr", spec.region), spec)
        seeded.clusters[spec.name] = cluster_id
        if spec.connectable and not spec.terminated:
            seeded.connectable.append(cluster_id)
    for app in applications:
        seeded.applications[app.name] = create_application(client_for("emr-serverless", app.region), app)
    return seeded
