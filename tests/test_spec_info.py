from __future__ import annotations

from pathlib import Path

import pytest

from scripts import spec_info


def test_summary_lists_operation_schemas_and_hash(capsys: pytest.CaptureFixture[str]) -> None:
    assert spec_info.main([]) == 0
    out = capsys.readouterr().out
    assert "GET    /v1/videos/{video_id}  getVideoStatus  responses: 200" in out
    assert "schemas: OpenAIVideoError, VideoStatusResponse" in out
    assert "sha256: 2bd583d3" in out


def test_missing_spec_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spec_info.main(["--root", str(tmp_path)]) == 2
    assert "openapi.yaml is missing" in capsys.readouterr().err
