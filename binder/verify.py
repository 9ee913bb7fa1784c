"""The last step of `make binder-check` (binder/check.sh): `binder/start python binder/verify.py`.

It runs where Binder's Jupyter server would, with the environment binder/start sourced, and checks that the
demo answers: boto3 lists the seeded EMR clusters from moto, the local Livy endpoint answers, and a Jupyter
server (started here the way Binder starts its own, stopped at the end) serves the emrlab API with the seeded
clusters in every demo region and loads the emrlab labextension. One line on success; exit 1 with the reason
(and the server's log) otherwise.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from emrlab.extension.demo import free_port

MIN_CLUSTERS = 4
START_TIMEOUT = 120.0
CONFIG_DATA = re.compile(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S)


class CheckError(Exception):
    """A check that did not hold; its message says which and why."""


def get(url: str, headers: dict[str, str], timeout: float = 30.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def check_environment() -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if not endpoint.startswith("http://127.0.0.1:"):
        raise CheckError(f"AWS_ENDPOINT_URL is {endpoint!r}, not the local moto server: binder/start's env?")
    if "AWS_PROFILE" in os.environ:
        raise CheckError("AWS_PROFILE is still set after binder/start sourced the demo's environment")
    return endpoint


def check_boto3() -> int:
    import boto3

    clusters = boto3.client("emr").list_clusters()["Clusters"]
    if len(clusters) < MIN_CLUSTERS:
        raise CheckError(f"boto3 listed {len(clusters)} EMR clusters, expected at least {MIN_CLUSTERS}")
    return len(clusters)


def check_livy() -> str:
    urls = sorted(set(json.loads(os.environ["EMRLAB_LIVY_ENDPOINT_OVERRIDES"]).values()))
    if not urls:
        raise CheckError("EMRLAB_LIVY_ENDPOINT_OVERRIDES names no Livy endpoint")
    user, password = os.environ["EMRLAB_LIVY_USER"], os.environ["EMRLAB_LIVY_PASSWORD"]
    auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    for url in urls:
        status, body = get(f"{url}/sessions", {"Authorization": auth})
        if status != 200 or "sessions" not in json.loads(body):
            raise CheckError(
                f"the local Livy endpoint {url} answered GET /sessions with {status}: {body[:300]!r}"
            )
    return ", ".join(urls)


def server_command(port: int, root: Path) -> list[str]:
    command = [
        "jupyter",
        "server",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        f"--ServerApp.root_dir={root}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return command


def tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-3000:]


@contextmanager
def jupyter_server(scratch: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A Jupyter server on a free port of 127.0.0.1; yields its URL and auth header once emrlab's API answers.

    Its token comes from $JUPYTER_TOKEN (not argv); the user's own Jupyter config and data folders are
    replaced by empty ones, so only the prefix's config (what postBuild installed) and the system's apply."""
    token = os.urandom(24).hex()
    headers = {"Authorization": f"token {token}"}
    env = {**os.environ, "JUPYTER_TOKEN": token}
    for name in ("config", "data", "runtime"):
        (scratch / name).mkdir()
        env[f"JUPYTER_{name.upper()}_DIR"] = str(scratch / name)
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = scratch / "jupyter-server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            server_command(port, Path.cwd()),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                status, _ = get(f"{url}/emrlab/api/prices", headers, timeout=5)
                if status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None:
                raise CheckError(f"jupyter server exited with {process.returncode}; its log:\n{tail(log)}")
            if time.monotonic() > deadline:
                raise CheckError(
                    f"the emrlab API did not answer within {START_TIMEOUT:g} s; log:\n{tail(log)}"
                )
            time.sleep(0.3)
        try:
            yield url, headers
        except CheckError as failed:
            raise CheckError(f"{failed}\njupyter server's log:\n{tail(log)}") from None
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def check_api(url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    from emrlab.extension.demo_seed import REGIONS

    status, body = get(f"{url}/emrlab/api/clusters", headers)
    if status != 200:
        raise CheckError(f"GET /emrlab/api/clusters answered {status}: {body[:500]!r}")
    answer = json.loads(body)
    clusters: list[dict[str, Any]] = answer["clusters"]
    if len(clusters) < MIN_CLUSTERS:
        raise CheckError(f"/emrlab/api/clusters listed {len(clusters)} clusters, expected >= {MIN_CLUSTERS}")
    regions: list[str] = answer["account"]["regions"]
    if regions != list(REGIONS):
        raise CheckError(
            f"/emrlab/api/clusters served regions {regions}, the demo seeds {list(REGIONS)}: is postBuild's "
            "emrlab-demo.json (c.EmrLab.regions) in the prefix's etc/jupyter/jupyter_server_config.d?"
        )
    strays = sorted({str(cluster.get("region")) for cluster in clusters} - set(regions))
    if strays:
        raise CheckError(f"/emrlab/api/clusters listed clusters in regions it did not serve: {strays}")
    return len(clusters), regions


def check_labextension(url: str, headers: dict[str, str]) -> None:
    status, body = get(f"{url}/lab", headers)
    found = CONFIG_DATA.search(body.decode("utf-8", errors="replace"))
    if status != 200 or found is None:
        raise CheckError(f"GET /lab answered {status} without JupyterLab's page config")
    names = [extension.get("name") for extension in json.loads(found[1]).get("federated_extensions", [])]
    if "emrlab" not in names:
        raise CheckError(f"JupyterLab did not load the emrlab labextension (it loaded {names})")


def main() -> int:
    try:
        endpoint = check_environment()
        listed = check_boto3()
        livy = check_livy()
        with (
            tempfile.TemporaryDirectory(prefix="emrlab-binder-verify-") as scratch,
            jupyter_server(Path(scratch)) as (url, headers),
        ):
            served, regions = check_api(url, headers)
            check_labextension(url, headers)
    except CheckError as failed:
        print(f"binder/verify.py: FAILED: {failed}", file=sys.stderr)
        return 1
    print(
        f"binder/verify.py: OK: boto3 listed {listed} EMR clusters from moto at {endpoint}; Livy at {livy} "
        f"answers; jupyter server's /emrlab/api/clusters listed {served} in {', '.join(regions)}; "
        "labextension emrlab loaded"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
