"""No link in the repository points at something that does not exist: every link of the README, the docs,
``pyproject.toml`` and ``mkdocs.yml``. A relative link names a file of the checkout (and, into a Markdown page, one
of its headings); an external one is on the allow-list below, of sites known to exist, each with where it is used.
URLs inside code (commands, examples such as ``http://127.0.0.1:4010``) are not links."""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Real sites the project links to, and why. A new external link needs an entry (and a site that exists).
ALLOWED_HOSTS = {
    "docs-model.skyengine.com.cn": "the vendor's documentation index, named by the captured pages in upstream/",
    "keepachangelog.com": "the CHANGELOG format (docs/architecture.md)",
    "mutmut.readthedocs.io": "the mutation-testing tool (docs/guides/errors-and-retries.md)",
}
MARKDOWN = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
CONFIG = [ROOT / "pyproject.toml", ROOT / "mkdocs.yml"]
_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})([^`]*)$")  # a fence opens a line; a backtick fence's info has no backtick
_CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
_TARGET = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
_BARE = re.compile(r"<?(https?://[^\s)>\]\"'`]+)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)


def _without_fences(text: str) -> str:
    """``text`` without its fenced code blocks (CommonMark: closed by a run of the same character at least as long)."""
    kept: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        if fence is None and (opened := _OPEN.match(line)):
            fence = opened.group(1)
        elif fence is not None and line.strip().startswith(fence) and set(line.strip()) == {fence[0]}:
            fence = None
        elif fence is None:
            kept.append(line)
    return "\n".join(kept)


def _prose(text: str) -> str:
    """``text`` without fenced code blocks and code spans (their URLs are examples, not links)."""
    return _CODE_SPAN.sub("", _without_fences(text))


def links_in_markdown(text: str) -> list[str]:
    """Every link target of a Markdown page: inline, reference-style and bare URLs outside code."""
    prose = _prose(text)
    found = _TARGET.findall(prose) + _REFERENCE.findall(prose)
    found += [url for url in _BARE.findall(_TARGET.sub("]", prose)) if url not in found]
    return list(dict.fromkeys(found))


def slug(heading: str) -> str:
    """The anchor MkDocs (Python-Markdown's toc) and GitHub give a heading."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def problem(link: str, page: Path) -> str | None:
    """What is wrong with ``link`` on ``page``, or None."""
    parts = urllib.parse.urlsplit(link)
    if parts.scheme in ("http", "https"):
        return None if parts.hostname in ALLOWED_HOSTS else f"external host {parts.hostname} is not on the allow-list"
    if parts.scheme:
        return f"scheme {parts.scheme}: is not a link this project uses"
    target = (page.parent / urllib.parse.unquote(parts.path)).resolve() if parts.path else page
    if not target.exists():
        return f"{parts.path} does not exist"
    if ROOT not in (target, *target.parents):
        return f"{parts.path} is outside the repository"
    if parts.fragment and target.suffix == ".md":
        anchors = {slug(heading) for heading in _HEADING.findall(_without_fences(target.read_text(encoding="utf-8")))}
        if parts.fragment not in anchors:
            return f"{target.relative_to(ROOT)} has no heading #{parts.fragment}"
    return None


def _all_links() -> list[tuple[str, Path]]:
    found = [(link, page) for page in MARKDOWN for link in links_in_markdown(page.read_text(encoding="utf-8"))]
    found += [(url, page) for page in CONFIG for url in _BARE.findall(page.read_text(encoding="utf-8"))]
    return found


LINKS = _all_links()


def test_links_are_found() -> None:
    pages = {page.name for _, page in LINKS}
    assert {"README.md", "architecture.md", "errors-and-retries.md"} <= pages
    assert len(LINKS) >= 20


@pytest.mark.parametrize(("link", "page"), LINKS, ids=[f"{page.relative_to(ROOT)}:{link}" for link, page in LINKS])
def test_every_link_points_at_something_that_exists(link: str, page: Path) -> None:
    assert problem(link, page) is None, f"{page.relative_to(ROOT)}: {link}: {problem(link, page)}"


def test_the_checker_catches_what_it_is_for(tmp_path: Path) -> None:
    page = ROOT / "README.md"
    assert problem("https://github.com/tokenops/tokenops-python", page) == (
        "external host github.com is not on the allow-list"
    )
    assert problem("docs/guides/nowhere.md", page) == "docs/guides/nowhere.md does not exist"
    assert (
        problem("docs/guides/drift.md#no-such-heading", page) == "docs/guides/drift.md has no heading #no-such-heading"
    )
    assert problem("docs/guides/drift.md#where-we-deliberately-disagree-with-oasdiff", page) is None
    text = "See [a](x.md), <https://keepachangelog.com/>, `https://in.code/x`\n```sh\ncurl https://example.com\n```\n"
    assert links_in_markdown(text) == ["x.md", "https://keepachangelog.com/"]
    assert slug("Live runs: safe by default") == "live-runs-safe-by-default"
