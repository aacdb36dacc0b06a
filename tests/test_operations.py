"""``tokenops.operations``: the table of every generated operation agrees with the spec, found three ways."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import ROOT
from tokenops import operations
from tokenops_client.models import VideoStatusResponse

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def test_the_table_holds_exactly_the_specs_operations() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    in_spec = {
        (method.upper(), path) for path, item in spec["paths"].items() for method in HTTP_METHODS if method in item
    }
    in_table = {(endpoint.method, endpoint.path) for endpoint in operations.all_endpoints().values()}
    assert in_table == in_spec


@pytest.mark.parametrize(
    "key", ["getVideoStatus", "get_video_status", "GET /v1/videos/{video_id}", "get /v1/videos/{video_id}"]
)
def test_find_by_operation_id_generated_name_or_method_and_path(key: str) -> None:
    endpoint = operations.find(key)
    assert endpoint.name == "get_video_status"
    assert endpoint.path_parameters == {"video_id": "video_id"}
    assert endpoint.requires_auth is True


def test_the_documented_response_and_the_request_builder_come_from_the_generated_code() -> None:
    endpoint = operations.find("getVideoStatus")
    spec = endpoint.response_for(200)
    assert spec is not None
    assert (spec.source, spec.type) == ("json", VideoStatusResponse)
    assert endpoint.response_for(404) is None  # the spec documents only 200
    assert endpoint.build_request(video_id="a/b") == {"method": "get", "url": "/v1/videos/a%2Fb"}


def test_an_unknown_operation_is_a_key_error_naming_the_known_ones() -> None:
    # Names no spec of this repo has (today's or a grown one): createVideo exists once the vendor publishes it.
    with pytest.raises(KeyError, match=r"no operation 'launchVideo'.*get_video_status \(GET /v1/videos/\{video_id\}\)"):
        operations.find("launchVideo")
    with pytest.raises(KeyError):
        operations.find("PATCH /v1/videos/{video_id}")
