"""The generated package imports, exposes the operation and model, and every file carries the header."""

from __future__ import annotations

import importlib

from scripts.regenerate import HEADER
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
