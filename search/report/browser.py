"""report.html in a real headless Chromium: every plot drawn, JavaScript errors collected,
and a full-page screenshot (``results/report.png``). Uses Debian's Chromium through
playwright; no browser is downloaded."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Rendered", "chromium", "render"]


@dataclass(frozen=True)
class Rendered:
    """What the browser saw: plots the page declares and draws, and its errors."""

    expected: int
    drawn: int
    errors: tuple[str, ...]


def chromium() -> str | None:
    """The Chromium executable on PATH, if any."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render(page_file: Path, screenshot: Path | None = None,
           timeout_ms: int = 60_000) -> Rendered:
    """Loads ``page_file``, waits until every plotly figure is drawn, optionally saves a
    full-page screenshot.

    Raises:
        RuntimeError: Without Chromium or playwright.
    """
    executable = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        raise RuntimeError("rendering the report needs Chromium on PATH and playwright")
    expected = page_file.read_text().count("Plotly.newPlot")
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
                    else None)
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {expected}",
                timeout=timeout_ms,
            )
            drawn = page.eval_on_selector_all(".js-plotly-plot", "els => els.length")
            shot = page.screenshot(full_page=True) if screenshot is not None else None
        finally:
            browser.close()
    if shot is not None:
        _save_palette_png(shot, screenshot)
    return Rendered(expected, int(drawn), tuple(errors))


def _save_palette_png(png: bytes, path: Path) -> None:
    """Saves a screenshot with a 256-colour palette: the page is flat plot colours and
    text, and the full page of a grown report (1400 x 36,000 px) is 7 MB in true colour,
    under 3 MB so."""
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(png)) as image:
        image.convert("RGB").quantize(colors=256).save(path, optimize=True)
