"""The documentation site works opened from disk (``site/index.html``, as the README says): built as ``make docs``
builds it, then every link of its navigation clicked in headless Chromium lands on a page, never on a folder
(which a browser shows as a file listing)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chromium import Browser, module_browser
from tests.conftest import ROOT

pytestmark = pytest.mark.release  # builds the whole site and clicks through it in Chromium
LANDED = """({url: location.href, title: document.title,
  article: !!document.querySelector('article.md-content__inner'),
  listing: document.body.innerText.startsWith('Index of')})"""
NAV_LINKS = "[...new Set([...document.querySelectorAll('nav.md-nav--primary a.md-nav__link[href]')].map(a => a.href))]"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built strictly as `make docs` builds it, into a temporary directory."""
    out = tmp_path_factory.mktemp("site")
    mkdocs = Path(sys.executable).with_name("mkdocs")
    command = [str(mkdocs), "build", "--strict", "--quiet", "--site-dir", str(out)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    yield from module_browser(tmp_path_factory, "tests/test_docs_site.py")


def test_every_navigation_link_opens_a_page_from_disk(site: Path, browser: Browser) -> None:
    home = (site / "index.html").as_uri()
    browser.open(home, 1400)
    links = browser.evaluate(NAV_LINKS)
    pages = [link for link in links if "#" not in link]
    assert len(pages) >= 15, links  # home, the guides, architecture, reliability, performance, the reference pages
    for link in pages:
        browser.open(home, 1400)
        browser.click(
            f"[...document.querySelectorAll('nav.md-nav--primary a.md-nav__link')].find(a => a.href === {link!r})"
        )
        landed = browser.evaluate(LANDED)
        assert landed["url"] == link, landed
        assert landed["url"].endswith(".html"), landed
        assert landed["article"], landed
        assert not landed["listing"], landed
        assert Path(landed["url"].removeprefix("file://")).is_file()
