"""CHANGELOG.md and the version follow the spec: spec_sync and regenerate write entries in user words, the
version bump follows the worst severity, and `make drift` fails when they do not describe the committed spec."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from contract_tests.drift import changelog
from scripts import drift, regenerate, spec_sync

PAGE = "upstream/get-video-status.md"


def _edit_page(root: Path, *replacements: tuple[str, str]) -> None:
    """The vendor changes a schema: every page that embeds it (``PAGE`` at least) carries the change."""
    for old, new in replacements:
        assert old in (root / PAGE).read_text(encoding="utf-8")
        for page in (root / "upstream").glob("*.md"):
            text = page.read_text(encoding="utf-8")
            page.write_text(text.replace(old, new, 1), encoding="utf-8")


def _version(root: Path) -> str:
    return ".".join(str(part) for part in changelog.read_version(root))


def _newest_entry(root: Path) -> str:
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = [m.start() for m in re.finditer(r"^## \[\d", text, re.MULTILINE)]
    return text[headings[0] : headings[1]]


def test_the_committed_changelog_describes_the_committed_spec() -> None:
    assert changelog.check_root(Path(__file__).resolve().parents[1]) == []


@pytest.mark.e2e
def test_a_breaking_spec_change_is_a_major_release_in_user_words(repo_copy: Path) -> None:
    _edit_page(repo_copy, ("            - 1280x720\n", "            - 1280x720\n            - 1792x1024\n"))
    _edit_page(repo_copy, ("            - pending\n", ""))
    assert spec_sync.main(["--root", str(repo_copy)]) == 0
    assert _version(repo_copy) == "1.0.0"
    entry = _newest_entry(repo_copy)
    assert entry.startswith(f"## [1.0.0] - {datetime.datetime.now(tz=datetime.UTC).date().isoformat()}\n")
    assert 'property `size`: may now be "1792x1024"' in entry
    assert "- **Breaking:** removed: `VideoStatusResponseStatus.PENDING`" in entry
    assert "### Removed" in entry
    assert "### Changed" in entry or "### Added" in entry
    # The regeneration that follows finds the surface the entry already describes: no second entry.
    assert regenerate.main(["--root", str(repo_copy)]) == 0
    assert _version(repo_copy) == "1.0.0"
    assert changelog.check_root(repo_copy) == []
    assert drift.main(["--root", str(repo_copy)]) == 0


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("old", "new", "version"),
    [
        ("            - 1280x720\n", "            - 1280x720\n            - 1792x1024\n", "0.2.0"),  # warning: minor
        ("      summary: 获取视频生成任务状态\n", "      summary: 获取视频任务状态\n", "0.1.1"),  # info: patch
    ],
)
def test_the_bump_follows_the_worst_severity(repo_copy: Path, old: str, new: str, version: str) -> None:
    _edit_page(repo_copy, (old, new))
    assert spec_sync.main(["--root", str(repo_copy)]) == 0
    assert _version(repo_copy) == version
    assert _newest_entry(repo_copy).startswith(f"## [{version}]")
    assert regenerate.main(["--root", str(repo_copy)]) == 0
    assert changelog.check_root(repo_copy) == []


@pytest.mark.e2e
def test_a_spec_edited_by_hand_gets_a_surface_only_entry_at_regeneration(repo_copy: Path) -> None:
    spec = repo_copy / "openapi.yaml"
    text = spec.read_text(encoding="utf-8")
    start = text.index("        seconds:\n")
    spec.write_text(text[:start] + text[text.index("        size:\n", start) :], encoding="utf-8")
    assert drift.main(["--root", str(repo_copy)]) == 1  # spec_sync --check and the changelog layer are red
    assert regenerate.main(["--root", str(repo_copy)]) == 0
    entry = _newest_entry(repo_copy)
    assert entry.startswith("## [1.0.0]")
    assert "changed outside `scripts/spec_sync.py`" in entry
    assert "- **Breaking:** removed: `VideoStatusResponse.seconds`" in entry
    assert changelog.check_root(repo_copy) == []


def test_a_version_edited_by_hand_is_drift(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    version_file = repo_copy / changelog.VERSION_FILE
    version_file.write_text(version_file.read_text(encoding="utf-8").replace('"0.1.0"', '"0.1.7"'), encoding="utf-8")
    assert drift.main(["--root", str(repo_copy)]) == 1
    out = capsys.readouterr().out
    assert "spec + generated/ -> version + CHANGELOG.md    DRIFT" in out
    assert "overlays/tokenops/_version.py says 0.1.7 but the newest CHANGELOG.md entry is 0.1.0" in out


def test_an_entry_without_its_marker_is_reported(repo_copy: Path) -> None:
    path = repo_copy / "CHANGELOG.md"
    path.write_text(re.sub(r"<!-- tokenops-spec: .* -->\n", "", path.read_text(encoding="utf-8")), encoding="utf-8")
    assert changelog.check_root(repo_copy) == [
        "CHANGELOG.md: the entry for 0.1.0 has no '<!-- tokenops-spec: ... -->' line"
    ]


@pytest.mark.parametrize(
    ("severity", "expected"), [("breaking", (2, 0, 0)), ("warning", (1, 3, 0)), ("info", (1, 2, 4))]
)
def test_bump(severity: str, expected: tuple[int, int, int]) -> None:
    assert changelog.bump((1, 2, 3), severity) == expected
