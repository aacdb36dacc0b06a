"""The generated package imports, exposes the operation and model, and every file carries the header."""

from __future__ import annotations

import importlib

import pytest

from contract_tests.toolchain.generate import HEADER
from tests.conftest import ROOT


def test_generated_package_exposes_operation_and_model() -> None:
    package = importlib.import_module("tokenops_client")
    operation = importlib.import_module("tokenops_client.api.default.get_video_status")
    models = importlib.import_module("tokenops_client.models")

    assert callable(operation.sync)
    assert callable(operation.asyncio)
    assert callable(operation.sync_detailed)
    assert hasattr(package, "AuthenticatedClient")
    parsed = models.VideoStatusResponse.from_dict({"id": "video_1", "status": "completed", "progress": 100})
    assert parsed.id == "video_1"
    assert parsed.progress == 100
    assert parsed.status == models.VideoStatusResponseStatus.COMPLETED


def test_every_generated_python_file_has_the_header() -> None:
    files = sorted((ROOT / "generated" / "tokenops_client").rglob("*.py"))
    assert len(files) >= 10
    for path in files:
        first_line = path.read_text(encoding="utf-8").splitlines(keepends=True)[0]
        assert first_line == HEADER, path
        assert path.read_text(encoding="utf-8").count("DO NOT EDIT") == 1, path


def test_both_packages_are_typed() -> None:
    assert (ROOT / "generated" / "tokenops_client" / "py.typed").is_file()
    assert (ROOT / "overlays" / "tokenops" / "py.typed").is_file()


def test_generated_enums_keep_unknown_values_as_pseudo_members() -> None:
    from tokenops_client.models import VideoStatusResponseSize, VideoStatusResponseStatus  # noqa: PLC0415

    queued = VideoStatusResponseStatus("queued")
    assert isinstance(queued, VideoStatusResponseStatus)
    assert queued == "queued"
    assert str(queued) == "queued"
    assert not queued.is_known
    assert VideoStatusResponseStatus("completed") is VideoStatusResponseStatus.COMPLETED
    assert VideoStatusResponseStatus.COMPLETED.is_known
    assert "queued" not in VideoStatusResponseStatus.__members__.values()
    assert list(VideoStatusResponseStatus) == [
        VideoStatusResponseStatus.COMPLETED,
        VideoStatusResponseStatus.FAILED,
        VideoStatusResponseStatus.IN_PROGRESS,
        VideoStatusResponseStatus.PENDING,
    ]
    assert VideoStatusResponseSize("1792x1024").value == "1792x1024"
    with pytest.raises(ValueError, match="is not a valid"):
        VideoStatusResponseStatus(5)  # type: ignore[arg-type]


def test_generated_models_read_null_as_absent_and_keep_unknown_fields() -> None:
    from tokenops_client.models import VideoStatusResponse  # noqa: PLC0415
    from tokenops_client.types import UNSET  # noqa: PLC0415

    parsed = VideoStatusResponse.from_dict(
        {"id": "v", "status": "queued", "error": None, "completed_at": None, "size": "1792x1024", "extra": None}
    )

    assert parsed.error is UNSET
    assert parsed.completed_at is UNSET
    assert parsed.status == "queued"
    assert parsed.additional_properties == {"extra": None}
    assert parsed.to_dict() == {"id": "v", "status": "queued", "size": "1792x1024", "extra": None}
    assert VideoStatusResponse._JSON_NAMES["object_"] == "object"
