"""Rebuild the price snapshot from the AWS Price List API (``pricing:GetProducts``, endpoint in us-east-1).

For each region and instance type: EC2 Linux on-demand (ServiceCode AmazonEC2, shared tenancy, no
pre-installed software, capacitystatus Used) and the EMR uplift (ServiceCode ElasticMapReduce, softwareType
EMR); for each region the EBS gp2/gp3/io1/st1/sc1 storage $/GB-month and the EMR Serverless rates
(ElasticMapReduce products whose usage type names EMR Serverless: vCPU, memory and storage hours, ARM when the
usage type says so). Every page of every answer is read; each PriceList entry is a JSON string. A figure the
API does not return keeps the previous snapshot's value and source, and a note in the snapshot says which.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from emrlab.aws.errors import aws_errors
from emrlab.aws.prices import PriceBook, load_prices, write_snapshot
from emrlab.aws.session import CLIENT_CONFIG

PRICING_REGION = "us-east-1"
EBS_TYPES = ("gp2", "gp3", "io1", "io2", "st1", "sc1")
API_DOCS = "https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html"


def _match(**fields: str) -> list[dict[str, str]]:
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in fields.items()]


def products(pricing: Any, service: str, filters: list[dict[str, str]]) -> Iterator[dict[str, Any]]:
    """Every product of a paginated GetProducts answer, each PriceList JSON string decoded."""
    with aws_errors("pricing:GetProducts", service):
        pages = pricing.get_paginator("get_products").paginate(
            ServiceCode=service, Filters=filters, FormatVersion="aws_v1"
        )
        for page in pages:
            for entry in page.get("PriceList", []):
                yield json.loads(entry) if isinstance(entry, str) else dict(entry)


def on_demand_usd(product: Mapping[str, Any]) -> float | None:
    """The first positive USD price of the product's OnDemand terms (None when there is none)."""
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = (dimension.get("pricePerUnit") or {}).get("USD")
            if usd is not None and float(usd) > 0:
                return float(usd)
    return None


def _first_price(pricing: Any, service: str, filters: list[dict[str, str]]) -> float | None:
    prices = [
        p for p in (on_demand_usd(item) for item in products(pricing, service, filters)) if p is not None
    ]
    return min(prices) if prices else None


def _serverless(pricing: Any, region: str) -> dict[str, dict[str, float]]:
    """{architecture: {vcpu_hour, gb_hour, storage_gb_hour}} for the architectures with all three rates."""
    found: dict[str, dict[str, float]] = {}
    for item in products(pricing, "ElasticMapReduce", _match(regionCode=region)):
        attributes = item.get("product", {}).get("attributes", {})
        usage = str(attributes.get("usagetype", "")).lower()
        if "serverless" not in usage:
            continue
        price = on_demand_usd(item)
        if price is None:
            continue
        architecture = "ARM64" if "arm" in usage or "graviton" in usage else "X86_64"
        if "vcpu" in usage:
            key = "vcpu_hour"
        elif "memory" in usage:
            key = "gb_hour"
        elif "storage" in usage:
            key = "storage_gb_hour"
        else:
            continue
        found.setdefault(architecture, {})[key] = price
    return {arch: rates for arch, rates in found.items() if len(rates) == 3}


def refresh(
    session: Any,
    *,
    regions: Sequence[str],
    instance_types: Sequence[str],
    out: Path,
    base: PriceBook | None = None,
    today: date | None = None,
) -> PriceBook:
    """Query the Price List API for `regions` x `instance_types`, merge over `base` (default: the current
    snapshot) and write the new snapshot to `out`. Needs pricing:GetProducts; raises AwsError otherwise."""
    base = base or load_prices()
    stamp = (today or date.today()).isoformat()
    source_id = f"aws-price-list-api-{stamp}"
    pricing = session.client("pricing", region_name=PRICING_REGION, config=CLIENT_CONFIG)
    data = json.loads(json.dumps(base.data))
    tables = data["regions"]
    notes: list[str] = []
    kept: list[str] = []

    def put(region: str, section: str, key: str, entry: dict[str, Any] | None) -> None:
        if entry is None:
            if key in tables.get(region, {}).get(section, {}):
                kept.append(f"{region} {section} {key}")
            return
        tables.setdefault(region, {}).setdefault(section, {})[key] = {**entry, "source": source_id}

    for region in regions:
        for kind in instance_types:
            ec2 = _first_price(
                pricing,
                "AmazonEC2",
                _match(
                    instanceType=kind,
                    regionCode=region,
                    operatingSystem="Linux",
                    tenancy="Shared",
                    preInstalledSw="NA",
                    capacitystatus="Used",
                ),
            )
            put(region, "ec2_on_demand", kind, None if ec2 is None else {"usd": ec2})
            emr = _first_price(
                pricing, "ElasticMapReduce", _match(instanceType=kind, regionCode=region, softwareType="EMR")
            )
            put(region, "emr_uplift", kind, None if emr is None else {"usd": emr})
        for volume in EBS_TYPES:
            gb_month = _first_price(
                pricing, "AmazonEC2", _match(productFamily="Storage", volumeApiName=volume, regionCode=region)
            )
            put(region, "ebs_gb_month", volume, None if gb_month is None else {"usd": gb_month})
        rates = _serverless(pricing, region)
        for architecture in ("X86_64", "ARM64"):
            put(region, "serverless", architecture, rates.get(architecture))
        if not rates:
            notes.append(
                f"{region}: the Price List API returned no EMR Serverless rates; previous figures kept."
            )
    if kept:
        notes.append("Kept from the previous snapshot (the API returned nothing): " + ", ".join(kept) + ".")
    sources = [s for s in data["sources"] if s["id"] != source_id]
    sources.append(
        {
            "id": source_id,
            "title": f"AWS Price List API (pricing:GetProducts, endpoint {PRICING_REGION}), read {stamp}",
            "url": API_DOCS,
            "retrieved": stamp,
        }
    )
    used = {e["source"] for t in tables.values() for section in t.values() for e in section.values()}
    data["sources"] = [s for s in sources if s["id"] in used]
    data["snapshot_date"] = stamp
    data["notes"] = notes
    return write_snapshot(data, out)
