"""Edit one schema of a spec or of the vendor's pages, whatever else the spec holds (today's or a grown one).

Text edits keep the vendor's bytes everywhere else, so ``spec_sync`` sees exactly the change a test makes. A
schema is the block under ``components.schemas`` that starts at ``    Name:`` (4 spaces, as in the pages and in
``openapi.yaml``) and ends at the next line indented 4 spaces or less.
"""

from __future__ import annotations

import re
from pathlib import Path

# The tracked page of the one operation every spec of this repo has (``getVideoStatus``).
PAGE = "upstream/get-video-status.md"
# Frozen inputs for tests about a tool: today's page, and the spec it gives (its fenced block).
FROZEN_PAGE = Path(__file__).resolve().parent / "fixtures" / "spec_diff" / "get-video-status.md"


# One optional property more in VideoStatusResponse: (schema, old, new) for :func:`edit_schema`. An info-level change;
# tests that make it (in openapi.yaml or in the pages) regenerate the same spec, so they share one generator run.
_ANCHOR = "        remixed_from_video_id:\n"
NEW_PROPERTY = ("VideoStatusResponse", _ANCHOR, "        quality:\n          type: string\n" + _ANCHOR)


def frozen_spec_text() -> str:
    """The spec of :data:`FROZEN_PAGE` (what ``openapi.yaml`` was before the vendor published more pages)."""
    from contract_tests.toolchain.spec import extract_fenced_block  # noqa: PLC0415

    return extract_fenced_block(FROZEN_PAGE.read_text(encoding="utf-8"))


def schema_span(text: str, schema: str) -> tuple[int, int] | None:
    """``(start, end)`` of the schema's block in ``text``, or ``None`` when ``text`` does not define it."""
    found = re.search(rf"^    {re.escape(schema)}:\n", text, re.MULTILINE)
    if found is None:
        return None
    after = re.compile(r"^ {0,4}\S", re.MULTILINE).search(text, found.end())
    return found.start(), after.start() if after else len(text)


def edit_schema(text: str, schema: str, old: str, new: str) -> str:
    """``text`` with the first ``old`` inside ``schema``'s block replaced by ``new``.

    Raises:
        AssertionError: ``text`` does not define ``schema``, or its block does not contain ``old``.
    """
    span = schema_span(text, schema)
    assert span is not None, f"no schema {schema} here"
    start, end = span
    block = text[start:end]
    assert old in block, f"{old!r} is not in schema {schema}"
    return text[:start] + block.replace(old, new, 1) + text[end:]


def edit_vendor_schema(root: Path, schema: str, old: str, new: str) -> list[Path]:
    """The vendor changes ``schema``: every page under ``root/upstream`` that embeds it carries the change.

    Returns the pages edited (``PAGE`` always is: it embeds ``VideoStatusResponse``).
    """
    edited = []
    for page in sorted((root / "upstream").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        if schema_span(text, schema) is not None:
            page.write_text(edit_schema(text, schema, old, new), encoding="utf-8")
            edited.append(page)
    assert edited, f"no page under {root / 'upstream'} embeds {schema}"
    return edited
