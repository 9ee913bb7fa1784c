"""Regenerate docs/panel.png (the README's picture of the panel) from the demo, in the system Chromium.

    .venv/bin/python docs/make_screenshot.py      # or: make screenshot

It starts the demo's services and JupyterLab exactly as `emrlab lab --demo` does, connects the starter
notebook to a demo cluster through the panel, runs the Spark cell, opens one cluster's details, and saves
the window.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import expect, sync_playwright

from emrlab.extension.demo import STARTER, free_port, jupyterlab, services, write_starter

OUT = Path(__file__).resolve().parent / "panel.png"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
WAIT = 240_000  # ms


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="emrlab-shot-") as tmp:
        root, workdir = Path(tmp) / "lab", Path(tmp) / "work"
        write_starter(root)
        token = secrets.token_hex(16)
        with (
            services(workdir) as running,
            jupyterlab(root, workdir, running.env, port=free_port(), token=token) as url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
            page.goto(f"{url}/lab/tree/{quote(STARTER)}?token={token}")
            expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=WAIT)
            tab = page.locator('.jp-SideBar [data-id="emrlab-panel"]')
            if tab.get_attribute("aria-selected") != "true":
                tab.click()
            panel = page.locator("#emrlab-panel").bounding_box()
            assert panel is not None
            edge = panel["x"] + panel["width"] + 2  # the split handle right of the sidebar: make it wider
            page.mouse.move(edge, 400)
            page.mouse.down()
            page.mouse.move(edge + 170, 400, steps=5)
            page.mouse.up()
            prod = running.seeded.clusters["analytics-prod"]
            row = page.locator(f'[data-emrlab-row="cluster"][data-id="{prod}"]')
            row.get_by_role("button", name="Connect analytics-prod").click()
            cells = page.locator(".jp-Notebook .jp-Cell")
            expect(cells.nth(1).locator(".jp-Cell-outputArea")).to_contain_text("connected", timeout=WAIT)
            cells.nth(2).locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            expect(cells.nth(2).locator(".jp-Cell-outputArea")).to_contain_text("499500", timeout=WAIT)
            row.get_by_role("button", name="Details of analytics-prod").click()
            expect(row.locator(".emrlab-detail table")).to_be_visible(timeout=WAIT)
            page.mouse.click(900, 850)  # move focus off the buttons
            page.screenshot(path=str(OUT))
            browser.close()
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
