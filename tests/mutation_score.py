"""``make mutation``'s last step: the score over non-equivalent mutants, from mutmut's CI/CD stats.

Usage: ``python tests/mutation_score.py .mutation/mutants/mutmut-cicd-stats.json``. Exit 0 at >= 90 %, else 1.
The mutants judged equivalent are listed, one name and reason per line, in ``tests/mutation_equivalent.txt``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GOAL = 0.90
EQUIVALENT = Path(__file__).with_name("mutation_equivalent.txt")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    stats = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    lines = EQUIVALENT.read_text(encoding="utf-8").splitlines()
    equivalent = [line.split()[0] for line in lines if line.strip() and not line.startswith("#")]
    killed = stats["killed"] + stats["timeout"]
    score = killed / (stats["total"] - len(equivalent))
    verdict = "met" if score >= GOAL else "MISSED"
    print(  # noqa: T201 - the Makefile target's report
        f"mutation: killed {killed} of {stats['total']} mutants, {stats['survived']} survived, "
        f"{len(equivalent)} judged equivalent ({EQUIVALENT.name}): {score:.1%} of the rest (goal >= 90%: {verdict})"
    )
    return 0 if score >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
