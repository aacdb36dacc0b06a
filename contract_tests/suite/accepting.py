"""Accepting findings into the baseline: which findings a run may accept, the command that accepts them, and what an
update changed, in lines for the terminal.

A failing run offers one command: the command that ran, with ``--update-baseline`` added (same target, ids, spec and
options; ``TOKENOPS_VIDEO_IDS`` spelled out when the run read ids from it), so the run that accepts is the run that
failed. Not everything is offered: a transport failure (a dropped connection, a timeout) is never a property of the
API worth accepting, and when the server answered errors to every request (:func:`errors_everywhere`: down, or a
proxy's pages) its 5xx and page findings describe an outage, not the API. ``--accept-server-errors`` accepts them
anyway.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from contract_tests.suite.baseline import KnownDeviations, Update
from contract_tests.suite.findings import NOT_AN_API_RESPONSE, TRANSPORT_ERROR, Finding
from contract_tests.suite.runner import RunResult
from contract_tests.suite.verdict import errors_everywhere

__all__ = ["ACCEPT_ANYWAY", "Acceptance", "accept", "accept_command", "acceptable", "update_lines"]

UPDATE_FLAG = "--update-baseline"
ACCEPT_ANYWAY = "--accept-server-errors"
IDS_VARIABLE = "TOKENOPS_VIDEO_IDS"


@attrs.frozen
class Acceptance:
    """What ``--update-baseline`` did: the file, what changed, and the findings it would not accept."""

    path: Path
    update: Update
    refused: tuple[Finding, ...]


def _outage(finding: Finding) -> bool:
    return finding.check in (TRANSPORT_ERROR, NOT_AN_API_RESPONSE) or (finding.status_code or 0) >= 500  # noqa: PLR2004


def acceptable(result: RunResult, *, server_errors: bool = False) -> tuple[list[Finding], list[Finding]]:
    """(findings ``--update-baseline`` accepts, findings it refuses) of ``result``.

    Args:
        result: the run.
        server_errors: accept transport failures and the answers of an errors-everywhere server too
            (``--accept-server-errors``).

    Returns:
        The two lists, in the run's order.
    """
    everywhere = errors_everywhere(result)
    accepted: list[Finding] = []
    refused: list[Finding] = []
    for finding in result.findings:
        outage = finding.check == TRANSPORT_ERROR or (everywhere and _outage(finding))
        (refused if outage and not server_errors else accepted).append(finding)
    return accepted, refused


def accept(result: RunResult, path: Path, *, server_errors: bool = False) -> Acceptance:
    """Accept what :func:`acceptable` allows into the baseline at ``path`` (created when missing), then judge the
    run's findings by the updated file (:meth:`RunResult.rematch`).

    Raises:
        BaselineError: the file cannot be read or written.
    """
    known = KnownDeviations.load(path)
    known.path = path
    accepted, refused = acceptable(result, server_errors=server_errors)
    change = known.update(accepted)
    result.rematch(known)
    return Acceptance(path, change, tuple(refused))


def accept_command(program: str, argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The command that reruns ``program argv`` with ``--update-baseline`` added, as a shell line.

    Args:
        program: how the command was called (``tokenops-conformance``, ``.venv/bin/python scripts/conformance.py``),
            already shell-quoted.
        argv: its arguments.
        environ: the run's environment: ids read from ``TOKENOPS_VIDEO_IDS`` are passed along explicitly.

    Returns:
        One line to paste into a POSIX shell (the key stays in ``TOKENOPS_API_KEY``, never on the line).
    """
    words = [word for word in argv if word != UPDATE_FLAG] + [UPDATE_FLAG]
    prefix = f"{IDS_VARIABLE}={shlex.quote(ids)} " if (ids := environ.get(IDS_VARIABLE, "")).strip() else ""
    return f"{prefix}{program} {shlex.join(words)}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def update_lines(acceptance: Acceptance) -> list[str]:
    """What the update changed, one line per entry, and what it refused (with the flag that accepts it)."""
    change = acceptance.update
    changed = change.added or change.updated or change.renewed
    lines = [
        f"baseline {acceptance.path}: {len(change.added)} added, {len(change.updated)} updated, "
        f"{len(change.renewed)} expired renewed" + (" (review and commit it)" if changed else " (not written)")
    ]
    for entry in change.added:
        what = f"{entry.extra.get('title', '')} ({entry.check}, {entry.signature[:60]})"
        lines.append(f"  added {entry.id}: {entry.extra.get('category', '')}: {what} on {entry.operation}")
    lines += [f"  updated {entry.id}: {entry.check} on {entry.operation} (seen again)" for entry in change.updated]
    lines += [f"  renewed {item.entry_id}: it had expired on {item.expired}; no expiry now" for item in change.renewed]
    if acceptance.refused:
        kinds = sorted({finding.title for finding in acceptance.refused})
        lines.append(
            f"  not accepted: {_plural(len(acceptance.refused), 'finding')} of an unreachable or failing server "
            f"({'; '.join(kinds)}): fix the server, or add {ACCEPT_ANYWAY} to accept them anyway"
        )
    return lines
