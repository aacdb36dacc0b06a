"""Cassettes: HTTP exchanges recorded from real traffic, in a VCR-style YAML file.

The conformance proxy (``tokenops-conformance proxy --record PATH``) writes them, ``tokenops-conformance replay
PATH`` checks them again against the current spec, and ``tokenops-mock --cassette PATH`` answers the requests they
hold with the recorded responses. This module is shared by the suite and the mock (neither owns it, and it imports
neither): what an :class:`Exchange` is, how its credentials are redacted and its body decoded, and the file format.

The format (``tokenops_cassette: 1``), one YAML document::

    tokenops_cassette: 1
    spec: {title: TokenOps AI API, version: 1.0.0, sha256: 3f1c...}   # what the traffic was checked against
    upstream: https://api.example.com                                 # where the proxy forwarded it
    recorded_with: tokenops 0.9.0
    interactions:
    - recorded_at: '2026-03-01T12:00:00.123456+00:00'
      duration_ms: 12.5
      request:
        method: GET
        uri: /v1/videos/video_123?include=all                         # path and query as the client sent them
        headers: {authorization: ['Bearer ${TOKENOPS_API_KEY}']}     # VCR style: name -> list of values
        body: {string: '...'}            # or {base64: '...'} for bytes that are not UTF-8; absent when empty
      response:
        status: {code: 200, message: OK}
        headers: {content-type: [application/json]}
        body: {string: '{"id": "video_123", ...}'}
      error: {kind: ConnectionDropped, message: '...'}   # only when no complete, usable response came

A body the proxy did not keep whole (bigger than its ``--max-body``) carries ``truncated: true`` and is never
checked. Bodies are stored decoded (``Content-Encoding`` removed) when they decode; a body that does not (a
server that says gzip and sends plain text) is stored as received, with its header, so a replay finds the same.

Secrets never reach a cassette (:func:`redacted`, :func:`scrubbed`): credentials in their places (``Authorization``
and other credential headers, the spec's API-key headers, query parameters and cookies) become
``${TOKENOPS_API_KEY}`` (the shell variable reports show for the key), other cookies ``<redacted>``, ``Set-Cookie``
is dropped, and every registered secret and anything shaped like an OpenAI-style secret key (``sk-`` + 20 key
characters) is replaced by ``<redacted>`` wherever it appears. :func:`load_cassette` refuses, with one line saying
why, a file that is not a cassette (corrupt, truncated, another format), one recorded against another spec (its
``info.title`` or ``info.version`` differ) and one that holds a secret in any of those forms.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import re
import urllib.parse
import zlib
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

import attrs
import yaml

from tokenops.redaction import REDACTED, redact, register_secret
from tokenops.spec import SecurityScheme, Spec

__all__ = [
    "CASSETTE_VERSION",
    "PLACEHOLDER",
    "Cassette",
    "CassetteError",
    "CassetteWriter",
    "Exchange",
    "UndecodableBody",
    "decoded",
    "load_cassette",
    "redacted",
    "scrubbed",
    "spec_identity",
    "unredacted",
]

CASSETTE_VERSION = 1
PLACEHOLDER = "${TOKENOPS_API_KEY}"  # what a credential becomes: the variable reports and curls name it by
# Credential headers whatever the spec says (the spec's own API-key headers are added per spec).
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key"})
CREDENTIAL_QUERY = frozenset({"api_key", "apikey", "key", "access_token"})
SECRET_SHAPE = re.compile(r"\bsk-[A-Za-z0-9_\-]{20,}")
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te", "trailer", "transfer-encoding"}
    | {"upgrade"}
)
_SAFE_VALUES = (PLACEHOLDER, REDACTED)

try:  # libyaml: ten times faster than pure-Python PyYAML, when present
    _Dumper: Any = yaml.CSafeDumper
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Dumper, _Loader = yaml.SafeDumper, yaml.SafeLoader

Headers = tuple[tuple[str, str], ...]


class CassetteError(Exception):
    """A cassette that cannot be used; the message is one line, starting with the file's path."""


class UndecodableBody(ValueError):
    """A body whose ``Content-Encoding`` does not match its bytes."""


@attrs.frozen
class Exchange:
    """One request and what came back, as the proxy saw it (or as a cassette holds it).

    Attributes:
        method: the request method.
        target: the path and query string as the client sent them (percent-encoded).
        request_headers: every request header, names lower-cased, in order.
        request_body: the request body (its first part when ``request_complete`` is False).
        request_complete: the body is whole (False: bigger than the capture limit; never checked).
        status: the response status; None when no response head came.
        response_headers: every response header, names lower-cased, in order.
        response_body: the response body as received (its first part when ``response_complete`` is False).
        response_complete: the body is whole.
        error: the kind of transport failure (``ConnectionRefused``, ``ConnectionDropped``, ``Timeout``,
            ``UndecodableBody``...), None when a complete, usable response came.
        error_message: what the failure said (redacted).
        started_at: when the request arrived (Unix time).
        duration: seconds from the request's arrival to the response's end.
    """

    method: str
    target: str
    request_headers: Headers = ()
    request_body: bytes = b""
    request_complete: bool = True
    status: int | None = None
    response_headers: Headers = ()
    response_body: bytes = b""
    response_complete: bool = True
    error: str | None = None
    error_message: str = ""
    started_at: float = 0.0
    duration: float = 0.0

    @property
    def path(self) -> str:
        """The raw path, without the query string."""
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        """The raw query string ('' without one)."""
        return self.target.partition("?")[2]

    def request_header(self, name: str) -> str | None:
        """The first request header called ``name`` (any case)."""
        return _first(self.request_headers, name)

    def response_header(self, name: str) -> str | None:
        """The first response header called ``name`` (any case)."""
        return _first(self.response_headers, name)

    @property
    def size(self) -> int:
        """Bytes of bodies held (what a memory budget counts)."""
        return len(self.request_body) + len(self.response_body)


def _first(headers: Headers, name: str) -> str | None:
    lowered = name.lower()
    return next((value for key, value in headers if key == lowered), None)


# -- redaction -------------------------------------------------------------------------------------------------------


def _credential_places(schemes: Mapping[str, SecurityScheme]) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(header names, query parameter names, cookie names) that carry credentials for ``schemes``."""
    headers, query = set(CREDENTIAL_HEADERS), set(CREDENTIAL_QUERY)
    cookies: set[str] = set()
    for scheme in schemes.values():
        if scheme.type != "apiKey" or not scheme.parameter:
            continue
        {"header": headers, "query": query, "cookie": cookies}.get(scheme.location or "", set()).add(
            scheme.parameter.lower() if scheme.location == "header" else scheme.parameter
        )
    return frozenset(headers), frozenset(query), frozenset(cookies)


def _authorization(value: str, found: list[str]) -> str:
    """``Bearer ${TOKENOPS_API_KEY}``; basic auth keeps its user name (``user:${TOKENOPS_API_KEY}``, encoded)."""
    scheme, _, credential = value.partition(" ")
    if not credential:
        if value not in _SAFE_VALUES:
            found.append(value)
        return PLACEHOLDER
    if scheme.lower() == "basic":
        try:
            user, colon, password = base64.b64decode(credential, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, ValueError):
            user, colon, password = "", "", credential
        if colon and password in _SAFE_VALUES:
            return value
        found += [p for p in (password, f"{user}:{password}", credential) if p]
        return f"{scheme} {base64.b64encode(f'{user}:{PLACEHOLDER}'.encode()).decode()}"
    if credential not in _SAFE_VALUES:
        found.append(credential)
    return f"{scheme} {PLACEHOLDER}"


def _query(query: str, names: frozenset[str], found: list[str]) -> str:
    if not query:
        return query
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    if not any(name in names for name, _ in pairs):
        return query
    kept = []
    for name, value in pairs:
        secret = name in names and value not in _SAFE_VALUES
        if secret:
            found.append(value)
        kept.append((name, PLACEHOLDER if secret else value))
    return urllib.parse.urlencode(kept, safe="${}")


def _cookies(value: str, names: frozenset[str], found: list[str]) -> str:
    parts = []
    for part in value.split(";"):
        name, equals, cookie = part.strip().partition("=")
        if not equals:
            continue
        if cookie not in _SAFE_VALUES:
            found.append(cookie)
        parts.append(f"{name}={PLACEHOLDER if name in names else REDACTED}")
    return "; ".join(parts)


def redacted(exchange: Exchange, schemes: Mapping[str, SecurityScheme]) -> tuple[Exchange, list[str]]:
    """``exchange`` with every credential in its place replaced (see the module docstring).

    Args:
        exchange: as captured.
        schemes: the spec's security schemes (their API-key headers, query parameters and cookies).

    Returns:
        The redacted exchange, and the secrets it carried (to register, so they are scrubbed elsewhere too).
    """
    header_names, query_names, cookie_names = _credential_places(schemes)
    found: list[str] = []
    request_headers = []
    for name, value in exchange.request_headers:
        if name in ("authorization", "proxy-authorization"):
            value = _authorization(value, found)  # noqa: PLW2901 - the header, redacted
        elif name in header_names:
            if value not in _SAFE_VALUES:
                found.append(value)
            value = PLACEHOLDER  # noqa: PLW2901
        elif name == "cookie":
            value = _cookies(value, cookie_names, found)  # noqa: PLW2901
        request_headers.append((name, value))
    path, question, query = exchange.target.partition("?")
    target = f"{path}{question}{_query(query, query_names, found)}"
    response_headers = tuple((name, value) for name, value in exchange.response_headers if name != "set-cookie")
    clean = attrs.evolve(
        exchange, target=target, request_headers=tuple(request_headers), response_headers=response_headers
    )
    return clean, [secret for secret in dict.fromkeys(found) if secret]


def _scrub_text(text: str) -> str:
    return SECRET_SHAPE.sub(REDACTED, redact(text))


def _scrub_bytes(data: bytes) -> bytes:
    # Latin-1 maps bytes to characters one to one: a secret (ASCII) is found wherever it sits, and nothing else
    # changes, whatever the encoding of the rest.
    if not data:
        return data
    text = data.decode("latin-1")
    cleaned = _scrub_text(text)
    return data if cleaned == text else cleaned.encode("latin-1")


def _scrub_headers(headers: Headers) -> Headers:
    return tuple((name, _scrub_text(value)) for name, value in headers)


def scrubbed(exchange: Exchange) -> Exchange:
    """``exchange`` with every registered secret (:func:`tokenops.redaction.register_secret`) and every string
    shaped like a secret key replaced by ``<redacted>``, in the URL, the headers, the bodies and the error."""
    return attrs.evolve(
        exchange,
        target=_scrub_text(exchange.target),
        request_headers=_scrub_headers(exchange.request_headers),
        request_body=_scrub_bytes(exchange.request_body),
        response_headers=_scrub_headers(exchange.response_headers),
        response_body=_scrub_bytes(exchange.response_body),
        error_message=_scrub_text(exchange.error_message),
    )


def unredacted(exchange: Exchange, schemes: Mapping[str, SecurityScheme]) -> str | None:
    """Where ``exchange`` holds a secret (a credential in its place, a registered secret, a key-shaped string),
    or None when it holds none."""
    clean, found = redacted(exchange, schemes)
    if found or clean.response_headers != exchange.response_headers:
        places = [name for name, _ in exchange.request_headers if name in CREDENTIAL_HEADERS | {"cookie"}]
        where = "a Set-Cookie header" if not found else f"a credential ({', '.join(places) or 'the query string'})"
        return f"{where} is not redacted"
    if scrubbed(exchange) != exchange:
        return "a secret (a registered key, or a string shaped like an sk-... key) is not redacted"
    return None


# -- bodies ----------------------------------------------------------------------------------------------------------


def _decompress(encoding: str, data: bytes) -> bytes:
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(data)
        except zlib.error:
            return zlib.decompress(data, -zlib.MAX_WBITS)  # raw deflate, as some servers send it
    if encoding in ("identity", ""):
        return data
    if encoding == "br":
        try:
            import brotli  # type: ignore[import-not-found]  # noqa: PLC0415 - optional, as for httpx
        except ImportError:
            raise UndecodableBody("Content-Encoding br cannot be decoded here (install brotli)") from None
        return bytes(brotli.decompress(data))
    raise UndecodableBody(f"unknown Content-Encoding {encoding!r}")


def decoded(exchange: Exchange) -> Exchange:
    """``exchange`` with its response body decoded and ``Content-Encoding`` / ``Content-Length`` dropped.

    Raises:
        UndecodableBody: the body does not decode as its ``Content-Encoding`` says (the message says how).
    """
    encoding = exchange.response_header("content-encoding")
    if encoding is None or not exchange.response_complete:
        return exchange
    body = exchange.response_body
    try:
        for step in reversed([part.strip().lower() for part in encoding.split(",") if part.strip()]):
            body = _decompress(step, body)
    except zlib.error as exc:
        raise UndecodableBody(f"Content-Encoding {encoding} does not match the body: cannot decode ({exc})") from None
    headers = tuple(
        (name, value) for name, value in exchange.response_headers if name not in ("content-encoding", "content-length")
    )
    return attrs.evolve(exchange, response_headers=headers, response_body=body)


# -- the file --------------------------------------------------------------------------------------------------------


def spec_identity(spec: Spec) -> dict[str, str]:
    """``{"title", "version", "sha256"}`` of a spec: the first two must match for a cassette to be used."""
    info = spec.document.get("info")
    info = info if isinstance(info, Mapping) else {}
    canonical = json.dumps(spec.document, sort_keys=True, ensure_ascii=False, default=str).encode()
    return {
        "title": str(info.get("title", "")),
        "version": str(info.get("version", "")),
        "sha256": hashlib.sha256(canonical).hexdigest(),
    }


def _body(data: bytes, complete: bool) -> dict[str, Any] | None:
    if not data and complete:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        found: dict[str, Any] = {"base64": base64.b64encode(data).decode("ascii")}
    else:
        found = {"string": text}
    if not complete:
        found["truncated"] = True
    return found


def _headers_out(headers: Headers) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name, []).append(value)
    return grouped


def _interaction(exchange: Exchange) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": exchange.method,
        "uri": exchange.target,
        "headers": _headers_out(exchange.request_headers),
    }
    if (body := _body(exchange.request_body, exchange.request_complete)) is not None:
        request["body"] = body
    item: dict[str, Any] = {
        "recorded_at": datetime.datetime.fromtimestamp(exchange.started_at, tz=datetime.UTC).isoformat(),
        "duration_ms": round(exchange.duration * 1000, 3),
        "request": request,
    }
    if exchange.status is not None:
        try:
            message = HTTPStatus(exchange.status).phrase
        except ValueError:
            message = ""
        response: dict[str, Any] = {
            "status": {"code": exchange.status, "message": message},
            "headers": _headers_out(exchange.response_headers),
        }
        if (body := _body(exchange.response_body, exchange.response_complete)) is not None:
            response["body"] = body
        item["response"] = response
    if exchange.error is not None:
        item["error"] = {"kind": exchange.error, "message": exchange.error_message}
    return item


def _dump(value: Any) -> str:
    text: str = yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    return text


@attrs.define
class CassetteWriter:
    """Appends exchanges to a cassette as they come, each one a complete YAML item (an interrupted recording
    leaves a file that loads); stops at ``max_exchanges`` or ``max_bytes``.

    Args:
        path: the file (replaced).
        spec: the spec the exchanges were checked against.
        upstream: where they were sent.
        recorded_with: the tool and version.
        max_exchanges: the most exchanges written.
        max_bytes: the largest the file grows.
    """

    path: Path
    spec: Spec
    upstream: str
    recorded_with: str
    max_exchanges: int = 10_000
    max_bytes: int = 50 * 1024 * 1024
    written: int = 0
    dropped: int = 0
    size: int = 0
    _file: IO[str] | None = None

    def open(self) -> None:
        """Create the file and write its header.

        Raises:
            OSError: the file cannot be written.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8")
        header = {
            "tokenops_cassette": CASSETTE_VERSION,
            "spec": spec_identity(self.spec),
            "upstream": self.upstream,
            "recorded_with": self.recorded_with,
        }
        text = "# Recorded by tokenops-conformance proxy --record (docs/guides/proxy.md)\n" + _dump(header)
        text += "interactions:\n"
        self._write(text)

    def _write(self, text: str) -> None:
        assert self._file is not None  # noqa: S101 - open() comes first
        self._file.write(text)
        self._file.flush()
        self.size += len(text.encode("utf-8"))

    @property
    def full(self) -> bool:
        """No more exchanges will be written."""
        return self.written >= self.max_exchanges or self.size >= self.max_bytes

    def add(self, exchange: Exchange) -> bool:
        """Append ``exchange`` (already redacted and scrubbed); False when the cassette is full."""
        if self._file is None:
            self.open()
        text = _dump([_interaction(exchange)])
        if self.written >= self.max_exchanges or self.size + len(text) > self.max_bytes:
            self.dropped += 1
            return False
        self._write(text)
        self.written += 1
        return True

    def close(self) -> None:
        """Close the file (written so far: nothing is lost)."""
        if self._file is not None:
            self._file.close()
            self._file = None


@attrs.frozen
class Cassette:
    """A loaded cassette: where it came from, and its exchanges in the order recorded."""

    path: Path
    spec: Mapping[str, str]
    upstream: str
    exchanges: tuple[Exchange, ...]


def _text_or_bytes(node: Any, where: str) -> tuple[bytes, bool]:
    if node is None:
        return b"", True
    if not isinstance(node, Mapping):
        raise ValueError(f"{where}: body must be a mapping with 'string' or 'base64'")
    complete = node.get("truncated") is not True
    if isinstance(node.get("string"), str):
        return node["string"].encode("utf-8"), complete
    if isinstance(node.get("base64"), str):
        return base64.b64decode(node["base64"], validate=True), complete
    raise ValueError(f"{where}: body must have 'string' or 'base64'")


def _headers_in(node: Any, where: str) -> Headers:
    if node is None:
        return ()
    if not isinstance(node, Mapping):
        raise ValueError(f"{where}: headers must be a mapping of name to values")
    pairs: list[tuple[str, str]] = []
    for name, values in node.items():
        for value in values if isinstance(values, list) else [values]:
            pairs.append((str(name).lower(), str(value)))
    return tuple(pairs)


def _timestamp(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    try:
        return datetime.datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return 0.0


def _exchange(item: Any, where: str) -> Exchange:
    if not isinstance(item, Mapping) or not isinstance(item.get("request"), Mapping):
        raise ValueError(f"{where}: an interaction needs a 'request' mapping")
    request = item["request"]
    if not isinstance(request.get("method"), str) or not isinstance(request.get("uri"), str):
        raise ValueError(f"{where}: the request needs 'method' and 'uri'")
    request_body, request_complete = _text_or_bytes(request.get("body"), f"{where}.request")
    status: int | None = None
    response_headers: Headers = ()
    response_body, response_complete = b"", True
    response = item.get("response")
    if response is not None:
        code = response.get("status", {}).get("code") if isinstance(response, Mapping) else None
        if not isinstance(code, int) or not 100 <= code <= 599:  # noqa: PLR2004 - HTTP's status range
            raise ValueError(f"{where}: the response needs a status code in 100..599")
        status = code
        response_headers = _headers_in(response.get("headers"), f"{where}.response")
        response_body, response_complete = _text_or_bytes(response.get("body"), f"{where}.response")
    error = item.get("error")
    if error is not None and not (isinstance(error, Mapping) and isinstance(error.get("kind"), str)):
        raise ValueError(f"{where}: 'error' needs a 'kind'")
    if response is None and error is None:
        raise ValueError(f"{where}: an interaction needs a 'response' or an 'error'")
    duration = item.get("duration_ms", 0)
    return Exchange(
        method=request["method"].upper(),
        target=request["uri"],
        request_headers=_headers_in(request.get("headers"), f"{where}.request"),
        request_body=request_body,
        request_complete=request_complete,
        status=status,
        response_headers=response_headers,
        response_body=response_body,
        response_complete=response_complete,
        error=str(error["kind"]) if error is not None else None,
        error_message=str(error.get("message", "")) if error is not None else "",
        started_at=_timestamp(item.get("recorded_at")),
        duration=float(duration) / 1000 if isinstance(duration, int | float) else 0.0,
    )


def _parse(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CassetteError(f"{path}: corrupt: not UTF-8 text") from None
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - the safe loader (CSafeLoader / SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise CassetteError(f"{path}: corrupt: not valid YAML{where} ({problem})") from None
    if not isinstance(document, Mapping) or "tokenops_cassette" not in document:
        raise CassetteError(
            f"{path}: not a tokenops cassette (no 'tokenops_cassette' version; see docs/guides/proxy.md)"
        )
    if document["tokenops_cassette"] != CASSETTE_VERSION:
        raise CassetteError(
            f"{path}: cassette format version {document['tokenops_cassette']!r}; this tokenops reads {CASSETTE_VERSION}"
        )
    return document


def load_cassette(path: Path, spec: Spec, *, secrets: Iterable[str] = (), any_spec_version: bool = False) -> Cassette:
    """Read a cassette, refusing one that cannot be trusted.

    Args:
        path: the file.
        spec: the spec it will be checked against or served with.
        secrets: credentials this process knows (``$TOKENOPS_API_KEY``...): a cassette holding one is refused.
        any_spec_version: accept a cassette recorded against another version of the spec (same title).

    Returns:
        The cassette.

    Raises:
        CassetteError: unreadable or corrupt, another format version, recorded against another spec (title or
            version), or holding an unredacted secret; the message is one line saying which.
    """
    document = _parse(path)
    found = document.get("spec")
    recorded: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    current = spec_identity(spec)
    for field in ("title", "version"):
        if field == "version" and any_spec_version:
            continue
        if str(recorded.get(field, "")) != current[field]:
            raise CassetteError(
                f"{path}: recorded against spec {recorded.get('title')!r} {recorded.get('version')!r}, "
                f"not {current['title']!r} {current['version']!r}: record it again against this spec"
            )
    items = document.get("interactions") or []
    if not isinstance(items, list):
        raise CassetteError(f"{path}: corrupt: 'interactions' must be a list")
    held = [register_secret(secret) for secret in secrets if secret]
    try:
        exchanges = []
        for index, item in enumerate(items):
            where = f"interactions[{index}]"
            try:
                exchange = _exchange(item, where)
            except (ValueError, TypeError, AttributeError) as exc:
                raise CassetteError(f"{path}: corrupt: {' '.join(str(exc).split())[:200]}") from None
            problem = unredacted(exchange, spec.security_schemes)
            if problem is not None:
                raise CassetteError(f"{path}: {where} holds an unredacted secret: {problem}; refusing to use it")
            exchanges.append(exchange)
    finally:
        del held
    return Cassette(
        path, {k: str(v) for k, v in recorded.items()}, str(document.get("upstream") or ""), tuple(exchanges)
    )
