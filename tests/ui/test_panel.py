"""The EMR panel in real Chromium against the demo (moto seeded with the sample account, the local Livy
endpoint, JupyterLab): it lists the seeded clusters with their cost, Connect adds a cell that connects
the notebook and Spark then answers, Terminate asks before it terminates, missing credentials show an
error, and the file browser's "Convert for EMR" converts an export and opens its report."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from aws_fixtures import create_cluster
from playwright.sync_api import Locator, Page, expect

from emrlab.aws.prices import snapshot_path
from emrlab.extension.demo import Services, moto_client
from emrlab.extension.demo_seed import CLUSTERS, HOME_REGION, ClusterSpec

from .conftest import PANEL_ID, Lab

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workspace"
LOAD = 90_000  # ms: JupyterLab's first load, the first AWS listing
SPARK = 240_000  # ms: a first Spark session on the local endpoint starts a JVM


def open_panel(page: Page, lab: Lab) -> Locator:
    """Open the starter notebook and the EMR panel (whatever layout the workspace restored); its node."""
    page.goto(lab.notebook_url())
    expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=LOAD)  # layout restored
    tab = page.locator(f'.jp-SideBar [data-id="{PANEL_ID}"]')
    if tab.get_attribute("aria-selected") != "true":
        tab.click()
    panel = page.locator(f"#{PANEL_ID}")
    expect(panel).to_be_visible()
    return panel


def cluster_row(panel: Locator, cluster_id: str) -> Locator:
    return panel.locator(f'[data-emrlab-row="cluster"][data-id="{cluster_id}"]')


def expected_per_hour(spec: ClusterSpec) -> float | None:
    """The on-demand EC2 + EMR $/h of `spec`, read straight from the shipped snapshot (None: unpriced)."""
    prices = json.loads(snapshot_path().read_text(encoding="utf-8"))["regions"][spec.region]
    total = 0.0
    for group in spec.groups:
        ec2 = prices.get("ec2_on_demand", {}).get(group.instance_type)
        emr = prices.get("emr_uplift", {}).get(group.instance_type)
        if ec2 is None or emr is None:
            return None
        total += group.count * (ec2["usd"] + emr["usd"])
    return total


def money_of(text: str) -> float:
    found = re.search(r"\$([\d,]+\.\d+)/h", text)
    assert found, text
    return float(found.group(1).replace(",", ""))


def test_panel_lists_the_seeded_clusters_with_their_cost(page: Page, lab: Lab, demo: Services) -> None:
    panel = open_panel(page, lab)
    running = [spec for spec in CLUSTERS if not spec.terminated]
    for spec in running:
        row = cluster_row(panel, demo.seeded.clusters[spec.name])
        expect(row).to_be_visible(timeout=LOAD)
        expect(row.locator(".emrlab-name")).to_have_text(spec.name)
        expect(row.locator(".emrlab-state")).to_contain_text("WAITING")

    prod = next(spec for spec in running if spec.name == "analytics-prod")
    per_hour = cluster_row(panel, demo.seeded.clusters[prod.name]).locator(".emrlab-per-hour")
    shown = money_of(per_hour.inner_text())
    on_demand = expected_per_hour(prod)
    assert on_demand is not None
    # EC2 + EMR from the snapshot; the panel adds the EBS volumes moto attaches (a few cents an hour)
    assert on_demand <= shown <= on_demand + 0.1, (shown, on_demand)
    assert re.search(r"estimate.*\d{4}-\d{2}-\d{2}", per_hour.get_attribute("title") or "", re.I)

    gpu = next(spec for spec in running if spec.name == "adhoc-gpu")
    assert expected_per_hour(gpu) is None  # g5.2xlarge has no sourced price in the snapshot
    expect(cluster_row(panel, demo.seeded.clusters[gpu.name]).locator(".emrlab-per-hour")).to_have_text(
        "no price"
    )
    expect(panel.locator(".emrlab-burn-total")).to_have_text(re.compile(r"^\$[\d,]+\.\d+/h$"))

    apps = panel.locator('[data-emrlab-row="application"]')
    expect(apps).to_have_count(len(demo.seeded.applications), timeout=LOAD)
    warm = panel.locator(f'[data-id="{demo.seeded.applications["interactive-analytics"]}"]')
    assert money_of(warm.locator(".emrlab-per-hour").inner_text()) > 0  # a STARTED warm pool burns money


def test_connect_adds_a_cell_that_connects_and_spark_answers(page: Page, lab: Lab, demo: Services) -> None:
    panel = open_panel(page, lab)
    expect(page.locator(".jp-Notebook-ExecutionIndicator, .jp-Toolbar-kernelStatus").first).to_be_visible(
        timeout=LOAD
    )
    cluster_id = demo.seeded.clusters["analytics-prod"]
    connect = cluster_row(panel, cluster_id).get_by_role("button", name="Connect analytics-prod")
    expect(connect).to_be_visible(timeout=LOAD)
    connect.click()

    cells = page.locator(".jp-Notebook .jp-Cell")
    expect(cells).to_have_count(3, timeout=LOAD)
    inserted = cells.nth(1)
    expect(inserted.locator(".jp-InputArea-editor")).to_contain_text("%load_ext emrlab")
    expect(inserted.locator(".jp-InputArea-editor")).to_contain_text(f"--cluster {cluster_id}")
    expect(inserted.locator(".jp-Cell-outputArea")).to_contain_text(cluster_id, timeout=SPARK)
    expect(inserted.locator(".jp-Cell-outputArea")).not_to_contain_text("Error")

    spark_cell = cells.nth(2)
    spark_cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    # sum(0..999): computed by Spark on the local Livy endpoint the demo's cluster resolves to
    expect(spark_cell.locator(".jp-Cell-outputArea")).to_contain_text("499500", timeout=SPARK)


def test_terminate_asks_first_and_terminates_only_when_confirmed(
    page: Page, lab: Lab, demo: Services
) -> None:
    emr = moto_client(demo.moto_url, "emr", HOME_REGION)
    scratch = create_cluster(emr, name="scratch")

    def state() -> str:
        return str(emr.describe_cluster(ClusterId=scratch)["Cluster"]["Status"]["State"])

    panel = open_panel(page, lab)
    panel.get_by_role("button", name="Refresh").click()
    terminate = cluster_row(panel, scratch).get_by_role("button", name="Terminate scratch")
    expect(terminate).to_be_visible(timeout=LOAD)

    terminate.click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Terminate scratch?")
    expect(dialog).to_contain_text(scratch)
    expect(dialog).to_contain_text(re.compile(r"\$[\d.]+/h"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert state() == "WAITING"

    terminate.click()
    page.locator(".jp-Dialog").get_by_role("button", name="Terminate").click()
    expect(page.locator(".jp-Dialog")).to_have_count(0)
    # the panel refreshes: the row stops saying WAITING (it shows TERMINATING, or leaves the Active list)
    waiting = cluster_row(panel, scratch).locator(".emrlab-state", has_text="WAITING")
    expect(waiting).to_have_count(0, timeout=LOAD)
    assert state() in ("TERMINATING", "TERMINATED")


def test_missing_credentials_show_an_error_saying_what_to_do(
    page: Page, lab_without_credentials: Lab
) -> None:
    panel = open_panel(page, lab_without_credentials)
    error = panel.locator('.emrlab-error[role="alert"]')
    expect(error).to_be_visible(timeout=LOAD)
    expect(error).to_contain_text("no AWS credentials")
    expect(error).to_contain_text("aws configure")
    expect(panel.locator('[data-emrlab-row="cluster"]')).to_have_count(0)


def test_convert_for_emr_from_the_file_browser_opens_the_report(page: Page, lab: Lab) -> None:
    export = lab.root / "Reports.dbc"
    shutil.copyfile(EXAMPLES / "Reports.dbc", export)
    open_panel(page, lab)
    page.locator('.jp-SideBar [data-id="filebrowser"]').click()
    item = page.locator(".jp-DirListing-item", has_text="Reports.dbc")
    expect(item).to_be_visible(timeout=LOAD)
    item.click(button="right")
    page.locator(".lm-Menu-item", has_text="Convert for EMR").click()

    expect(page.locator(".Toastify__toast", has_text="Converted Reports.dbc")).to_be_visible(timeout=LOAD)
    expect(page.locator(".lm-TabBar-tab", has_text="report.html")).to_be_visible(timeout=LOAD)
    outdir = lab.root / "Reports-emr"
    converted = sorted(p.relative_to(outdir).as_posix() for p in outdir.rglob("*.ipynb"))
    assert converted, f"nothing converted into {outdir}"
    report = json.loads((outdir / "report.json").read_text(encoding="utf-8"))
    assert len(report["notebooks"]) == len(converted)


def _luminance(css_color: str) -> float:
    red, green, blue = (int(part) for part in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def _choose_theme(page: Page, name: str) -> None:
    while page.locator(".lm-Menu").count():  # a menu left open by the last choice
        page.keyboard.press("Escape")
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    page.locator(".lm-Menu-item", has_text="Theme").first.hover()
    page.get_by_role("menuitem", name=name, exact=True).click()
    expect(page.locator("body")).to_have_attribute("data-jp-theme-name", name, timeout=LOAD)


def test_the_panel_follows_the_dark_theme(page: Page, lab: Lab) -> None:
    panel = open_panel(page, lab)
    expect(panel.locator('[data-emrlab-row="cluster"]').first).to_be_visible(timeout=LOAD)

    def background() -> float:
        return _luminance(panel.evaluate("node => getComputedStyle(node).backgroundColor"))

    def text() -> float:
        return _luminance(
            panel.locator(".emrlab-name").first.evaluate("node => getComputedStyle(node).color")
        )

    assert background() > 0.8 and text() < 0.4  # light: dark text on a light panel
    try:
        _choose_theme(page, "JupyterLab Dark")
        expect(panel).to_be_visible()
        assert background() < 0.3 and text() > 0.6  # the theme's variables, not fixed colours
    finally:
        _choose_theme(page, "JupyterLab Light")


def test_every_control_is_labelled_and_details_open_from_the_keyboard(
    page: Page, lab: Lab, demo: Services
) -> None:
    panel = open_panel(page, lab)
    expect(panel.locator('[data-emrlab-row="cluster"]').first).to_be_visible(timeout=LOAD)
    controls = panel.locator("button, select, input, a[href]")
    assert controls.count() > 10
    unnamed = [
        controls.nth(i).evaluate("node => node.outerHTML.slice(0, 120)")
        for i in range(controls.count())
        if not controls.nth(i).evaluate(
            "node => (node.getAttribute('aria-label') || node.labels?.[0]?.textContent || node.textContent"
            " || node.getAttribute('title') || '').trim()"
        )
    ]
    assert not unnamed, unnamed

    row = cluster_row(panel, demo.seeded.clusters["ml-training"])
    toggle = row.get_by_role("button", name="Details of ml-training")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    groups = row.locator(".emrlab-detail [data-emrlab-group]")
    expect(groups).to_have_count(3, timeout=LOAD)  # MASTER, CORE and the Spot TASK group
    expect(row.locator('.emrlab-detail [data-emrlab-group="TASK"]')).to_contain_text("Spot")
    toggle.focus()  # a refresh may have re-rendered the row meanwhile
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "false")
