"""Every `/emrlab/` route refuses unauthenticated and cross-site requests, in a real jupyter_server process
(127.0.0.1, a token) whose AWS is moto. The routes come from the extension's own handler list, so a route
added later without `@tornado.web.authenticated` fails here.

Refused: any method without the token or login cookie (403/401/302); a POST with the login cookie but no
XSRF token (what a cross-site form would send); a POST with cookie + XSRF from a cross-site Origin. The
moto cluster the POSTs name must still be WAITING afterwards (nothing reached AWS).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aws_fixtures import REGION, create_cluster

from emrlab.aws.session import boto_session, client
from emrlab.extension.demo import free_port
from emrlab.extension.handlers import ID, ROUTES

pytestmark = pytest.mark.timeout(180)
TOKEN = "auth-test-token-5f1c"
REFUSED = {401, 403, 302}


@pytest.fixture
def server(aws_env: str, tmp_path: Path) -> Iterator[str]:
    """`python -m jupyter_server` with the emrlab extension on 127.0.0.1; yields its URL, stops it after."""
    port = free_port()
    root = tmp_path / "root"
    root.mkdir()
    env = dict(os.environ)
    for name in ("JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR"):
        env[name] = str(tmp_path / name.lower())
    log = (tmp_path / "server.log").open("w")
    command = [
        sys.executable, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        f"--IdentityProvider.token={TOKEN}", "--no-browser", "--allow-root", f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0", "--ServerApp.jpserver_extensions={'emrlab.extension': True}",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if requests.get(f"{url}/api/status", headers=_token(), timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass  # not listening yet: poll again until the deadline
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                f"jupyter_server did not start: {(tmp_path / 'server.log').read_text()[-2000:]}"
            )
        time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _token() -> dict[str, str]:
    return {"Authorization": f"token {TOKEN}"}


def _urls(base: str, resource_id: str) -> list[tuple[str, set[str]]]:
    """Each route's URL and the methods its handler implements (others answer 405 before any work)."""
    return [
        (
            f"{base}/emrlab/api/{pattern.replace(ID, resource_id)}",
            {m for m in ("GET", "POST") if m.lower() in vars(handler)},
        )
        for pattern, handler in ROUTES
    ]


def _logged_in(url: str) -> requests.Session:
    """A browser-like session: the login cookie and the _xsrf cookie, as JupyterLab has them."""
    browser = requests.Session()
    browser.get(f"{url}/login", timeout=10)
    reply = browser.post(
        f"{url}/login", data={"password": TOKEN, "_xsrf": browser.cookies["_xsrf"]}, allow_redirects=False
    )
    assert reply.status_code == 302, reply.text
    return browser


def test_every_route_needs_the_token_and_refuses_cross_site_posts(server: str) -> None:
    emr = client(boto_session(REGION), "emr")
    cluster_id = create_cluster(emr, name="precious")
    urls = _urls(server, cluster_id)
    assert len(urls) == len(ROUTES) >= 8
    for url, methods in urls:
        assert methods, f"{url}: its handler implements no method"
        for method in ("GET", "POST"):
            refused = REFUSED if method in methods else REFUSED | {405}
            reply = requests.request(method, url, data="{}", allow_redirects=False, timeout=30)
            assert reply.status_code in refused, (
                f"{method} {url} answered {reply.status_code} without a token"
            )
            wrong = requests.request(
                method,
                url,
                data="{}",
                headers={"Authorization": "token wrong"},
                allow_redirects=False,
                timeout=30,
            )
            assert wrong.status_code in refused, f"{method} {url} accepted a wrong token"

    browser = _logged_in(server)
    assert browser.get(f"{server}/emrlab/api/prices", timeout=30).status_code == 200  # the cookie works
    xsrf = browser.cookies["_xsrf"]
    for url, methods in urls:
        if "POST" not in methods:
            continue
        forged = browser.post(url, data="{}", allow_redirects=False, timeout=30)
        assert forged.status_code == 403, f"POST {url} accepted without the XSRF token"
        cross = browser.post(
            url,
            data="{}",
            headers={"X-XSRFToken": xsrf, "Origin": "http://evil.example"},
            allow_redirects=False,
            timeout=30,
        )
        assert cross.status_code in (403, 404), f"POST {url} accepted from a cross-site Origin"

    assert emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"] == "WAITING"
    done: Any = browser.post(
        f"{server}/emrlab/api/clusters/{cluster_id}/terminate",
        data="{}",
        headers={"X-XSRFToken": xsrf},
        timeout=60,
    )
    assert done.status_code == 200, done.text  # the same request, same-site and with XSRF: accepted
    assert emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"].startswith("TERMINAT")
