"""The %emr magics without Spark: parsing, refusing secrets on the line, configure, credentials, progress
throttling, the cheap `import emrlab`, and the one-line errors — through a real IPython shell."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import emrlab.magics
from emrlab.magics import configure, credentials, display
from emrlab.magics.connect import Endpoint
from emrlab.magics.errors import ConfigurationError
from emrlab.magics.registry import Entry, Registry


@pytest.fixture(scope="module")
def ip() -> InteractiveShell:
    """The process's IPython shell with `%load_ext emrlab` done."""
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "emrlab")
    return shell


def magics_of(shell: InteractiveShell) -> Any:
    return emrlab.magics._LOADED[id(shell)]


def failing(shell: InteractiveShell, cell: str) -> BaseException:
    """Run `cell`; assert it failed and return the exception."""
    result = shell.run_cell(cell)
    assert not result.success, f"{cell!r} should fail"
    assert result.error_in_exec is not None
    return result.error_in_exec


def test_import_emrlab_stays_cheap() -> None:
    code = (
        "import sys, emrlab, emrlab.magics; "
        "assert 'IPython' not in sys.modules, 'IPython imported'; "
        "assert 'requests' not in sys.modules, 'requests imported'; "
        "assert callable(emrlab.load_ipython_extension)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_load_ext_registers_line_and_cell_magic(ip: InteractiveShell) -> None:
    assert "emr" in ip.magics_manager.magics["line"]
    assert "emr" in ip.magics_manager.magics["cell"]
    ip.run_line_magic("load_ext", "emrlab")  # a second load is a no-op
    assert isinstance(magics_of(ip).registry, Registry)


@pytest.mark.parametrize(
    "line",
    [
        "connect --url http://127.0.0.1:9 --password hunter2",
        "connect --url http://127.0.0.1:9 --token=hunter2",
        "connect --cluster j-1 --auth basic --user u -p hunter2",
    ],
)
def test_secrets_on_the_magic_line_are_refused(
    ip: InteractiveShell, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    error = failing(ip, f"%emr {line}")
    assert type(error) is UsageError
    assert "EMRLAB_LIVY_PASSWORD" in str(error) and "--password-secret" in str(error)
    err = capsys.readouterr().err
    assert "hunter2" not in err and "hunter2" not in str(error)
    assert err.strip().startswith("UsageError:") and "Traceback" not in err


def test_unknown_command_and_help(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    error = failing(ip, "%emr frobnicate")
    assert "unknown %emr command 'frobnicate'" in str(error)
    ip.run_line_magic("emr", "help")
    assert "%emr connect --local" in capsys.readouterr().out
    ip.run_line_magic("emr", "connect --help")
    assert "--serverless" in capsys.readouterr().out
    error = failing(ip, "%emr connect --bogus")
    assert "unrecognized arguments: --bogus" in str(error)


def test_cells_before_connect_say_how_to_connect(ip: InteractiveShell) -> None:
    error = failing(ip, "%%emr\n1 + 1")
    assert type(error) is UsageError and "%emr connect --local" in str(error)
    error = failing(ip, "%%emr -s nope\n1 + 1")
    assert "no session named 'nope'" in str(error) and "--name nope" in str(error)


@pytest.mark.timeout(60)
def test_unreachable_endpoint_is_one_clear_line(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = failing(ip, f"%emr connect --url http://127.0.0.1:{port} --auth none --name unreachable")
    assert type(error) is UsageError
    assert f"127.0.0.1:{port}" in str(error)
    assert "Traceback" not in capsys.readouterr().err
    assert "unreachable" not in magics_of(ip).registry.entries


def test_kerberos_without_the_extra_says_what_to_install(
    ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "requests_kerberos", None)  # what a missing optional package looks like
    error = failing(ip, "%emr connect --url http://127.0.0.1:9 --auth kerberos")
    assert "emrlab[kerberos]" in str(error)


def test_configure_flags_then_json_merge_and_apply_to_the_spec(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = magics_of(ip).registry
    ip.run_line_magic("emr", "configure --reset --driver-memory 2g --num-executors 3 --conf spark.a=1")
    ip.run_cell_magic(
        "emr", "configure", '{"executorMemory": "4g", "conf": {"spark.b": "2"}, "jars": "x.jar,y.jar"}'
    )
    ip.run_line_magic("emr", 'configure {"pyFiles": ["s3://b/dep.zip"], "name": "it\'s"}')
    assert '"driverMemory": "2g"' in capsys.readouterr().out
    entry = Entry(
        name="n",
        endpoint=Endpoint(url="http://x", conf={"emr-serverless.session.executionRoleArn": "arn:role"}),
        client=None,  # type: ignore[arg-type]  # spec() does not talk to the endpoint
    )
    body = registry.spec(entry).to_json()
    assert body["driverMemory"] == "2g" and body["numExecutors"] == 3 and body["executorMemory"] == "4g"
    assert body["conf"] == {
        "spark.a": "1",
        "spark.b": "2",
        "emr-serverless.session.executionRoleArn": "arn:role",
    }
    assert body["jars"] == ["x.jar", "y.jar"] and body["pyFiles"] == ["s3://b/dep.zip"]
    assert body["name"] == "it's" and body["kind"] == "pyspark"
    ip.run_line_magic("emr", "configure --reset")
    assert registry.settings == {}
    assert "numExecutors" in str(failing(ip, '%emr configure {"numExecutor": 3}'))
    assert "not valid JSON" in str(failing(ip, "%%emr configure\n{driverMemory: 2g}"))
    assert "KEY=VALUE" in str(failing(ip, "%emr configure --conf novalue"))


def test_configure_parsers_directly() -> None:
    assert configure.parse_json('{"driver_cores": "2", "ttl": "2h"}') == {"driver_cores": 2, "ttl": "2h"}
    with pytest.raises(ConfigurationError, match="integer"):
        configure.parse_json('{"numExecutors": "many"}')
    assert configure.merge({"conf": {"a": "1"}}, {"conf": {"b": "2"}}) == {"conf": {"a": "1", "b": "2"}}
    assert configure.split_line('-f {"a": 1}') == ("-f ", '{"a": 1}')


def test_password_from_env_then_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(credentials.PASSWORD_ENV, "from-env")
    assert credentials.basic_password(user="u") == "from-env"
    monkeypatch.delenv(credentials.PASSWORD_ENV)
    asked: list[str] = []
    assert credentials.basic_password(user="u", prompt=lambda text: asked.append(text) or "typed") == "typed"
    assert asked == ["Livy password for u: "]

    class StdinNotImplementedError(Exception):  # what ipykernel raises when the frontend has no stdin
        pass

    def no_stdin(text: str) -> str:
        raise StdinNotImplementedError("no stdin")

    with pytest.raises(ConfigurationError, match="EMRLAB_LIVY_PASSWORD"):
        credentials.basic_password(user="u", prompt=no_stdin)


def test_password_from_secrets_manager(aws_env: str) -> None:
    from emrlab.aws.session import boto_session

    session = boto_session("us-east-1")
    api = session.client("secretsmanager")
    api.create_secret(Name="livy/plain", SecretString="s3cret")
    api.create_secret(Name="livy/json", SecretString=json.dumps({"username": "u", "password": "j-s3cret"}))
    assert credentials.basic_password(user="u", secret_name="livy/plain", session=session) == "s3cret"
    assert credentials.basic_password(user="u", secret_name="livy/json", session=session) == "j-s3cret"
    with pytest.raises(ConfigurationError, match="ResourceNotFoundException"):
        credentials.basic_password(user="u", secret_name="livy/missing", session=session)


def test_local_token_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(credentials.TOKEN_ENV, raising=False)
    path = tmp_path / "conn.json"
    path.write_text(json.dumps({"url": "http://127.0.0.1:5/", "token": "file-token"}))
    assert credentials.local_token("http://127.0.0.1:5", connection_file=path) == "file-token"
    assert credentials.local_token("http://other:5", connection_file=path, ask=False) is None
    assert (
        credentials.local_token("http://other:5", connection_file=path, prompt=lambda t: "typed") == "typed"
    )
    monkeypatch.setenv(credentials.TOKEN_ENV, "env-token")
    assert credentials.local_token("http://other:5", connection_file=path) == "env-token"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Handle:
    def __init__(self, shown: list[str]) -> None:
        self.shown = shown

    def update(self, bundle: dict[str, str], raw: bool) -> None:
        self.shown.append(bundle["text/plain"])


def test_progress_is_delayed_and_throttled() -> None:
    clock, shown = FakeClock(), []

    def show(bundle: dict[str, str], raw: bool, display_id: bool) -> Handle:
        shown.append(bundle["text/plain"])
        return Handle(shown)

    bar = display.Progress("stmt", mode="kernel", delay=0.5, interval=0.25, clock=clock, display=show)
    for step in range(100):  # a fast statement: 100 polls within 0.1 s -> nothing drawn
        clock.now += 0.001
        bar(step / 100)
    assert bar.draws == 0
    bar.close()
    assert shown == []
    for _ in range(40):  # 2 s of polls every 50 ms after the delay -> at most one draw per 0.25 s
        clock.now += 0.05
        bar(0.5)
    assert 6 <= bar.draws <= 7
    assert "50%" in shown[-1] and "[###############" in shown[-1]
    bar.close()
    assert shown[-1].startswith("done in")


@pytest.mark.timeout(120)
def test_tls_is_verified_against_the_given_ca(ip: InteractiveShell, livy_factory: Any) -> None:
    # a generated certificate, its CA in the connection file; slow_start keeps a JVM from starting
    livy = livy_factory("bearer", tls=True, extra_args=["--faults", json.dumps({"slow_start": 60})])
    assert livy.url.startswith("https://") and livy.ca_file
    conn = f"--connection-file {livy.connection_file}"
    error = failing(ip, f"%emr connect --url {livy.url} {conn} --name tls")
    assert type(error) is UsageError and "certificate verify failed" in str(error)
    assert "--ca-file" in str(error)
    # with the CA bundle the handshake and the token pass: the session is created (then given up on)
    error = failing(
        ip, f"%emr connect --url {livy.url} {conn} --ca-file {livy.ca_file} --timeout 0.5 --name tls"
    )
    assert "gave up waiting for Livy session" in str(error)
    assert "tls" not in magics_of(ip).registry.entries
    assert "no such file" in str(failing(ip, f"%emr connect --url {livy.url} --ca-file /nonexistent.pem"))


@pytest.mark.timeout(120)
def test_session_start_timeout_leaves_nothing_behind(ip: InteractiveShell, livy_factory: Any) -> None:
    from livy_fixtures import bearer_http

    livy = livy_factory("bearer", extra_args=["--faults", json.dumps({"slow_start": 60})])
    conn = f"--connection-file {livy.connection_file}"
    error = failing(ip, f"%emr connect --url {livy.url} {conn} --timeout 1 --name slow")
    assert "gave up waiting" in str(error) and "raise the timeout" in str(error)
    assert bearer_http(livy).get(f"{livy.url}/sessions", timeout=10).json()["sessions"] == []
    assert "slow" not in magics_of(ip).registry.entries  # the next connect starts from scratch


def test_unexpected_errors_keep_their_traceback(
    ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(name: str | None = None) -> Any:
        raise RuntimeError("a bug, not a user error")

    monkeypatch.setattr(magics_of(ip).registry, "get", broken)
    error = failing(ip, "%%emr\n1")
    assert type(error) is RuntimeError and error.__traceback__ is not None


@pytest.mark.timeout(60)
def test_missing_token_says_where_to_put_it(
    ip: InteractiveShell, livy_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    livy = livy_factory("bearer")
    monkeypatch.delenv(credentials.TOKEN_ENV, raising=False)
    error = failing(ip, f"%emr connect --url {livy.url} --name notoken")
    assert "401" in str(error) and "EMRLAB_LIVY_TOKEN" in str(error) and "--auth bearer" in str(error)
    assert str(livy.token) not in str(error)
    magics_of(ip).prompt = lambda text: "wrong-token"  # what a user would type at the getpass prompt
    try:
        error = failing(ip, f"%emr connect --url {livy.url} --auth bearer --name notoken")
    finally:
        magics_of(ip).prompt = None
    assert "401" in str(error) and "Check the bearer token" in str(error)
