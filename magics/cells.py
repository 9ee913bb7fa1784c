"""Run `%%emr` cells: PySpark, SQL and Scala statements on a named session, show their outputs, fill `-o`.

Outputs: text/plain is printed, image/png and HTML displayed, Livy's JSON tables (`{schema, data}` and
`application/vnd.livy.table.v1+json`) rendered as HTML tables with their row count. SQL cells and `-o` go
through `results.fetch_dataframe` (the columnar path), so results beyond Livy's row cap arrive too and any
truncation is stated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emrlab.magics import display
from emrlab.magics.errors import ConfigurationError
from emrlab.magics.registry import Entry, Registry

Show = Callable[[dict[str, Any]], None]
DEFAULT_SQL_LIMIT = 1000  # rows shown by `%%emr sql` without -o (stated when more exist)
DEFAULT_OUTPUT_LIMIT = 1_000_000  # rows fetched into -o VAR (stated when more exist)
_KINDS = {"pyspark": "pyspark", "python": "pyspark", "sql": "sql", "scala": "spark", "spark": "spark"}


@dataclass
class CellOptions:
    """The options of one `%%emr` cell."""

    language: str = "pyspark"
    session: str | None = None
    output: str | None = None
    limit: int | None = None
    timeout: float | None = None
    quiet: bool = False


def statement_kind(language: str) -> str:
    """The Livy statement kind of a cell language (pyspark, sql, scala)."""
    try:
        return _KINDS[language]
    except KeyError:
        raise ConfigurationError(f"unknown cell language {language!r}: use pyspark, sql or scala") from None


def _limit(options: CellOptions, default: int) -> int | None:
    if options.limit is None:
        return default
    return None if options.limit < 0 else options.limit


def show_output(result: Any, show: Show, write: Callable[[str], None]) -> None:
    """Display one statement's output: plain text printed, tables/images/HTML as a display bundle."""
    from emrlab.magics import results

    bundle = results.display_bundle(result)
    if not bundle:
        return
    if set(bundle) == {"text/plain"}:
        write(str(bundle["text/plain"]).rstrip("\n") + "\n")
    else:
        show(bundle)


class CellRunner:
    """Runs cells through a Registry; `progress` makes the progress display of one statement."""

    def __init__(
        self,
        registry: Registry,
        *,
        show: Show,
        write: Callable[[str], None],
        progress: Callable[[str], display.Progress],
        user_ns: dict[str, Any],
    ) -> None:
        self.registry = registry
        self.show = show
        self.write = write
        self.progress = progress
        self.user_ns = user_ns

    def run(self, options: CellOptions, code: str) -> None:
        """Run `code` and show its result; assign `-o` into the user namespace."""
        entry = self.registry.get(options.session)
        kind = statement_kind(options.language)
        if kind == "sql":
            self._sql(entry, options, code)
            return
        bar = self.progress(f"{options.language} on {entry.name!r}")
        try:
            result = self.registry.run(entry, code, kind=kind, on_progress=bar, timeout=options.timeout)
        finally:
            bar.close()
        if not options.quiet:
            show_output(result, self.show, self.write)
        if options.output:
            if kind != "pyspark":
                raise ConfigurationError(
                    "-o VAR works in PySpark and SQL cells (a remote DataFrame named VAR)"
                )
            self._fetch(entry, options, options.output, sql=False, shown=False)

    def _sql(self, entry: Entry, options: CellOptions, query: str) -> None:
        if not query.strip():
            raise ConfigurationError("%%emr sql needs a query in the cell")
        default = DEFAULT_OUTPUT_LIMIT if options.output else DEFAULT_SQL_LIMIT
        self._fetch(entry, options, query, sql=True, shown=not options.quiet, default=default)

    def _fetch(
        self, entry: Entry, options: CellOptions, what: str, *, sql: bool, shown: bool, default: int = 0
    ) -> None:
        from emrlab.magics import results

        limit = _limit(options, default or DEFAULT_OUTPUT_LIMIT)
        bar = self.progress(f"{'sql' if sql else what} on {entry.name!r}")
        try:
            fetched = self.registry.call(
                entry, lambda client, sid: results.fetch_dataframe(client, sid, what, sql=sql, limit=limit)
            )
        finally:
            bar.close()
        if options.output:
            self.user_ns[options.output] = fetched.frame
        if shown:
            self.show(results.frame_bundle(fetched.frame, total=fetched.total, truncated=fetched.truncated))
        notes = []
        if options.output:
            notes.append(
                f"{options.output}: pandas DataFrame, "
                + results.rows_notice(fetched.rows, fetched.total, fetched.truncated)
            )
        if fetched.truncated:
            notes.append(f"stopped at --limit {limit:,}; pass --limit -1 for every row")
        for note in notes:
            self.write(f"emr: {note}\n")

    def send(self, name: str | None, variable: str, remote: str | None) -> str:
        """Send the local pandas DataFrame `variable` to the session as a Spark DataFrame `remote`."""
        from emrlab.magics import results

        if variable not in self.user_ns:
            raise ConfigurationError(f"no local variable {variable!r} to send")
        frame = self.user_ns[variable]
        if not hasattr(frame, "to_dict") or not hasattr(frame, "columns"):
            raise ConfigurationError(
                f"{variable} is a {type(frame).__name__}; %emr send takes a pandas DataFrame"
            )
        entry = self.registry.get(name)
        target = remote or variable
        self.registry.call(entry, lambda client, sid: results.send_dataframe(client, sid, frame, target))
        return f"sent {len(frame):,} rows as Spark DataFrame {target!r} to session {entry.name!r}"
