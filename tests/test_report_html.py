"""The HTML report in a real browser (headless Chromium, Debian's package, driven over the DevTools protocol) at
1400 and 420 CSS pixels: the verdict banner and every finding's title are visible without horizontal overflow, no
text is under 12 px, no word is broken in the middle, measured in the DOM, plus a screenshot; findings come by
category weight, then count; text stays text (Chinese readable, JSON pretty-printed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import Browser, module_browser
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
# Every element that shows text of its own, with its computed size; and every word (a run of letters or digits,
# outside <pre>, longer ones are not words) whose letters do not sit on one line.
TYPE = """(() => {
  const small = [];
  for (const element of document.body.querySelectorAll('*')) {
    for (const node of element.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE || !node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      if (rects.length === 0) continue;  // not shown (a closed <details>)
      // The glyphs' box as drawn: an SVG scaled down draws 13 px text at 8 px, whatever its CSS says.
      const drawn = Math.max(...rects.map(r => r.height)) / 1.15;
      const size = Math.min(drawn, parseFloat(getComputedStyle(element).fontSize));
      if (size < 12) small.push({tag: element.tagName, size, text: node.textContent.slice(0, 40)});
    }
  }
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('pre')) continue;
    for (const match of node.textContent.matchAll(/[A-Za-z0-9]{2,40}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return {small, broken};
})()"""


@pytest.fixture(scope="module")
def report_page(conformance_runs: Any) -> tuple[Path, dict[str, Any]]:
    code, report, reports = conformance_runs(*REALITY_AND_RIGGED)  # a run other report tests share
    assert code == 1
    return reports / "conformance.html", report


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    yield from module_browser(tmp_path_factory, "tests/test_report_html.py")


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
    typography = browser.evaluate(TYPE)
    assert typography["small"] == []  # every label, header and cell at 12 px or more
    assert typography["broken"] == []  # no word split across lines
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 10_000


def test_text_stays_text_and_json_is_pretty(report_page: tuple[Path, dict[str, Any]]) -> None:
    page, _report = report_page
    text = page.read_text(encoding="utf-8")
    # No JSON escapes of text: the spec's Chinese reads as Chinese. (A fuzzed request body in a curl command keeps
    # its escapes for control characters and lone surrogates, which a grown spec's POST operations show.)
    escaped = {int(code, 16) for code in re.findall(r"\\u([0-9a-fA-F]{4})", text)}
    assert not {code for code in escaped if 0x4E00 <= code <= 0x9FFF}
    assert "视频分辨率" in text
    assert "{\n  &quot;id&quot;: " in text  # bodies are pretty-printed JSON
    assert "<script" not in text


def test_findings_come_heaviest_first(report_page: tuple[Path, dict[str, Any]]) -> None:
    from contract_tests.suite.categories import Category  # noqa: PLC0415

    _page, report = report_page
    order = [(f["status"] == "known", -Category(f["category"]).weight, -f["occurrences"]) for f in report["findings"]]
    assert order == sorted(order)
    assert len({Category(f["category"]) for f in report["findings"]}) >= 3  # the run has findings of several weights
