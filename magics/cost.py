"""`%emr cost`: what the connected EMR cluster or EMR Serverless application costs, from the same inventory
and cost model as the JupyterLab panel (emrlab.aws.inventory, emrlab.aws.cost).

Cluster: cost so far (EC2 / EMR / EBS split), $/h burn, projection until auto-termination. Serverless: the
warm pool's $/h while STARTED and the recent job runs' billed cost and efficiency. Every figure is an
estimate from the dated price snapshot and says so. Local and URL endpoints have no AWS cost to show.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from emrlab.magics.connect import Endpoint


def target(endpoint: Endpoint) -> tuple[str, str, str] | None:
    """(kind, resource id, region) of an AWS endpoint; None for local/URL endpoints."""
    if endpoint.kind not in ("cluster", "serverless") or not endpoint.resource_id:
        return None
    region = endpoint.region or getattr(endpoint.aws_session, "region_name", None)
    if not region:
        return None
    return endpoint.kind, endpoint.resource_id, str(region)


def _money(value: float | None, suffix: str = "") -> str:
    return (
        "no price"
        if value is None
        else f"${value:,.2f}{suffix}"
        if value >= 0.1
        else f"${value:,.4f}{suffix}"
    )


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def cluster_lines(cluster: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows for a cluster detail (section 4)."""
    figures = cluster["cost"]
    split = figures.get("split") or {}
    rows = [
        (
            "cluster",
            f"{cluster['id']} ({cluster.get('name', '')}) in {cluster['region']}: {cluster['state']}",
        ),
        ("uptime", _duration(cluster.get("uptime_seconds"))),
        (
            "cost so far",
            f"{_money(figures.get('so_far'))} (EC2 {_money(split.get('ec2'))}, "
            f"EMR {_money(split.get('emr'))}, EBS {_money(split.get('ebs'))})",
        ),
        ("burn", _money(figures.get("per_hour"), "/h")),
    ]
    timeout = cluster.get("auto_termination_idle_seconds")
    if figures.get("projected") is not None:
        rows.append(("projected", f"{_money(figures['projected'])} more until auto-termination "
                                  f"(idle timeout {_duration(timeout)})"))  # fmt: skip
    elif timeout is None:
        rows.append(("projected", "no auto-termination policy known: it burns until terminated"))
    if figures.get("unpriced"):
        rows.append(("no price for", ", ".join(figures["unpriced"])))
    return rows


def application_lines(app: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows for a Serverless application detail (section 4)."""
    rows = [
        ("application", f"{app['id']} ({app.get('name', '')}) in {app['region']}: {app['state']}"),
        (
            "warm pool",
            f"{_money(app['cost'].get('per_hour'), '/h')} (pre-initialized capacity, billed while STARTED)",
        ),
    ]
    runs = app.get("job_runs") or []
    billed = [r["cost"]["billed"] for r in runs if r["cost"].get("billed") is not None]
    used = [r["cost"]["used"] for r in runs if r["cost"].get("used") is not None]
    if runs:
        total = (
            f"{_money(sum(billed))} billed, {_money(sum(used))} used" if billed else "no billed figures yet"
        )
        rows.append((f"last {len(runs)} job runs", total))
    for run in runs[:10]:
        figures = run["cost"]
        efficiency = figures.get("efficiency")
        note = " (estimate: still running)" if figures.get("estimate") else ""
        eff = f", efficiency {efficiency:.0%}" if efficiency is not None else ""
        rows.append((f"  {run['id']}", f"{run['state']} {_money(figures.get('billed'))}{eff}{note}"))
    return rows


def _note(snapshot: str) -> str:
    return (
        f"Estimates from the price snapshot of {snapshot}, not a bill "
        "(AWS Cost Explorer has the actual spend)."
    )


def bundle_for(rows: list[tuple[str, str]], snapshot: str) -> dict[str, str]:
    """A text/plain + text/html display bundle of `rows` with the estimate note."""
    width = max(len(label) for label, _ in rows)
    text = "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows) + "\n" + _note(snapshot)
    cells = "".join(
        f"<tr><th style='text-align:left'>{html.escape(label)}</th><td style='text-align:left'>"
        f"{html.escape(value)}</td></tr>"
        for label, value in rows
    )
    page = f"<table class='emrlab-cost'>{cells}</table><p><em>{html.escape(_note(snapshot))}</em></p>"
    return {"text/plain": text, "text/html": page}


def cost_bundle(endpoint: Endpoint, *, now: datetime | None = None, prices: Any = None) -> dict[str, str]:
    """The `%emr cost` display for `endpoint` (its AWS session, the inventory's detail call)."""
    found = target(endpoint)
    if found is None:
        text = (
            f"{endpoint.label or endpoint.url}: not an AWS endpoint, so there is no AWS cost to show "
            "(connect with --cluster or --serverless for EMR cost)."
        )
        return {"text/plain": text, "text/html": f"<p>{html.escape(text)}</p>"}
    from emrlab.aws import inventory

    kind, resource_id, region = found
    if kind == "cluster":
        answer = inventory.cluster_detail(
            endpoint.aws_session, resource_id, region=region, now=now, prices=prices
        )
        return bundle_for(cluster_lines(answer["cluster"]), answer["prices"]["snapshot_date"])
    answer = inventory.application_detail(
        endpoint.aws_session, resource_id, region=region, now=now, prices=prices
    )
    return bundle_for(application_lines(answer["application"]), answer["prices"]["snapshot_date"])
