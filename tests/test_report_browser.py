"""report.html in a real headless Chromium: loads without JavaScript errors, every plot drawn."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import analyze
from tests.search.test_analysis import _fabricate

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here (.ci/run installs Debian's)")
def test_report_renders_in_chromium(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url = f"sqlite:///{tmp_path / 'a.db'}"
    _fabricate(url)
    out = tmp_path / "results"
    assert analyze.main(["--storage", url, "--out", str(out)]) == 0
    page_file = out / "report.html"
    expected = page_file.read_text().count("Plotly.newPlot")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
                    else None)
            page.goto(page_file.as_uri(), wait_until="load")
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {expected}",
                timeout=60_000,
            )
            drawn = page.eval_on_selector_all(".js-plotly-plot", "els => els.length")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert drawn == expected >= 8
    assert shot.stat().st_size > 10_000
