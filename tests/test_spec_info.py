"""scripts/spec_info.py: the summary of a spec, and a missing spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import spec_info
from tests.spec_edits import frozen_spec_text


def test_summary_lists_operation_schemas_and_hash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = frozen_spec_text()  # a frozen spec: the output is exact, whatever openapi.yaml holds now
    (tmp_path / "openapi.yaml").write_text(text, encoding="utf-8")
    assert spec_info.main(["--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "GET    /v1/videos/{video_id}  getVideoStatus  responses: 200" in out
    assert "schemas: OpenAIVideoError, VideoStatusResponse" in out
    assert "sha256: 2bd583d31536bd5bcaf3dd0a326c436da95e87fb7f06c09d15394a69bdbe3290" in out
    assert "servers: https://model-api.skyengine.com.cn" in out


def test_the_committed_spec_is_summarised(capsys: pytest.CaptureFixture[str]) -> None:
    assert spec_info.main([]) == 0
    assert "getVideoStatus" in capsys.readouterr().out


def test_missing_spec_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spec_info.main(["--root", str(tmp_path)]) == 2
    assert "openapi.yaml is missing" in capsys.readouterr().err
