"""Find the Livy endpoint of an EMR-on-EC2 cluster: state, Livy application, primary node addresses,
the `livy-conf` port, TLS from the security configuration, then a TCP probe (private first, then public).

`EMRLAB_LIVY_ENDPOINT_OVERRIDES` (JSON `{cluster_id: url}`) replaces the address part for demos and tests;
the cluster's state and its Livy application are still checked."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from emrlab.aws.errors import (
    AwsError,
    ClusterNotReady,
    ClusterNotUsable,
    EndpointUnreachable,
    NoLivy,
    aws_errors,
)
from emrlab.aws.session import client
from emrlab.aws.waiting import DEFAULT_BACKOFF, Backoff, OnState, wait_for_state

DEFAULT_LIVY_PORT = 8998
OVERRIDES_ENV = "EMRLAB_LIVY_ENDPOINT_OVERRIDES"
GONE_STATES = frozenset({"TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"})
READY_STATES = frozenset({"RUNNING", "WAITING"})
STARTING_STATES = frozenset({"STARTING", "BOOTSTRAPPING"})

Probe = Callable[[str, int, float], bool]
AddressKind = Literal["private", "public", "override"]


def tcp_probe(host: str, port: int, timeout: float) -> bool:
    """True when a TCP connection to host:port succeeds within `timeout` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class LivyEndpoint:
    """Where a cluster's Livy answers; `address_kind` "override": set by EMRLAB_LIVY_ENDPOINT_OVERRIDES."""

    url: str
    address_kind: AddressKind
    tls: bool
    cluster_name: str
    release_label: str
    port: int


def livy_endpoint(
    cluster_id: str,
    *,
    session: Any,
    probe: Probe = tcp_probe,
    timeout: float = 3.0,
    wait: bool = False,
    wait_timeout: float = 1800.0,
    on_state: OnState | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> LivyEndpoint:
    """Discover and probe the Livy endpoint of `cluster_id`; `timeout` bounds each TCP probe.

    A STARTING/BOOTSTRAPPING cluster raises ClusterNotReady unless `wait` (then it polls, up to
    `wait_timeout` seconds, calling `on_state` on each state change)."""
    emr = client(session, "emr")
    cluster = _ready_cluster(emr, cluster_id, wait, wait_timeout, on_state, backoff)
    name = str(cluster.get("Name", ""))
    release = str(cluster.get("ReleaseLabel", ""))
    applications = {str(app.get("Name", "")).lower() for app in cluster.get("Applications", [])}
    if "livy" not in applications:
        listed = ", ".join(sorted(applications)) or "none"
        raise NoLivy(
            f"cluster {cluster_id} ({name}) has no Livy application (it has: {listed}). Applications cannot "
            "be added later: create the cluster with Livy (e.g. `--applications Name=Spark Name=Livy`)."
        )
    override = _override(cluster_id)
    if override is not None:
        parts = urlsplit(override)
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        return LivyEndpoint(override.rstrip("/"), "override", tls, name, release, port)

    port = _livy_port(emr, cluster)
    tls = _tls_enabled(emr, cluster)
    scheme = "https" if tls else "http"
    candidates = _candidates(emr, cluster, tls)
    tried: list[str] = []
    for kind, host in candidates:
        tried.append(f"{host}:{port}")
        if probe(host, port, timeout):
            return LivyEndpoint(f"{scheme}://{host}:{port}", kind, tls, name, release, port)
    group = (cluster.get("Ec2InstanceAttributes") or {}).get("EmrManagedMasterSecurityGroup")
    where = f"security group {group}" if group else "the primary node's security group"
    raise EndpointUnreachable(
        f"cannot reach Livy of cluster {cluster_id} ({name}): no TCP connection to "
        f"{', '.join(tried) or 'any address (none reported)'} within {timeout:g} s. Allow inbound TCP {port} "
        f"from this machine in {where} (or connect over the VPC: VPN, SSH tunnel, SSM port forwarding).",
        tried=tried,
        security_group=group,
        port=port,
    )


def _describe(emr: Any, cluster_id: str) -> dict[str, Any]:
    with aws_errors("elasticmapreduce:DescribeCluster", f"cluster {cluster_id}"):
        return dict(emr.describe_cluster(ClusterId=cluster_id)["Cluster"])


def _state(cluster: dict[str, Any]) -> str:
    return str(cluster.get("Status", {}).get("State", "UNKNOWN"))


def _ready_cluster(
    emr: Any, cluster_id: str, wait: bool, wait_timeout: float, on_state: OnState | None, backoff: Backoff
) -> dict[str, Any]:
    cluster = _describe(emr, cluster_id)
    state = _state(cluster)
    if state in STARTING_STATES and wait:
        if on_state is not None:
            on_state(state)
        cluster = wait_for_state(
            lambda: _describe(emr, cluster_id),
            _state,
            READY_STATES | GONE_STATES,
            what=f"cluster {cluster_id}",
            timeout=wait_timeout,
            on_state=on_state,
            backoff=backoff,
            last_state=state,
            hint="check its bootstrap actions in the EMR console, or wait longer.",
        )
        state = _state(cluster)
    reason = _reason(cluster)
    if state in GONE_STATES:
        raise ClusterNotUsable(
            f"cluster {cluster_id} is {state}{': ' + reason if reason else ''}. Start a new cluster (with "
            "Livy) and connect to its id.",
            cluster_id=cluster_id,
            state=state,
            reason=reason,
        )
    if state in STARTING_STATES:
        raise ClusterNotReady(
            f"cluster {cluster_id} is not ready yet (state {state}); retry in a few minutes, or ask to wait "
            "for it (`--wait`).",
            cluster_id=cluster_id,
            state=state,
            reason=reason,
        )
    return cluster


def _reason(cluster: dict[str, Any]) -> str:
    change = cluster.get("Status", {}).get("StateChangeReason") or {}
    return " - ".join(str(change[key]) for key in ("Code", "Message") if change.get(key))


def _override(cluster_id: str) -> str | None:
    raw = os.environ.get(OVERRIDES_ENV)
    if not raw:
        return None
    try:
        table = json.loads(raw)
    except json.JSONDecodeError as error:
        raise AwsError(
            f'{OVERRIDES_ENV} is not valid JSON ({error}); set it to {{"j-ID": "http://..."}}.'
        ) from None
    if not isinstance(table, dict):
        raise AwsError(f'{OVERRIDES_ENV} must be a JSON object {{"j-ID": "http://..."}}.')
    value = table.get(cluster_id)
    if value is None:
        return None
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
        raise AwsError(f"{OVERRIDES_ENV}[{cluster_id!r}] must be an http(s) URL, got {value!r}.")
    return value


def _livy_conf_port(configurations: list[dict[str, Any]] | None) -> int | None:
    for item in configurations or []:
        if item.get("Classification") == "livy-conf":
            value = (item.get("Properties") or {}).get("livy.server.port")
            if value is not None:
                try:
                    return int(value)
                except ValueError:
                    raise AwsError(
                        f"livy-conf livy.server.port is {value!r}, not a port number; fix the cluster "
                        "configuration."
                    ) from None
    return None


def _livy_port(emr: Any, cluster: dict[str, Any]) -> int:
    """The MASTER instance group's livy-conf wins over the cluster's (EMR applies group configs last)."""
    if cluster.get("InstanceCollectionType") != "INSTANCE_FLEET":
        with aws_errors("elasticmapreduce:ListInstanceGroups", f"cluster {cluster['Id']}"):
            groups = emr.list_instance_groups(ClusterId=cluster["Id"]).get("InstanceGroups", [])
        for group in groups:
            if group.get("InstanceGroupType") == "MASTER":
                port = _livy_conf_port(group.get("Configurations"))
                if port is not None:
                    return port
    port = _livy_conf_port(cluster.get("Configurations"))
    return DEFAULT_LIVY_PORT if port is None else port


def _tls_enabled(emr: Any, cluster: dict[str, Any]) -> bool:
    name = cluster.get("SecurityConfiguration")
    if not name:
        return False
    with aws_errors("elasticmapreduce:DescribeSecurityConfiguration", f"security configuration {name}"):
        raw = emr.describe_security_configuration(Name=name).get("SecurityConfiguration") or "{}"
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as error:
        raise AwsError(f"security configuration {name} is not valid JSON ({error}); fix it in EMR.") from None
    encryption = document.get("EncryptionConfiguration") or {}
    return bool(encryption.get("EnableInTransitEncryption", False))


def _candidates(emr: Any, cluster: dict[str, Any], tls: bool) -> list[tuple[AddressKind, str]]:
    """Private address first, then the public DNS name; DNS names preferred under TLS (certificate names)."""
    fleet = cluster.get("InstanceCollectionType") == "INSTANCE_FLEET"
    selector = {"InstanceFleetType": "MASTER"} if fleet else {"InstanceGroupTypes": ["MASTER"]}
    with aws_errors("elasticmapreduce:ListInstances", f"cluster {cluster['Id']}"):
        instances = emr.list_instances(ClusterId=cluster["Id"], **selector).get("Instances", [])
    running = [i for i in instances if i.get("Status", {}).get("State") == "RUNNING"] or instances
    result: list[tuple[AddressKind, str]] = []
    for instance in running[:1]:
        names = [instance.get("PrivateDnsName"), instance.get("PrivateIpAddress")]
        for host in names if tls else reversed(names):
            if host and host not in (h for _, h in result):
                result.append(("private", str(host)))
                break
    public = cluster.get("MasterPublicDnsName")
    if public and public not in (h for _, h in result):
        result.append(("public", str(public)))
    return result
