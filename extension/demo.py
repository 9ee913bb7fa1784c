"""`emrlab lab --demo`: the whole product without an AWS account.

It starts moto's server (127.0.0.1) seeded with the sample account of emrlab.extension.demo_seed, the
local Livy endpoint (Basic auth, a password made for this run), and JupyterLab pointed at both: AWS calls
go to moto (`AWS_ENDPOINT_URL`, throwaway keys; no profile or credentials file of yours is read), and each
running demo cluster's Livy address is overridden to the local endpoint (`EMRLAB_LIVY_ENDPOINT_OVERRIDES`),
so the panel's Connect runs real Spark. Everything stops on Ctrl-C (or SIGTERM).

`--services-only` starts moto and Livy, writes the environment JupyterLab needs to `--env-file` (a shell file,
mode 0600) and waits; binder/start sources that file, then runs Binder's own JupyterLab.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from emrlab.extension.demo_seed import HOME_REGION, REGIONS, Seeded, seed

DEMO_USER = "demo"
# moto accepts any keys; these are the documented placeholders, not secrets
FAKE_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# removed from the demo's environment so that nothing in it can reach a real account
REAL_ACCOUNT_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
STARTER = "Start here.ipynb"
START_TIMEOUT = 60.0


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(
    target: str | urllib.request.Request, process: subprocess.Popen[bytes], log: Path, what: str
) -> None:
    """Until `target` answers; a RuntimeError with the log's end once the process dies or time runs out."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(target, timeout=5):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process)
                tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
                raise RuntimeError(f"{what} did not start (log: {log}):\n{tail}") from None
            time.sleep(0.2)


@contextmanager
def moto_server(log: Path) -> Iterator[str]:
    """moto's server on a free port of 127.0.0.1, logging to `log` (never a pipe: a full one blocks it)."""
    port = free_port()
    script = Path(sys.executable).with_name("moto_server")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "moto.server"]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*command, "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/moto-api/", process, log, "moto's server")
        yield url
    finally:
        _stop(process)


def aws_environment(moto_url: str, workdir: Path) -> dict[str, str]:
    """The variables that send boto3 (server, kernels, seeding) to moto and away from any real account."""
    return {
        "AWS_ENDPOINT_URL": moto_url,
        **FAKE_KEYS,
        "AWS_DEFAULT_REGION": HOME_REGION,
        "AWS_REGION": HOME_REGION,
        "AWS_CONFIG_FILE": str(workdir / "aws-config-none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "aws-credentials-none"),
        "AWS_EC2_METADATA_DISABLED": "true",  # nor an instance role, on an EC2 machine
    }


def moto_client(moto_url: str, service: str, region: str) -> Any:
    """A boto3 client of `service` in `region` talking to moto at `moto_url` with the fake keys."""
    import boto3

    return boto3.client(
        service,
        region_name=region,
        endpoint_url=moto_url,
        aws_access_key_id=FAKE_KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_KEYS["AWS_SECRET_ACCESS_KEY"],
    )


def seed_account(moto_url: str) -> Seeded:
    """The sample clusters, applications and job runs, created in moto over HTTP."""
    return seed(lambda service, region: moto_client(moto_url, service, region))


@dataclass
class Services:
    """What the demo runs besides JupyterLab, and the environment JupyterLab and its kernels need."""

    moto_url: str
    livy_url: str
    seeded: Seeded
    env: dict[str, str]  # holds the Livy password: write it only to a 0600 file, never print it


@contextmanager
def services(workdir: Path) -> Iterator[Services]:
    """moto (seeded) and the local Livy endpoint, stopped on exit."""
    from emrlab.magics.server.cli import BASIC_PASSWORD_ENV
    from emrlab.magics.server.launch import start_local_livy

    workdir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        moto_url = stack.enter_context(moto_server(workdir / "moto.log"))
        seeded = seed_account(moto_url)
        password = secrets.token_urlsafe(18)
        livy = start_local_livy(
            auth="basic",
            extra_args=["--basic-user", DEMO_USER],
            env={BASIC_PASSWORD_ENV: password},
            connection_file=workdir / "livy.json",
            timeout=START_TIMEOUT,
        )
        stack.callback(livy.stop)
        env = aws_environment(moto_url, workdir)
        env["EMRLAB_LIVY_ENDPOINT_OVERRIDES"] = json.dumps(dict.fromkeys(seeded.connectable, livy.url))
        env["EMRLAB_LIVY_USER"] = DEMO_USER
        env["EMRLAB_LIVY_PASSWORD"] = password
        yield Services(moto_url, livy.url, seeded, env)


def child_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without real-account variables, plus `extra`."""
    env = {key: value for key, value in os.environ.items() if key not in REAL_ACCOUNT_VARIABLES}
    env.update(extra)
    return env


def write_env_file(path: Path, env: Mapping[str, str]) -> None:
    """`export K='v'` lines (and `unset` for real-account variables) for a shell to source. Mode 0600 from
    the start (it holds the Livy password), and complete or absent: written aside, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"export {key}={shlex.quote(value)}\n" for key, value in env.items()]
    lines += [f"unset {key}\n" for key in REAL_ACCOUNT_VARIABLES]
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("".join(lines))
    partial.replace(path)


def write_server_config(path: Path) -> None:
    """The JupyterLab config of the demo: the regions the panel lists."""
    config = {"EmrLab": {"regions": list(REGIONS)}}
    path.write_text(json.dumps(config, indent=1), encoding="utf-8")


def write_lab_settings(workdir: Path) -> dict[str, str]:
    """The demo's own JupyterLab settings and workspaces (not yours): no news question. Their variables."""
    settings = workdir / "lab-settings"
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True, exist_ok=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
    return {
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "workspaces"),
    }


def write_starter(root: Path) -> Path:
    """A notebook to Connect from (kept if the user already has one)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / STARTER
    if path.exists():
        return path
    intro = (
        "# emrlab demo\n\nOpen the **EMR** panel in the left sidebar. Its clusters and EMR Serverless "
        "applications live in a local moto server, and every figure is an estimate from the price "
        "snapshot. Press **Connect** on a running cluster: a cell connecting this notebook is added and "
        "run (the demo's clusters answer on a local Livy endpoint, so Spark really runs). Then run:"
    )
    spark = "%%emr\nspark.range(1000).selectExpr('sum(id) AS total').show()"
    notebook = {
        "cells": [
            {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": intro},
            {
                "cell_type": "code",
                "id": "spark",
                "metadata": {},
                "source": spark,
                "execution_count": None,
                "outputs": [],
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
    return path


def lab_command(root: Path, port: int, config: Path, *, open_browser: bool) -> list[str]:
    """The JupyterLab command line (its token comes from $JUPYTER_TOKEN, never argv)."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--config={config}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.open_browser={open_browser}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


@contextmanager
def jupyterlab(
    root: Path, workdir: Path, env: Mapping[str, str], *, port: int, token: str, open_browser: bool = False
) -> Iterator[str]:
    """JupyterLab on 127.0.0.1:`port` with `env`; yields its URL once the emrlab API answers."""
    config = workdir / "jupyter_server_config.json"
    write_server_config(config)
    lab_state = write_lab_settings(workdir)
    log = workdir / "jupyterlab.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            lab_command(root, port, config, open_browser=open_browser),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=child_environment({**env, **lab_state, "JUPYTER_TOKEN": token}),
            cwd=root,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        # the emrlab API answering means the server runs with the extension loaded
        api = urllib.request.Request(f"{url}/emrlab/api/prices", headers={"Authorization": f"token {token}"})
        _wait_for(api, process, log, "JupyterLab")
        yield url
    finally:
        _stop(process)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _until_interrupted() -> None:
    """Block until Ctrl-C or SIGTERM (both raise KeyboardInterrupt here, see `run`)."""
    while True:
        signal.pause()


def describe(seeded: Seeded) -> str:
    """One line per seeded resource kind, for the console."""
    return (
        f"seeded {len(seeded.clusters)} EMR clusters ({len(seeded.connectable)} connect to the local Livy "
        f"endpoint) and {len(seeded.applications)} EMR Serverless applications in {', '.join(REGIONS)}"
    )


def run(
    *,
    root: Path,
    workdir: Path,
    port: int | None = None,
    token: str | None = None,
    open_browser: bool = True,
    services_only: bool = False,
    env_file: Path | None = None,
    out: Any = sys.stdout,
) -> int:
    """The demo until Ctrl-C or SIGTERM (0 when stopped that way); everything it started is stopped."""
    if services_only and env_file is None:
        raise ValueError("--services-only needs --env-file PATH (where JupyterLab's environment goes)")
    previous = signal.signal(signal.SIGTERM, _interrupt)  # from the first moment: SIGTERM unwinds like Ctrl-C
    try:
        with services(workdir) as running:
            print(describe(running.seeded), file=out, flush=True)
            if env_file is not None:
                write_env_file(env_file, running.env)
                print(f"environment for JupyterLab and its kernels: {env_file}", file=out, flush=True)
            if services_only:
                print("services ready; Ctrl-C stops them", file=out, flush=True)
                _until_interrupted()
            write_starter(root)
            token = token or secrets.token_hex(24)
            lab = jupyterlab(
                root, workdir, running.env, port=port or free_port(), token=token, open_browser=open_browser
            )
            with lab as url:
                print(f"JupyterLab: {url}/lab/tree/{quote(STARTER)}?token={token}", file=out, flush=True)
                print("Ctrl-C stops JupyterLab, moto and the Livy endpoint", file=out, flush=True)
                _until_interrupted()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
