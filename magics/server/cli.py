"""`python -m emrlab.magics.server` / `emrlab livy`: options, the app, serving, cleanup on SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tornado.httpserver import HTTPServer
from tornado.ioloop import PeriodicCallback
from tornado.netutil import bind_sockets

from emrlab.magics.server.app import ServerState, make_app
from emrlab.magics.server.auth import Authenticator, BasicAuth, BearerAuth, NoAuth, SigV4Auth
from emrlab.magics.server.batches import BatchManager
from emrlab.magics.server.connection import (
    default_connection_file,
    remove_connection_file,
    write_connection_file,
)
from emrlab.magics.server.faults import Faults
from emrlab.magics.server.repl import terminate_group, wait_group_gone
from emrlab.magics.server.sessions import SessionManager
from emrlab.magics.server.sigv4verify import SigV4Verifier
from emrlab.magics.server.tlscert import make_certificates

TOKEN_ENV = "EMRLAB_LIVY_TOKEN"
BASIC_PASSWORD_ENV = "EMRLAB_LIVY_BASIC_PASSWORD"
SIGV4_ACCESS_ENV = "EMRLAB_LIVY_SIGV4_ACCESS_KEY"
SIGV4_SECRET_ENV = "EMRLAB_LIVY_SIGV4_SECRET_KEY"


def build_parser() -> argparse.ArgumentParser:
    """The command line of the local endpoint."""
    parser = argparse.ArgumentParser(
        prog="emrlab livy",
        description="A local Livy-compatible endpoint (PySpark REPLs on local[*]); binds 127.0.0.1.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8998, help="port (0 picks a free one; default 8998)")
    parser.add_argument("--auth", choices=("bearer", "basic", "sigv4", "none"), default="bearer")
    parser.add_argument("--token", help=f"bearer token (default ${TOKEN_ENV}, else generated and printed)")
    parser.add_argument("--basic-user", help=f"basic auth user (password from ${BASIC_PASSWORD_ENV})")
    parser.add_argument("--sigv4-region", default="us-east-1", help="region SigV4 scopes must name")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a generated certificate")
    parser.add_argument("--csrf", action="store_true", help="require X-Requested-By on non-GET requests")
    parser.add_argument("--max-result", type=int, default=1000, help="row cap of kind sql statements")
    parser.add_argument("--session-idle-timeout", type=float, help="delete sessions idle this many seconds")
    parser.add_argument("--connection-file", type=Path, help="where to write the connection file")
    parser.add_argument("--faults", help="fault injection JSON (the keys of POST /_emrlab/faults)")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr (never their secrets)")
    parser.add_argument(
        "--exit-with-parent", action="store_true", help="stop when the process that started it dies"
    )
    return parser


def make_authenticator(args: argparse.Namespace) -> tuple[Authenticator, str | None, bool]:
    """The authenticator, the bearer token (for the connection file), and whether the token was generated."""
    if args.auth == "none":
        return NoAuth(), None, False
    if args.auth == "basic":
        return BasicAuth(args.basic_user or "", os.environ.get(BASIC_PASSWORD_ENV, "")), None, False
    if args.auth == "sigv4":
        access, secret = os.environ.get(SIGV4_ACCESS_ENV), os.environ.get(SIGV4_SECRET_ENV)
        if not access or not secret:
            raise ValueError(f"--auth sigv4 needs the keys in ${SIGV4_ACCESS_ENV} and ${SIGV4_SECRET_ENV}")
        verifier = SigV4Verifier({access: secret}, region=args.sigv4_region)
        return SigV4Auth(verifier), None, False
    token = args.token or os.environ.get(TOKEN_ENV)
    generated = not token
    token = token or secrets.token_urlsafe(32)
    return BearerAuth(token), token, generated


async def serve(args: argparse.Namespace) -> int:
    """Serve until SIGTERM/SIGINT, then kill every REPL and batch and remove the connection file."""
    auth, token, generated = make_authenticator(args)
    faults = Faults()
    if args.faults:
        faults.configure(json.loads(args.faults))
    workdir = Path(tempfile.mkdtemp(prefix="emrlab-livy-"))
    sessions = SessionManager(
        workdir, faults, max_result=args.max_result, idle_timeout=args.session_idle_timeout
    )
    batches = BatchManager(workdir)
    state = ServerState(auth=auth, csrf=args.csrf, faults=faults, sessions=sessions, batches=batches)
    ssl_context, ca_file = None, None
    if args.tls:
        files = make_certificates(workdir)
        ssl_context, ca_file = files.server_context(), str(files.ca_file)
    server = HTTPServer(make_app(state), ssl_options=ssl_context, xheaders=False)
    sockets = bind_sockets(args.port, args.host)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    host = args.host if ":" not in args.host else f"[{args.host}]"
    url = f"{'https' if args.tls else 'http'}://{host}:{port}"
    connection_file = args.connection_file or default_connection_file()
    info = {"url": url, "token": token, "pid": os.getpid(), "auth": auth.name, "ca_file": ca_file}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    reaper = PeriodicCallback(sessions.expire_idle, 1000)
    reaper.start()
    if args.exit_with_parent:  # a dead parent (even SIGKILLed) re-parents us: stop with it
        parent = os.getppid()

        def stop_if_orphaned() -> None:
            if os.getppid() != parent:
                print("emrlab livy: the process that started it is gone; stopping", file=sys.stderr)
                stop.set()

        PeriodicCallback(stop_if_orphaned, 1000).start()
    try:
        write_connection_file(connection_file, info)
        print(
            f"emrlab livy: listening on {url} (auth {auth.name}); connection file {connection_file}",
            file=sys.stderr,
        )
        if generated:
            print(f"emrlab livy: generated token (export {TOKEN_ENV}=...): {token}", file=sys.stderr)
        sys.stderr.flush()
        await stop.wait()
    finally:
        reaper.stop()
        server.stop()
        shutdown_children(sessions, batches)
        remove_connection_file(connection_file, os.getpid())
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def shutdown_children(sessions: SessionManager, batches: BatchManager) -> None:
    """SIGTERM every REPL and batch process group, wait (bounded), SIGKILL what is left."""
    groups: list[int] = []
    for repl in sessions.repls():
        if repl.pid is not None:
            repl.kill()
            groups.append(repl.pid)
    for process in batches.processes():
        terminate_group(process)
        groups.append(process.pid)
    for pgid in groups:
        wait_group_gone(pgid, 5.0)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the local Livy endpoint; returns the exit status."""
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    if not args.verbose:
        logging.getLogger("tornado.access").setLevel(logging.ERROR)
    try:
        return asyncio.run(serve(args))
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"emrlab livy: {exc}", file=sys.stderr)
        return 2
