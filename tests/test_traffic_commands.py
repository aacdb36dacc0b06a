"""``tokenops-conformance proxy`` and ``replay`` (``contract_tests/suite/traffic/commands.py``): subcommands only as the
first word, one line for every usage error, and a replay that checks a cassette again and refuses one it cannot
trust."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from contract_tests.cassette import Exchange
from contract_tests.mock import reality
from contract_tests.suite import cli
from contract_tests.suite.traffic.session import Session, SessionConfig
from tests.conftest import ROOT
from tests.test_traffic_checker import KEY, get, video


def _record(tmp_path: Path, *exchanges: Exchange) -> Path:
    cassette = tmp_path / "traffic.yaml"
    config = SessionConfig(
        spec=ROOT / "openapi.yaml",
        upstream="https://api.example.com",
        mode="proxy",
        report_dir=tmp_path / "live",
        baseline=None,
        record=cassette,
    )
    session = Session(config, say=lambda _line: None)
    for exchange in exchanges:
        session.add(exchange)
    session.finish()
    return cassette


def _identities(report_dir: Path) -> set[tuple[str, str, str, str]]:
    report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    return {(f["category"], f["check"], f["operation"], f["signature"]) for f in report["findings"]}


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.committed_spec
def test_a_replay_finds_what_the_live_traffic_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cassette = _record(
        tmp_path,
        get(body=video(progress=70), at=1),
        get(body=reality(video(progress=20)), at=2),
        get(target="/v1/models", status=404, body={"error": {"message": "no"}}),
    )
    assert KEY not in cassette.read_text(encoding="utf-8")
    code = cli.main(["replay", str(cassette), "--report-dir", str(tmp_path / "replay"), "--baseline", "none.json"])
    assert code == 2  # a baseline that does not exist is a usage error, as for a suite run
    code = cli.main(["replay", str(cassette), "--report-dir", str(tmp_path / "replay")])
    assert code == 1
    assert _identities(tmp_path / "replay") == _identities(tmp_path / "live")
    assert {category for category, *_ in _identities(tmp_path / "replay")} >= {
        "lifecycle_violation",
        "server_nonconformance",
        "client_nonconformance",
    }
    assert "new finding(s) in failing categories" in capsys.readouterr().out.strip().splitlines()[-1]


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_a_replay_refuses_a_cassette_holding_a_key_this_process_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = _record(tmp_path, get())
    text = cassette.read_text(encoding="utf-8")
    assert '"sora-2"' in text
    cassette.write_text(text.replace('"sora-2"', '"sk-live-key-77"'), encoding="utf-8")
    monkeypatch.setenv("TOKENOPS_API_KEY", "sk-live-key-77")
    assert cli.main(["replay", str(cassette)]) == 2
    error = capsys.readouterr().err
    assert "holds an unredacted secret" in error
    assert "sk-live-key-77" not in error
    assert len(error.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["replay", "missing.yaml"], "missing.yaml: cannot read"),
        (["proxy", "--upstream", "ftp://example.com"], "must be an http:// or https:// URL"),
        (["proxy", "--upstream", "https://user:pw@example.com"], "takes no credentials"),
        (["proxy", "--upstream", "http://u", "--listen", "localhost"], "--listen takes HOST:PORT"),
        (["proxy", "--upstream", "http://u", "--fail-on", "nonsense"], "--fail-on: unknown category nonsense"),
        (["proxy", "--upstream", "http://u", "--record-max-exchanges", "0"], "must be > 0"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert says in error
    assert len(error.splitlines()) == 1


def test_proxy_and_replay_are_subcommands_only_as_the_first_word(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--quiet", "replay"])  # the suite's own options: "replay" is no option of a suite run
    assert exit_info.value.code == 2
    assert "unrecognized arguments: replay" in capsys.readouterr().err


def test_a_port_in_use_is_a_usage_error_before_anything_starts(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert cli.main(["proxy", "--upstream", "http://u", "--listen", f"127.0.0.1:{port}"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == f"conformance proxy: error: cannot listen on 127.0.0.1:{port}: Address already in use"
