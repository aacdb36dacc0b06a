"""CHANGELOG.md and the version follow the spec: spec_sync and regenerate write entries in user words, the
version bump follows the worst severity, and `make drift` fails when they do not describe the committed spec."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from contract_tests.toolchain import changelog, generate
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


@pytest.mark.integration
def test_the_committed_changelog_describes_the_committed_spec() -> None:
    assert generate.check_changelog(Path(__file__).resolve().parents[1]) == []


@pytest.mark.integration
def test_a_breaking_spec_change_is_a_major_release_in_user_words(repo_copy: Path) -> None:
    major = _bumped(repo_copy, "breaking")
    _edit_page(repo_copy, ("            - 1280x720\n", "            - 1280x720\n            - 1792x1024\n"))
    _edit_page(repo_copy, ("            - pending\n", ""))
    assert spec_sync.main(["--root", str(repo_copy)]) == 0
    assert _version(repo_copy) == major
    entry = _newest_entry(repo_copy)
    assert entry.startswith(f"## [{major}] - {datetime.datetime.now(tz=datetime.UTC).date().isoformat()}\n")
    assert '`VideoStatusResponse.size`: may now be "1792x1024"' in entry
    assert "- **Breaking:** removed: `VideoStatusResponseStatus.PENDING`" in entry
    assert "### Removed" in entry
    assert "### Changed" in entry or "### Added" in entry
    # The regeneration that follows finds the surface the entry already describes: no second entry.
    assert regenerate.main(["--root", str(repo_copy)]) == 0
    assert _version(repo_copy) == major
    assert generate.check_changelog(repo_copy) == []
    assert drift.main(["--root", str(repo_copy)]) == 0


@pytest.mark.integration
@pytest.mark.parametrize(
    ("old", "new", "severity"),
    [
        ("            - 1280x720\n", "            - 1280x720\n            - 1792x1024\n", "warning"),  # minor
        (*NEW_PROPERTY[1:], "warning"),  # a new optional response property: a new attribute, minor
        ("description: 错误信息\n", "description: 错误信息 (machine-readable)\n", "info"),  # documentation only: patch
    ],
)
def test_the_bump_follows_the_worst_severity(repo_copy: Path, old: str, new: str, severity: str) -> None:
    version = _bumped(repo_copy, severity)
    _edit_page(repo_copy, (old, new))
    assert spec_sync.main(["--root", str(repo_copy)]) == 0
    assert _version(repo_copy) == version
    assert _newest_entry(repo_copy).startswith(f"## [{version}]")
    assert regenerate.main(["--root", str(repo_copy)]) == 0
    assert generate.check_changelog(repo_copy) == []


@pytest.mark.integration
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
    assert generate.check_changelog(repo_copy) == []


@pytest.mark.integration
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


@pytest.mark.integration  # griffe reads the generated surface with git calls
def test_an_entry_without_its_marker_is_reported(repo_copy: Path) -> None:
    path = repo_copy / "CHANGELOG.md"
    path.write_text(re.sub(r"<!-- tokenops-spec: .* -->\n", "", path.read_text(encoding="utf-8")), encoding="utf-8")
    assert generate.check_changelog(repo_copy) == [
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


# -- the changelog and version files on their own (a minimal root: no generator run) ----------------------------

S1, S2, F1, F2 = "1" * 64, "2" * 64, "a" * 64, "b" * 64
HEADER = "# Changelog\n\nIntro.\n\n## [Unreleased]\n"


def _minimal_root(tmp_path: Path, changelog_text: str | None = HEADER, version: str | None = "1.2.3") -> Path:
    if changelog_text is not None:
        (tmp_path / changelog.CHANGELOG_FILE).write_text(changelog_text, encoding="utf-8")
    if version is not None:
        version_file = tmp_path / changelog.VERSION_FILE
        version_file.parent.mkdir(parents=True)
        version_file.write_text(f'"""Version."""\n\n__version__ = "{version}"\n', encoding="utf-8")
    return tmp_path


def test_record_writes_the_first_entry_below_the_intro_and_bumps_the_version(tmp_path: Path) -> None:
    root = _minimal_root(tmp_path)
    change = _change("operation-deprecated", "warning", "GET /v", "marked deprecated (no x-sunset date)")
    day = datetime.date(2026, 2, 3)
    assert changelog.record(root, [change], spec_sha256=S1, surface_sha256=F1, why="Why.", today=day) == "1.3.0"
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith(
        HEADER + "\n## [1.3.0] - 2026-02-03\n\nWhy.\n\n### Deprecated\n\n- GET /v: marked deprecated"
    )
    assert changelog.read_version(root) == (1, 3, 0)
    assert changelog.latest(root) == changelog.Entry("1.3.0", "2026-02-03", S1, F1)
    assert changelog.check(root, spec_sha256=S1, surface_sha256=F1) == []
    # The same spec and surface again: nothing to release, nothing written.
    assert changelog.record(root, [change], spec_sha256=S1, surface_sha256=F1, why="Again.", today=day) is None
    assert (root / "CHANGELOG.md").read_text(encoding="utf-8") == text
    # A new surface: a newer entry on top, an info change is a patch release.
    assert changelog.record(root, [], spec_sha256=S1, surface_sha256=F2, why="Templates.", today=day) == "1.3.1"
    assert [entry.version for entry in [changelog.latest(root)] if entry] == ["1.3.1"]
    newer = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert newer.index("## [Unreleased]") < newer.index("## [1.3.1]") < newer.index("## [1.3.0]")
    assert newer.endswith(text[text.index("## [1.3.0]") :])


def test_without_a_changelog_nothing_is_recorded_and_check_says_why(tmp_path: Path) -> None:
    root = _minimal_root(tmp_path, changelog_text=None)
    assert changelog.latest(root) is None
    assert changelog.record(root, [], spec_sha256=S1, surface_sha256=F1, why="Why.") is None
    assert changelog.read_version(root) == (1, 2, 3)  # not bumped
    assert changelog.check(root, spec_sha256=S1, surface_sha256=F1) == ["CHANGELOG.md has no release entry"]


def test_check_names_each_thing_the_newest_entry_does_not_describe(tmp_path: Path) -> None:
    root = _minimal_root(tmp_path, changelog_text=HEADER, version="1.2.3")
    assert changelog.latest(root) is None  # only Unreleased: no release entry yet
    changelog.record(root, [], spec_sha256=S1, surface_sha256=F1, why="Why.", today=datetime.date(2026, 1, 1))
    assert changelog.check(root, spec_sha256=S2, surface_sha256=F2) == [
        "the newest CHANGELOG.md entry (1.2.4) describes another openapi.yaml",
        "the newest CHANGELOG.md entry (1.2.4) describes another generated import surface",
    ]


@pytest.mark.parametrize(
    ("version_text", "message"),
    [
        (None, "overlays/tokenops/_version.py cannot be read: No such file or directory"),
        ('VERSION = "1.2.3"\n', 'overlays/tokenops/_version.py holds no line __version__ = "X.Y.Z"'),
    ],
)
def test_an_unreadable_version_file_is_a_changelog_error(
    tmp_path: Path, version_text: str | None, message: str
) -> None:
    root = _minimal_root(tmp_path, version=None)
    if version_text is not None:
        (root / changelog.VERSION_FILE).parent.mkdir(parents=True)
        (root / changelog.VERSION_FILE).write_text(version_text, encoding="utf-8")
    with pytest.raises(changelog.ChangelogError) as caught:
        changelog.read_version(root)
    assert str(caught.value) == message
    assert changelog.check(root, spec_sha256=S1, surface_sha256=F1) == [message]


def test_check_root_needs_the_spec_and_the_generated_package(tmp_path: Path) -> None:
    assert generate.check_changelog(tmp_path) == [
        f"openapi.yaml or generated/tokenops_client is missing under {tmp_path}"
    ]


def test_surface_changes_are_said_by_class_qualified_symbol() -> None:
    def surface(rule: str, location: str, message: str) -> dict[str, str]:
        return {"rule": rule, "severity": "breaking", "location": location, "message": message}

    changes = [
        surface("import-signature-changed", "tokenops_client.api.videos.get.sync", "parameter `x` removed"),
        surface("import-symbol-removed", "tokenops_client.models.video.Video.seconds", "attribute"),
        {**surface("import-symbol-added", "tokenops_client.models.video.Video.size", ""), "severity": "info"},
    ]
    entry = changelog.render_entry("2.0.0", "2026-01-01", changes, spec_sha256=S1, surface_sha256=F1, why="Why.")
    assert "### Changed\n\n- **Breaking:** `sync`: parameter `x` removed\n" in entry
    assert "### Removed\n\n- **Breaking:** removed: `Video.seconds` (attribute)\n" in entry
    assert "### Added\n\n- new: `Video.size`\n" in entry


def test_a_new_model_is_listed_once_and_natural_messages_are_not_repeated() -> None:
    def added(location: str) -> dict[str, str]:
        return {"rule": "import-symbol-added", "severity": "info", "location": location, "message": "added"}

    changes = [
        added("tokenops_client.models.video_job"),
        added("tokenops_client.models.VideoJob"),
        {
            "rule": "security-scheme-added",
            "severity": "info",
            "location": "/components/securitySchemes/ApiKey",
            "where": "security scheme `ApiKey`",
            "message": "security scheme `ApiKey` added",
        },
    ]
    entry = changelog.render_entry("1.1.0", "2026-01-01", changes, spec_sha256=S1, surface_sha256=F1, why="Why.")
    assert entry.count("VideoJob") == 1
    assert "- new: `VideoJob`\n" in entry
    assert "video_job" not in entry
    assert "- security scheme `ApiKey` added\n" in entry


@pytest.mark.parametrize(
    ("rules", "level"),
    [
        ([("operation-added", "info")], "warning"),  # SemVer: new functionality is a minor release
        ([("import-symbol-added", "info")], "warning"),
        ([("operation-doc-changed", "info")], "info"),
        ([("operation-added", "info"), ("operation-removed", "breaking")], "breaking"),
        ([], "info"),
    ],
)
def test_an_addition_is_a_minor_release(rules: list[tuple[str, str]], level: str) -> None:
    changes = [{"rule": rule, "severity": severity, "location": "/x", "message": "m"} for rule, severity in rules]
    assert changelog.release_level(changes) == level


@pytest.mark.integration
def test_a_template_change_that_changes_the_surface_gets_an_entry_of_its_own(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    minor = _bumped(repo_copy, "warning")  # a new public function: new functionality, a minor release
    template = repo_copy / "templates" / "types.py.jinja"
    text = template.read_text(encoding="utf-8")
    marker = '\n\ndef template_marker() -> None:\n    """A new public function."""\n\n\n__all__ = ['
    template.write_text(text.replace("\n\n__all__ = [", marker, 1), encoding="utf-8")
    template.write_text(template.read_text(encoding="utf-8").replace('"Unset"]', '"Unset", "template_marker"]'))
    assert regenerate.main(["--root", str(repo_copy)]) == 0
    assert f"CHANGELOG.md: new entry {minor} (the generated import surface changed)" in capsys.readouterr().out
    entry = _newest_entry(repo_copy)
    assert entry.startswith(f"## [{minor}]")
    assert "The generated client changed without a spec change (templates or generator)." in entry
    assert "### Added\n\n- new: `template_marker`\n" in entry
    assert generate.check_changelog(repo_copy) == []
