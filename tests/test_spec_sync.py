"""scripts/spec_sync.py: upstream pages -> openapi.yaml, merge rules, --check, bad input."""

from __future__ import annotations

import hashlib
import shutil
import socket
from pathlib import Path

import pytest
import yaml

from contract_tests.toolchain.spec import parse_openapi
from scripts import spec_sync
from tests.conftest import ROOT
from tests.rawserver import raw_server
from tests.spec_edits import FROZEN_PAGE, edit_vendor_schema, frozen_spec_text

# The merge tests are about the tool: today's page, frozen, whatever upstream/ holds now.
FROZEN = str(FROZEN_PAGE)
CREATE = str(ROOT / "tests" / "fixtures" / "upstream" / "create-video.md")
CONFLICT = str(ROOT / "tests" / "fixtures" / "upstream" / "create-video-conflicting.md")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in ("openapi.yaml", "spec.lock.json"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "upstream", tmp_path / "upstream")
    return tmp_path


def test_the_recorded_pages_give_todays_openapi_yaml_byte_for_byte(root: Path) -> None:
    (root / "openapi.yaml").unlink()
    assert spec_sync.main(["--root", str(root)]) == 0
    assert (root / "openapi.yaml").read_bytes() == (ROOT / "openapi.yaml").read_bytes()
    assert (root / "spec.lock.json").read_bytes() == (ROOT / "spec.lock.json").read_bytes()


@pytest.mark.integration
def test_two_pages_merge_deterministically_into_a_valid_document(root: Path) -> None:
    assert spec_sync.main(["--root", str(root), FROZEN, CREATE]) == 0
    first = (root / "openapi.yaml").read_bytes()
    assert spec_sync.main(["--root", str(root), CREATE, FROZEN]) == 0
    assert (root / "openapi.yaml").read_bytes() == first
    document = parse_openapi(first.decode(), "merged")
    assert document["openapi"] == "3.1.0"
    assert list(document["paths"]) == ["/v1/videos", "/v1/videos/{video_id}"]
    assert list(document["components"]["schemas"]) == ["CreateVideoRequest", "OpenAIVideoError", "VideoStatusResponse"]
    lock = yaml.safe_load((root / "spec.lock.json").read_text(encoding="utf-8"))
    assert [source["path"] for source in lock["sources"]] == [CREATE, FROZEN]
    assert lock["spec"]["operation_ids"] == ["createVideo", "getVideoStatus"]
    assert spec_sync.main(["--root", str(root), "--check"]) == 0  # the lock now tracks both pages


def test_conflicting_definitions_name_both_sources(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spec_sync.main(["--root", str(root), FROZEN, CONFLICT]) == 2
    err = capsys.readouterr().err.strip()
    assert "components.schemas 'VideoStatusResponse' is defined differently by" in err
    assert FROZEN in err
    assert CONFLICT in err
    assert (root / "openapi.yaml").read_bytes() == (ROOT / "openapi.yaml").read_bytes()  # nothing written


def test_differing_servers_are_an_error(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.md"
    other.write_text(Path(CREATE).read_text(encoding="utf-8").replace("https://model-api", "https://other-api"))
    assert spec_sync.main(["--root", str(root), FROZEN, str(other)]) == 2
    assert "servers differs between" in capsys.readouterr().err


def test_check_reports_a_changed_upstream_page_with_the_classified_diff(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = "            - failed\n"
    edit_vendor_schema(root, "VideoStatusResponse", failed, failed + "            - queued\n")
    assert spec_sync.main(["--root", str(root), "--check"]) == 1
    out = capsys.readouterr().out
    assert "upstream pages differ from the ones recorded in spec.lock.json" in out
    assert "WARNING  response-body-enum-value-added" in out
    assert out.rstrip().splitlines()[-1].startswith("To fix, run: python scripts/spec_sync.py && make regenerate")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("# a page\n\nno spec here\n", "no fenced ````yaml block found"),
        ("````yaml GET /a\nopenapi: 3.1.0\n````\n````yaml GET /b\nopenapi: 3.1.0\n````\n", "2 fenced ````yaml blocks"),
        ("````yaml GET /a\nopenapi: [3.1\n````\n", "is not valid YAML"),
        ("````yaml GET /a\ntitle: hello\n````\n", "is not an OpenAPI 3.x document"),
    ],
    ids=["no-block", "two-blocks", "invalid-yaml", "not-openapi"],
)
def test_bad_pages_exit_2_with_one_line(
    root: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    bad = root / "bad.md"
    bad.write_text(content, encoding="utf-8")
    assert spec_sync.main(["--root", str(root), "bad.md"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_unreachable_url_and_missing_file_exit_2(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spec_sync.main(["--root", str(root), "http://127.0.0.1:9/get-video-status.md"]) == 2
    assert "unreachable" in capsys.readouterr().err
    assert spec_sync.main(["--root", str(root), "missing.md"]) == 2
    assert "cannot be read" in capsys.readouterr().err


def _plain(tmp_path: Path, name: str, path: str, operation_id: str, **top: object) -> str:
    """A plain OpenAPI file with one operation; returns its absolute path."""
    document = {
        "openapi": "3.1.0",
        "info": {"title": "TokenOps", "version": "1"},
        "paths": {path: {"get": {"operationId": operation_id, "responses": {"200": {"description": "ok"}}}}},
        **top,
    }
    target = tmp_path / name
    target.write_text(yaml.safe_dump(document), encoding="utf-8")
    return str(target)


def test_a_page_that_is_not_utf8_exits_2(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "latin1.md").write_bytes("# café\n".encode("latin-1"))
    assert spec_sync.main(["--root", str(root), "latin1.md"]) == 2
    assert capsys.readouterr().err.strip() == "spec_sync: error: latin1.md: not UTF-8 text"


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_sources_of_other_openapi_versions_are_not_merged(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _plain(tmp_path, "a.yaml", "/a", "getA")
    b = tmp_path / "b.yaml"
    b.write_text(Path(_plain(tmp_path, "b.yaml", "/b", "getB")).read_text().replace("3.1.0", "3.0.3"))
    assert spec_sync.main(["--root", str(root), a, str(b)]) == 2
    assert f"openapi version differs: {a} has 3.1.0, {b} has 3.0.3" in capsys.readouterr().err


def test_differing_info_is_a_warning_and_the_first_source_wins(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _plain(tmp_path, "a.yaml", "/a", "getA")
    b = _plain(tmp_path, "b.yaml", "/b", "getB", info={"title": "Other", "version": "2"})
    assert spec_sync.main(["--root", str(root), a, b]) == 0
    assert f"spec_sync: warning: info differs between {a} and {b}; kept {a}'s" in capsys.readouterr().err
    merged = yaml.safe_load((root / "openapi.yaml").read_text(encoding="utf-8"))
    assert merged["info"] == {"title": "TokenOps", "version": "1"}
    assert list(merged["paths"]) == ["/a", "/b"]


def test_sources_that_merge_into_an_invalid_document_exit_2(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = _plain(tmp_path, "a.yaml", "/a", "getThing"), _plain(tmp_path, "b.yaml", "/b", "getThing")
    assert spec_sync.main(["--root", str(root), a, b]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("spec_sync: error: the merged document is not a valid OpenAPI")
    assert "getThing" in err
    assert (root / "openapi.yaml").read_bytes() == (ROOT / "openapi.yaml").read_bytes()  # nothing written


def test_no_sources_and_none_recorded_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spec_sync.main(["--root", str(tmp_path)]) == 2
    assert "no sources given and none recorded in spec.lock.json" in capsys.readouterr().err


def test_check_diffs_against_an_empty_spec_when_the_vendored_one_is_unreadable(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "openapi.yaml").write_text("openapi: [broken\n", encoding="utf-8")
    assert spec_sync.main(["--root", str(root), "--check"]) == 1
    out = capsys.readouterr().out
    assert "openapi.yaml differs from what the upstream pages give" in out
    assert "INFO     operation-added  GET /v1/videos/{video_id}" in out  # every operation is new against nothing


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_a_page_fetched_over_http_is_synced_and_recorded_by_url(root: Path) -> None:
    page = FROZEN_PAGE.read_bytes()

    def serve(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(page) + page)

    with raw_server(serve) as base:
        url = f"{base}/get-video-status.md"
        assert spec_sync.main(["--root", str(root), url]) == 0
    lock = yaml.safe_load((root / "spec.lock.json").read_text(encoding="utf-8"))
    assert lock["sources"] == [{"path": url, "sha256": hashlib.sha256(page).hexdigest()}]
    assert (root / "openapi.yaml").read_text(encoding="utf-8") == frozen_spec_text()


def test_a_page_with_an_unsupported_construct_is_taken_with_a_warning_naming_it(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    oauth = {
        "type": "oauth2",
        "flows": {"clientCredentials": {"tokenUrl": "https://example.invalid/token", "scopes": {}}},
    }
    page = _plain(tmp_path, "oauth.yaml", "/a", "getA", components={"securitySchemes": {"Login": oauth}})
    assert spec_sync.main(["--root", str(root), page]) == 0
    err = capsys.readouterr().err
    assert (
        "spec_sync: warning: not supported: security scheme 'Login' (oauth2) at #/components/securitySchemes/Login"
        in err
    )
    assert "callable with explicit headers" in err
