"""report.html in a real headless Chromium: loads without JavaScript errors, every plot drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

import analyze
from search.report.browser import chromium
from tests.search.report.fabricated import fabricate


@pytest.mark.skipif(chromium() is None, reason="no Chromium here (.ci/run installs Debian's)")
def test_report_renders_in_chromium(tmp_path: Path) -> None:
    pytest.importorskip("playwright.sync_api")
    url = f"sqlite:///{tmp_path / 'a.db'}"
    fabricate(url)
    out = tmp_path / "results"
    # --screenshot renders the page in Chromium and refuses a page with errors.
    assert analyze.main(["--storage", url, "--out", str(out), "--screenshot"]) == 0
    from search.report.browser import render

    seen = render(out / "report.html")
    assert seen.errors == ()
    assert seen.drawn == seen.expected >= 8
    assert (out / "report.png").stat().st_size > 10_000
