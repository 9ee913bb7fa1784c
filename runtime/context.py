"""What Databricks' notebook context told a notebook, answered on EMR: its path, the cluster, the run."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path

__all__ = ["cluster_id", "current_run_id", "notebook_path", "tags"]

NOTEBOOK_PATH_ENV = "EMRLAB_NOTEBOOK_PATH"
JOB_FLOW_ENV = "EMRLAB_JOB_FLOW_JSON"
RUN_ID_ENV = "EMRLAB_RUN_ID"
JOB_FLOW_JSON = "/mnt/var/lib/info/job-flow.json"  # written by EMR on every node


def notebook_path() -> str:
    """The running notebook or script: EMRLAB_NOTEBOOK_PATH (set by `notebook.run` for its children),
    else the notebook Jupyter opened (JPY_SESSION_NAME), else sys.argv[0]."""
    for name in (NOTEBOOK_PATH_ENV, "JPY_SESSION_NAME"):
        value = os.environ.get(name)
        if value:
            return value
    script = sys.argv[0] if sys.argv else ""
    return str(Path(script).resolve()) if script and script != "-c" else ""


def cluster_id() -> str | None:
    """The EMR cluster's id (`j-...`) from job-flow.json, or None off EMR."""
    try:
        info = json.loads(Path(os.environ.get(JOB_FLOW_ENV) or JOB_FLOW_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = info.get("jobFlowId") if isinstance(info, dict) else None
    return str(value) if value else None


def current_run_id() -> str | None:
    """The id of this run when the scheduler set EMRLAB_RUN_ID, else None (as outside a Databricks job)."""
    return os.environ.get(RUN_ID_ENV) or None


def tags() -> dict[str, str]:
    """Databricks-style context tags that have an EMR meaning (clusterId, notebookPath, runId, user)."""
    try:
        user: str | None = getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry or $USER
        user = None
    found = {
        "clusterId": cluster_id(),
        "notebookPath": notebook_path(),
        "runId": current_run_id(),
        "user": user,
    }
    return {key: value for key, value in found.items() if value}
