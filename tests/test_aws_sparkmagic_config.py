"""emrlab.aws.sparkmagic_config: a sparkmagic config.json for a cluster (moto over real HTTP) and for an EMR
Serverless application (GetApplication played by botocore's Stubber: moto drops interactiveConfiguration).
The written file is then read by sparkmagic's own configuration module in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_fixtures import REGION, RecordingProbe, create_cluster, master_instance, session, stubbed

from emrlab.aws.clusters import livy_endpoint
from emrlab.aws.errors import AwsError, ServerlessNotUsable
from emrlab.aws.sparkmagic_config import (
    SIGV4_AUTHENTICATOR,
    default_config_path,
    sparkmagic_config,
    write_sparkmagic_config,
)

pytestmark = pytest.mark.timeout(120)
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
ROLE = "arn:aws:iam::123456789012:role/livy-sessions"


@pytest.fixture
def secret_env(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recognisable fake credentials, so the test can prove they never reach the config."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)


def _assert_no_secrets(config: dict[str, Any]) -> None:
    text = json.dumps(config)
    assert SECRET not in text and TOKEN not in text
    assert "password" not in text.lower(), "no password (plain or base64) belongs in the file"


def test_cluster_config_points_at_the_discovered_livy(secret_env: None) -> None:
    emr = session().client("emr")
    cluster_id = create_cluster(emr)
    private_ip = master_instance(emr, cluster_id)["PrivateIpAddress"]
    probe = RecordingProbe({private_ip})
    config = sparkmagic_config(cluster_id=cluster_id, region=REGION, probe=probe)  # its own boto3 session
    expected = livy_endpoint(cluster_id, session=session(), probe=probe).url
    assert expected == f"http://{private_ip}:8998"
    config = json.loads(json.dumps(config))  # valid JSON, nothing but JSON types
    for kernel in ("kernel_python_credentials", "kernel_scala_credentials"):
        assert config[kernel] == {"username": "", "url": expected, "auth": "None"}
    assert config["authenticators"]["EmrServerless"] == SIGV4_AUTHENTICATOR
    assert config["all_errors_are_fatal"] is True
    assert config["logging_config"]["disable_existing_loggers"] is False
    assert config["emrlab"]["cluster_id"] == cluster_id
    _assert_no_secrets(config)


def _app(release: str = "emr-7.1.0", livy: bool = True) -> dict[str, Any]:
    return {
        "application": {
            "applicationId": "00fabcdefghij012",
            "name": "interactive",
            "arn": "arn:aws:emr-serverless:us-east-1:123456789012:/applications/00fabcdefghij012",
            "releaseLabel": release,
            "type": "Spark",
            "state": "STOPPED",
            "createdAt": "2026-12-01T00:00:00Z",
            "updatedAt": "2026-12-01T00:00:00Z",
            "interactiveConfiguration": {"livyEndpointEnabled": livy},
        }
    }


def test_serverless_config_uses_sigv4_and_the_execution_role(secret_env: None) -> None:
    # Stubber: moto drops interactiveConfiguration (livyEndpointEnabled).
    aws, stubber = stubbed("emr-serverless")
    stubber.add_response("get_application", _app(), {"applicationId": "00fabcdefghij012"})
    with stubber:
        config = sparkmagic_config(application_id="00fabcdefghij012", execution_role=ROLE, session=aws)
    config = json.loads(json.dumps(config))
    url = "https://00fabcdefghij012.livy.emr-serverless-services.us-east-1.amazonaws.com"
    assert config["kernel_python_credentials"] == {"username": "", "url": url, "auth": "EmrServerless"}
    assert config["authenticators"]["EmrServerless"] == SIGV4_AUTHENTICATOR
    assert config["authenticators"]["None"] == "sparkmagic.auth.customauth.Authenticator"
    assert config["session_configs"] == {"conf": {"emr-serverless.session.executionRoleArn": ROLE}}
    assert config["all_errors_are_fatal"] is True and config["livy_session_startup_timeout_seconds"] >= 300
    _assert_no_secrets(config)

    aws, stubber = stubbed("emr-serverless")
    stubber.add_response("get_application", _app(release="emr-6.13.0"))
    with stubber, pytest.raises(ServerlessNotUsable, match=r"needs emr-6\.14\.0"):
        sparkmagic_config(application_id="00fabcdefghij012", execution_role=ROLE, session=aws)


def test_bad_arguments_say_what_to_pass(aws_env: str) -> None:
    with pytest.raises(AwsError, match="need an execution role: pass --execution-role"):
        sparkmagic_config(application_id="00fabcdefghij012", session=session())
    with pytest.raises(AwsError, match="only one of"):
        sparkmagic_config(cluster_id="j-1", application_id="00fabcdefghij012", session=session())
    with pytest.raises(AwsError, match="give one of"):
        sparkmagic_config(session=session())


@pytest.mark.timeout(120)
def test_sparkmagic_reads_the_config_and_keeps_other_loggers(
    secret_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws, stubber = stubbed("emr-serverless")
    stubber.add_response("get_application", _app())
    with stubber:
        config = sparkmagic_config(application_id="00fabcdefghij012", execution_role=ROLE, session=aws)
    monkeypatch.setenv("SPARKMAGIC_CONF_DIR", str(tmp_path / "conf"))
    path = write_sparkmagic_config(config, default_config_path())
    assert path == tmp_path / "conf" / "config.json"
    assert json.loads(path.read_text(encoding="utf-8")) == config
    code = (
        "import json, logging\n"
        "other = logging.getLogger('emrlab.other')\n"
        "from sparkmagic.utils import configuration as conf\n"
        "from sparkmagic.utils.sparklogger import SparkLog\n"
        "SparkLog('probe')  # runs sparkmagic's logging.config.dictConfig\n"
        "import importlib\n"
        "from sparkmagic.auth.customauth import Authenticator\n"
        "chosen = conf.base64_kernel_python_credentials()['auth']\n"
        "module, _, name = conf.authenticators()[chosen].rpartition('.')\n"
        "ok = issubclass(getattr(importlib.import_module(module), name), Authenticator)  # as sparkmagic\n"
        "print(json.dumps({'cred': conf.base64_kernel_python_credentials(), 'auth': conf.authenticators(),\n"
        "  'fatal': conf.all_errors_are_fatal(), 'session': conf.session_configs(),\n"
        "  'other_disabled': other.disabled, 'authenticator_ok': ok}))\n"
    )
    env = {**os.environ, "SPARKMAGIC_CONF_DIR": str(path.parent), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=100)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["cred"]["url"] == config["kernel_python_credentials"]["url"]
    assert seen["cred"]["auth"] == "EmrServerless"
    assert seen["auth"]["EmrServerless"] == SIGV4_AUTHENTICATOR
    assert seen["authenticator_ok"], f"{SIGV4_AUTHENTICATOR} must import as a sparkmagic Authenticator"
    assert seen["fatal"] is True and seen["session"] == config["session_configs"]
    assert seen["other_disabled"] is False, "sparkmagic's dictConfig must not disable other loggers"
