"""Panel refresh cost: AWS calls and server time of a costed cluster list against a naive baseline, same run.

The script starts its own moto server (`moto_server -H 127.0.0.1 -p PORT`, stopped at the end), points boto3
at it (AWS_ENDPOINT_URL, fake credentials) and seeds `--clusters N` clusters (a MASTER group and a CORE group
of 2, every other CORE group SPOT). Every AWS call is counted by a botocore `before-call` hook on the clients.

- cold refresh: what `GET /emrlab/api/clusters?refresh=1` runs, every page until `next_page` is null:
  the extension Service's TTL cache with refresh (so it fetches) over emrlab.aws.inventory.list_clusters,
  every row costed (ListClusters pages + one ListInstances per cluster + batched EC2 DescribeVolumes, one
  DescribeSpotPriceHistory, one CloudWatch GetMetricData per page, STS once);
- naive baseline: ListClusters pages, then DescribeCluster, ListInstanceGroups and ListInstances per cluster
  (what a panel without batching does just to show rows; it does not even price them);
- warm refresh: the same pages again within the cache TTL (no refresh flag).
Clients are created before any timing (both sides), so times compare the calls, not botocore's model loading.
The time is the server-side work the handler awaits (HTTP framing, the same for both, is left out); each
figure is the best of `--repeat` rounds. Printed: AWS-call ratio cold/naive (target <= 0.5), warm calls
(target 0) and warm/cold server time (target <= 0.1).

    .venv/bin/python benchmarks/panel_bench.py [--clusters 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REGION = "us-east-1"
TARGET_CALLS, TARGET_WARM = 0.5, 0.1


class BenchError(Exception):
    """The benchmark could not run (moto did not start, a refresh returned the wrong rows)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    """moto's server on a free 127.0.0.1 port; (process, URL) once it answers."""
    port = free_port()
    script = Path(sys.executable).with_name("moto_server")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "moto.server"]
    process = subprocess.Popen(
        [*command, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise BenchError("moto_server did not start") from None
            time.sleep(0.2)


def seed(emr: Any, count: int) -> set[str]:
    ids = set()
    for n in range(count):
        core: dict[str, Any] = {
            "Name": "core",
            "InstanceRole": "CORE",
            "InstanceType": "r5.2xlarge",
            "InstanceCount": 2,
        }
        if n % 2:
            core.update(Market="SPOT", BidPrice="0.30")
        answer = emr.run_job_flow(
            Name=f"bench-{n:03d}",
            ReleaseLabel="emr-7.1.0",
            Applications=[{"Name": "Spark"}, {"Name": "Livy"}],
            Instances={
                "InstanceGroups": [
                    {
                        "Name": "primary",
                        "InstanceRole": "MASTER",
                        "InstanceType": "m5.xlarge",
                        "InstanceCount": 1,
                    },
                    core,
                ],
                "KeepJobFlowAliveWhenNoSteps": True,
                "Placement": {"AvailabilityZone": f"{REGION}a"},
            },
            JobFlowRole="EMR_EC2_DefaultRole",
            ServiceRole="EMR_DefaultRole",
        )
        ids.add(str(answer["JobFlowId"]))
    return ids


def counter_hook(counts: Counter[str]) -> Callable[..., None]:
    def count(model: Any, **_: Any) -> None:
        counts[model.name] += 1

    return count


def naive(emr: Any) -> int:
    """ListClusters pages, then DescribeCluster, ListInstanceGroups, ListInstances per cluster; rows seen."""
    rows = 0
    for page in emr.get_paginator("list_clusters").paginate(
        ClusterStates=["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]
    ):
        for cluster in page["Clusters"]:
            emr.describe_cluster(ClusterId=cluster["Id"])
            emr.list_instance_groups(ClusterId=cluster["Id"])
            emr.list_instances(ClusterId=cluster["Id"])
            rows += 1
    return rows


def panel(service: Any, *, refresh: bool) -> list[dict[str, Any]]:
    """Every page of the handler's cluster list (Service cache + inventory), as GET clusters does it."""
    from emrlab.aws import inventory

    rows: list[dict[str, Any]] = []
    page: str | None = None
    pool = service.pool(None)
    while True:
        key = ("clusters", (REGION,), None, "ACTIVE", None, page)

        def fetch(token: str | None = page) -> dict[str, Any]:
            return inventory.list_clusters(pool, regions=[REGION], states="ACTIVE", page=token)

        found = service.cached(key, fetch, refresh=refresh)
        rows.extend(found.value["clusters"])
        page = found.value["next_page"]
        if page is None:
            return rows


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def ratio_line(name: str, value: float, target: str) -> str:
    return f"  {name:<26} {value:8.4f}  (target: {target})"


def run_benchmark(args: argparse.Namespace) -> None:
    from emrlab.aws.session import boto_session, client
    from emrlab.extension.settings import EmrLab, Service

    emr_seed = client(boto_session(REGION), "emr")
    ids = seed(emr_seed, args.clusters)
    print(f"seeded {len(ids)} clusters in moto", flush=True)

    naive_counts: Counter[str] = Counter()
    naive_emr = client(boto_session(REGION), "emr")
    naive_emr.meta.events.register("before-call", counter_hook(naive_counts))
    if naive(naive_emr) != len(ids):
        raise BenchError("the naive baseline did not see every cluster")
    naive_calls = sum(naive_counts.values())
    naive_split = dict(sorted(naive_counts.items()))

    ours: Counter[str] = Counter()
    service = Service(EmrLab(cache_ttl=3600.0))
    service.hooks.append(("before-call", counter_hook(ours)))
    regional = service.pool(None).session(REGION)
    for name in ("emr", "ec2", "cloudwatch", "sts"):
        regional.client(name)  # clients made before timing (the naive side made its client too)
    rows = panel(service, refresh=True)
    if {r["id"] for r in rows} != ids or any(r["cost"]["per_hour"] is None for r in rows):
        raise BenchError("the cold refresh did not cost every cluster")
    cold_calls = sum(ours.values())
    cold_split = dict(sorted(ours.items()))
    ours.clear()
    panel(service, refresh=False)
    warm_calls = sum(ours.values())

    naive_time = best(lambda: naive(naive_emr), args.repeat)
    cold_time = best(lambda: panel(service, refresh=True), args.repeat)
    warm_time = best(lambda: panel(service, refresh=False), args.repeat)
    print(f"AWS calls for {len(ids)} clusters (first round):")
    print(f"  naive baseline   {naive_calls:5d}  {naive_split}")
    print(f"  cold, costed     {cold_calls:5d}  {cold_split}")
    print(f"  warm (in TTL)    {warm_calls:5d}")
    print(f"server time, best of {args.repeat}:")
    print(f"  naive baseline   {naive_time:8.3f} s (rows not even priced)")
    print(f"  cold, costed     {cold_time:8.3f} s")
    print(f"  warm (in TTL)    {warm_time * 1000:8.3f} ms")
    print(ratio_line("AWS calls cold / naive", cold_calls / naive_calls, f"<= {TARGET_CALLS}"))
    print(ratio_line("AWS calls warm", float(warm_calls), "0"))
    print(ratio_line("server time warm / cold", warm_time / cold_time, f"<= {TARGET_WARM}"))
    print(ratio_line("server time cold / naive", cold_time / naive_time, "none: informative"), flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Panel refresh: costed list vs naive calls, on moto.")
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        moto, url = start_moto()
    except BenchError as exc:
        print(f"panel_bench: {exc}", file=sys.stderr)
        return 1
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION=REGION,
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        os.environ.pop(name, None)
    try:
        print(f"moto server {url}", flush=True)
        run_benchmark(args)
    except BenchError as exc:
        print(f"panel_bench: {exc}", file=sys.stderr)
        return 1
    finally:
        moto.terminate()
        try:
            moto.wait(timeout=10)
        except subprocess.TimeoutExpired:
            moto.kill()
            moto.wait()
    cores = os.cpu_count() or 1
    print(
        f"({cores} cores; 1-minute load average {os.getloadavg()[0]:.2f} at the end: other work skews this)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
