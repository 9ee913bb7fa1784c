"""`%emr cost`: the connected cluster's or application's figures from emrlab.aws.inventory.

The cluster endpoint is resolved by the real `%emr connect --cluster` code against moto's server (its Livy
address from EMRLAB_LIVY_ENDPOINT_OVERRIDES); the slow test runs the whole magic in an IPython shell over
the local Livy endpoint. Stubbed only where moto lacks the shape: Serverless job runs with non-zero billed
utilisation (botocore Stubber on EMR Serverless; EC2/STS stay on moto)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aws_fixtures import REGION, create_cluster, session, stubbed
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from livy_fixtures import LivyFactory

import emrlab.magics
from emrlab.aws import inventory
from emrlab.aws.prices import load_prices
from emrlab.magics import connect
from emrlab.magics.cost import cost_bundle, target

pytestmark = pytest.mark.timeout(120)


class Args:
    """Parsed `%emr connect` options; missing ones are None."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        return None


def cluster_endpoint(monkeypatch: pytest.MonkeyPatch) -> tuple[connect.Endpoint, str]:
    cluster_id = create_cluster(session().client("emr"), name="etl")
    monkeypatch.setenv("EMRLAB_LIVY_ENDPOINT_OVERRIDES", json.dumps({cluster_id: "http://127.0.0.1:9"}))
    return connect.resolve(Args(cluster=cluster_id, region=REGION)), cluster_id


def test_cluster_cost_matches_the_inventory(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint, cluster_id = cluster_endpoint(monkeypatch)
    assert target(endpoint) == ("cluster", cluster_id, REGION)
    started = session().client("emr").describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["Timeline"]
    now = started["CreationDateTime"] + timedelta(hours=2)
    bundle = cost_bundle(endpoint, now=now)
    figures = inventory.cluster_detail(session(), cluster_id, region=REGION, now=now)["cluster"]["cost"]
    text = bundle["text/plain"]
    assert f"{cluster_id} (etl) in {REGION}: WAITING" in text
    assert f"${figures['so_far']:,.2f} (EC2 ${figures['split']['ec2']:,.2f}" in text
    assert f"${figures['per_hour']:,.2f}/h" in text
    assert "2 h 00 min" in text
    assert f"Estimates from the price snapshot of {load_prices().snapshot_date}" in text
    assert "no auto-termination policy known" in text  # moto has no GetAutoTerminationPolicy
    assert "<table" in bundle["text/html"] and "Estimates" in bundle["text/html"]


def test_local_and_url_endpoints_have_no_aws_cost() -> None:
    endpoint = connect.Endpoint(
        url="http://127.0.0.1:8998", kind="local", label="local endpoint http://127.0.0.1:8998"
    )
    assert target(endpoint) is None
    assert "no AWS cost" in cost_bundle(endpoint)["text/plain"]


def test_serverless_cost_shows_warm_pool_and_billed_runs(aws_env: str) -> None:
    """Billed utilisation: Stubber on EMR Serverless (moto reports zero)."""
    aws, stub = stubbed("emr-serverless")
    at = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    arn = "arn:aws:emr-serverless:us-east-1:123456789012:/applications/00app"
    capacity = {"DRIVER": {"workerCount": 1, "workerConfiguration": {"cpu": "4 vCPU", "memory": "16 GB"}}}
    app = {
        "applicationId": "00app",
        "name": "adhoc",
        "arn": arn,
        "releaseLabel": "emr-7.1.0",
        "type": "Spark",
        "state": "STARTED",
        "createdAt": at,
        "updatedAt": at,
        "initialCapacity": capacity,
    }
    run = {
        "applicationId": "00app",
        "jobRunId": "00run",
        "arn": f"{arn}/jobruns/00run",
        "createdBy": "arn:aws:iam::123456789012:user/me",
        "createdAt": at,
        "updatedAt": at,
        "executionRole": "arn:aws:iam::123456789012:role/job",
        "state": "SUCCESS",
        "stateDetails": "done",
        "releaseLabel": "emr-7.1.0",
        "jobDriver": {"sparkSubmit": {"entryPoint": "s3://b/x.py"}},
        "totalExecutionDurationSeconds": 300,
        "billedResourceUtilization": {"vCPUHour": 10.0, "memoryGBHour": 40.0, "storageGBHour": 0.0},
        "totalResourceUtilization": {"vCPUHour": 8.0, "memoryGBHour": 32.0, "storageGBHour": 0.0},
    }
    listed = {
        k: run[k]
        for k in (
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
    } | {"id": "00run"}
    stub.add_response("get_application", {"application": app}, {"applicationId": "00app"})
    stub.add_response("list_job_runs", {"jobRuns": [listed]}, {"applicationId": "00app", "maxResults": 20})
    stub.add_response("get_job_run", {"jobRun": run}, {"applicationId": "00app", "jobRunId": "00run"})
    # the endpoint as `%emr connect --serverless` makes it (magics/connect.py)
    endpoint = connect.Endpoint(
        url="https://00app.livy.emr-serverless-services.us-east-1.amazonaws.com",
        kind="serverless",
        label="EMR Serverless 00app (adhoc, emr-7.1.0)",
        aws_session=aws,
        resource_id="00app",
        region=REGION,
    )
    with stub:
        text = cost_bundle(endpoint, now=at + timedelta(hours=1))["text/plain"]
    rates = load_prices().serverless(REGION, "X86_64")
    assert rates is not None
    burn = 4 * rates.vcpu_hour + 16 * rates.gb_hour
    billed = 10 * rates.vcpu_hour + 40 * rates.gb_hour
    assert f"${burn:,.2f}/h (pre-initialized capacity" in text
    assert re.search(rf"00run\s+SUCCESS \${billed:,.2f}, efficiency 80%", text), text


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_emr_cost_magic_after_connecting_to_a_cluster(
    aws_env: str, livy_factory: LivyFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    livy = livy_factory("none")
    cluster_id = create_cluster(session().client("emr"), name="etl")
    monkeypatch.setenv("EMRLAB_LIVY_ENDPOINT_OVERRIDES", json.dumps({cluster_id: livy.url}))
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "emrlab")
    try:
        with capture_output() as captured:
            result = shell.run_cell(
                f"%emr connect --cluster {cluster_id} --region {REGION} --name c --no-runtime"
            )
        assert result.success, captured.stdout + captured.stderr
        with capture_output() as captured:
            result = shell.run_cell("%emr cost")
        assert result.success, captured.stderr
        shown = captured.stdout + "".join(str(o.data) for o in captured.outputs)
        assert f"{cluster_id} (etl) in {REGION}: WAITING" in shown and "/h" in shown
        assert "Estimates from the price snapshot" in shown
    finally:
        emrlab.magics._LOADED[id(shell)].registry.cleanup()
