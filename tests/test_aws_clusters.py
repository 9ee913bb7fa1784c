"""emrlab.aws.clusters: Livy endpoint discovery against moto's EMR over real HTTP.

moto supplies DescribeCluster, ListInstances, ListInstanceGroups, cluster Configurations and security
configurations. botocore's Stubber stands in (said at each use) where moto lacks a shape: MASTER instance
group Configurations (moto's RunJobFlow crashes on them), STARTING/BOOTSTRAPPING states and a
StateChangeReason (moto clusters are WAITING at once and terminate without a reason), and IAM refusals."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timezone
from typing import Any

import pytest
from aws_fixtures import (
    FAST,
    MASTER_SG,
    RecordingProbe,
    create_cluster,
    master_instance,
    security_configuration,
    session,
    stubbed,
)

from emrlab.aws import clusters
from emrlab.aws.clusters import livy_endpoint, tcp_probe
from emrlab.aws.errors import (
    AccessDenied,
    AwsError,
    ClusterNotReady,
    ClusterNotUsable,
    EndpointUnreachable,
    NoLivy,
    NotFound,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def emr(aws_env: str) -> Any:
    """A plain boto3 EMR client on the freshly reset moto server (the test's own view of AWS)."""
    return session().client("emr")


def test_running_cluster_with_livy_uses_the_private_address(emr: Any) -> None:
    cluster_id = create_cluster(emr, name="nightly", release="emr-7.2.0")
    private_ip = master_instance(emr, cluster_id)["PrivateIpAddress"]
    probe = RecordingProbe(reachable={private_ip})
    endpoint = livy_endpoint(cluster_id, session=session(), probe=probe, timeout=1.5)
    assert endpoint.url == f"http://{private_ip}:8998"
    assert (endpoint.address_kind, endpoint.tls, endpoint.port) == ("private", False, 8998)
    assert (endpoint.cluster_name, endpoint.release_label) == ("nightly", "emr-7.2.0")
    assert probe.calls == [(private_ip, 8998, 1.5)], (
        "the private address is probed first, and alone if it works"
    )


def test_private_unreachable_falls_back_to_the_public_name(emr: Any) -> None:
    cluster_id = create_cluster(emr)
    public = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["MasterPublicDnsName"]
    private_ip = master_instance(emr, cluster_id)["PrivateIpAddress"]
    probe = RecordingProbe(reachable={public})
    endpoint = livy_endpoint(cluster_id, session=session(), probe=probe)
    assert (endpoint.url, endpoint.address_kind) == (f"http://{public}:8998", "public")
    assert [host for host, _, _ in probe.calls] == [private_ip, public]


def test_both_unreachable_names_every_address_and_the_security_group(emr: Any) -> None:
    cluster_id = create_cluster(emr)
    public = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["MasterPublicDnsName"]
    private_ip = master_instance(emr, cluster_id)["PrivateIpAddress"]
    with pytest.raises(EndpointUnreachable) as caught:
        livy_endpoint(cluster_id, session=session(), probe=RecordingProbe())
    error = caught.value
    assert error.tried == [f"{private_ip}:8998", f"{public}:8998"]
    assert (error.security_group, error.port) == (MASTER_SG, 8998)
    message = str(error)
    for text in (
        f"{private_ip}:8998",
        f"{public}:8998",
        MASTER_SG,
        "Allow inbound TCP 8998 from this machine",
    ):
        assert text in message


def test_terminated_cluster_is_not_usable(emr: Any) -> None:
    cluster_id = create_cluster(emr)
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
    probe = RecordingProbe()
    with pytest.raises(ClusterNotUsable, match=rf"{cluster_id} is TERMINATED.*Start a new cluster") as caught:
        livy_endpoint(cluster_id, session=session(), probe=probe)
    assert caught.value.state == "TERMINATED" and not isinstance(caught.value, ClusterNotReady)
    assert probe.calls == []


def _cluster(state: str, **extra: Any) -> dict[str, Any]:
    """A DescribeCluster `Cluster` shape for the Stubber."""
    status: dict[str, Any] = {"State": state, "Timeline": {"CreationDateTime": datetime.now(timezone.utc)}}
    if "reason" in extra:
        status["StateChangeReason"] = extra.pop("reason")
    return {
        "Id": "j-STUBBED",
        "Name": "stubbed",
        "Status": status,
        "ReleaseLabel": "emr-7.1.0",
        "Applications": [{"Name": "Spark"}, {"Name": "Livy"}],
        "MasterPublicDnsName": "ec2-3-80-1-2.compute-1.amazonaws.com",
        "Ec2InstanceAttributes": {"EmrManagedMasterSecurityGroup": MASTER_SG},
        **extra,
    }


_MASTER_INSTANCE = {
    "Id": "ci-1",
    "PrivateIpAddress": "10.0.0.7",
    "PrivateDnsName": "ip-10-0-0-7.ec2.internal",
    "Status": {"State": "RUNNING"},
}


def test_terminated_with_errors_reports_the_state_change_reason(aws_env: str) -> None:
    # Stubber: moto terminates clusters without a StateChangeReason.
    aws, stubber = stubbed("emr")
    reason = {"Code": "BOOTSTRAP_FAILURE", "Message": "bootstrap action 1 returned a non-zero return code"}
    stubber.add_response("describe_cluster", {"Cluster": _cluster("TERMINATED_WITH_ERRORS", reason=reason)})
    with stubber, pytest.raises(ClusterNotUsable, match="BOOTSTRAP_FAILURE - bootstrap action 1") as caught:
        livy_endpoint("j-STUBBED", session=aws, probe=RecordingProbe())
    assert caught.value.reason.startswith("BOOTSTRAP_FAILURE")
    stubber.assert_no_pending_responses()


def test_starting_cluster_is_not_ready_unless_asked_to_wait(aws_env: str) -> None:
    # Stubber: moto clusters never pass through STARTING/BOOTSTRAPPING.
    aws, stubber = stubbed("emr")
    stubber.add_response("describe_cluster", {"Cluster": _cluster("STARTING")})
    with stubber, pytest.raises(ClusterNotReady, match=r"not ready yet \(state STARTING\).*--wait"):
        livy_endpoint("j-STUBBED", session=aws, probe=RecordingProbe())

    aws, stubber = stubbed("emr")
    for state in ("STARTING", "STARTING", "BOOTSTRAPPING", "WAITING"):
        stubber.add_response("describe_cluster", {"Cluster": _cluster(state)})
    stubber.add_response("list_instance_groups", {"InstanceGroups": []})
    stubber.add_response(
        "list_instances",
        {"Instances": [_MASTER_INSTANCE]},
        {"ClusterId": "j-STUBBED", "InstanceGroupTypes": ["MASTER"]},
    )
    seen: list[str] = []
    with stubber:
        endpoint = livy_endpoint(
            "j-STUBBED",
            session=aws,
            probe=RecordingProbe({"10.0.0.7"}),
            wait=True,
            on_state=seen.append,
            backoff=FAST,
        )
    assert seen == ["STARTING", "BOOTSTRAPPING", "WAITING"]
    assert endpoint.url == "http://10.0.0.7:8998"
    stubber.assert_no_pending_responses()


def test_cluster_without_livy_says_to_create_it_with_livy(emr: Any) -> None:
    cluster_id = create_cluster(emr, applications=("Spark", "Hive"))
    with pytest.raises(NoLivy, match=r"\(it has: hive, spark\).*create the cluster with Livy"):
        livy_endpoint(cluster_id, session=session(), probe=RecordingProbe())


def test_port_comes_from_the_clusters_livy_conf(emr: Any) -> None:
    conf = [{"Classification": "livy-conf", "Properties": {"livy.server.port": "8999"}}]
    cluster_id = create_cluster(emr, configurations=conf)
    private_ip = master_instance(emr, cluster_id)["PrivateIpAddress"]
    probe = RecordingProbe({private_ip})
    endpoint = livy_endpoint(cluster_id, session=session(), probe=probe)
    assert (endpoint.url, endpoint.port) == (f"http://{private_ip}:8999", 8999)
    assert probe.calls[0][:2] == (private_ip, 8999)


def test_master_group_livy_conf_wins_over_the_clusters(aws_env: str) -> None:
    # Stubber: moto's RunJobFlow fails on instance-group Configurations, so ListInstanceGroups is stubbed.
    aws, stubber = stubbed("emr")
    cluster_conf = [{"Classification": "livy-conf", "Properties": {"livy.server.port": "8999"}}]
    stubber.add_response("describe_cluster", {"Cluster": _cluster("WAITING", Configurations=cluster_conf)})
    group_conf = [{"Classification": "livy-conf", "Properties": {"livy.server.port": "10000"}}]
    groups = [
        {"Id": "ig-C", "InstanceGroupType": "CORE", "Configurations": []},
        {"Id": "ig-M", "InstanceGroupType": "MASTER", "Configurations": group_conf},
    ]
    stubber.add_response("list_instance_groups", {"InstanceGroups": groups}, {"ClusterId": "j-STUBBED"})
    stubber.add_response("list_instances", {"Instances": [_MASTER_INSTANCE]})
    with stubber:
        endpoint = livy_endpoint("j-STUBBED", session=aws, probe=RecordingProbe({"10.0.0.7"}))
    assert endpoint.url == "http://10.0.0.7:10000"


def test_tls_follows_the_security_configuration(emr: Any) -> None:
    tls_cluster = create_cluster(
        emr, security_configuration=security_configuration(emr, "tls", in_transit=True)
    )
    plain_cluster = create_cluster(
        emr, security_configuration=security_configuration(emr, "at-rest-only", in_transit=False)
    )
    tls_dns = master_instance(emr, tls_cluster)["PrivateDnsName"]
    plain_ip = master_instance(emr, plain_cluster)["PrivateIpAddress"]
    endpoint = livy_endpoint(tls_cluster, session=session(), probe=RecordingProbe({tls_dns}))
    assert endpoint.tls and endpoint.url == f"https://{tls_dns}:8998", "TLS uses the DNS name its cert names"
    endpoint = livy_endpoint(plain_cluster, session=session(), probe=RecordingProbe({plain_ip}))
    assert not endpoint.tls and endpoint.url == f"http://{plain_ip}:8998"


def test_endpoint_override_still_checks_state_and_livy(emr: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    good = create_cluster(emr)
    gone = create_cluster(emr)
    no_livy = create_cluster(emr, applications=("Spark",))
    emr.terminate_job_flows(JobFlowIds=[gone])
    table = {c: "http://127.0.0.1:18998/" for c in (good, gone, no_livy)}
    monkeypatch.setenv(clusters.OVERRIDES_ENV, json.dumps(table))
    probe = RecordingProbe()
    endpoint = livy_endpoint(good, session=session(), probe=probe)
    assert (endpoint.url, endpoint.address_kind, endpoint.port, endpoint.tls) == (
        "http://127.0.0.1:18998",
        "override",
        18998,
        False,
    )
    assert probe.calls == [], "an override skips discovery and probing"
    with pytest.raises(ClusterNotUsable):
        livy_endpoint(gone, session=session(), probe=probe)
    with pytest.raises(NoLivy):
        livy_endpoint(no_livy, session=session(), probe=probe)
    monkeypatch.setenv(clusters.OVERRIDES_ENV, "{not json")
    with pytest.raises(AwsError, match="EMRLAB_LIVY_ENDPOINT_OVERRIDES is not valid JSON"):
        livy_endpoint(good, session=session(), probe=probe)


def test_unknown_cluster_and_access_denied_are_explained(aws_env: str) -> None:
    with pytest.raises(NotFound, match=r"cluster j-DOESNOTEXIST was not found.*region"):
        livy_endpoint("j-DOESNOTEXIST", session=session(), probe=RecordingProbe())
    # Stubber: moto does not enforce IAM.
    aws, stubber = stubbed("emr")
    stubber.add_client_error("describe_cluster", "AccessDeniedException", "not authorized", 400)
    with stubber, pytest.raises(AccessDenied, match="Allow the IAM action elasticmapreduce:DescribeCluster"):
        livy_endpoint("j-STUBBED", session=aws, probe=RecordingProbe())


def test_tcp_probe_connects_for_real() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        assert tcp_probe("127.0.0.1", port, 2.0)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound but not listening: connection refused
        assert not tcp_probe("127.0.0.1", port, 2.0)
