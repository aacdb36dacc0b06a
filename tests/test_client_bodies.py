"""Request bodies with several media types: one is sent, the one asked for (``content_type=``) or the spec's first,
even when the generated builder encodes a shared model once per media type."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from tests.fakes import Script, ok
from tokenops import InvalidArgumentError
from tokenops_client.types import Endpoint


@attrs.define
class Prompt:
    prompt: str = "a cat"
    n: int = 2

    def to_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "n": self.n}

    def to_multipart(self) -> dict[str, Any]:
        return {"prompt": (None, self.prompt.encode()), "n": (None, str(self.n).encode())}


def _generated_builder(*, body: Prompt) -> dict[str, Any]:
    """What openapi-python-client 0.29.1 generates when one model serves three media types: every branch runs."""
    headers: dict[str, Any] = {}
    kwargs: dict[str, Any] = {"method": "post", "url": "/v1/images/generations"}
    if isinstance(body, Prompt):
        kwargs["json"] = body.to_dict()
        headers["Content-Type"] = "application/json"
    if isinstance(body, Prompt):
        kwargs["files"] = body.to_multipart()
        headers["Content-Type"] = "multipart/form-data; boundary=+++"
    if isinstance(body, Prompt):
        kwargs["data"] = body.to_dict()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    kwargs["headers"] = headers
    return kwargs


ENDPOINT = Endpoint(
    name="create_image",
    method="POST",
    path="/v1/images/generations",
    path_parameters={},
    query_parameters={},
    header_parameters={},
    bodies=(
        ("application/json", "json", Prompt),
        ("multipart/form-data", "files", Prompt),
        ("application/x-www-form-urlencoded", "data", Prompt),
    ),
    responses=(),
    requires_auth=True,
    build_request=_generated_builder,
)


@pytest.mark.parametrize(
    ("content_type", "sent_type", "body"),
    [
        (None, "application/json", b'{"prompt":"a cat","n":2}'),  # the spec's first
        ("application/json", "application/json", b'{"prompt":"a cat","n":2}'),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded", b"prompt=a+cat&n=2"),
        ("multipart/form-data", "multipart/form-data; boundary=+++", b'name="prompt"'),
    ],
)
def test_one_encoding_is_sent_with_its_content_type(
    make_client: Any, content_type: str | None, sent_type: str, body: bytes
) -> None:
    script = Script(ok({}))
    make_client(script).operations.call(ENDPOINT, body=Prompt(), content_type=content_type)
    request = script.requests[0]
    assert request.headers["content-type"] == sent_type
    assert body in request.content.replace(b" ", b"") or body in request.content


def test_a_media_type_the_operation_does_not_take_is_refused_before_sending(make_client: Any) -> None:
    script = Script(ok({}))
    with pytest.raises(InvalidArgumentError, match=r"create_image takes a body as application/json, .* not 'text/csv'"):
        make_client(script).operations.call(ENDPOINT, body=Prompt(), content_type="text/csv")
    assert script.requests == []
