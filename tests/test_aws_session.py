"""emrlab.aws.session and errors: every client gets adaptive retries and timeouts, AWS_ENDPOINT_URL sends it
to moto (real HTTP), and missing credentials, unknown profiles and refusals become AwsErrors saying what
to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_fixtures import REGION
from botocore.exceptions import ClientError

from emrlab.aws.errors import AccessDenied, AwsError, NoCredentials, NotFound, Throttled, from_client_error
from emrlab.aws.session import MAX_ATTEMPTS, boto_session, client, region_of

pytestmark = pytest.mark.timeout(60)


def test_clients_retry_adaptively_with_timeouts_and_honour_the_endpoint(aws_env: str) -> None:
    emr = client(boto_session(REGION), "emr")
    config = emr.meta.config
    assert config.retries == {"mode": "adaptive", "total_max_attempts": MAX_ATTEMPTS}
    assert (config.connect_timeout, config.read_timeout) == (5.0, 60.0)
    assert emr.meta.endpoint_url == aws_env
    assert emr.list_clusters()["Clusters"] == []  # a real round trip to moto


def test_missing_credentials_and_profiles_are_explained(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    from emrlab.aws.clusters import livy_endpoint

    with pytest.raises(NoCredentials, match="aws configure"):
        livy_endpoint("j-ANY", session=boto_session(REGION))
    with pytest.raises(AwsError, match=r"check ~/\.aws/config or pass another --profile"):
        boto_session(REGION, profile="no-such-profile")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(AwsError, match="pass --region or set AWS_REGION"):
        region_of(boto_session())


def _error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "DescribeCluster")


def test_client_errors_are_translated() -> None:
    denied = from_client_error(_error("AccessDeniedException", "no"), action="emr-serverless:StartJobRun")
    assert isinstance(denied, AccessDenied) and denied.action == "emr-serverless:StartJobRun"
    assert "Allow the IAM action emr-serverless:StartJobRun" in str(denied)
    assert isinstance(from_client_error(_error("ThrottlingException", "slow"), action="x"), Throttled)
    assert isinstance(from_client_error(_error("ResourceNotFoundException", "gone"), action="x"), NotFound)
    other = from_client_error(_error("InternalServerError", "boom"), action="elasticmapreduce:ListClusters")
    assert type(other) is AwsError and "InternalServerError" in str(other)
