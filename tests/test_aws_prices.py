"""The price snapshot (emrlab.aws.prices), its refresh from the AWS Price List API, and `emrlab prices`.

moto has no Pricing API (pricing:GetProducts), so refresh() is tested through botocore's Stubber on a real
botocore pricing client, with GetProducts answers shaped like AWS's (PriceList entries are JSON strings,
answers come in pages with NextToken).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from emrlab.aws import prices
from emrlab.aws.errors import AwsError
from emrlab.aws.prices import PriceSnapshotError, load_prices
from emrlab.aws.prices_refresh import EBS_TYPES, refresh
from emrlab.cli import main

pytestmark = pytest.mark.timeout(60)

TODAY = date(2026, 12, 2)


def test_every_packaged_figure_cites_a_source_with_url_and_date() -> None:
    book = load_prices()
    raw = json.loads(prices.PACKAGED.read_text(encoding="utf-8"))
    sources = {s["id"]: s for s in raw["sources"]}
    count = 0
    for region, tables in raw["regions"].items():
        for section, figures in tables.items():
            for key, entry in figures.items():
                source = sources[entry["source"]]
                assert source["url"].startswith("https://"), (region, section, key)
                date.fromisoformat(source["retrieved"])
                count += 1
    assert count > 0
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        assert region in book.regions()
    for kind in ("m5.xlarge", "r5.2xlarge"):
        assert (
            book.ec2_on_demand("us-east-1", kind) is not None
            and book.emr_uplift("us-east-1", kind) is not None
        )
    assert book.serverless("us-east-1", "X86_64") is not None
    described = book.describe()
    assert described["snapshot_date"] == book.snapshot_date and described["currency"] == "USD"
    assert {s["id"] for s in described["sources"]} <= set(sources)
    assert all(set(s) == {"id", "title", "url", "retrieved"} for s in described["sources"])


def test_absent_figures_are_none() -> None:
    book = load_prices()
    assert book.ec2_on_demand("us-east-1", "x9z.97xlarge") is None
    assert book.emr_uplift("mars-north-1", "m5.xlarge") is None
    assert book.ebs_gb_month("us-east-1", "io9") is None
    assert book.serverless("mars-north-1", "X86_64") is None


def _snapshot(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(prices.PACKAGED.read_text(encoding="utf-8"))
    data.update(changes)
    return data


def test_env_override_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mine.json"
    data = _snapshot(snapshot_date="2031-01-02")
    data["regions"]["us-east-1"]["ec2_on_demand"]["m5.xlarge"]["usd"] = 9.5
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv(prices.ENV, str(path))
    book = load_prices()
    assert book.snapshot_date == "2031-01-02" and book.ec2_on_demand("us-east-1", "m5.xlarge") == 9.5
    monkeypatch.delenv(prices.ENV)
    assert load_prices().snapshot_date != "2031-01-02"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read it as JSON"),
        (json.dumps({"schema": 1}), "snapshot_date"),
        (
            json.dumps(
                _snapshot(
                    sources=[{"id": "x", "title": "t", "url": "http://insecure", "retrieved": "2026-01-01"}]
                )
            ),
            "https://",
        ),
    ],
)
def test_broken_file_gives_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PriceSnapshotError, match=message) as caught:
        load_prices(path)
    assert str(path) in str(caught.value)


def test_figure_without_known_source_is_rejected(tmp_path: Path) -> None:
    data = _snapshot()
    data["regions"]["us-east-1"]["ebs_gb_month"]["gp3"]["source"] = "nowhere"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PriceSnapshotError, match=r"us-east-1\.ebs_gb_month\.gp3"):
        load_prices(path)
    with pytest.raises(PriceSnapshotError, match="no such file"):
        load_prices(tmp_path / "missing.json")


# ---------------------------------------------------------------------------------------------- refresh


def _entry(service: str, attributes: dict[str, str], usd: str, unit: str = "Hrs") -> str:
    sku = "SKU" + str(abs(hash((service, tuple(sorted(attributes.items()))))) % 10**8)
    return json.dumps(
        {
            "product": {
                "productFamily": attributes.pop("productFamily", "Compute Instance"),
                "attributes": attributes,
                "sku": sku,
            },
            "serviceCode": service,
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                                "unit": unit,
                                "pricePerUnit": {"USD": usd},
                                "description": f"${usd} per {unit}",
                                "beginRange": "0",
                                "endRange": "Inf",
                                "appliesTo": [],
                            }
                        },
                        "sku": sku,
                        "effectiveDate": "2026-11-01T00:00:00Z",
                        "offerTermCode": "JRTCKXETXF",
                        "termAttributes": {},
                    }
                }
            },
            "version": "20261101000000",
            "publicationDate": "2026-11-01T00:00:00Z",
        }
    )


def _filters(**fields: str) -> list[dict[str, str]]:
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in fields.items()]


class StubbedSession:
    """A boto3-session stand-in whose client("pricing") is a real botocore client under a Stubber."""

    def __init__(self) -> None:
        self.pricing = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        ).client("pricing", region_name="us-east-1")
        self.stubber = Stubber(self.pricing)
        self.asked: list[tuple[str, str | None]] = []

    def client(self, name: str, region_name: str | None = None, config: Any = None) -> Any:
        self.asked.append((name, region_name))
        return self.pricing

    def expect(self, service: str, filters: list[dict[str, str]], pages: list[list[str]]) -> None:
        for index, page in enumerate(pages):
            params: dict[str, Any] = {"ServiceCode": service, "Filters": filters, "FormatVersion": "aws_v1"}
            response: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": page}
            if index:
                params["NextToken"] = f"page{index}"
            if index + 1 < len(pages):
                response["NextToken"] = f"page{index + 1}"
            self.stubber.add_response("get_products", response, params)


def _stub_region(session: StubbedSession, region: str, ec2: str, emr: str, serverless: bool) -> None:
    kind = "m6g.xlarge"
    ec2_filters = _filters(
        instanceType=kind,
        regionCode=region,
        operatingSystem="Linux",
        tenancy="Shared",
        preInstalledSw="NA",
        capacitystatus="Used",
    )
    attrs = {"instanceType": kind, "regionCode": region, "operatingSystem": "Linux"}
    session.expect("AmazonEC2", ec2_filters, [[], [_entry("AmazonEC2", dict(attrs), ec2)]])  # 2 pages
    session.expect(
        "ElasticMapReduce",
        _filters(instanceType=kind, regionCode=region, softwareType="EMR"),
        [[_entry("ElasticMapReduce", {"instanceType": kind, "softwareType": "EMR"}, emr)]],
    )
    for volume in EBS_TYPES:
        found = (
            [
                _entry(
                    "AmazonEC2",
                    {"productFamily": "Storage", "volumeApiName": volume},
                    "0.0800000000" if volume == "gp3" else "0.1000000000",
                    "GB-Mo",
                )
            ]
            if volume in ("gp2", "gp3")
            else []
        )
        session.expect(
            "AmazonEC2", _filters(productFamily="Storage", volumeApiName=volume, regionCode=region), [found]
        )
    rates = []
    if serverless:
        for usage, usd in (
            ("USE1-EMR-SERVERLESS-vCPUHours", "0.052624"),
            ("USE1-EMR-SERVERLESS-MemoryGBHours", "0.0057785"),
            ("USE1-EMR-SERVERLESS-StorageGBHours", "0.000111"),
            ("USE1-EMR-SERVERLESS-ARM-vCPUHours", "0.042094"),
            ("USE1-EMR-SERVERLESS-ARM-MemoryGBHours", "0.004628"),
            ("USE1-EMR-SERVERLESS-ARM-StorageGBHours", "0.000111"),
        ):
            rates.append(_entry("ElasticMapReduce", {"usagetype": usage, "regionCode": region}, usd))
        rates.append(
            _entry(
                "ElasticMapReduce", {"usagetype": "USE1-BoxUsage:m6g.xlarge", "regionCode": region}, "0.077"
            )
        )
    session.expect("ElasticMapReduce", _filters(regionCode=region), [rates[:3], rates[3:]] if rates else [[]])


def test_refresh_reads_every_page_and_writes_a_sourced_snapshot(tmp_path: Path) -> None:
    session = StubbedSession()
    _stub_region(session, "us-east-1", ec2="0.1540000000", emr="0.0385000000", serverless=True)
    _stub_region(session, "eu-west-1", ec2="0.1720000000", emr="0.0430000000", serverless=False)
    out = tmp_path / "refreshed.json"
    with session.stubber:
        book = refresh(
            session, regions=["us-east-1", "eu-west-1"], instance_types=["m6g.xlarge"], out=out, today=TODAY
        )
    session.stubber.assert_no_pending_responses()
    assert session.asked == [("pricing", "us-east-1")]
    assert book.snapshot_date == TODAY.isoformat()
    assert book.ec2_on_demand("us-east-1", "m6g.xlarge") == pytest.approx(0.154)
    assert book.emr_uplift("eu-west-1", "m6g.xlarge") == pytest.approx(0.043)
    assert book.ebs_gb_month("us-east-1", "gp3") == pytest.approx(0.08)
    arm = book.serverless("us-east-1", "ARM64")
    assert (
        arm is not None
        and arm.vcpu_hour == pytest.approx(0.042094)
        and arm.gb_hour == pytest.approx(0.004628)
    )
    source = book.source_of("us-east-1", "ec2_on_demand", "m6g.xlarge")
    assert (
        source is not None and "AWS Price List API" in source.title and source.retrieved == TODAY.isoformat()
    )
    # no Serverless rates for eu-west-1 from the API: the old figures and source stay, and a note says so
    old = load_prices()
    kept = book.serverless("eu-west-1", "X86_64")
    assert kept == old.serverless("eu-west-1", "X86_64")
    assert any("eu-west-1" in note and "kept" in note for note in book.notes)
    # the file on disk loads again with the schema check
    assert load_prices(out).describe() == book.describe()


def test_refresh_denied_raises_aws_error(tmp_path: Path) -> None:
    session = StubbedSession()
    session.stubber.add_client_error(
        "get_products",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform pricing:GetProducts",
        http_status_code=400,
    )
    with session.stubber, pytest.raises(AwsError, match="pricing:GetProducts"):
        refresh(
            session, regions=["us-east-1"], instance_types=["m5.xlarge"], out=tmp_path / "x.json", today=TODAY
        )
    assert not (tmp_path / "x.json").exists()


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_prices_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prices", "show"]) == 0
    out = capsys.readouterr().out
    book = load_prices()
    assert book.snapshot_date in out and "us-east-1" in out
    for source in book.describe()["sources"]:
        assert source["url"] in out


def test_cli_prices_show_broken_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    monkeypatch.setenv(prices.ENV, str(bad))
    assert main(["prices", "show"]) == 2
    assert str(bad) in capsys.readouterr().err


def test_cli_prices_refresh_writes_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`emrlab prices refresh -o FILE` with the session factory swapped for the Stubber-backed one."""
    session = StubbedSession()
    _stub_region(session, "us-east-1", ec2="0.1540000000", emr="0.0385000000", serverless=True)
    made: list[str | None] = []

    def fake_session(region: str | None = None, profile: str | None = None) -> StubbedSession:
        made.append(profile)
        return session

    monkeypatch.setattr("emrlab.aws.session.boto_session", fake_session)
    out = tmp_path / "new.json"
    with session.stubber:
        code = main(
            [
                "prices",
                "refresh",
                "--region",
                "us-east-1",
                "--instance-type",
                "m6g.xlarge",
                "-o",
                str(out),
                "--profile",
                "work",
            ]
        )
    assert code == 0, capsys.readouterr().err
    assert made == ["work"]
    assert load_prices(out).ec2_on_demand("us-east-1", "m6g.xlarge") == pytest.approx(0.154)
    assert str(out) in capsys.readouterr().out


def test_cli_prices_refresh_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    out = tmp_path / "never.json"
    assert (
        main(["prices", "refresh", "--region", "us-east-1", "--instance-type", "m5.xlarge", "-o", str(out)])
        == 2
    )
    assert "credentials" in capsys.readouterr().err
    assert not out.exists()
