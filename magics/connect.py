"""Resolve `%emr connect` options (--url / --local / --cluster / --serverless) to a Livy endpoint and auth.

The cluster path asks EMR for the Livy address (emrlab.aws.clusters), the serverless path checks and
optionally starts the application (emrlab.aws.serverless) and signs with SigV4, the local path reuses or
starts the local endpoint (emrlab.magics.server.launch). Secrets come from emrlab.magics.credentials.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emrlab.magics import credentials
from emrlab.magics.errors import ConfigurationError, EndpointError

EXECUTION_ROLE_CONF = "emr-serverless.session.executionRoleArn"
AUTH_MODES = ("auto", "none", "bearer", "basic", "kerberos", "sigv4")


@dataclass
class Endpoint:
    """Where a session lives and how to talk to it."""

    url: str
    auth: Any = None  # a requests AuthBase, or None
    verify: bool | str = True  # True, or a CA bundle path (never False)
    kind: str = "url"  # url | local | cluster | serverless
    label: str = ""
    conf: dict[str, str] = field(default_factory=dict)  # settings every session here must carry
    local: Any = None  # the LocalLivy we started, stopped at shutdown
    batches: bool = True  # the endpoint serves /batches
    aws_session: Any = None
    resource_id: str | None = None  # the cluster id or Serverless application id behind it
    region: str | None = None


def _aws_session(args: Any) -> Any:
    from emrlab.aws.session import boto_session

    return boto_session(region=getattr(args, "region", None), profile=getattr(args, "profile", None))


def _connection_file(args: Any) -> Path:
    chosen = getattr(args, "connection_file", None)
    if chosen:
        return Path(chosen).expanduser()
    from emrlab.magics.server import default_connection_file

    return Path(default_connection_file())


def _kerberos_auth() -> Any:
    try:
        from requests_kerberos import OPTIONAL, HTTPKerberosAuth  # type: ignore[import-untyped]
    except ImportError:
        raise ConfigurationError(
            "--auth kerberos needs the optional Kerberos extra: `pip install 'emrlab[kerberos]'` "
            "(it builds gssapi: install libkrb5-dev first), then run `kinit` and connect again"
        ) from None
    return HTTPKerberosAuth(mutual_authentication=OPTIONAL)


def _auth(args: Any, mode: str, url: str, aws_session: Any, prompt: credentials.Prompt | None) -> Any:
    from emrlab.magics import auth

    if mode == "none":
        return None
    if mode == "kerberos":
        return _kerberos_auth()
    if mode == "basic":
        user = getattr(args, "user", None) or os.environ.get("EMRLAB_LIVY_USER")
        if not user:
            raise ConfigurationError("--auth basic needs --user NAME (or $EMRLAB_LIVY_USER)")
        secret = getattr(args, "password_secret", None)
        session = aws_session if aws_session is not None else (_aws_session(args) if secret else None)
        password = credentials.basic_password(user=user, secret_name=secret, session=session, prompt=prompt)
        return auth.BasicAuth(user, password)
    if mode == "bearer":
        token = credentials.local_token(url, connection_file=_connection_file(args), prompt=prompt)
        return auth.BearerAuth(token) if token else None
    if mode == "sigv4":
        return auth.SigV4Auth(aws_session or _aws_session(args), region=getattr(args, "region", None))
    if mode == "auto":  # a token if one is known for this URL, else nothing (and a 401 says what to do)
        token = credentials.local_token(url, connection_file=_connection_file(args), ask=False)
        return auth.BearerAuth(token) if token else None
    raise ConfigurationError(f"--auth must be one of {', '.join(AUTH_MODES)}, got {mode!r}")


def _verify(args: Any) -> bool | str:
    ca_file = getattr(args, "ca_file", None)
    if ca_file:
        path = Path(ca_file).expanduser()
        if not path.is_file():
            raise ConfigurationError(f"--ca-file {ca_file}: no such file; give the PEM bundle of the Livy CA")
        return str(path)
    return True


def resolve(
    args: Any, *, prompt: credentials.Prompt | None = None, on_state: Callable[[str], None] | None = None
) -> Endpoint:
    """The endpoint named by the parsed `%emr connect` arguments (exactly one of the four targets)."""
    targets = [t for t in ("url", "local", "cluster", "serverless") if getattr(args, t, None)]
    if "serverless" in targets and "url" in targets:
        targets.remove("url")  # --url with --serverless: the Livy URL to use instead of the AWS one
    if len(targets) != 1:
        raise ConfigurationError(
            "say where to connect: exactly one of --url URL, --local, --cluster j-XXX, --serverless APP_ID"
        )
    target = targets[0]
    if target == "local":
        return _local(args, prompt)
    if target == "cluster":
        return _cluster(args, prompt)
    if target == "serverless":
        return _serverless(args, prompt, on_state)
    url = str(args.url).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"--url must start with http:// or https://, got {url!r}")
    mode = getattr(args, "auth", None) or "auto"
    aws_session = _aws_session(args) if mode == "sigv4" else None
    conf = {}
    if getattr(args, "execution_role", None):
        conf[EXECUTION_ROLE_CONF] = str(args.execution_role)
    return Endpoint(
        url=url,
        auth=_auth(args, mode, url, aws_session, prompt),
        verify=_verify(args),
        kind="url",
        label=url,
        conf=conf,
        aws_session=aws_session,
    )


def _local(args: Any, prompt: credentials.Prompt | None) -> Endpoint:
    from emrlab.magics import auth
    from emrlab.magics.server import launch

    path = _connection_file(args)
    running = launch.find_running(connection_file=path)
    started = None
    if running is None:
        try:
            running = started = launch.start_local_livy(connection_file=path, exit_with_parent=True)
        except RuntimeError as exc:
            raise EndpointError(
                f"{exc}\nRun `emrlab livy` in a terminal to see why, then connect again"
            ) from None
    verify: bool | str = _verify(args)
    if verify is True and getattr(running, "ca_file", None):
        verify = str(running.ca_file)
    token = getattr(running, "token", None)
    label = f"local endpoint {running.url}" + (" (started)" if started else " (reused)")
    return Endpoint(
        url=str(running.url).rstrip("/"),
        auth=auth.BearerAuth(token) if token else None,
        verify=verify,
        kind="local",
        label=label,
        local=started,
    )


def _cluster(args: Any, prompt: credentials.Prompt | None) -> Endpoint:
    from emrlab.aws import clusters

    session = _aws_session(args)
    found = clusters.livy_endpoint(str(args.cluster), session=session)
    # Livy on EMR has no auth unless LDAP is on: Basic is the default once $EMRLAB_LIVY_USER names a user
    mode = getattr(args, "auth", None) or ("basic" if os.environ.get("EMRLAB_LIVY_USER") else "none")
    if mode in ("auto", "sigv4", "bearer"):
        raise ConfigurationError("--cluster takes --auth none, basic or kerberos")
    where = f"{found.address_kind} address" + (", TLS" if found.tls else "")
    return Endpoint(
        url=str(found.url).rstrip("/"),
        auth=_auth(args, mode, found.url, session, prompt),
        verify=_verify(args),
        kind="cluster",
        label=f"cluster {args.cluster} ({found.cluster_name}, {found.release_label}) via {where}",
        aws_session=session,
        resource_id=str(args.cluster),
        region=getattr(session, "region_name", None),
    )


def _serverless(
    args: Any, prompt: credentials.Prompt | None, on_state: Callable[[str], None] | None
) -> Endpoint:
    from emrlab.aws import serverless
    from emrlab.magics import auth

    role = getattr(args, "execution_role", None)
    if not role:
        raise ConfigurationError(
            "--serverless needs --execution-role ARN: the IAM role the session's Spark runs as"
        )
    session = _aws_session(args)
    app = serverless.application(str(args.serverless), session=session)
    serverless.check_livy_ready(app)
    if str(app.state).upper() != "STARTED":
        if not getattr(args, "start", False):
            raise ConfigurationError(
                f"EMR Serverless application {app.id} is {app.state}: add --start to start it "
                "(and wait), or start it in the console"
            )
        app = serverless.start_application(app.id, session=session, on_state=on_state or (lambda s: None))
    region = getattr(args, "region", None) or app.region
    url = str(getattr(args, "url", None) or serverless.livy_url(app.id, region)).rstrip("/")
    return Endpoint(
        url=url,
        auth=auth.SigV4Auth(session, region=region),
        verify=_verify(args),
        kind="serverless",
        label=f"EMR Serverless {app.id} ({app.name}, {app.release_label})",
        conf={EXECUTION_ROLE_CONF: str(role)},
        batches=False,
        aws_session=session,
        resource_id=app.id,
        region=region,
    )
