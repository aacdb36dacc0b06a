"""Conformance from real traffic: ``tokenops-conformance proxy`` (a validating reverse proxy), cassettes of what it
saw (:mod:`contract_tests.cassette`) and ``tokenops-conformance replay`` (a cassette checked again, offline).

- :mod:`~contract_tests.suite.traffic.proxy`: the reverse proxy (forwards unchanged, hands a copy to a sink).
- :mod:`~contract_tests.suite.traffic.worker`: the checker process the proxy hands exchanges to.
- :mod:`~contract_tests.suite.traffic.checker`: every check of one exchange, into the suite's ledger.
- :mod:`~contract_tests.suite.traffic.wire_checks`: the request and event-stream checks schemathesis does not make.
- :mod:`~contract_tests.suite.traffic.session`: checker + recording + verdict + reports.
- :mod:`~contract_tests.suite.traffic.commands`: the ``proxy`` and ``replay`` subcommands.

The guide: ``docs/guides/proxy.md``.
"""
