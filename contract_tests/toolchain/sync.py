"""Build ``openapi.yaml`` from the vendor's docs pages (``scripts/spec_sync.py`` is its CLI).

A SOURCE is a docs page (``.md``), a plain OpenAPI file (``.yaml``/``.yml``/``.json``) or an http(s) URL of
either. Without SOURCEs, the pages recorded in ``spec.lock.json`` (``upstream/``) are used. One source is
copied byte-for-byte; several are merged (union of paths and components, identical duplicates collapse,
a conflicting definition is an error naming both sources) into deterministic YAML that must validate.
``openapi.yaml`` and the ``sources``/``spec`` sections of ``spec.lock.json`` are written; ``--check``
compares instead and prints the classified diff.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from contract_tests._paths import REPO_ROOT
from contract_tests.toolchain import changelog
from contract_tests.toolchain import lock as _lock
from contract_tests.toolchain.rules import describe, diff_documents
from contract_tests.toolchain.spec import SpecError, extract_fenced_block, operation_ids, parse_openapi, safe_yaml
from tokenops.spec import Spec

ROOT = REPO_ROOT
FIX_COMMAND = "python scripts/spec_sync.py && make regenerate"
_TOP_ORDER = ("openapi", "info", "jsonSchemaDialect", "servers", "security", "tags", "paths", "webhooks", "components")


class SyncError(Exception):
    """Unusable input or conflicting sources; the message is one line."""


class Source:
    """One input: where it came from, its raw bytes, the OpenAPI text in it, and that text parsed."""

    def __init__(self, name: str, raw: bytes) -> None:
        self.name = name
        self.raw = raw
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SyncError(f"{name}: not UTF-8 text") from None
        if "````yaml" in text or name.endswith(".md"):
            try:
                text = extract_fenced_block(text)
            except SpecError as exc:
                raise SyncError(f"{name}: {exc}") from None
        self.text = text
        try:
            self.document = parse_openapi(text, name)
        except SpecError as exc:
            raise SyncError(str(exc)) from None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def read_source(spec: str, root: Path) -> Source:
    """Load a file path (relative to ``root`` or absolute) or fetch an http(s) URL."""
    if spec.startswith(("http://", "https://")):
        import httpx  # noqa: PLC0415 - only for URLs

        try:
            response = httpx.get(spec, timeout=15, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise SyncError(f"{spec}: unreachable ({type(exc).__name__}: {' '.join(str(exc).split())[:150]})") from None
        return Source(spec, response.content)
    path = Path(spec) if Path(spec).is_absolute() else root / spec
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SyncError(f"{spec}: cannot be read ({exc.strerror})") from None
    return Source(spec, raw)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _union(target: dict[str, Any], owners: dict[str, str], items: dict[str, Any], source: str, what: str) -> None:
    for name, definition in items.items():
        if name in target and _canonical(target[name]) != _canonical(definition):
            raise SyncError(f"{what} {name!r} is defined differently by {owners[name]} and {source}")
        if name not in target:
            target[name], owners[name] = definition, source


def merge(sources: list[Source]) -> tuple[dict[str, Any], list[str]]:
    """Merge several documents into one; returns (document, warnings).

    Raises:
        SyncError: two sources define the same operation, component, server list or security differently.
    """
    first = sources[0]
    merged: dict[str, Any] = {"openapi": first.document["openapi"], "info": first.document.get("info", {})}
    warnings: list[str] = []
    for source in sources[1:]:
        doc = source.document
        if doc["openapi"] != first.document["openapi"]:
            raise SyncError(
                f"openapi version differs: {first.name} has {first.document['openapi']}, {source.name} "
                f"has {doc['openapi']}"
            )
        if _canonical(doc.get("info")) != _canonical(first.document.get("info")):
            warnings.append(f"info differs between {first.name} and {source.name}; kept {first.name}'s")
        for key in ("servers", "security"):
            if _canonical(doc.get(key)) != _canonical(first.document.get(key)):
                raise SyncError(f"{key} differs between {first.name} and {source.name}")
    for key in ("servers", "security"):
        if key in first.document:
            merged[key] = first.document[key]
    paths: dict[str, dict[str, Any]] = {}
    owners: dict[str, dict[str, str]] = {}
    components: dict[str, dict[str, Any]] = {}
    component_owners: dict[str, dict[str, str]] = {}
    for source in sources:
        for path, item in (source.document.get("paths") or {}).items():
            _union(paths.setdefault(path, {}), owners.setdefault(path, {}), item, source.name, f"{path}:")
        for section, entries in (source.document.get("components") or {}).items():
            _union(
                components.setdefault(section, {}),
                component_owners.setdefault(section, {}),
                entries or {},
                source.name,
                f"components.{section}",
            )
    merged["paths"] = {path: dict(sorted(paths[path].items())) for path in sorted(paths)}
    if components:
        merged["components"] = {s: dict(sorted(components[s].items())) for s in sorted(components)}
    extra = {k: v for s in sources for k, v in s.document.items() if k not in merged and k not in _TOP_ORDER}
    merged.update(dict(sorted(extra.items())))
    return {key: merged[key] for key in sorted(merged, key=lambda k: (*_TOP_ORDER, k).index(k))}, warnings


def build(sources: list[Source]) -> tuple[str, list[str]]:
    """The text of ``openapi.yaml`` for these sources, and merge warnings."""
    if len(sources) == 1:
        return sources[0].text, []
    document, warnings = merge(sources)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=4096)
    try:
        parse_openapi(text, "the merged document")
    except SpecError as exc:
        raise SyncError(str(exc)) from None
    return text, warnings


def candidate_with_pages(root: Path, pages: list[str]) -> str:
    """The ``openapi.yaml`` text :func:`run` would write with ``pages`` taken in: the recorded sources (``upstream/``)
    plus the pages not among them (a recorded page given again is read as it is now). Nothing is written.

    Raises:
        SyncError: a page or a recorded source is unusable, or the sources conflict.
    """
    lock = _lock.read(root) or {}
    names = [entry["path"] for entry in lock.get("sources", []) if isinstance(entry, dict) and "path" in entry]
    for page in pages:
        path = Path(page).resolve()
        relative = path.relative_to(root.resolve()).as_posix() if path.is_relative_to(root.resolve()) else str(path)
        if relative not in names:
            names.append(relative)
    return build([read_source(name, root) for name in names])[0]


def _lock_sources(sources: list[Source]) -> list[dict[str, str]]:
    return [{"path": source.name, "sha256": source.sha256} for source in sources]


def run(root: Path, names: list[str], *, check: bool) -> int:
    lock = _lock.read(root) or {}
    if not names:
        names = [entry["path"] for entry in lock.get("sources", []) if isinstance(entry, dict) and "path" in entry]
    if not names:
        raise SyncError("no sources given and none recorded in spec.lock.json")
    sources = [read_source(name, root) for name in names]
    text, warnings = build(sources)
    # What the spec model takes in without supporting it (an oauth2 scheme, a callback, a media type it cannot read):
    # said once, here, where the page is taken; the client, the suite and the mock keep working on the rest.
    warnings = [*warnings, *(f"not supported: {warning}" for warning in Spec(safe_yaml(text)).warnings)]
    for warning in warnings:
        print(f"spec_sync: warning: {warning}", file=sys.stderr)
    spec_path = root / "openapi.yaml"
    current = spec_path.read_bytes() if spec_path.exists() else b""
    if check:
        problems = []
        if lock.get("sources") != _lock_sources(sources):
            problems.append("the upstream pages differ from the ones recorded in spec.lock.json [sources]")
        if current != text.encode("utf-8"):
            problems.append("openapi.yaml differs from what the upstream pages give")
        if not problems:
            return 0
        print("spec_sync --check: the vendored spec has drifted from upstream:")
        print("\n".join(f"  {problem}" for problem in problems))
        if current != text.encode("utf-8"):
            try:
                old = parse_openapi(current.decode("utf-8"), "openapi.yaml")
            except (SpecError, UnicodeDecodeError):
                old = {}
            for change in diff_documents(old, sources[0].document if len(sources) == 1 else safe_yaml(text)):
                print(f"  {change.severity.upper():8} {change.rule}  {describe(change.location)}: {change.message}")
        print(f"To fix, run: {FIX_COMMAND}  (and review the diff: python scripts/spec_diff.py OLD NEW)")
        return 1
    released = _record_spec_change(root, current, text) if current and current != text.encode("utf-8") else None
    spec_path.write_text(text, encoding="utf-8", newline="")
    document = safe_yaml(text)
    lock["sources"] = _lock_sources(sources)
    lock.setdefault("lock_version", _lock.LOCK_VERSION)
    lock["spec"] = {
        "path": "openapi.yaml",
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "openapi": document["openapi"],
        "operation_ids": operation_ids(document),
    }
    _lock.write(root, lock)
    print(f"wrote openapi.yaml from {len(sources)} source(s) and updated spec.lock.json; now run: make regenerate")
    if released is not None:
        print(f"{changelog.CHANGELOG_FILE}: new entry {released} from the classified diff; review it")
    return 0


def _record_spec_change(root: Path, old: bytes, new_text: str) -> str | None:
    """Before ``openapi.yaml`` is replaced: a CHANGELOG entry from the classified spec diff and the surface diff."""
    if not (root / changelog.CHANGELOG_FILE).is_file():
        return None
    from contract_tests.toolchain.diff import compare, surface_report  # noqa: PLC0415 - diff needs the generator

    with tempfile.TemporaryDirectory(prefix="tokenops-sync-") as tmp:
        old_path, new_path = Path(tmp) / "old.yaml", Path(tmp) / "openapi.yaml"
        old_path.write_bytes(old)
        new_path.write_text(new_text, encoding="utf-8", newline="")
        changes = compare(old_path, new_path, surface=False, root=root).changes
        surface_found, fresh = surface_report(new_path, root)
    return changelog.record(
        root,
        [*changes, *surface_found],
        spec_sha256=hashlib.sha256(new_text.encode("utf-8")).hexdigest(),
        surface_sha256=changelog.surface_fingerprint(fresh),
        why="The vendor's spec changed (`scripts/spec_sync.py`).",
    )
