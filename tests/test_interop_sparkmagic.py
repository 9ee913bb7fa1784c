"""sparkmagic as an independent judge of the local endpoint: its PySpark kernel (the kernel EMR Studio uses)
runs a notebook converted with `emrlab convert --target emr-studio`, configured by emrlab's own sparkmagic
config writer; and sparkmagic's LivySession, signed by emrlab's `EmrServerlessAuthenticator`, talks to the
endpoint in SigV4 mode (and is refused with a wrong key)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aws_fixtures import REGION, create_cluster, session
from builders import command, notebook_v1, write_dbc
from interop_kernel import CellFailedError, install_kernelspec, output_text, read_notebook, run_cells
from livy_fixtures import (
    EXECUTION_ROLE,
    SIGV4_ACCESS_KEY,
    SIGV4_REGION,
    SIGV4_SECRET_KEY,
    LivyFactory,
)

from emrlab.aws.sparkmagic_config import (
    EXECUTION_ROLE_CONF,
    LOGGING_CONFIG,
    SIGV4_AUTH,
    SIGV4_AUTHENTICATOR,
    SPARKMAGIC_AUTHENTICATORS,
    sparkmagic_config,
    write_sparkmagic_config,
)
from emrlab.magics.server.launch import LocalLivy

MISSING_TABLE = "no_such_table_interop"
# sparkmagic's widgets (hdijupyterutils, autovizwidget) pass traitlets arguments it deprecates: not ours.
pytestmark = pytest.mark.filterwarnings("ignore:Passing unrecognized arguments:DeprecationWarning")


@pytest.fixture(scope="module")
def open_livy(livy_factory: LivyFactory) -> LocalLivy:
    """An endpoint with `--auth none` for sparkmagic's kernel: emrlab.magics.sparkmagic_auth has no
    bearer-token authenticator (only EmrServerlessAuthenticator), and sparkmagic's built-in ones are
    None / Basic_Access / Kerberos, so the kernel cannot send our bearer token."""
    return livy_factory("none")


@pytest.fixture(scope="module")
def sigv4_livy(livy_factory: LivyFactory) -> LocalLivy:
    return livy_factory("sigv4")


def _sessions(livy: LocalLivy) -> list[dict[str, Any]]:
    response = requests.get(f"{livy.url}/sessions", timeout=10)
    response.raise_for_status()
    return list(response.json()["sessions"])


def _delete_sessions(livy: LocalLivy, keep: set[int]) -> None:
    """Remove the sessions a killed kernel left behind (it never got to delete them itself)."""
    headers = {"X-Requested-By": "emrlab-tests"}
    for found in _sessions(livy):
        if found["id"] not in keep:
            requests.delete(f"{livy.url}/sessions/{found['id']}", headers=headers, timeout=30)


@pytest.fixture
def studio_notebook(tmp_path: Path) -> Path:
    """A Databricks .dbc notebook converted by the CLI with `--target emr-studio`."""
    export = tmp_path / "export"
    export.mkdir()
    notebook = notebook_v1(
        "studio",
        "python",
        [
            command("%md\n# Converted for EMR Studio", 1),
            command(
                "df = spark.range(7).selectExpr('id * 6 AS x')\n"
                "print('total', df.agg({'x': 'sum'}).first()[0])",
                2,
            ),
            command("%sql\nSELECT 40 + 2 AS answer, 'spark' AS engine", 3),
            command(f"spark.sql('SELECT * FROM {MISSING_TABLE}').show()", 4),
            command("print('after the failure')", 5),
        ],
    )
    write_dbc(export / "studio.dbc", {"studio.python": notebook})
    out = tmp_path / "converted"
    cli = Path(sys.executable).with_name("emrlab")
    done = subprocess.run(
        [str(cli), "convert", str(export), "--target", "emr-studio", "-o", str(out), "--jobs", "1", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out / "studio.ipynb"


@pytest.fixture(scope="module")
def kernel_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sparkmagic's pysparkkernel kernelspec installed into a private prefix; the JUPYTER_PATH entry."""
    import sparkmagic

    source = Path(sparkmagic.__file__).parent / "kernels" / "pysparkkernel"
    return install_kernelspec(source, tmp_path_factory.mktemp("kernels"))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_pyspark_kernel_runs_a_converted_studio_notebook(
    open_livy: LocalLivy,
    kernel_path: Path,
    studio_notebook: Path,
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notebook = read_notebook(studio_notebook)
    assert notebook.metadata.kernelspec.name == "pysparkkernel"
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert sources[1].startswith("%%sql"), sources  # the converter's %sql -> sparkmagic's %%sql
    # emrlab's own config writer, for a (moto) cluster whose Livy address is overridden to our endpoint
    cluster_id = create_cluster(session().client("emr"))
    monkeypatch.setenv("EMRLAB_LIVY_ENDPOINT_OVERRIDES", json.dumps({cluster_id: open_livy.url}))
    config = sparkmagic_config(cluster_id=cluster_id, region=REGION, auth="None")
    assert config["kernel_python_credentials"]["url"] == open_livy.url
    assert config["all_errors_are_fatal"] is True
    assert config["logging_config"]["disable_existing_loggers"] is False
    config["livy_session_startup_timeout_seconds"] = 400  # a JVM start on a loaded machine can take minutes
    conf_dir = tmp_path / "sparkmagic"
    write_sparkmagic_config(config, conf_dir / "config.json")
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_path))  # this process's KernelSpecManager finds the spec
    before = {s["id"] for s in _sessions(open_livy)}
    env = {**os.environ, "SPARKMAGIC_CONF_DIR": str(conf_dir), "SPARK_LOCAL_IP": "127.0.0.1"}
    try:
        with pytest.raises(CellFailedError) as failure:
            run_cells(notebook, kernel_name="pysparkkernel", env=env, cwd=tmp_path, timeout=480)
        created = [s for s in _sessions(open_livy) if s["id"] not in before]
    finally:
        _delete_sessions(open_livy, keep=before)
    assert failure.value.ename == "SparkStatementException" and MISSING_TABLE in failure.value.evalue
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "total 126" in output_text(code[0])
    table = output_text(code[1]).replace(" ", "")
    assert "<th>answer</th>" in table and "<td>42</td>" in table and "<td>spark</td>" in table
    errors = [o for o in code[2].outputs if o.output_type == "error"]
    assert errors and MISSING_TABLE in output_text(code[2])
    assert code[3].outputs == [] and code[3].get("execution_count") is None  # the run stopped at the error
    assert [s["kind"] for s in created] == ["pyspark"]  # the kernel's own Livy session, on our endpoint


@pytest.fixture(scope="module")
def sparkmagic_conf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """sparkmagic's configuration module, pointed at a private folder with quiet logging (its default
    config switches off every other logger) and emrlab's authenticators map."""
    folder = tmp_path_factory.mktemp("sparkmagic-conf")
    saved = os.environ.get("SPARKMAGIC_CONF_DIR")
    os.environ["SPARKMAGIC_CONF_DIR"] = str(folder)  # only matters if sparkmagic is not imported yet
    settings = {
        "logging_config": LOGGING_CONFIG,
        "authenticators": {**SPARKMAGIC_AUTHENTICATORS, SIGV4_AUTH: SIGV4_AUTHENTICATOR},
        "livy_session_startup_timeout_seconds": 400,
    }
    (folder / "config.json").write_text(json.dumps(settings))
    from sparkmagic.utils import configuration as conf

    conf.override_all(settings)
    try:
        yield conf
    finally:
        conf.override_all({})
        if saved is None:
            os.environ.pop("SPARKMAGIC_CONF_DIR", None)
        else:
            os.environ["SPARKMAGIC_CONF_DIR"] = saved


@pytest.fixture
def aws_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard AWS chain yields exactly the keys the sigv4 endpoint knows (nothing from ~/.aws)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SIGV4_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SIGV4_SECRET_KEY)
    monkeypatch.setenv("EMRLAB_SIGV4_REGION", SIGV4_REGION)  # a 127.0.0.1 URL names no region


class Display:
    """The IpythonDisplay methods sparkmagic's LivySession calls, recording what it shows."""

    def __init__(self) -> None:
        self.shown: list[Any] = []

    def display(self, value: Any) -> None:
        self.shown.append(value)

    def write(self, value: Any) -> None:
        self.shown.append(value)

    html = writeln = send_error = stderr_flush = stdout_flush = write


def _sparkmagic_client(url: str) -> Any:
    """sparkmagic's own way to a client: its `initialize_auth` resolves the configured `authenticators`
    entry (our class) by name, then Endpoint + LivyReliableHttpClient as its magics build them."""
    from sparkmagic.livyclientlib.endpoint import Endpoint
    from sparkmagic.livyclientlib.livyreliablehttpclient import LivyReliableHttpClient
    from sparkmagic.utils.utils import initialize_auth

    auth = initialize_auth(argparse.Namespace(auth=SIGV4_AUTH, url=url, user=None, password=None))
    assert type(auth).__module__ + "." + type(auth).__name__ == SIGV4_AUTHENTICATOR
    return LivyReliableHttpClient.from_endpoint(Endpoint(url, auth))


@pytest.mark.slow
@pytest.mark.timeout(480)
def test_emr_serverless_authenticator_signs_sparkmagic_sessions(
    sigv4_livy: LocalLivy, sparkmagic_conf: Any, aws_keys: None
) -> None:
    from sparkmagic.livyclientlib.command import Command
    from sparkmagic.livyclientlib.livysession import LivySession

    client = _sparkmagic_client(sigv4_livy.url)
    properties = {"kind": "pyspark", "conf": {EXECUTION_ROLE_CONF: EXECUTION_ROLE}}
    livy_session = LivySession(client, properties, Display())
    livy_session.start()  # POST /sessions (signed, with the execution role) and polls until idle
    try:
        assert livy_session.status == "idle"
        ok, output, mimetype = Command("1 + 1").execute(livy_session)
        assert (ok, output, mimetype) == (True, "2", "text/plain")
    finally:
        livy_session.delete()
    assert client.get_sessions()["sessions"] == []  # signed GET; the session is gone


@pytest.mark.timeout(120)
def test_wrong_secret_key_is_refused_with_403(
    sigv4_livy: LocalLivy, sparkmagic_conf: Any, aws_keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sparkmagic.livyclientlib.exceptions import HttpClientException

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SIGV4_SECRET_KEY + "-wrong")
    client = _sparkmagic_client(sigv4_livy.url)
    with pytest.raises(HttpClientException, match="'403'"):
        client.get_sessions()
    with pytest.raises(HttpClientException, match="'403'"):
        client.post_session({"kind": "pyspark", "conf": {EXECUTION_ROLE_CONF: EXECUTION_ROLE}})
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SIGV4_SECRET_KEY)
    assert _sparkmagic_client(sigv4_livy.url).get_sessions()["sessions"] == []  # right key: no JVM started
