"""``make mutation``'s last step: the score over non-equivalent mutants, from mutmut's CI/CD stats and results.

Usage: ``python tests/mutation_score.py STATS.json RESULTS.txt`` (``mutmut export-cicd-stats`` and ``mutmut results``).
The mutants judged equivalent are listed, one name and reason per line, in ``tests/mutation_equivalent.txt``; only
those that really survived this run count as equivalent. Every survivor that is not listed is printed: kill it with
a test or judge it there. Exit 0 at >= 90 % of the non-equivalent mutants killed, else 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GOAL = 0.90
EQUIVALENT = Path(__file__).with_name("mutation_equivalent.txt")


def judged(text: str) -> set[str]:
    """Names of the mutants ``mutation_equivalent.txt`` judges equivalent."""
    return {line.split()[0] for line in text.splitlines() if line.strip() and not line.startswith("#")}


def survivors(results: str) -> set[str]:
    """Names of the mutants ``mutmut results`` lists as survived."""
    return {line.split(":")[0].strip() for line in results.splitlines() if line.strip().endswith(": survived")}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    stats = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    survived = survivors(Path(args[1]).read_text(encoding="utf-8"))
    listed = judged(EQUIVALENT.read_text(encoding="utf-8"))
    equivalent = survived & listed
    for name in sorted(survived - listed):
        print(f"  not judged: {name} (kill it with a test, or judge it in {EQUIVALENT.name})")  # noqa: T201
    killed = stats["killed"] + stats["timeout"]
    score = killed / (stats["total"] - len(equivalent))
    verdict = "met" if score >= GOAL else "MISSED"
    print(  # noqa: T201 - the Makefile target's report
        f"mutation: killed {killed} of {stats['total']} mutants, {stats['survived']} survived, "
        f"{len(equivalent)} judged equivalent ({EQUIVALENT.name}): {score:.1%} of the rest (goal >= 90%: {verdict})"
    )
    stale = sorted(listed - survived)
    if stale:
        print(f"  {len(stale)} judged mutant(s) did not survive this run (killed now, or renumbered): {stale[0]} ...")  # noqa: T201
    return 0 if score >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
