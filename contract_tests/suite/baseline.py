"""Known deviations (a baseline file in schemathesis' baseline format) and how a finding matches one.

The default file is ``conformance-baseline.json`` in the current directory (:data:`DEFAULT_BASELINE`): a team
keeps it next to its CI configuration and commits it; nothing is ever read from or written into the installed
package.

An entry's identity is schemathesis' (operation, check, failure class, signature) *plus what made the
deviation acceptable*: its ``category``. The 401/404 spec gaps are accepted only while the server answers in
the OpenAI error format; the same status as an HTML page is a server nonconformance and stays new. An entry's
``operation`` may be ``*``: the deviation is accepted for every operation of the spec (a spec that documents
no 401 anywhere). Expired entries (``expires`` in the past) still identify their finding, which is then new
and reported as *expired*. Every error says "baseline" and names the file.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import attrs
from schemathesis.baseline import Baseline, BaselineEntry

__all__ = ["ANY_OPERATION", "DEFAULT_BASELINE", "BaselineError", "KnownDeviations", "Match", "Renewed", "Update"]

ANY_OPERATION = "*"
DEFAULT_BASELINE = Path("conformance-baseline.json")  # relative: the current directory of the run


class BaselineError(Exception):
    """The baseline file cannot be used; the message starts with ``baseline PATH:``."""


class Identified(Protocol):
    operation: str
    check: str
    failure_type: str
    key: str
    title: str

    @property
    def category_value(self) -> str: ...


@attrs.frozen
class Match:
    """The entry a finding matched; ``expired`` is its expiry date when it no longer counts."""

    entry_id: str
    expired: str | None = None


@attrs.define
class KnownDeviations:
    path: Path | None
    entries: list[BaselineEntry] = attrs.field(factory=list)
    used: set[str] = attrs.field(factory=set)

    @classmethod
    def load(cls, path: Path | None) -> KnownDeviations:
        """Read ``path`` (None or a missing file: no known deviations).

        Raises:
            BaselineError: unreadable, not JSON, wrong format version or a malformed entry.
        """
        if path is None or not path.exists():
            return cls(path)
        try:
            baseline = Baseline.load(path)
        except (OSError, ValueError) as exc:
            raise BaselineError(f"baseline {path}: {' '.join(str(exc).split())}") from None
        return cls(path, baseline.entries)

    def match(self, finding: Identified, *, today: datetime.date | None = None) -> Match | None:
        """The entry covering ``finding`` (same identity and category), expired or not; None when it is new."""
        for entry in self.entries:
            if entry.operation not in (finding.operation, ANY_OPERATION):
                continue
            if (entry.check, entry.failure, entry.signature) != (finding.check, finding.failure_type, finding.key):
                continue
            if entry.extra.get("category", finding.category_value) != finding.category_value:
                continue
            self.used.add(entry.id)
            if entry.is_expired(today or datetime.date.today()):
                return Match(entry.id, expired=entry.expires)
            return Match(entry.id)
        return None

    def unused(self) -> list[str]:
        """Ids of entries no finding of the run matched (candidates for removal)."""
        return sorted(entry.id for entry in self.entries if entry.id not in self.used)

    def update(self, findings: Iterable[Identified]) -> Update:
        """Accept ``findings``, then save: a new entry for each one no entry covers; an expired entry that covers one
        is renewed (its ``expires`` removed: accepting it again is the decision the date asked for); ``last_seen``
        is refreshed on every entry that covers one.

        Returns:
            What changed, entry by entry (nothing changed: nothing is written).

        Raises:
            BaselineError: the file cannot be written.
        """
        if self.path is None:
            raise BaselineError("baseline: no file given")
        stamp = datetime.date.today().isoformat()
        change = Update()
        for finding in findings:
            match = self.match(finding)
            entry = next((e for e in self.entries if match is not None and e.id == match.entry_id), None)
            if entry is None:
                entry = BaselineEntry(
                    finding.operation, finding.check, finding.failure_type, finding.key, first_seen=stamp
                )
                entry.extra.update(category=finding.category_value, title=finding.title)
                self.entries.append(entry)
                change.added.append(entry)
            elif entry.expires is not None and match is not None and match.expired:
                change.renewed.append(Renewed(entry.id, entry.expires))
                entry.expires = None
            elif not change.covers(entry):
                change.updated.append(entry)
            entry.last_seen = stamp
        if not (change.added or change.updated or change.renewed):
            return change  # nothing accepted: no file is written
        try:
            Baseline(entries=self.entries).save(self.path)
        except OSError as exc:
            raise BaselineError(f"baseline {self.path}: cannot write: {exc.strerror}") from None
        return change


@attrs.frozen
class Renewed:
    """An expired entry a current finding matched: ``expired`` is the date it had."""

    entry_id: str
    expired: str


@attrs.define
class Update:
    """What :meth:`KnownDeviations.update` changed."""

    added: list[BaselineEntry] = attrs.field(factory=list)  # findings accepted for the first time
    updated: list[BaselineEntry] = attrs.field(factory=list)  # entries seen again (``last_seen`` refreshed)
    renewed: list[Renewed] = attrs.field(factory=list)  # expired entries accepted again (no expiry now)

    def covers(self, entry: BaselineEntry) -> bool:
        """True when ``entry`` is already listed."""
        return entry in self.added or entry in self.updated or any(r.entry_id == entry.id for r in self.renewed)
