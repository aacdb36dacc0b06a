"""CHANGELOG.md and the version follow the spec: spec_sync and regenerate write entries in user words, the
version bump follows the worst severity, and `make drift` fails when they do not describe the committed spec."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from contract_tests.drift import changelog
from scripts import drift, regenerate, spec_sync
from tests.spec_edits import NEW_PROPERTY, edit_schema, edit_vendor_schema, schema_span

SCHEMA = "VideoStatusResponse"  # in every spec of this repo, today's and a grown one


def _edit_page(root: Path, *replacements: tuple[str, str]) -> None:
    """The vendor changes a schema: every page that embeds it carries the change."""
    for old, new in replacements:
        edit_vendor_schema(root, SCHEMA, old, new)


def _version(root: Path) -> str:
    return ".".join(str(part) for part in changelog.read_version(root))


def _bumped(root: Path, severity: str) -> str:
    """The version a release of ``severity`` gets from the one ``root`` has now (0.1.0 today: 1.0.0, 0.2.0, 0.1.1)."""
    return ".".join(str(part) for part in changelog.bump(changelog.read_version(root), severity))


def _newest_entry(root: Path) -> str:
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = [m.start() for m in re.finditer(r"^## \[\d", text, re.MULTILINE)]
    return text[headings[0] : headings[1]]


def test_the_committed_changelog_describes_the_committed_spec() -> None:
    assert changelog.check_root(Path(__file__).resolve().parents[1]) == []


@pytest.mark.e2e
def test_a_breaking_spec_change_is_a_major_release_in_user_words(repo_copy: Path) -> None:
    major = _bumped(repo_copy, "breaking")
    _edit_page(repo_copy, ("            - 1280x720\n", "            - 1280x720\n            - 1792x1024\n"))
    _edit_page(repo_copy, ("            - pending\n", ""))
    assert spec_sync.main(["--root", str(repo_copy)]) == 0
    assert _version(repo_copy) == major
    entry = _newest_entry(repo_copy)
    assert entry.startswith(f"## [{major}] - {datetime.datetime.now(tz=datetime.UTC).date().isoformat()}\n")
    assert 'property `size`: may now be "1792x1024"' in entry
    assert "- **Breaking:** removed: `VideoStatusResponseStatus.PENDING`" in entry
    assert "### Removed" in entry
    assert "### Changed" in entry or "### Added" in entry
    # The regeneration that follows finds the surface the entry already describes: no second entry.
    assert regenerate.main(["--root", str(repo_copy)]) == 0
    assert _version(repo_copy) == major
    assert changelog.check_root(repo_copy) == []
    assert drift.main(["--root", str(repo_copy)]) == 0


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("old", "new", "severity"),
    [
        ("            - 1280x720\n", "            - 1280x720\n            - 1792x1024\n", "warning"),  # minor
        (*NEW_PROPERTY[1:], "info"),  # a new optional response property: patch
    ],
)
def test_the_bump_follows_the_worst_severity(repo_copy: Path, old: str, new: str, severity: str) -> None:
    version = _bumped(repo_copy, severity)
    _edit_page(repo_copy, (old, new))
    assert spec_sync.main(["--root", str(repo_copy)]) == 0
    assert _version(repo_copy) == version
    assert _newest_entry(repo_copy).startswith(f"## [{version}]")
    assert regenerate.main(["--root", str(repo_copy)]) == 0
    assert changelog.check_root(repo_copy) == []


@pytest.mark.e2e
def test_a_spec_edited_by_hand_gets_a_surface_only_entry_at_regeneration(repo_copy: Path) -> None:
    major = _bumped(repo_copy, "breaking")
    spec = repo_copy / "openapi.yaml"
    text = spec.read_text(encoding="utf-8")
    start, end = schema_span(text, SCHEMA) or (0, 0)
    seconds = text[text.index("        seconds:\n", start, end) : text.index("        size:\n", start, end)]
    spec.write_text(edit_schema(text, SCHEMA, seconds, ""), encoding="utf-8")
    assert drift.main(["--root", str(repo_copy)]) == 1  # spec_sync --check and the changelog layer are red
    assert regenerate.main(["--root", str(repo_copy)]) == 0
    entry = _newest_entry(repo_copy)
    assert entry.startswith(f"## [{major}]")
    assert "changed outside `scripts/spec_sync.py`" in entry
    assert "- **Breaking:** removed: `VideoStatusResponse.seconds`" in entry
    assert changelog.check_root(repo_copy) == []


def test_a_version_edited_by_hand_is_drift(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    released = _version(repo_copy)
    edited = _bumped(repo_copy, "info") + "7"
    version_file = repo_copy / changelog.VERSION_FILE
    text = version_file.read_text(encoding="utf-8")
    version_file.write_text(text.replace(f'"{released}"', f'"{edited}"'), encoding="utf-8")
    assert drift.main(["--root", str(repo_copy)]) == 1
    out = capsys.readouterr().out
    assert "spec + generated/ -> version + CHANGELOG.md    DRIFT" in out
    assert f"overlays/tokenops/_version.py says {edited} but the newest CHANGELOG.md entry is {released}" in out


def test_an_entry_without_its_marker_is_reported(repo_copy: Path) -> None:
    path = repo_copy / "CHANGELOG.md"
    path.write_text(re.sub(r"<!-- tokenops-spec: .* -->\n", "", path.read_text(encoding="utf-8")), encoding="utf-8")
    assert changelog.check_root(repo_copy) == [
        f"CHANGELOG.md: the entry for {_version(repo_copy)} has no '<!-- tokenops-spec: ... -->' line"
    ]


@pytest.mark.parametrize(
    ("severity", "expected"), [("breaking", (2, 0, 0)), ("warning", (1, 3, 0)), ("info", (1, 2, 4))]
)
def test_bump(severity: str, expected: tuple[int, int, int]) -> None:
    assert changelog.bump((1, 2, 3), severity) == expected


def _change(rule: str, severity: str, where: str, message: str) -> dict[str, str]:
    return {"rule": rule, "severity": severity, "location": "/paths/x", "where": where, "message": message}


def test_an_entry_says_each_change_once_in_user_words() -> None:
    changes = [
        _change("operation-added", "info", "GET /v1/videos", "GET /v1/videos added"),
        _change("response-body-enum-value-added", "warning", "GET /v, `size`", 'enum value "1792x1024" added'),
        _change("request-body-enum-value-removed", "breaking", "POST /v, `model`", 'enum value "sora-1" removed'),
        _change("request-parameter-default-changed", "breaking", "GET /v, `n`", "default 1 → 2"),
    ]
    entry = changelog.render_entry("1.0.0", "2026-01-01", changes, spec_sha256="s", surface_sha256="f", why="Why.")
    assert "- `GET /v1/videos` added\n" in entry
    assert '- GET /v, `size`: may now be "1792x1024"\n' in entry
    assert '- **Breaking:** POST /v, `model`: no longer accepts "sora-1"\n' in entry
    assert "- **Breaking:** GET /v, `n`: default 1 → 2\n" in entry
