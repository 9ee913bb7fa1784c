"""The `/emrlab/api/` handlers in a real jupyter_server (pytest-jupyter's `jp_fetch`) against moto's server
over real HTTP. Stubbed only where moto lacks the call: GetAutoTerminationPolicy (a before-call handler on
that one operation) and an IAM refusal (botocore Stubber on EMR; moto does not enforce IAM)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aws_fixtures import REGION, stubbed
from builders import source_text
from tornado.httpclient import HTTPClientError
from traitlets.config import Config

from emrlab.aws.prices import load_prices
from emrlab.aws.session import boto_session, client
from emrlab.extension import handlers

pytestmark = pytest.mark.timeout(180)
SECRET = "s3cr3t-value-that-must-never-leak"


@pytest.fixture
def jp_server_config(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    return Config(
        {
            "ServerApp": {"jpserver_extensions": {"emrlab.extension": True}},
            "EmrLab": {"regions": [REGION], "cache_ttl": 600.0},
        }
    )


@pytest.fixture
def calls(jp_serverapp: Any) -> Counter[str]:
    """AWS calls the extension makes, by operation (a botocore before-call hook on its clients)."""
    counts: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        counts[model.name] += 1

    service = jp_serverapp.web_app.settings[handlers.SETTINGS_KEY]
    service.hooks.append(("before-call", count))
    return counts


def emr() -> Any:
    return client(boto_session(REGION), "emr")


def run_cluster(name: str) -> str:
    api = emr()
    return str(
        api.run_job_flow(
            Name=name,
            ReleaseLabel="emr-7.1.0",
            Applications=[{"Name": "Spark"}, {"Name": "Livy"}],
            Instances={
                "MasterInstanceType": "m5.xlarge",
                "InstanceCount": 1,
                "KeepJobFlowAliveWhenNoSteps": True,
            },
            JobFlowRole="EMR_EC2_DefaultRole",
            ServiceRole="EMR_DefaultRole",
        )["JobFlowId"]
    )


async def get(jp_fetch: Any, *parts: str, **params: str) -> tuple[int, dict[str, Any]]:
    reply = await jp_fetch("emrlab", "api", *parts, params=params, raise_error=False)
    body = reply.body.decode()
    assert SECRET not in body
    return reply.code, json.loads(body)


async def post(jp_fetch: Any, *parts: str, body: Any) -> tuple[int, dict[str, Any]]:
    reply = await jp_fetch("emrlab", "api", *parts, method="POST", body=json.dumps(body), raise_error=False)
    text = reply.body.decode()
    assert SECRET not in text
    return reply.code, json.loads(text)


async def test_clusters_list_is_cached_and_refresh_bypasses_the_cache(
    jp_fetch: Any, calls: Counter[str]
) -> None:
    first, second = run_cluster("etl"), run_cluster("adhoc")
    status, body = await get(jp_fetch, "clusters")
    assert status == 200 and body["cached"] is False
    assert {c["id"] for c in body["clusters"]} == {first, second}
    assert all(c["cost"]["per_hour"] is not None for c in body["clusters"])
    assert body["prices"] == {"snapshot_date": load_prices().snapshot_date, "estimate": True}
    assert body["account"]["regions"] == [REGION] and body["fetched_at"].endswith("Z")
    cold = sum(calls.values())
    assert calls["ListInstances"] == 2 and calls["DescribeCluster"] == 0

    status, again = await get(jp_fetch, "clusters")
    assert status == 200 and again["cached"] is True and sum(calls.values()) == cold
    assert again["clusters"] == body["clusters"]

    status, fresh = await get(jp_fetch, "clusters", refresh="1")
    assert status == 200 and fresh["cached"] is False  # the account id is remembered: no second STS call
    assert calls["ListClusters"] == 2 and calls["ListInstances"] == 4 and calls["GetCallerIdentity"] == 1


async def test_clusters_filters_regions_and_pages(jp_fetch: Any, calls: Counter[str]) -> None:
    kept = run_cluster("etl-daily")
    gone = run_cluster("etl-old")
    emr().terminate_job_flows(JobFlowIds=[gone])
    _, active = await get(jp_fetch, "clusters")
    assert [c["id"] for c in active["clusters"]] == [kept]
    _, everything = await get(jp_fetch, "clusters", state="ALL", name="ETL")
    assert {c["id"] for c in everything["clusters"]} == {kept, gone}
    _, terminated = await get(jp_fetch, "clusters", state="TERMINATED,TERMINATED_WITH_ERRORS")
    assert [c["id"] for c in terminated["clusters"]] == [gone]
    # moto files EMR calls of every region under one when reached through AWS_ENDPOINT_URL: both regions
    # answer with the same cluster, which shows that both were asked
    _, both = await get(jp_fetch, "clusters", region=f"{REGION},us-west-2")
    assert {(c["id"], c["region"]) for c in both["clusters"]} == {(kept, REGION), (kept, "us-west-2")}
    assert both["account"]["regions"] == [REGION, "us-west-2"]
    status, bad = await get(jp_fetch, "clusters", state="NAPPING")
    assert status == 400 and bad["error"]["kind"] == "BadRequest" and "ACTIVE" in bad["error"]["message"]

    more = {run_cluster(f"bulk{n}") for n in range(50)}
    _, page1 = await get(jp_fetch, "clusters", refresh="1")
    assert len(page1["clusters"]) == 50 and page1["next_page"]
    _, page2 = await get(jp_fetch, "clusters", page=page1["next_page"])
    assert page2["next_page"] is None
    assert {c["id"] for c in page1["clusters"] + page2["clusters"]} == more | {kept}
    status, wrong = await get(jp_fetch, "clusters", page="not-a-token")
    assert status == 400 and wrong["error"]["kind"] == "BadRequest"


async def test_cluster_detail_and_terminate(jp_fetch: Any, jp_serverapp: Any, calls: Counter[str]) -> None:
    """GetAutoTerminationPolicy answered by a before-call handler (moto lacks it)."""
    from botocore.awsrequest import AWSResponse

    def policy(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("", 200, {}, None), {"AutoTerminationPolicy": {"IdleTimeout": 1800}}

    service = jp_serverapp.web_app.settings[handlers.SETTINGS_KEY]
    service.hooks.append(("before-call.emr.GetAutoTerminationPolicy", policy))
    cluster_id = run_cluster("etl")
    status, body = await get(jp_fetch, "clusters", cluster_id)
    assert status == 200
    detail = body["cluster"]
    assert detail["id"] == cluster_id and detail["auto_termination_idle_seconds"] == 1800.0
    assert detail["groups"][0]["role"] == "MASTER" and detail["links"]["console"]
    assert detail["connect"] == f"%emr connect --cluster {cluster_id} --region {REGION}"

    status, missing = await get(jp_fetch, "clusters", "j-NOSUCHCLUSTER")
    assert status == 404 and missing["error"]["kind"] == "NotFound"

    await get(jp_fetch, "clusters")  # cached now
    status, done = await post(jp_fetch, "clusters", cluster_id, "terminate", body={"region": REGION})
    assert status == 200 and done["id"] == cluster_id and done["state"].startswith("TERMINAT")
    assert emr().describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"].startswith("TERMINAT")
    _, after = await get(jp_fetch, "clusters")  # the action dropped the cached list
    assert after["cached"] is False and cluster_id not in {c["id"] for c in after["clusters"]}
    status, _ = await post(jp_fetch, "clusters", "j-NOSUCHCLUSTER", "terminate", body={})
    assert status == 404


async def test_serverless_routes(jp_fetch: Any, calls: Counter[str]) -> None:
    api = client(boto_session(REGION), "emr-serverless")
    capacity = {"DRIVER": {"workerCount": 1, "workerConfiguration": {"cpu": "2 vCPU", "memory": "8 GB"}}}
    app_id = api.create_application(
        name="adhoc", releaseLabel="emr-7.1.0", type="SPARK", initialCapacity=capacity
    )["applicationId"]
    api.start_application(applicationId=app_id)
    api.start_job_run(
        applicationId=app_id,
        executionRoleArn="arn:aws:iam::123456789012:role/job",
        jobDriver={"sparkSubmit": {"entryPoint": "s3://bucket/job.py"}},
    )
    rates = load_prices().serverless(REGION, "X86_64")
    assert rates is not None
    status, listed = await get(jp_fetch, "serverless", "applications")
    assert status == 200 and listed["applications"][0]["state"] == "STARTED"
    assert listed["totals"]["per_hour"] == pytest.approx(2 * rates.vcpu_hour + 8 * rates.gb_hour, rel=1e-5)
    status, detail = await get(jp_fetch, "serverless", "applications", app_id)
    assert status == 200 and len(detail["application"]["job_runs"]) == 1
    assert "--execution-role arn:aws:iam::123456789012:role/job" in detail["application"]["connect"]
    status, stopped = await post(
        jp_fetch, "serverless", "applications", app_id, "stop", body={"region": REGION}
    )
    assert status == 200 and stopped["state"] == "STOPPED"
    assert api.get_application(applicationId=app_id)["application"]["state"] == "STOPPED"
    status, gone = await get(jp_fetch, "serverless", "applications", "00nosuchapp")
    assert status == 404 and gone["error"]["kind"] == "NotFound"


async def test_prices(jp_fetch: Any) -> None:
    status, body = await get(jp_fetch, "prices")
    book = load_prices()
    assert status == 200 and body["snapshot_date"] == book.snapshot_date and body["currency"] == "USD"
    assert body["sources"] and all(source["url"].startswith("http") for source in body["sources"])


async def test_no_credentials_is_503(jp_fetch: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    status, body = await get(jp_fetch, "clusters")
    assert status == 503 and body["error"]["kind"] == "NoCredentials"
    assert "aws configure" in body["error"]["message"]


async def test_access_denied_is_403_with_the_action(jp_fetch: Any, jp_serverapp: Any) -> None:
    """An IAM refusal: Stubber on EMR (moto does not enforce IAM)."""
    session, stub = stubbed("emr")
    stub.add_client_error("list_clusters", "AccessDeniedException", "User is not authorized", 400)
    service = jp_serverapp.web_app.settings[handlers.SETTINGS_KEY]
    service.pool = lambda profile: session
    with stub:
        status, body = await get(jp_fetch, "clusters")
    assert status == 403
    assert (
        body["error"]["kind"] == "AccessDenied" and body["error"]["action"] == "elasticmapreduce:ListClusters"
    )


async def test_convert_writes_beside_the_input(jp_fetch: Any, jp_root_dir: Path) -> None:
    folder = jp_root_dir / "exports"
    folder.mkdir()
    (folder / "etl.py").write_text(
        source_text("python", ["df = spark.table('sales')", "display(df)", "dbutils.fs.ls('/mnt/raw')"])
    )
    status, body = await post(jp_fetch, "convert", body={"path": "exports/etl.py"})
    assert status == 200, body
    assert body["output"] == "exports/etl-emr" and body["report"] == "exports/etl-emr/report.html"
    assert body["notebooks"] == 1 and body["failed"] == 0
    assert (jp_root_dir / body["report"]).is_file()
    written = [p.name for p in (jp_root_dir / "exports" / "etl-emr").iterdir()]
    assert any(name.endswith(".ipynb") for name in written)
    for bad in ("../etc/passwd", "/etc/passwd", "exports/../../x", "missing.py", ""):
        status, refused = await post(jp_fetch, "convert", body={"path": bad})
        assert status == 400 and refused["error"]["kind"] == "BadRequest", bad
    status, refused = await post(jp_fetch, "convert", body={"path": "exports/etl.py", "target": "cobol"})
    assert status == 400


async def test_every_route_is_served(jp_fetch: Any) -> None:
    """Each registered route answers JSON (so none of them is left untested above)."""
    paths = {pattern for pattern, _ in handlers.ROUTES}
    assert paths == {
        "clusters",
        f"clusters/{handlers.ID}",
        f"clusters/{handlers.ID}/terminate",
        "serverless/applications",
        f"serverless/applications/{handlers.ID}",
        f"serverless/applications/{handlers.ID}/stop",
        "prices",
        "convert",
    }
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("emrlab", "api", "clusters", method="DELETE")
    assert caught.value.code == 405
