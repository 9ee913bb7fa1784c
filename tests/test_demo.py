"""`emrlab lab --demo`: its services (moto seeded with the sample account, the local Livy endpoint) as Binder
starts them, the environment file JupyterLab sources, and the command line's refusals."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

import pytest

from emrlab.cli import main
from emrlab.extension.demo import moto_client, write_env_file
from emrlab.extension.demo_seed import APPLICATIONS, CLUSTERS, HOME_REGION

pytestmark = pytest.mark.slow


def _source(env_file: Path) -> dict[str, str]:
    """The environment a shell has after `source env_file` (starting with AWS_PROFILE set)."""
    shown = subprocess.run(
        ["bash", "-c", f"source {env_file} && env -0"],
        env={"PATH": os.environ["PATH"], "AWS_PROFILE": "production"},
        capture_output=True,
        check=True,
    ).stdout.decode()
    return dict(line.split("=", 1) for line in shown.split("\0") if "=" in line)


def test_env_file_is_private_and_sources_back_exactly(tmp_path: Path) -> None:
    tricky = {
        "EMRLAB_LIVY_ENDPOINT_OVERRIDES": '{"j-1": "http://127.0.0.1:1"}',
        "EMRLAB_LIVY_PASSWORD": "a'b $c",
    }
    env_file = tmp_path / "demo.env"
    write_env_file(env_file, tricky)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    sourced = _source(env_file)
    assert {key: sourced[key] for key in tricky} == tricky
    assert "AWS_PROFILE" not in sourced  # a real profile would win over the demo's keys


def test_lab_refuses_without_demo_or_env_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab"]) == 2
    assert "add --demo" in capsys.readouterr().err
    assert main(["lab", "--demo", "--services-only"]) == 2
    assert "--services-only needs --env-file" in capsys.readouterr().err


def _wait_for(path: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the demo's services did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def _status(url: str, auth: str | None) -> int:
    request = urllib.request.Request(f"{url}/sessions")
    if auth:
        request.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _start_services(tmp_path: Path, env_file: Path, log: Path) -> subprocess.Popen[bytes]:
    """`emrlab lab --demo --services-only` in a process group of its own (to see that none of it is left)."""
    command = [sys.executable, "-m", "emrlab", "lab", "--demo", "--services-only", "--root", str(tmp_path)]
    with log.open("wb") as sink:
        return subprocess.Popen(
            [*command, "--env-file", str(env_file)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _group_gone(group: int, seconds: float = 30) -> bool:
    """Whether every process of process group `group` has exited (within `seconds`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    os.killpg(group, signal.SIGKILL)
    return False


def test_sigterm_while_the_services_start_leaves_no_process(tmp_path: Path) -> None:
    log = tmp_path / "services.log"
    process = _start_services(tmp_path, tmp_path / "demo.env", log)
    moto_log = tmp_path / ".emrlab-demo" / "moto.log"
    deadline = time.monotonic() + 60
    while not moto_log.exists():  # moto is starting: the middle of the services' start
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, log.read_text()[-3000:]
    assert _group_gone(process.pid), "moto or Livy outlived the demo"
    assert not (tmp_path / "demo.env").exists()


def test_services_only_seeds_moto_serves_livy_and_stops_on_sigterm(tmp_path: Path) -> None:
    env_file = tmp_path / "demo.env"
    log = tmp_path / "services.log"
    process = _start_services(tmp_path, env_file, log)
    try:
        _wait_for(env_file, process, log)
        env = _source(env_file)
        moto_url = env["AWS_ENDPOINT_URL"]
        assert moto_url.startswith("http://127.0.0.1:")

        clusters = moto_client(moto_url, "emr", HOME_REGION).list_clusters()["Clusters"]
        names = {c["Name"]: c["Status"]["State"] for c in clusters}
        assert names == {s.name: ("TERMINATED" if s.terminated else "WAITING") for s in CLUSTERS}
        apps = moto_client(moto_url, "emr-serverless", HOME_REGION).list_applications()["applications"]
        assert {a["name"] for a in apps} == {a.name for a in APPLICATIONS}

        overrides = json.loads(env["EMRLAB_LIVY_ENDPOINT_OVERRIDES"])
        running = {c["Id"] for c in clusters if c["Status"]["State"] == "WAITING"}
        assert set(overrides) <= running and len(overrides) >= 3
        livy = next(iter(overrides.values()))
        basic = (
            "Basic " + b64encode(f"{env['EMRLAB_LIVY_USER']}:{env['EMRLAB_LIVY_PASSWORD']}".encode()).decode()
        )
        assert _status(livy, basic) == 200
        assert _status(livy, None) == 401
        assert env["EMRLAB_LIVY_PASSWORD"] not in log.read_text()  # never printed
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, log.read_text()[-3000:]
    assert _group_gone(process.pid), "moto or Livy outlived the demo"
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{moto_url}/moto-api/", timeout=5)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{livy}/sessions", timeout=5)
