"""What reports show of one exchange: the request (with a ``curl`` that replays as printed) and the response.

Requests and responses arrive from schemathesis (its recorder), from ``requests`` (transport errors) or from
``httpx`` (the suite's own probes and polls); :class:`Sent` and :class:`Received` are the common shape.
Every string is scrubbed of registered secrets; the run's own key becomes ``$TOKENOPS_API_KEY`` (a shell
variable, expanded because the curl words are double-quoted), any other token stays as sent.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from tokenops.redaction import redact

__all__ = ["KEY_VARIABLE", "Received", "Sent", "curl", "request_record", "response_record"]

KEY_VARIABLE = "${TOKENOPS_API_KEY}"
MAX_BODY_IN_REPORT = 2000
# Headers every HTTP client adds by itself: a replay does not need them.
_NOISY = {
    "user-agent",
    "accept-encoding",
    "connection",
    "content-length",
    "host",
    "x-schemathesis-testcaseid",
    "accept",
}
_SHELL_SPECIAL = re.compile(r'(["\\$`])')
_BOUNDARY = re.compile(r'boundary="?([^";,\s]+)"?', re.IGNORECASE)


def _pairs(headers: Any) -> tuple[tuple[str, str], ...]:
    items: Iterable[tuple[Any, Any]] = headers.items() if hasattr(headers, "items") else headers
    pairs: list[tuple[str, str]] = []
    for name, value in items:
        for single in value if isinstance(value, list) else [value]:
            pairs.append((str(name), str(single)))
    return tuple(pairs)


@attrs.frozen
class Sent:
    """A request as it went out."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    @classmethod
    def of(cls, request: Any) -> Sent:
        """From a schemathesis recorder ``Request``, a ``requests.PreparedRequest`` or an ``httpx.Request``."""
        url = str(getattr(request, "uri", None) or getattr(request, "url", ""))
        body = getattr(request, "body", None)
        if body is None:
            try:  # hasattr() would raise too: a streamed httpx body nobody read raises RequestNotRead
                body = getattr(request, "content", None)
            except Exception:
                body = None
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers, body = _stable_boundary(_pairs(request.headers), body if isinstance(body, bytes) else None)
        return cls(str(request.method), url, headers, body)


def _stable_boundary(
    headers: tuple[tuple[str, str], ...], body: bytes | None
) -> tuple[tuple[tuple[str, str], ...], bytes | None]:
    """A multipart request with its random boundary replaced by one derived from the content (in the header and
    the body): the same request is recorded, and replays, the same way in every run."""
    kind = next((value for name, value in headers if name.lower() == "content-type"), "")
    found = _BOUNDARY.search(kind) if kind.lower().startswith("multipart/") else None
    if found is None or not body or found.group(1).encode() not in body:
        return headers, body
    old = found.group(1)
    new = f"tokenops{hashlib.sha256(body.replace(old.encode(), b'')).hexdigest()[:32]}"
    renamed = tuple(
        (name, value.replace(old, new) if name.lower() == "content-type" else value) for name, value in headers
    )
    return renamed, body.replace(old.encode(), new.encode())


@attrs.frozen
class Received:
    """A response as it came back."""

    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes

    @classmethod
    def of(cls, response: Any) -> Received:
        """From a schemathesis ``Response`` or an ``httpx.Response``."""
        return cls(int(response.status_code), _pairs(response.headers), bytes(response.content or b""))

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


Variables = Mapping[str, str]  # a credential -> the shell variable shown instead (``${TOKENOPS_API_KEY}``)


def _variables(api_key: str, variables: Variables | None) -> Variables:
    found = dict(variables or {})
    if api_key:
        found.setdefault(api_key, KEY_VARIABLE)
    return found


def _substituted(text: str, variables: Variables, *, escape: bool) -> str:
    """``text`` with each credential (plain and URL-encoded) replaced by its variable; longest first."""
    for secret in sorted(variables, key=len, reverse=True):
        for form in dict.fromkeys((secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret))):
            target = _SHELL_SPECIAL.sub(r"\\\1", form) if escape else form
            text = text.replace(target, variables[secret])
    return text


def _quote(word: str, variables: Variables) -> str:
    """``word`` in double quotes, shell-escaped, with each credential replaced by its variable."""
    escaped = _SHELL_SPECIAL.sub(r"\\\1", word)
    return f'"{_substituted(escaped, variables, escape=True)}"'


def _public(url: str, base_url: str, public_base_url: str) -> str:
    return public_base_url + url[len(base_url) :] if base_url and url.startswith(base_url) else url


def _basic_user(value: str, variables: Variables) -> str | None:
    """``user:${VARIABLE}`` for a basic-auth header whose password is a known credential, else None."""
    try:
        user, _, password = base64.b64decode(value.split(" ", 1)[1]).decode("utf-8").partition(":")
    except (IndexError, ValueError):
        return None
    if password in variables:
        return f"{user}:{variables[password]}"
    return None


def curl(
    sent: Sent, *, api_key: str, base_url: str = "", public_base_url: str = "", variables: Variables | None = None
) -> str:
    """A ``curl`` command that sends ``sent`` again, every word double-quoted (paste it into a POSIX shell).

    Credentials (``api_key``, and the others in ``variables``) appear as the shell variables that hold them,
    wherever they were sent: a header, the query string, basic auth (``-u``)."""
    known = _variables(api_key, variables)
    url = _public(sent.url, base_url, public_base_url)
    words = ["curl", "-sS", "-i", "-X", _quote(sent.method, {}), _quote(url, known)]
    for name, value in sent.headers:
        if name.lower() in _NOISY:
            continue
        if (
            name.lower() == "authorization"
            and value.lower().startswith("basic ")
            and (pair := _basic_user(value, known))
        ):
            words += ["-u", _quote(pair, {})]
            continue
        words += ["-H", _quote(f"{name}: {value}", known)]
    if sent.body:
        try:
            text = sent.body.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if text and "\x00" not in text:
            words += ["--data-binary", _quote(text, known)]
        else:
            words.append(f"# + a {len(sent.body)}-byte binary body (not shown)")
    return redact(" ".join(words))


def request_record(
    sent: Sent, *, api_key: str, base_url: str = "", public_base_url: str = "", variables: Variables | None = None
) -> dict[str, Any]:
    """The report's view of a request: method, URL, headers (credentials replaced by their variables), curl."""
    known = _variables(api_key, variables)
    headers = {
        name: redact(_substituted(value, known, escape=False))
        for name, value in sent.headers
        if name.lower() not in _NOISY
    }
    return {
        "method": sent.method,
        "url": redact(_substituted(_public(sent.url, base_url, public_base_url), known, escape=False)),
        "headers": headers,
        "curl": curl(sent, api_key=api_key, base_url=base_url, public_base_url=public_base_url, variables=variables),
    }


def body_text(content: bytes, media_type: str | None = None) -> str:
    """A body for people: pretty JSON when it is JSON, else UTF-8 text; at most ``MAX_BODY_IN_REPORT`` chars."""
    text = content.decode("utf-8", errors="replace")
    with contextlib.suppress(ValueError, RecursionError):
        text = json.dumps(json.loads(content), indent=2, ensure_ascii=False)
    if len(text) > MAX_BODY_IN_REPORT:
        text = text[:MAX_BODY_IN_REPORT] + f"… ({len(content)} bytes in all)"
    return redact(text)


def response_record(received: Received) -> dict[str, Any]:
    """The report's view of a response: status, headers (no cookies), body (pretty JSON or text)."""
    headers: Mapping[str, str] = {
        name: redact(value) for name, value in received.headers if name.lower() not in ("set-cookie", "date", "server")
    }
    return {
        "status_code": received.status,
        "headers": dict(headers),
        "body": body_text(received.content, received.header("content-type")),
    }
