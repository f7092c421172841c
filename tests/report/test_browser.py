"""The report in headless Chromium: no console errors, charts drawn, hostile inputs inert.

Needs Debian's ``chromium`` and ``chromium-driver``; ``make test`` installs them where it can
(``scripts/ensure-browser.sh``). When they are missing the tests are skipped with the reason,
unless ``UNDERTOW_REQUIRE_BROWSER=1`` (set by CI), which makes a missing browser a failure.
``UNDERTOW_SKIP_BROWSER=1`` skips them even when a browser is there.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

COUNT_DIALOGS = """
window.__undertowDialogs = 0;
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = function () { window.__undertowDialogs += 1; };
}
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if os.environ.get("UNDERTOW_SKIP_BROWSER") == "1":
        pytest.skip("UNDERTOW_SKIP_BROWSER=1")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        reason = (
            "headless Chromium and chromedriver are not on PATH "
            "(Debian: apt-get install chromium chromium-driver)"
        )
        if os.environ.get("UNDERTOW_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; UNDERTOW_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
        # Nothing may resolve: a stray request fails fast instead of reaching out.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COUNT_DIALOGS})
        yield driver
    finally:
        driver.quit()


def open_report(driver: Any, path: Path) -> dict[str, Any]:
    """Load ``path``; return console messages, requests and dialogs seen."""
    from selenium.common.exceptions import NoAlertPresentException

    driver.get_log("browser")
    driver.get_log("performance")
    url = path.resolve().as_uri()
    driver.get(url)
    driver.execute_script("return document.readyState")
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            requested = message["params"]["request"]["url"]
            if requested != url:
                requests.append(requested)
    try:
        driver.switch_to.alert.dismiss()
        open_alert = 1
    except NoAlertPresentException:
        open_alert = 0
    return {
        "console": driver.get_log("browser"),
        "requests": requests,
        "dialogs": driver.execute_script("return window.__undertowDialogs") + open_alert,
    }


def test_report_renders_without_console_errors_and_draws_charts(
    browser: Any, community_report: Path
) -> None:
    seen = open_report(browser, community_report)
    assert [m for m in seen["console"] if m["level"] in ("SEVERE", "WARNING")] == []
    assert seen["requests"] == []
    figures = browser.execute_script("return document.querySelectorAll('figure.chart').length")
    drawn = browser.execute_script("return document.querySelectorAll('figure.chart svg').length")
    empty = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure.chart .note'))"
        ".filter(n => n.textContent.startsWith('Nothing to draw')).length"
    )
    failed = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure.chart .note'))"
        ".filter(n => n.textContent.includes('could not be drawn')).length"
    )
    marks = browser.execute_script(
        "return document.querySelectorAll('figure.chart svg path, figure.chart svg circle, "
        "figure.chart svg rect').length"
    )
    assert figures >= 3
    assert drawn + empty == figures
    assert drawn >= 3
    assert failed == 0
    assert marks > figures


def test_hostile_report_opens_inert(browser: Any, hostile_report: Path) -> None:
    seen = open_report(browser, hostile_report)
    assert seen["dialogs"] == 0
    assert seen["requests"] == []
    assert [m for m in seen["console"] if m["level"] == "SEVERE"] == []
    scripts = browser.execute_script("return document.scripts.length")
    assert scripts == 2
    images = browser.execute_script("return document.images.length")
    assert images == 0
    text = browser.execute_script("return document.body.innerText")
    assert "<script>alert(1)</script>" in text, "hostile text is shown as text"
    drawn = browser.execute_script("return document.querySelectorAll('figure.chart svg').length")
    assert drawn >= 2


def test_the_checks_can_fail(browser: Any, tmp_path: Path) -> None:
    """A page that does call out and open a dialog is caught (the checks are not vacuous)."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img src="http://tracker.invalid/x.png">'
        "<script>alert(1)</script></body></html>",
        "utf-8",
    )
    seen = open_report(browser, page)
    assert seen["dialogs"] == 1
    assert seen["requests"] == ["http://tracker.invalid/x.png"]
