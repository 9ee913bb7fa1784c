"""Data classes of the Livy REST API: session and batch specs (-> request bodies), infos and results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "SESSION_FAILED_STATES",
    "STATEMENT_DONE_STATES",
    "BatchInfo",
    "BatchSpec",
    "SessionInfo",
    "SessionSpec",
    "SparkResources",
    "StatementResult",
]

SESSION_FAILED_STATES = frozenset({"error", "dead", "killed", "success", "shutting_down"})
STATEMENT_DONE_STATES = frozenset({"available", "error", "cancelled"})
BATCH_DONE_STATES = frozenset({"success", "dead", "killed", "error"})


@dataclass(kw_only=True)
class SparkResources:
    """Spark settings shared by sessions and batches, and their part of Livy's body (None left out)."""

    name: str | None = None
    conf: dict[str, str] = field(default_factory=dict)
    driver_memory: str | None = None
    driver_cores: int | None = None
    executor_memory: str | None = None
    executor_cores: int | None = None
    num_executors: int | None = None
    jars: list[str] = field(default_factory=list)
    py_files: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    archives: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    queue: str | None = None
    proxy_user: str | None = None

    def resources_body(self) -> dict[str, Any]:
        """The shared part of the request body."""
        pairs = (
            ("name", self.name),
            ("driverMemory", self.driver_memory),
            ("driverCores", self.driver_cores),
            ("executorMemory", self.executor_memory),
            ("executorCores", self.executor_cores),
            ("numExecutors", self.num_executors),
            ("queue", self.queue),
            ("proxyUser", self.proxy_user),
        )
        body: dict[str, Any] = {key: value for key, value in pairs if value is not None}
        for key, values in (
            ("jars", self.jars),
            ("pyFiles", self.py_files),
            ("files", self.files),
            ("archives", self.archives),
        ):
            if values:
                body[key] = list(values)
        conf = {str(k): str(v) for k, v in self.conf.items()}
        if self.packages:
            existing = conf.get("spark.jars.packages")
            conf["spark.jars.packages"] = ",".join([*([existing] if existing else []), *self.packages])
        if conf:
            body["conf"] = conf
        return body


@dataclass
class SessionSpec(SparkResources):
    """What `POST /sessions` creates; `.to_json()` gives Livy's body."""

    kind: str = "pyspark"
    heartbeat_timeout: int | None = None
    ttl: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The Livy request body."""
        body: dict[str, Any] = {"kind": self.kind, **self.resources_body()}
        if self.heartbeat_timeout is not None:
            body["heartbeatTimeoutInSecond"] = int(self.heartbeat_timeout)
        if self.ttl is not None:
            body["ttl"] = self.ttl
        return body


@dataclass
class BatchSpec(SparkResources):
    """What `POST /batches` creates (spark-submit-like); `.to_json()` gives Livy's body."""

    file: str
    class_name: str | None = None
    args: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The Livy request body."""
        body: dict[str, Any] = {"file": self.file, **self.resources_body()}
        if self.class_name:
            body["className"] = self.class_name
        if self.args:
            body["args"] = [str(a) for a in self.args]
        return body


@dataclass(frozen=True)
class SessionInfo:
    """A session as Livy describes it (`GET /sessions/{id}`)."""

    id: int
    name: str | None
    state: str
    kind: str | None
    app_id: str | None
    driver_log_url: str | None
    spark_ui_url: str | None
    log: list[str]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SessionInfo:
        """Build from Livy's JSON (missing fields become None/[])."""
        app_info = data.get("appInfo") or {}
        return cls(
            id=int(data["id"]),
            name=data.get("name"),
            state=str(data.get("state", "unknown")),
            kind=data.get("kind"),
            app_id=data.get("appId"),
            driver_log_url=app_info.get("driverLogUrl"),
            spark_ui_url=app_info.get("sparkUiUrl"),
            log=[str(line) for line in data.get("log") or []],
        )


@dataclass(frozen=True)
class BatchInfo:
    """A batch as Livy describes it (`GET /batches/{id}`)."""

    id: int
    name: str | None
    state: str
    app_id: str | None
    log: list[str]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BatchInfo:
        """Build from Livy's JSON."""
        return cls(
            id=int(data["id"]),
            name=data.get("name"),
            state=str(data.get("state", "unknown")),
            app_id=data.get("appId"),
            log=[str(line) for line in data.get("log") or []],
        )


@dataclass(frozen=True)
class StatementResult:
    """A statement in a final (or current) state; `mimetypes` is Livy's `output.data` ({mime: value})."""

    id: int
    state: str
    mimetypes: dict[str, Any]
    execution_count: int | None
    progress: float
    ok: bool
    ename: str | None = None
    evalue: str | None = None
    traceback: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StatementResult:
        """Build from `GET /sessions/{id}/statements/{sid}`."""
        output = data.get("output") or {}
        status = output.get("status")
        state = str(data.get("state", "unknown"))
        ok = status == "ok" or (not output and state == "available")
        return cls(
            id=int(data["id"]),
            state=state,
            mimetypes=dict(output.get("data") or {}),
            execution_count=output.get("execution_count"),
            progress=float(data.get("progress") or 0.0),
            ok=ok and state != "cancelled",
            ename=output.get("ename"),
            evalue=output.get("evalue"),
            traceback=[str(line) for line in output.get("traceback") or []],
        )

    @property
    def text(self) -> str:
        """The `text/plain` output ('' when there is none)."""
        value = self.mimetypes.get("text/plain", "")
        return value if isinstance(value, str) else str(value)
