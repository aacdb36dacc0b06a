"""Contract tests for the TokenOps video API: schemathesis suite, custom checks and the stateful mock."""
