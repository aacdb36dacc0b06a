"""Every finding gets exactly one category. The rules, in order (first match wins):

1. ``client_tolerant_parse`` / ``client_strict_parse`` → **client incompatibility**: our client cannot read it.
2. ``request_*`` → **client nonconformance**: a client sent what the spec does not allow (seen in real traffic by
   the conformance proxy, :mod:`contract_tests.suite.traffic`).
3. ``lifecycle_*`` → **lifecycle violation**: a resource moved in a way it must not.
4. An undocumented status (``status_code_conformance``) that is one of :data:`REASONABLE_UNDOCUMENTED`
   (401, 404, 405, 429, ...) *and* carries an OpenAI-style error body (``{"error": {"message": ...}}``)
   → **spec gap**: the server is right, the spec just does not say so.
5. ``positive_data_acceptance`` answered with 404 *by an operation with path parameters* → **spec gap**:
   the spec cannot say which ids exist, so a well-formed but unknown id is rightly refused (an OpenAI-style
   error body required here too).
6. ``positive_data_acceptance`` answered with 400, 404 or 422 (and an error body) to a request that carried a page
   cursor (``pageToken``, ``after``) → **spec gap**, for the same reason: no spec can say which cursors a server
   issued, so a generated one is rightly refused.
7. Anything else → **server nonconformance**: the server broke the spec (5xx, wrong schema, wrong
   content type, an undocumented status without a proper error body, a semantic check failing, a page that
   is not an API response, a transport failure, ...).
"""

from __future__ import annotations

import enum
import json
from typing import Any

from contract_tests.suite.checks import CLIENT_CHECKS

__all__ = ["REASONABLE_UNDOCUMENTED", "Category", "categorize", "is_openai_error_body"]


class Category(enum.StrEnum):
    SERVER_NONCONFORMANCE = "server_nonconformance"
    SPEC_GAP = "spec_gap"
    CLIENT_INCOMPATIBILITY = "client_incompatibility"
    LIFECYCLE_VIOLATION = "lifecycle_violation"
    CLIENT_NONCONFORMANCE = "client_nonconformance"

    @property
    def label(self) -> str:
        return {
            "server_nonconformance": "Server nonconformance",
            "spec_gap": "Spec gap",
            "client_incompatibility": "Client incompatibility",
            "lifecycle_violation": "Lifecycle violation",
            "client_nonconformance": "Client nonconformance",
        }[self.value]

    @property
    def weight(self) -> int:
        """How much a finding of this category matters, for ordering (heaviest first): the server broke the spec,
        then a resource moved wrongly, then our client cannot read it, then an application broke it (seen by the
        proxy), then a gap in the spec."""
        return {
            "server_nonconformance": 5,
            "lifecycle_violation": 4,
            "client_incompatibility": 3,
            "client_nonconformance": 2,
            "spec_gap": 1,
        }[self.value]

    @property
    def meaning(self) -> str:
        return {
            "server_nonconformance": "the server broke the spec",
            "spec_gap": "the server does something reasonable that the spec does not document",
            "client_incompatibility": "our tokenops client cannot read what the server sends",
            "lifecycle_violation": "a job moved in a way jobs must not (backwards, unstable terminal state)",
            "client_nonconformance": "an application sent a request the spec does not allow (seen by the proxy)",
        }[self.value]


# Statuses a correct server sends for reasons outside any one response schema: auth, unknown ids,
# wrong method, limits, throttling. Documenting them is the spec's job.
REASONABLE_UNDOCUMENTED = frozenset({400, 401, 403, 404, 405, 406, 409, 413, 414, 415, 422, 429, 431})
_REFUSED_POSITIVE = frozenset({404})
_REFUSED_CURSOR = frozenset({400, 404, 422})


def is_openai_error_body(content: bytes | None) -> bool:
    """``{"error": {"message": <str>, ...}}``."""
    if not content:
        return False
    try:
        body: Any = json.loads(content)
    except ValueError:
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and isinstance(error.get("message"), str)


def categorize(
    check: str,
    status_code: int | None,
    body: bytes | None,
    *,
    path_parameters: bool = True,
    cursor_sent: bool = False,
) -> Category:
    """The category of a failure of ``check`` on a response with ``status_code`` and ``body``.

    Args:
        check: the failing check's name.
        status_code: the response's status (None: no response).
        body: the response's body.
        path_parameters: whether the operation has path parameters (ids that may not exist).
        cursor_sent: whether the request carried the page cursor of a list operation (one the server may never
            have issued).

    Returns:
        The one category of the finding.
    """
    if check in CLIENT_CHECKS:
        return Category.CLIENT_INCOMPATIBILITY
    if check.startswith("request_"):
        return Category.CLIENT_NONCONFORMANCE
    if check.startswith("lifecycle_"):
        return Category.LIFECYCLE_VIOLATION
    if check == "status_code_conformance" and status_code in REASONABLE_UNDOCUMENTED and is_openai_error_body(body):
        return Category.SPEC_GAP
    refused = (path_parameters and status_code in _REFUSED_POSITIVE) or (cursor_sent and status_code in _REFUSED_CURSOR)
    if check == "positive_data_acceptance" and refused and is_openai_error_body(body):
        return Category.SPEC_GAP
    return Category.SERVER_NONCONFORMANCE
