"""Helpers for the emrlab.aws tests: moto-backed clusters, a recording TCP probe, fast backoff, and a
session whose client for one service is wrapped in botocore's Stubber (for shapes moto lacks).

The moto server itself is conftest's session-scoped `moto_server`; `aws_env` resets it per test and points
boto3 at it (AWS_ENDPOINT_URL, fake credentials)."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.stub import Stubber

from emrlab.aws.session import CLIENT_CONFIG, boto_session
from emrlab.aws.waiting import Backoff

REGION = "us-east-1"
MASTER_SG = "sg-0a1b2c3d4e5f60789"
FAST = Backoff(initial=0.01, factor=1.5, maximum=0.05)


@functools.lru_cache(maxsize=1)
def session() -> Any:
    """A boto3 session made by emrlab (AWS_ENDPOINT_URL, set by conftest's `aws_env`, sends it to moto).

    Cached: loading service models is the slow part, and every test sees the same fake credentials."""
    return boto_session(REGION)


class PartlyStubbed:
    """A boto3 Session stand-in: clients of the services in `stubbed` are the given (Stubber-wrapped)
    clients; every other service gets a real client of `real` (so S3 still goes to moto over HTTP)."""

    def __init__(self, real: Any, stubbed: dict[str, Any]) -> None:
        self._real = real
        self._stubbed = stubbed
        self.region_name = real.region_name

    def client(self, name: str, **kwargs: Any) -> Any:
        if name in self._stubbed:
            return self._stubbed[name]
        return self._real.client(name, **kwargs)


def stubbed(service: str) -> tuple[PartlyStubbed, Stubber]:
    """A PartlyStubbed session whose `service` client is wrapped in an (inactive) Stubber."""
    real = boto_session(REGION)
    api = real.client(service, config=CLIENT_CONFIG)
    return PartlyStubbed(real, {service: api}), Stubber(api)


@dataclass
class RecordingProbe:
    """A TCP probe stand-in: answers True for hosts in `reachable`, records every (host, port, timeout)."""

    reachable: set[str] = field(default_factory=set)
    calls: list[tuple[str, int, float]] = field(default_factory=list)

    def __call__(self, host: str, port: int, timeout: float) -> bool:
        self.calls.append((host, port, timeout))
        return host in self.reachable


def create_cluster(
    emr: Any,
    *,
    name: str = "analytics",
    release: str = "emr-7.1.0",
    applications: Sequence[str] = ("Spark", "Livy"),
    configurations: list[dict[str, Any]] | None = None,
    security_configuration: str | None = None,
    log_uri: str | None = None,
) -> str:
    """RunJobFlow on moto with one MASTER instance group; returns the cluster id."""
    request: dict[str, Any] = {
        "Name": name,
        "ReleaseLabel": release,
        "Applications": [{"Name": app} for app in applications],
        "Instances": {
            "InstanceGroups": [
                {
                    "Name": "primary",
                    "InstanceRole": "MASTER",
                    "InstanceType": "m5.xlarge",
                    "InstanceCount": 1,
                },
                {"Name": "core", "InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 2},
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
            "EmrManagedMasterSecurityGroup": MASTER_SG,
        },
        "JobFlowRole": "EMR_EC2_DefaultRole",
        "ServiceRole": "EMR_DefaultRole",
    }
    if configurations is not None:
        request["Configurations"] = configurations
    if security_configuration is not None:
        request["SecurityConfiguration"] = security_configuration
    if log_uri is not None:
        request["LogUri"] = log_uri
    return str(emr.run_job_flow(**request)["JobFlowId"])


def security_configuration(emr: Any, name: str, *, in_transit: bool) -> str:
    """CreateSecurityConfiguration on moto with in-transit encryption on or off; returns its name."""
    document = {
        "EncryptionConfiguration": {
            "EnableInTransitEncryption": in_transit,
            "EnableAtRestEncryption": False,
            "InTransitEncryptionConfiguration": {
                "TLSCertificateConfiguration": {
                    "CertificateProviderType": "PEM",
                    "S3Object": "s3://certs/c.zip",
                }
            },
        }
    }
    emr.create_security_configuration(Name=name, SecurityConfiguration=json.dumps(document))
    return name


def master_instance(emr: Any, cluster_id: str) -> dict[str, Any]:
    """The MASTER instance moto reports (read independently of the code under test)."""
    instances = emr.list_instances(ClusterId=cluster_id, InstanceGroupTypes=["MASTER"])["Instances"]
    assert len(instances) == 1, instances
    return dict(instances[0])


class FakeClock:
    """Stands in for the `time` module of emrlab.aws.waiting: sleep() advances monotonic() at once, so a
    bounded wait expires after a known number of polls whatever the machine's load."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
