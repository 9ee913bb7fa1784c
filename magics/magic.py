"""The `%emr` / `%%emr` magics: argument parsing and dispatch to connect, registry, cells, submit, manage.

Expected errors (emrlab.magics.errors.EmrError, emrlab.aws.errors.AwsError) end the cell with one clear
line: they are re-raised as IPython's UsageError (exactly that class: IPython prints it without a traceback
and the cell fails); a Spark error also shows the remote traceback. Unexpected errors keep their traceback.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import MagicArgumentParser

from emrlab.magics import configure, connect, credentials, display, manage, submit
from emrlab.magics.cells import CellOptions, CellRunner
from emrlab.magics.errors import AuthError, EmrError, StatementError, spark_error
from emrlab.magics.registry import Registry

LINE_COMMANDS = (
    "connect", "attach", "configure", "sessions", "info", "logs", "delete", "cleanup", "use", "send",
    "submit", "cost", "help",
)  # fmt: skip
CELL_LANGUAGES = ("pyspark", "python", "sql", "scala", "spark")


def _parser(prog: str, description: str) -> MagicArgumentParser:
    # IPython's help formatter prints "%" + prog: "emr connect" shows as "%emr connect", "%emr" as "%%emr"
    parser = MagicArgumentParser(prog=prog, description=description)  # type: ignore[no-untyped-call]
    parser.add_argument("-h", "--help", action="store_true", help="show this help")
    return parser


def _endpoint_options(parser: MagicArgumentParser) -> None:
    group = parser.add_argument_group("where")
    group.add_argument("--url", help="any Livy endpoint, http(s)://host:port")
    group.add_argument("--local", action="store_true", help="the local endpoint (reused, or started)")
    group.add_argument("--cluster", metavar="J_ID", help="an EMR cluster's Livy (found through the EMR API)")
    group.add_argument("--serverless", metavar="APP_ID", help="an EMR Serverless application's Livy endpoint")
    group.add_argument("--region")
    group.add_argument("--profile")
    group.add_argument(
        "--auth",
        choices=connect.AUTH_MODES,
        help="default: cluster none (basic if $EMRLAB_LIVY_USER is set), url token-if-known",
    )
    group.add_argument(
        "--user", help="Basic/LDAP user (the password: $EMRLAB_LIVY_PASSWORD, secret or prompt)"
    )
    group.add_argument(
        "--password-secret", metavar="NAME", help="Secrets Manager secret holding the password"
    )
    group.add_argument("--ca-file", metavar="PEM", help="CA bundle to verify the endpoint's TLS certificate")
    group.add_argument("--execution-role", metavar="ARN", help="EMR Serverless execution role")
    group.add_argument("--start", action="store_true", help="start a stopped Serverless application")
    group.add_argument("--connection-file", help="the local endpoint's connection file")


def _session_options(parser: MagicArgumentParser) -> None:
    parser.add_argument("--name", help="the session's name (reused by name; default: 'default')")
    parser.add_argument("--kind", default="pyspark", choices=("pyspark", "sql", "spark"))
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the session start")
    parser.add_argument("--no-runtime", action="store_true", help="do not install emrlab.runtime remotely")


def build_parsers() -> dict[str, MagicArgumentParser]:
    """One parser per `%emr` command (built once per shell)."""
    parsers: dict[str, MagicArgumentParser] = {}
    p = parsers["connect"] = _parser(
        "emr connect", "Connect to a Livy endpoint and start (or reuse) a session."
    )
    _endpoint_options(p)
    _session_options(p)
    p = parsers["attach"] = _parser("emr attach", "Use an existing Livy session (not deleted at exit).")
    p.add_argument("id", type=int)
    _endpoint_options(p)
    _session_options(p)
    p = parsers["configure"] = _parser(
        "emr configure", "Session settings, applied when a session is (re)created."
    )
    p.add_argument("-f", "--force", action="store_true", help="re-create the current session now")
    p.add_argument("--reset", action="store_true", help="forget earlier settings first")
    p.add_argument("--session", help="the session -f re-creates (default: current)")
    for flag, kind in (
        ("--driver-memory", str), ("--driver-cores", int), ("--executor-memory", str),
        ("--executor-cores", int),
        ("--num-executors", int), ("--jars", str), ("--py-files", str), ("--files", str), ("--archives", str),
        ("--packages", str), ("--heartbeat-timeout", int), ("--ttl", str),
    ):  # fmt: skip
        p.add_argument(flag, type=kind)
    p.add_argument("--conf", action="append", metavar="KEY=VALUE")
    for name, text in (("sessions", "Sessions on the endpoint."), ("info", "This shell's sessions.")):
        p = parsers[name] = _parser(f"emr {name}", text)
        p.add_argument("name", nargs="?")
    p = parsers["logs"] = _parser("emr logs", "The session's Livy log.")
    p.add_argument("name", nargs="?")
    p.add_argument("--size", type=int, default=100)
    p = parsers["delete"] = _parser(
        "emr delete", "Delete a session (default: the current one) and forget it."
    )
    p.add_argument("name", nargs="?")
    parsers["cleanup"] = _parser("emr cleanup", "Delete every session this shell created.")
    p = parsers["use"] = _parser("emr use", "Make NAME the session cells use by default.")
    p.add_argument("name")
    p = parsers["send"] = _parser(
        "emr send", "Send a local pandas DataFrame to the session as a Spark DataFrame."
    )
    p.add_argument("variable")
    p.add_argument("--name", dest="remote", help="the remote name (default: the same)")
    p.add_argument("--session")
    p = parsers["submit"] = _parser(
        "emr submit", "Run FILE.py as a batch job: %emr submit FILE.py [opts] [-- ARGS]"
    )
    submit.add_arguments(p)
    p = parsers["cost"] = _parser(
        "emr cost", "Cost so far, $/h and projection of the connected cluster or Serverless application."
    )
    p.add_argument("name", nargs="?", help="the session whose endpoint to cost (default: current)")
    p = parsers["cell"] = _parser(
        "%emr", "%%emr [pyspark|sql|scala|configure] [options]: run the cell on Spark."
    )
    p.add_argument("language", nargs="?", default="pyspark", choices=(*CELL_LANGUAGES, "configure"))
    p.add_argument("-s", "--session", help="the session name (default: current)")
    p.add_argument("-o", "--output", metavar="VAR", help="a remote DataFrame (or SQL result) -> pandas VAR")
    p.add_argument("-n", "--limit", type=int, help="rows to fetch (-1: all); the count is always stated")
    p.add_argument("-t", "--timeout", type=float, help="seconds to wait for the statement")
    p.add_argument("-q", "--quiet", action="store_true", help="do not show the result")
    return parsers


@magics_class
class EmrMagics(Magics):
    """`%emr COMMAND ...` and `%%emr [LANGUAGE] ...`; see `%emr help`."""

    def __init__(self, shell: Any, *, progress_mode: str | None = None) -> None:
        super().__init__(shell)
        self.registry = Registry(notice=self._notice)
        self.parsers = build_parsers()
        self.progress_mode = progress_mode or display.frontend_kind(shell)
        self.prompt: credentials.Prompt | None = None  # None: getpass (stdin request in kernels)
        self.cells = CellRunner(
            self.registry, show=self._show, write=self._write, progress=self._progress, user_ns=shell.user_ns
        )

    # ---- output helpers -----------------------------------------------------------------------------
    def _notice(self, text: str) -> None:
        print(f"emr: {text}", flush=True)

    def _write(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def _show(self, bundle: dict[str, Any]) -> None:
        from IPython.display import display as ipy_display

        ipy_display(bundle, raw=True)  # type: ignore[no-untyped-call]

    def _progress(self, label: str, delay: float = 0.5) -> display.Progress:
        return display.Progress(label, mode=self.progress_mode, delay=delay)

    # ---- the magic ----------------------------------------------------------------------------------
    @line_cell_magic
    def emr(self, line: str, cell: str | None = None) -> Any:
        """Connect to EMR (clusters, Serverless) or a local endpoint and run Spark; `%emr help` for more."""
        try:
            return self._dispatch(line, cell)
        except StatementError as exc:
            raise spark_error(exc) from None
        except EmrError as exc:
            raise UsageError(str(exc)) from None
        except Exception as exc:
            if _is_aws_error(exc):
                raise UsageError(str(exc)) from None
            raise

    def _dispatch(self, line: str, cell: str | None) -> Any:
        head, json_text = line, None
        if cell is None and line.split(None, 1)[:1] == ["configure"]:
            head, json_text = configure.split_line(line)  # JSON may hold quotes shlex cannot split
        try:
            tokens = shlex.split(head) if head.strip() else []
        except ValueError as exc:
            raise UsageError(f"cannot split the magic line ({exc}): check its quotes") from None
        credentials.reject_secret_options(tokens)
        if cell is not None:
            return self._cell(tokens, cell)
        if not tokens:
            return self._help([])
        command, rest = tokens[0], tokens[1:]
        if command not in LINE_COMMANDS:
            raise UsageError(f"unknown %emr command {command!r}: use one of {', '.join(LINE_COMMANDS)}")
        if command == "help":
            return self._help(rest)
        job_args: list[str] = []
        if command == "submit" and "--" in rest:
            cut = rest.index("--")
            rest, job_args = rest[:cut], rest[cut + 1 :]
        if command == "configure":
            return self._configure(self._parse(command, rest), json_text)
        args = self._parse(command, rest)
        if args is None:
            return None
        handler: Callable[..., Any] = getattr(self, f"_{command}")
        return handler(args, job_args) if command == "submit" else handler(args)

    def _parse(self, command: str, tokens: list[str]) -> Any:
        parser = self.parsers[command]
        args = parser.parse_args(tokens)
        if args.help:
            print(parser.format_help())
            return None
        return args

    def _help(self, rest: list[str]) -> None:
        if rest and rest[0] in self.parsers:
            print(self.parsers[rest[0]].format_help())
            return
        print(
            "%emr connect --local | --url URL | --cluster j-XXX | --serverless APP --execution-role ARN\n"
            "      [--name N]\n"
            "%%emr [sql|scala] [-s NAME] [-o VAR] [-n LIMIT]    run the cell on Spark\n"
            "%emr " + " | ".join(LINE_COMMANDS[1:]) + "\n"
            "Secrets never go on the magic line: $EMRLAB_LIVY_TOKEN, $EMRLAB_LIVY_PASSWORD,\n"
            "--password-secret NAME "
            "or a prompt. `%emr help COMMAND` for a command's options."
        )

    # ---- commands -----------------------------------------------------------------------------------
    def _cell(self, tokens: list[str], cell: str) -> None:
        if not tokens:
            return self.cells.run(CellOptions(), cell)  # the fast path: no argparse for a plain %%emr
        if tokens[0] == "configure":
            return self._configure(self._parse("configure", tokens[1:]), cell)
        args = self._parse("cell", tokens)
        if args is None:
            return None
        options = CellOptions(args.language, args.session, args.output, args.limit, args.timeout, args.quiet)
        return self.cells.run(options, cell)

    def _connect(self, args: Any, attach_id: int | None = None) -> None:
        bar = self._progress("connecting", delay=0.0)
        endpoint: connect.Endpoint | None = None
        try:
            endpoint = connect.resolve(args, prompt=self.prompt, on_state=bar.state)
            entry = self.registry.connect(
                args.name or "default",
                endpoint,
                explicit_name=args.name is not None,
                kind=args.kind,
                runtime=not args.no_runtime,
                attach_id=attach_id,
                start_timeout=args.timeout,
                on_state=lambda state: bar.state(f"session {state}"),
            )
        except AuthError as exc:
            if endpoint is None or endpoint.auth is not None or endpoint.kind != "url":
                raise
            raise AuthError(
                f"{exc}. For an emrlab endpoint: set $EMRLAB_LIVY_TOKEN, pass --connection-file PATH, or add "
                "--auth bearer to be asked for the token",
                status=exc.status,
                hint=exc.hint,
            ) from None
        finally:
            bar.close()
        info = entry.info
        state = info.state if info else "unknown"
        self._notice(
            f"connected {entry.name!r} to {endpoint.label}: Livy session {entry.session_id} ({state})"
        )

    def _attach(self, args: Any) -> None:
        if not any(getattr(args, t) for t in ("url", "local", "cluster", "serverless")):
            current = self.registry.get(None)
            self.registry.connect(
                args.name or f"session-{args.id}", current.endpoint, explicit_name=False, kind=args.kind,
                runtime=not args.no_runtime, attach_id=args.id,
            )  # fmt: skip
            return
        self._connect(args, attach_id=args.id)

    def _configure(self, args: Any, json_text: str | None) -> None:
        if args is None:
            return
        update = configure.parse_flags(args)
        if json_text and json_text.strip():
            update = configure.merge(update, configure.parse_json(json_text))
        base = {} if args.reset else self.registry.settings
        self.registry.settings = configure.merge(base, update)
        self._notice("session settings:\n" + configure.describe(self.registry.settings))
        if args.force:
            entry = self.registry.get(args.session)
            self.registry.recreate(entry, "is being re-created with the new settings (-f)")
        elif self.registry.entries:
            self._notice(
                "they apply to sessions created from now on; add -f to re-create the current one now"
            )

    def _sessions(self, args: Any) -> None:
        self._show(manage.sessions_table(self.registry, args.name))

    def _info(self, args: Any) -> None:
        if not self.registry.entries:
            self._notice("not connected: %emr connect --local | --url URL | --cluster ID | --serverless APP")
            return
        self._show(manage.info_table(self.registry, args.name))

    def _logs(self, args: Any) -> None:
        self._write(manage.logs_text(self.registry, args.name, args.size) + "\n")

    def _delete(self, args: Any) -> None:
        entry = self.registry.delete(args.name)
        self._notice(f"deleted session {entry.name!r} (Livy id {entry.session_id})")

    def _cleanup(self, args: Any) -> None:
        done = self.registry.cleanup()
        self._notice("; ".join(done) if done else "nothing to clean up")

    def _use(self, args: Any) -> None:
        self.registry.current = self.registry.get(args.name).name
        self._notice(f"cells now run on {args.name!r}")

    def _send(self, args: Any) -> None:
        self._notice(self.cells.send(args.session, args.variable, args.remote))

    def _submit(self, args: Any, job_args: list[str]) -> None:
        bar = self._progress(f"submitting {args.file}", delay=0.0)

        def local_endpoint() -> connect.Endpoint:
            return connect.resolve(
                _Namespace(local=True, connection_file=args.connection_file), prompt=self.prompt
            )

        try:
            summary = submit.submit(args, job_args, on_state=lambda s: bar.state(f"{args.file}: {s}"),
                                    local_endpoint=local_endpoint)  # fmt: skip
        finally:
            bar.close()
        self._write("\n".join(summary.lines()) + "\n")

    def _cost(self, args: Any) -> None:
        from emrlab.magics.cost import cost_bundle

        self._show(cost_bundle(self.registry.get(args.name).endpoint))


class _Namespace:
    """A tiny argparse.Namespace stand-in whose missing attributes are None."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        return None


def _is_aws_error(exc: BaseException) -> bool:
    aws_errors = sys.modules.get("emrlab.aws.errors")
    return aws_errors is not None and isinstance(exc, aws_errors.AwsError)
