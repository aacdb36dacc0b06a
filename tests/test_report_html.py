"""The HTML report in a real browser (headless Chromium, Debian's package, driven over the DevTools protocol) at
1400 and 420 CSS pixels: the verdict banner and every finding's title are visible without horizontal overflow,
measured in the DOM, plus a screenshot; text stays text (Chinese readable, JSON pretty-printed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import CHROMIUM, Browser
from tests.conformance_fakes import REALITY_AND_RIGGED

pytestmark = pytest.mark.integration
HOW_TO_RUN = (
    "headless Chromium not found: run `make chromium` (root with apt-get) or `apt-get install chromium`, "
    "then `pytest tests/test_report_html.py`"
)
MEASURE = """(() => {
  const box = (element) => { const r = element.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width, height: r.height, text: element.textContent}; };
  return {viewport: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
    banner: box(document.getElementById('verdict')),
    titles: [...document.querySelectorAll('.finding-title')].map(box)};
})()"""


@pytest.fixture(scope="module")
def report_page(conformance_runs: Any) -> tuple[Path, dict[str, Any]]:
    code, report, reports = conformance_runs(*REALITY_AND_RIGGED)  # a run other report tests share
    assert code == 1
    return reports / "conformance.html", report


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One headless Chromium for the module's pages (each test sets its own viewport)."""
    if CHROMIUM is None:
        pytest.skip(HOW_TO_RUN)
    with Browser(tmp_path_factory.mktemp("chromium") / "profile") as browser:
        yield browser


@pytest.mark.parametrize("width", [1400, 420])
def test_banner_and_every_finding_title_are_visible_without_horizontal_overflow(
    report_page: tuple[Path, dict[str, Any]], browser: Browser, width: int, tmp_path: Path
) -> None:
    page, report = report_page
    browser.open(page.as_uri(), width)
    measured = browser.evaluate(MEASURE)
    screenshot = tmp_path / f"report-{width}.png"
    browser.screenshot(screenshot)
    assert measured["viewport"] == width
    assert measured["scrollWidth"] <= width
    banner = measured["banner"]
    assert banner["text"].startswith("FAIL")
    assert banner["width"] > 0
    assert banner["height"] > 0
    assert 0 <= banner["left"] < banner["right"] <= width
    titles = measured["titles"]
    assert [title["text"] for title in titles] == [finding["title"] for finding in report["findings"]]
    for title in titles:
        assert title["width"] > 0, title
        assert title["height"] > 0, title
        assert 0 <= title["left"] < title["right"] <= width, title
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 10_000


def test_text_stays_text_and_json_is_pretty(report_page: tuple[Path, dict[str, Any]]) -> None:
    page, _report = report_page
    text = page.read_text(encoding="utf-8")
    assert "\\u" not in text  # no JSON escapes: the spec's Chinese reads as Chinese
    assert "视频分辨率" in text
    assert "{\n  &quot;id&quot;: " in text  # bodies are pretty-printed JSON
    assert "<script" not in text
