"""The mock's router (``contract_tests.mock._router``) over the shared model's templates: every path shape."""

from __future__ import annotations

import pytest

from contract_tests.mock._router import Router

ROUTES = [
    ("GET", "/v1/videos/{video_id}", "retrieve"),
    ("DELETE", "/v1/videos/{id}", "delete"),
    ("GET", "/v1/videos/{video_id}/content", "download"),
    ("GET", "/v1/videos/latest", "latest"),
    ("POST", "/v1beta/models/{model}:generateContent", "generate"),
    ("POST", "/v1beta/models/{model}:streamGenerateContent", "stream"),
    ("GET", "/v1beta/models/{model}", "model"),
    ("GET", "/files/{name}.{ext}", "file"),
]


@pytest.fixture
def router() -> Router[str]:
    return Router(ROUTES)


@pytest.mark.parametrize(
    ("method", "path", "handler", "params"),
    [
        ("GET", "/v1/videos/abc", "retrieve", {"video_id": "abc"}),
        ("DELETE", "/v1/videos/abc", "delete", {"id": "abc"}),  # parameter names per method
        ("GET", "/v1/videos/a%2Fb", "retrieve", {"video_id": "a/b"}),
        ("GET", "/v1/videos/latest", "latest", {}),  # a literal wins over a parameter
        ("GET", "/v1/videos/latest/content", "download", {"video_id": "latest"}),  # and backtracks
        ("POST", "/v1beta/models/gemini-2.5:generateContent", "generate", {"model": "gemini-2.5"}),
        ("POST", "/v1beta/models/g%3Ax:streamGenerateContent", "stream", {"model": "g:x"}),
        ("GET", "/v1beta/models/gemini-2.5:generateContentX", "model", {"model": "gemini-2.5:generateContentX"}),
        ("GET", "/files/report.tar.gz", "file", {"name": "report", "ext": "tar.gz"}),
        ("HEAD", "/v1/videos/abc", "retrieve", {"video_id": "abc"}),
    ],
)
def test_each_shape_routes_with_its_decoded_parameters(
    router: Router[str], method: str, path: str, handler: str, params: dict[str, str]
) -> None:
    match = router.match(method, path)
    assert match is not None
    assert (match.handler, match.params) == (handler, params)


def test_a_method_the_path_does_not_have_is_405_with_allow(router: Router[str]) -> None:
    # The most specific template decides, as a server would: GET on a :generateContent path is not the model.
    match = router.match("GET", "/v1beta/models/m:generateContent")
    assert match is not None
    assert match.handler is None
    assert (match.allow, match.template) == (("POST",), "/v1beta/models/{model}:generateContent")
    videos = router.match("PUT", "/v1/videos/abc")
    assert videos is not None
    assert videos.allow == ("DELETE", "GET", "HEAD")


@pytest.mark.parametrize("path", ["/v1/videos/", "/v1/videos/a/b/c", "/v2/videos/a", "/files/noext", "/", "/v1beta"])
def test_what_no_template_describes_is_unrouted(router: Router[str], path: str) -> None:
    assert router.match("GET", path) is None


def test_an_empty_parameter_before_literal_text_is_not_that_route(router: Router[str]) -> None:
    match = router.match("POST", "/v1beta/models/:generateContent")  # {model} may not be empty: the model route
    assert match is not None
    assert (match.handler, match.template) == (None, "/v1beta/models/{model}")
