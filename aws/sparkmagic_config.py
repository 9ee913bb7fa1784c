"""Write a sparkmagic `config.json` for an EMR cluster's discovered Livy endpoint or for an EMR Serverless
application's Livy endpoint (SigV4 through emrlab's authenticator class). No secret ever goes in it:
credentials come from the AWS chain at request time, a Basic password from sparkmagic's own prompt."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from emrlab.aws.clusters import Probe, livy_endpoint, tcp_probe
from emrlab.aws.errors import AwsError
from emrlab.aws.serverless import application, check_livy_ready, livy_url
from emrlab.aws.session import boto_session, region_of

SIGV4_AUTH = "EmrServerless"
# The class emrlab.magics.sparkmagic_auth provides (a sparkmagic customauth.Authenticator signing with SigV4).
SIGV4_AUTHENTICATOR = "emrlab.magics.sparkmagic_auth.EmrServerlessAuthenticator"
SPARKMAGIC_AUTHENTICATORS = {
    "None": "sparkmagic.auth.customauth.Authenticator",
    "Basic_Access": "sparkmagic.auth.basic.Basic",
    "Kerberos": "sparkmagic.auth.kerberos.Kerberos",
}
CLUSTER_AUTHS = ("None", "Basic_Access", "Kerberos")
EXECUTION_ROLE_CONF = "emr-serverless.session.executionRoleArn"

# sparkmagic calls logging.config.dictConfig with this: keep every other logger alive, log nowhere.
LOGGING_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"magicsHandler": {"class": "logging.NullHandler"}},
    "loggers": {"magicsLogger": {"handlers": ["magicsHandler"], "level": "INFO", "propagate": 0}},
}


def sparkmagic_config(
    *,
    cluster_id: str | None = None,
    application_id: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    execution_role: str | None = None,
    auth: str = "None",
    username: str | None = None,
    session: Any = None,
    probe: Probe = tcp_probe,
    wait: bool = False,
) -> dict[str, Any]:
    """A sparkmagic config dict for exactly one of `cluster_id` (Livy found and probed as by livy_endpoint;
    `auth` one of None/Basic_Access/Kerberos, `username` for Basic) or `application_id` (checked with
    check_livy_ready; `execution_role` required, sent as the session conf sparkmagic posts)."""
    if cluster_id is not None and application_id is not None:
        raise AwsError("give only one of --cluster j-ID or --serverless APPLICATION_ID, not both.")
    if cluster_id is None and application_id is None:
        raise AwsError("give one of --cluster j-ID or --serverless APPLICATION_ID.")
    aws = session if session is not None else boto_session(region, profile)
    resolved_region = region or region_of(aws)
    context: dict[str, Any] = {"region": resolved_region, "profile": profile}
    session_conf: dict[str, Any] = {}
    if cluster_id is not None:
        if auth not in CLUSTER_AUTHS:
            raise AwsError(f"auth {auth!r} is not one of {', '.join(CLUSTER_AUTHS)} for a cluster.")
        endpoint = livy_endpoint(cluster_id, session=aws, probe=probe, wait=wait)
        url, chosen_auth, startup_s = endpoint.url, auth, 120
        context.update(kind="cluster", cluster_id=cluster_id, address_kind=endpoint.address_kind)
    elif application_id is not None:
        if not execution_role:
            raise AwsError(
                "EMR Serverless Livy sessions need an execution role: pass --execution-role "
                "arn:aws:iam::ACCOUNT:role/NAME."
            )
        check_livy_ready(application(application_id, session=aws))
        url, chosen_auth, startup_s = livy_url(application_id, resolved_region), SIGV4_AUTH, 600
        session_conf = {"conf": {EXECUTION_ROLE_CONF: execution_role}}
        context.update(kind="serverless", application_id=application_id)
    else:
        raise AwsError("give one of --cluster j-ID or --serverless APPLICATION_ID.")
    credentials = {"username": username or "", "url": url, "auth": chosen_auth}
    return {
        "kernel_python_credentials": dict(credentials),
        "kernel_scala_credentials": dict(credentials),
        "kernel_r_credentials": dict(credentials),
        "authenticators": {**SPARKMAGIC_AUTHENTICATORS, SIGV4_AUTH: SIGV4_AUTHENTICATOR},
        "session_configs": session_conf,
        "all_errors_are_fatal": True,
        "shutdown_session_on_spark_statement_errors": False,
        "cleanup_all_sessions_on_exit": True,
        "livy_session_startup_timeout_seconds": startup_s,
        "ignore_ssl_errors": False,
        "logging_config": copy.deepcopy(LOGGING_CONFIG),
        "emrlab": context,
    }


def default_config_path() -> Path:
    """Where sparkmagic reads its config: $SPARKMAGIC_CONF_DIR/config.json, else ~/.sparkmagic/config.json."""
    folder = os.environ.get("SPARKMAGIC_CONF_DIR") or "~/.sparkmagic"
    return Path(folder).expanduser() / "config.json"


def write_sparkmagic_config(config: dict[str, Any], path: Path) -> Path:
    """Write `config` as JSON to `path` (e.g. ~/.sparkmagic/config.json), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path
