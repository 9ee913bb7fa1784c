"""Fixtures of the panel's UI tests: the demo's services (moto seeded with the sample account, the local Livy
endpoint), JupyterLab servers on 127.0.0.1 pointed at them, and the system Chromium driven by Playwright.

Chromium is the Debian package at /usr/bin/chromium (`make system-deps` installs it; Playwright's own browser
download is never used). Every test leaves a screenshot in build/ui-artifacts/, passed or failed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from emrlab.extension.demo import STARTER, Services, free_port, jupyterlab, services, write_starter

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "ui-artifacts"
PANEL_ID = "emrlab-panel"


@dataclass
class Lab:
    """A running JupyterLab: its URL, token and root folder."""

    url: str
    token: str
    root: Path

    def notebook_url(self, name: str = STARTER) -> str:
        return f"{self.url}/lab/tree/{quote(name)}?token={self.token}"


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The demo's moto (seeded) and Livy endpoint, for every UI test."""
    with services(tmp_path_factory.mktemp("demo")) as running:
        yield running


def _lab(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str], name: str) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp(name)
    write_starter(root)
    workdir = tmp_path_factory.mktemp(f"{name}-work")
    token = secrets.token_hex(16)
    with jupyterlab(root, workdir, env, port=free_port(), token=token) as url:
        yield Lab(url, token, root)


@pytest.fixture(scope="session")
def lab(demo: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab with the demo's environment (moto, fake keys, the Livy endpoint overrides)."""
    yield from _lab(tmp_path_factory, demo.env, "lab")


@pytest.fixture(scope="session")
def lab_without_credentials(demo: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab pointed at moto but with no AWS credentials anywhere in the chain."""
    keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    env = {key: value for key, value in demo.env.items() if key not in keys}
    # jupyterlab() starts from this process's environment: no key may come in from there either
    saved = {key: os.environ.pop(key) for key in keys if key in os.environ}
    try:
        yield from _lab(tmp_path_factory, env, "lab-nocreds")
    finally:
        os.environ.update(saved)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """The system Chromium, headless. Package scope: Playwright's event loop must be gone before any other
    test's asyncio loop (pytest-jupyter's) is closed."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser page (1400x900); its screenshot goes to build/ui-artifacts/TEST.png at the end."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    try:
        yield opened
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
        context.close()


# pytest-jupyter's autouse fixtures (loaded for the handler tests) close "the" asyncio loop after each test;
# here that is the loop Playwright's sync API runs, so they are switched off for the UI tests.
@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    """Not used by the UI tests (see above)."""


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    """Not used by the UI tests (see above)."""
