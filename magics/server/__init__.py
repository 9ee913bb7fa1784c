"""A local Livy-compatible endpoint: `emrlab livy`, `%emr connect --local` and the contract tests.

`main(argv) -> int` runs the server (tornado is imported only then); `default_connection_file()` is where it
writes {"url", "token", "pid", "auth", "ca_file"}; `launch.start_local_livy()` / `launch.find_running()` start
or reuse one from Python.
"""

from __future__ import annotations

from collections.abc import Sequence

from emrlab.magics.server.connection import default_connection_file

__all__ = ["default_connection_file", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the local Livy endpoint (see `python -m emrlab.magics.server --help`); returns the exit status."""
    from emrlab.magics.server.cli import main as run

    return run(argv)
