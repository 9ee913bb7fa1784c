"""The exception hierarchy of the Livy client; every message says what to do next.

```
EmrError(Exception)
  ConfigurationError      bad arguments or settings
  EndpointError           cannot reach an endpoint (.host, .port)
  AuthError               401/403 (.status, .hint)
  LivyHTTPError           other non-2xx answers (.status, .body)
    SessionNotFound       404 on /sessions/{id}... (.session_id, .statement_submitted)
  SessionFailed           a session reached error/dead/killed while starting (.state, .log)
  StatementError          the code raised on Spark (.ename, .evalue, .traceback)
  StatementCancelled      a statement was cancelled (Ctrl-C or by someone else)
  WaitTimeout             a bounded wait ran out (.what, .seconds)
```
`SparkError` (not an EmrError) is what a failed cell raises into IPython, named after the remote exception.
No message, repr or attribute holds a credential: the HTTP layer redacts the secrets it knows.
"""

from __future__ import annotations

import functools
import keyword
from typing import Any


class EmrError(Exception):
    """Base class of every error raised by emrlab's magics and Livy client."""


class ConfigurationError(EmrError):
    """An argument or setting is wrong; the message names it and the accepted values."""


class EndpointError(EmrError):
    """The endpoint could not be reached (refused, dropped, timed out, DNS, TLS)."""

    def __init__(self, message: str, *, host: str = "", port: int | None = None) -> None:
        super().__init__(message)
        self.host = host
        self.port = port


class AuthError(EmrError):
    """401/403 (`.status`), or no usable credential (`.status` None); `.hint` says what to check."""

    def __init__(self, message: str, *, status: int | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.hint = hint


class LivyHTTPError(EmrError):
    """Livy answered with a non-2xx status other than 401/403; `.body` is its (redacted) answer."""

    def __init__(self, message: str, *, status: int, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class SessionNotFound(LivyHTTPError):  # noqa: N818 (names fixed by the contract)
    """404 on a session: it was deleted, expired or died.

    `.statement_submitted` is set by `LivyClient.run`: False when the statement never reached the session
    (safe to re-create the session and re-run), True when it may have run.
    """

    def __init__(
        self, message: str, *, status: int = 404, body: Any = None, session_id: int | None = None
    ) -> None:
        super().__init__(message, status=status, body=body)
        self.session_id = session_id
        self.statement_submitted: bool | None = None


class SessionFailed(EmrError):  # noqa: N818 (names fixed by the contract)
    """A session ended in error/dead/killed (or similar) instead of becoming idle; `.log` is its log tail."""

    def __init__(self, message: str, *, state: str, log: list[str] | None = None) -> None:
        super().__init__(message)
        self.state = state
        self.log = list(log or [])


class StatementError(EmrError):
    """The statement raised on Spark: `.ename`, `.evalue` and `.traceback` come from Livy's output."""

    def __init__(self, ename: str, evalue: str, traceback: list[str] | None = None) -> None:
        super().__init__(f"{ename}: {evalue}")
        self.ename = ename
        self.evalue = evalue
        self.traceback = list(traceback or [])


class StatementCancelled(EmrError):  # noqa: N818 (names fixed by the contract)
    """The statement was cancelled; `.confirmed` says whether Livy reported the cancellation in time."""

    def __init__(self, message: str, *, statement_id: int | None = None, confirmed: bool = True) -> None:
        super().__init__(message)
        self.statement_id = statement_id
        self.confirmed = confirmed


class WaitTimeout(EmrError):  # noqa: N818 (names fixed by the contract)
    """A bounded wait ran out: `.what` was awaited for `.seconds`."""

    def __init__(self, what: str, seconds: float, *, last_state: str | None = None) -> None:
        state = f" (last state: {last_state})" if last_state else ""
        super().__init__(
            f"gave up waiting for {what} after {seconds:g} s{state}; "
            "raise the timeout or check the endpoint's logs"
        )
        self.what = what
        self.seconds = seconds
        self.last_state = last_state


class SparkError(Exception):
    """What a failed `%%emr` cell raises into IPython: `spark_error(StatementError)` names a subclass after
    the remote exception (AnalysisException, Py4JJavaError ...), so nbclient and papermill report that name,
    and `_render_traceback_` makes IPython show the remote traceback only, not emrlab's frames."""

    def __init__(self, error: StatementError) -> None:
        super().__init__(f"the Spark statement failed: {error}")
        self.error = error

    def _render_traceback_(self) -> list[str]:
        lines = [line.rstrip("\n") for line in self.error.traceback]
        return [*lines, str(self)]


@functools.lru_cache(maxsize=64)
def _spark_error_class(name: str) -> type[SparkError]:
    return type(name, (SparkError,), {"__module__": "emrlab.magics.errors", "__doc__": SparkError.__doc__})


def spark_error(error: StatementError) -> SparkError:
    """A SparkError whose class is named after the remote exception (its last dotted part)."""
    name = error.ename.rsplit(".", 1)[-1].strip()
    return _spark_error_class(name if name.isidentifier() and not keyword.iskeyword(name) else "SparkError")(
        error
    )
