"""``CHANGELOG.md`` and the package version follow the spec: every regeneration that changes the spec or the
generated import surface writes an entry (Keep a Changelog format) in user words, and bumps the version as SemVer
says: breaking → major; a warning, or anything added (an operation, a parameter, a model: new functionality) →
minor; anything else → patch.

Who writes entries:

- ``scripts/spec_sync.py`` when it replaces ``openapi.yaml``: it has the old and the new spec in hand, so the entry
  carries the classified spec diff and the import-surface diff of the regenerated candidate;
- ``scripts/regenerate.py`` when the generated surface changes for another reason (a template or generator
  update), or when the spec changed without ``spec_sync`` (then only the surface diff is known).

Each entry ends with a machine-readable marker, ``<!-- tokenops-spec: spec_sha256=... surface_sha256=... -->``:
:func:`check` compares the newest entry with the committed spec, generated surface and ``__version__``, and
``make drift`` (in ``make test``) fails when they disagree.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from contract_tests.toolchain.rules import SEVERITIES

__all__ = [
    "CHANGELOG_FILE",
    "VERSION_FILE",
    "Entry",
    "bump",
    "check",
    "latest",
    "read_version",
    "record",
    "release_level",
    "render_entry",
    "surface_fingerprint",
]

CHANGELOG_FILE = "CHANGELOG.md"
VERSION_FILE = "overlays/tokenops/_version.py"
_VERSION_RE = re.compile(r'^__version__ = "(\d+)\.(\d+)\.(\d+)"$', re.MULTILINE)
_HEADING_RE = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", re.MULTILINE)
_MARKER_RE = re.compile(r"<!-- tokenops-spec: spec_sha256=([0-9a-f]{64}) surface_sha256=([0-9a-f]{64}) -->")
_INTRO = """# Changelog

All notable changes to `tokenops` are recorded here, in the [Keep a Changelog](https://keepachangelog.com/en/1.1.0/)
format. Entries for spec and generated-client changes are written by `scripts/spec_sync.py` and
`scripts/regenerate.py` from the classified spec diff and the import-surface diff; the version follows the worst
change: breaking → major, warning → minor, info → patch. Hand-written notes go under *Unreleased*.
"""
_SECTIONS = ("Added", "Changed", "Deprecated", "Removed")


class ChangelogError(Exception):
    """``CHANGELOG.md`` or the version file cannot be read or does not have the expected shape."""


@attrs.frozen
class Entry:
    """The newest release entry: its version, date and the spec/surface it describes."""

    version: str
    date: str
    spec_sha256: str
    surface_sha256: str


def surface_fingerprint(surface: dict[str, str]) -> str:
    """A stable hash of a generated package's public surface (``surface.package_surface``)."""
    return hashlib.sha256(json.dumps(surface, sort_keys=True).encode()).hexdigest()


def read_version(root: Path) -> tuple[int, int, int]:
    """The ``__version__`` in ``overlays/tokenops/_version.py`` under ``root``.

    Raises:
        ChangelogError: the file is missing or holds no ``__version__ = "X.Y.Z"`` line.
    """
    try:
        text = (root / VERSION_FILE).read_text(encoding="utf-8")
    except OSError as exc:
        raise ChangelogError(f"{VERSION_FILE} cannot be read: {exc.strerror}") from None
    match = _VERSION_RE.search(text)
    if match is None:
        raise ChangelogError(f'{VERSION_FILE} holds no line __version__ = "X.Y.Z"')
    return int(match[1]), int(match[2]), int(match[3])


def release_level(changes: Iterable[dict[str, Any]]) -> str:
    """The bump ``changes`` call for: ``breaking`` (major), ``warning`` (minor: a warning or an addition), ``info``."""
    found = list(changes)
    worst = max((change["severity"] for change in found), key=SEVERITIES.index, default="info")
    if worst == "info" and any(_section(change["rule"]) == "Added" for change in found):
        return "warning"  # new functionality, backward compatible: a minor release
    return worst


def bump(version: tuple[int, int, int], severity: str) -> tuple[int, int, int]:
    """The next version for a release of ``severity`` (breaking → major, warning → minor, info → patch)."""
    major, minor, patch = version
    if severity == "breaking":
        return major + 1, 0, 0
    if severity == "warning":
        return major, minor + 1, 0
    return major, minor, patch + 1


def latest(root: Path) -> Entry | None:
    """The newest release entry of ``CHANGELOG.md`` (None when the file has none).

    Raises:
        ChangelogError: the newest entry lacks its marker line.
    """
    path = root / CHANGELOG_FILE
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    heading = _HEADING_RE.search(text)
    if heading is None:
        return None
    following = _HEADING_RE.search(text, heading.end())
    body = text[heading.end() : following.start() if following else len(text)]
    marker = _MARKER_RE.search(body)
    if marker is None:
        raise ChangelogError(f"{CHANGELOG_FILE}: the entry for {heading[1]} has no '<!-- tokenops-spec: ... -->' line")
    return Entry(heading[1], heading[2], marker[1], marker[2])


def _symbol(dotted: str) -> str:
    """The class-qualified name: ``tokenops_client.models.x.Video.seconds`` → ``Video.seconds``."""
    parts = dotted.split(".")
    first_class = next((i for i, part in enumerate(parts) if part[:1].isupper()), len(parts) - 1)
    return ".".join(parts[first_class:])


# An enum value added / removed, said from the user's side: what a response may carry, what a request accepts.
_ENUM_VERBS = {"response": ("may now be", "will no longer be"), "request": ("now accepts", "no longer accepts")}


def _phrase(change: dict[str, Any]) -> str:
    """One change in user words."""
    rule, message = change["rule"], change["message"]
    if rule.startswith(("import-", "overlay-")):
        symbol = _symbol(change["location"])
        if rule.endswith("-removed") or rule == "overlay-import-broken":
            return f"removed: `{symbol}` ({message})"
        if rule.endswith("-added"):
            return f"new: `{symbol}`"
        return f"`{symbol}`: {message}"
    where = change.get("where") or change["location"]
    enum_value = re.fullmatch(r'enum value (".*") (added|removed)', message)
    side = rule.split("-", 1)[0]
    if enum_value and side in _ENUM_VERBS:
        return f"{where}: {_ENUM_VERBS[side][enum_value[2] != 'added']} {enum_value[1]}"
    if where in message:  # "GET /v1/videos added" says where already: not "GET /v1/videos: GET /v1/videos added"
        return str(message) if "`" in where else str(message).replace(where, f"`{where}`", 1)
    return f"{where}: {message}"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _said_twice(change: dict[str, Any], changes: list[dict[str, Any]]) -> bool:
    """A generated module added next to the class it holds (``models.video_job`` and ``models.VideoJob``): one model,
    said once, by its class."""
    if change["rule"] != "import-symbol-added":
        return False
    parent, _, name = change["location"].rpartition(".")
    return any(
        other["rule"] == "import-symbol-added"
        and other is not change
        and other["location"].rpartition(".")[0] == parent
        and _snake(other["location"].rpartition(".")[2]) == name
        for other in changes
    )


def _section(rule: str) -> str:
    if "deprecat" in rule or "sunset" in rule:
        return "Deprecated"
    if rule.endswith("-removed") or "-removed-" in rule or rule == "overlay-import-broken":
        return "Removed"
    if rule.endswith("-added") or "-added-" in rule:
        return "Added"
    return "Changed"


def render_entry(
    version: str, date: str, changes: Iterable[dict[str, Any]], *, spec_sha256: str, surface_sha256: str, why: str
) -> str:
    """A Keep a Changelog entry for ``changes`` (dicts with rule, severity, location, where, message)."""
    grouped: dict[str, list[str]] = {section: [] for section in _SECTIONS}
    listed = list(changes)
    for change in sorted(listed, key=lambda c: (-SEVERITIES.index(c["severity"]), c["rule"], c["location"])):
        if _said_twice(change, listed):
            continue
        prefix = "**Breaking:** " if change["severity"] == "breaking" else ""
        grouped[_section(change["rule"])].append(f"- {prefix}{_phrase(change)}")
    lines = [f"## [{version}] - {date}", "", why, ""]
    for section in _SECTIONS:
        if grouped[section]:
            lines += [f"### {section}", "", *grouped[section], ""]
    lines += [f"<!-- tokenops-spec: spec_sha256={spec_sha256} surface_sha256={surface_sha256} -->", ""]
    return "\n".join(lines)


def record(
    root: Path,
    changes: list[dict[str, Any]],
    *,
    spec_sha256: str,
    surface_sha256: str,
    why: str,
    today: datetime.date | None = None,
) -> str | None:
    """Write an entry for ``changes`` at the top of ``CHANGELOG.md`` and bump ``__version__``; return the version.

    Nothing is written (None is returned) when the project has no ``CHANGELOG.md`` (a partial copy, as some tests
    use), or when the newest entry already describes this spec and surface.

    Raises:
        ChangelogError: the version file or the changelog cannot be read.
    """
    path = root / CHANGELOG_FILE
    if not path.is_file():
        return None
    newest = latest(root)
    if newest is not None and (newest.spec_sha256, newest.surface_sha256) == (spec_sha256, surface_sha256):
        return None
    version = ".".join(str(part) for part in bump(read_version(root), release_level(changes)))
    date = (today or datetime.datetime.now(tz=datetime.UTC).date()).isoformat()
    entry = render_entry(version, date, changes, spec_sha256=spec_sha256, surface_sha256=surface_sha256, why=why)
    text = path.read_text(encoding="utf-8")
    first = _HEADING_RE.search(text)
    at = first.start() if first else len(text)
    path.write_text(text[:at].rstrip("\n") + "\n\n" + entry + "\n" + text[at:].lstrip("\n"), encoding="utf-8")
    version_path = root / VERSION_FILE
    version_text = version_path.read_text(encoding="utf-8")
    version_path.write_text(_VERSION_RE.sub(f'__version__ = "{version}"', version_text, count=1), encoding="utf-8")
    return version


def check(root: Path, *, spec_sha256: str, surface_sha256: str) -> list[str]:
    """Problems, one line each, when the newest entry and ``__version__`` do not describe this spec and surface."""
    try:
        newest = latest(root)
        version = ".".join(str(part) for part in read_version(root))
    except ChangelogError as exc:
        return [str(exc)]
    if newest is None:
        return [f"{CHANGELOG_FILE} has no release entry"]
    problems = []
    if newest.version != version:
        problems.append(f"{VERSION_FILE} says {version} but the newest {CHANGELOG_FILE} entry is {newest.version}")
    if newest.spec_sha256 != spec_sha256:
        problems.append(f"the newest {CHANGELOG_FILE} entry ({newest.version}) describes another openapi.yaml")
    if newest.surface_sha256 != surface_sha256:
        problems.append(
            f"the newest {CHANGELOG_FILE} entry ({newest.version}) describes another generated import surface"
        )
    return problems
