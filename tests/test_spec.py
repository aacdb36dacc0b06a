"""contract_tests.toolchain.spec: reading the vendored spec fails with one clear line, whatever is wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from contract_tests.toolchain.spec import SpecError, load_openapi


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda path: path.write_bytes(b"openapi: 3.1.0\ninfo: {title: caf\xe9}\n"),
            "openapi.yaml cannot be read: 'utf-8' codec can't decode byte 0xe9",
        ),
        (lambda path: path.mkdir(), "openapi.yaml cannot be read: [Errno 21] Is a directory"),
    ],
    ids=["not-utf8", "a-directory"],
)
def test_an_unreadable_spec_is_one_spec_error_line(
    tmp_path: Path, make: Callable[[Path], object], message: str
) -> None:
    path = tmp_path / "openapi.yaml"
    make(path)
    with pytest.raises(SpecError) as caught:
        load_openapi(path)
    text = str(caught.value)
    assert text.startswith(message)
    assert "\n" not in text
