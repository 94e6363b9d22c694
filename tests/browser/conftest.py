"""Browser tests: Debian's Chromium driven through Playwright's sync API
against pytest-django's ``live_server``. Run them as their own pass
(``make test-browser``): the sync API keeps an event loop running, which
Django's async-safety check would otherwise refuse."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import services

# Playwright's sync API keeps an event loop running in the test thread; only
# the browser pass (make test-browser) lifts Django's async guard for it.
if os.environ.get("SPROUT_TEST_PASS") == "browser":
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium per module (a session-wide one upsets later async tests)."""
    executable = services.chromium_path()
    if executable is None:
        services.unavailable(
            f"Chromium is not installed at {services.CHROMIUM}: "
            "apt-get install -y --no-install-recommends chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Every page of a context reports what the Content-Security-Policy refused
# (the event, and Chromium's console line for what has no event, such as an
# inline style it dropped).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__sproutCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"} ` +
    `(${event.sourceFile || document.location.href}:${event.lineNumber})`
  );
});
"""


def watch_csp(context: Any) -> list[str]:
    """The CSP violations of every page ``context`` opens, as they happen."""
    violations: list[str] = []

    def report(text: str) -> None:
        violations.append(text)

    context.expose_function("__sproutCspViolation", report)
    context.add_init_script(CSP_LISTENER)

    def console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    context.on("console", console)
    return violations


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) with a desktop viewport; page
    errors are collected in ``page.js_errors``, what the CSP refused in
    ``page.csp_violations``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    violations = watch_csp(context)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.js_errors = []
    tab.csp_violations = violations
    tab.on("pageerror", lambda error: tab.js_errors.append(str(error)))
    yield tab
    context.close()


@pytest.fixture
def screenshot(page):  # type: ignore[no-untyped-def]
    """``screenshot("name")`` saves a full-page PNG in artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
