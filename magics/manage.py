"""`%emr sessions`, `%emr info` and `%emr logs`: what the registry and the endpoint know, as tables/text."""

from __future__ import annotations

import html
from typing import Any

from emrlab.magics.errors import EmrError, SessionNotFound
from emrlab.magics.registry import Entry, Registry


def _table(frame: Any, note: str) -> dict[str, str]:
    markup = frame.to_html(index=False, border=0, classes="dataframe emrlab-table", escape=True)
    return {
        "text/html": f'{markup}<p class="emrlab-rows">{html.escape(note)}</p>',
        "text/plain": f"{frame.to_string(index=False)}\n[{note}]",
    }


def sessions_table(registry: Registry, name: str | None) -> dict[str, str]:
    """Every session the endpoint of `name` (default: current) shows, marking the ones this shell uses."""
    import pandas as pd

    entry = registry.get(name)
    ours = {e.session_id: e for e in registry.entries.values() if e.endpoint.url == entry.endpoint.url}
    rows = []
    for info in entry.client.list_sessions():
        mine = ours.get(info.id)
        rows.append(
            {
                "id": info.id,
                "livy name": info.name or "",
                "state": info.state,
                "kind": info.kind or "",
                "app id": info.app_id or "",
                "here as": mine.name if mine else "",
                "created here": bool(mine and mine.created),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["id", "livy name", "state", "kind", "app id", "here as", "created here"]
    )
    note = (
        f"{len(rows)} session{'s' if len(rows) != 1 else ''} on {entry.endpoint.label or entry.endpoint.url}"
    )
    return _table(frame, note)


def _info_row(registry: Registry, entry: Entry) -> dict[str, Any]:
    state = "no session"
    app_id = ui = log = ""
    if entry.session_id is not None:
        try:
            info = entry.client.get_session(entry.session_id)
            state, app_id = info.state, info.app_id or ""
            ui, log = info.spark_ui_url or "", info.driver_log_url or ""
        except SessionNotFound:
            state = "gone (re-created on the next cell)"
        except EmrError as exc:
            state = f"unknown ({exc})"
    return {
        "name": entry.name + (" (current)" if entry.name == registry.current else ""),
        "endpoint": entry.endpoint.label or entry.endpoint.url,
        "livy id": "" if entry.session_id is None else entry.session_id,
        "kind": entry.kind,
        "state": state,
        "created here": entry.created,
        "app id": app_id,
        "spark ui": ui,
        "driver log": log,
    }


def info_table(registry: Registry, name: str | None) -> dict[str, str]:
    """The named (default: all) sessions of this shell, with their live state and links."""
    import pandas as pd

    entries = [registry.get(name)] if name else list(registry.entries.values())
    frame = pd.DataFrame([_info_row(registry, e) for e in entries])
    settings = "session settings: " + " ".join(display_settings(registry).split())
    return _table(frame, f"{len(entries)} connection(s); {settings}")


def display_settings(registry: Registry) -> str:
    """The %emr configure settings as JSON text."""
    from emrlab.magics.configure import describe

    return describe(registry.settings)


def logs_text(registry: Registry, name: str | None, size: int) -> str:
    """The last `size` lines of the session's Livy log (or its own log lines where /log is unsupported)."""
    entry = registry.get(name)
    if entry.session_id is None:
        return f"session {entry.name!r} has no live session"
    try:
        lines = entry.client.session_log(entry.session_id, from_=None, size=size)
    except SessionNotFound:
        raise
    except EmrError:
        lines = entry.client.get_session(entry.session_id).log  # EMR Serverless: no /log
    return "\n".join(lines) if lines else "(empty log)"
