"""scripts/spec_info.py: the summary of a spec, and a missing spec; the strict loader behind it."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract_tests.toolchain import spec
from scripts import spec_info
from tests.conftest import ROOT
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


def test_a_text_is_validated_once_and_an_invalid_one_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import openapi_spec_validator  # noqa: PLC0415

    calls: list[str] = []
    real = openapi_spec_validator.validate

    def counting(document: dict[str, object]) -> None:
        calls.append(str(document.get("info")))
        real(document)

    monkeypatch.setattr(openapi_spec_validator, "validate", counting)
    text = (ROOT / "openapi.yaml").read_text(encoding="utf-8") + "\n# validated once\n"
    first = spec.parse_openapi(text, "openapi.yaml")
    assert spec.parse_openapi(text, "openapi.yaml") == first
    assert len(calls) == 1  # the second parse of the same text reuses the verdict
    broken = text.replace("openapi: 3.1.0", "openapi: 3.1.0\nwebhooks: 5", 1)
    for _ in range(2):
        with pytest.raises(spec.SpecError, match=r"not a valid OpenAPI 3\.1\.0 document"):
            spec.parse_openapi(broken, "openapi.yaml")
    assert len(calls) == 3  # a refused text is never remembered as valid
