"""Browser tests of the pages: Debian's Chromium driven by Playwright for Python, against the whole running
system (the `stack` of the HTTP tests: PostgreSQL, Temporal dev server, worker, projections, web server).

Screenshots of every page go to test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.api.conftest import Stack, stack

__all__ = ["SCREENSHOTS", "Stack", "Visitor", "browser", "signed_in", "stack"]

CHROMIUM = Path("/usr/bin/chromium")
# As root, without a sandbox; and no calls home: this machine's network is closed.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="package")
def browser(stack: Stack) -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop running in this thread while it is open: so it is opened after
    # the stack (whose setup runs a loop here) and closed when this package's tests end (later tests use
    # asyncio.run).
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: the page tests need Debian's browser "
                    "(apt-get install chromium; .ci/run installs it when missing)", pytrace=False)
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # each run's screenshots replace the last run's
    SCREENSHOTS.mkdir(parents=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@dataclass
class Visitor:
    """One person's browser tab on the running system, with what went wrong in it (script errors, content
    the page's security policy refused)."""

    page: Page
    base_url: str
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("console", lambda message: self.problems.append(message.text)
                     if "Content Security Policy" in message.text else None)

    def open(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def shot(self, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@contextmanager
def signed_in(browser: Browser, stack: Stack, token: str | None) -> Iterator[Visitor]:
    """A fresh browser context (its own cookies), signed in with `token` through the sign-in page."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    visitor = Visitor(context.new_page(), stack.base_url)
    try:
        if token is not None:
            visitor.open("/login")
            visitor.page.fill("#token", token)
            visitor.page.click("button:has-text('登录')")
            visitor.page.wait_for_url(lambda url: "/login" not in url)  # each role's landing page
        yield visitor
        assert visitor.problems == [], f"the pages went wrong in the browser: {visitor.problems}"
    finally:
        context.close()
