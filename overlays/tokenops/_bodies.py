"""Reading response bodies under a size limit with httpx's public API, and the driver's canned failures."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx

from tokenops._errors import APIConnectionError, APITimeoutError, ClientClosedError, ResponseValidationError
from tokenops._flows import Failure, Send

__all__ = ["Chunks", "blocked_failure", "closed_failure", "declared_size_ok", "is_closed", "rebuilt", "stream_errors"]

_DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


@contextlib.contextmanager
def stream_errors(request: httpx.Request) -> Iterator[None]:
    """Map httpx's errors while a download streams into the error tree."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise APITimeoutError(f"Download timed out ({type(exc).__name__}): {request.url}", request=request) from None
    except (httpx.HTTPError, httpx.StreamError) as exc:
        raise APIConnectionError(f"Download broke ({type(exc).__name__}): {request.url}", request=request) from None


def _too_large(limit: int, response: httpx.Response, detail: str = "") -> ResponseValidationError:
    return ResponseValidationError(
        f"response body exceeds {limit} bytes{detail}; raise max_response_bytes to accept it", response=response
    )


def declared_size_ok(response: httpx.Response, limit: int) -> bool:
    """True when the response declares an unencoded length within ``limit`` (so reading it whole is safe).

    Raises:
        ResponseValidationError: the declared length is over the limit (refused before reading a byte).
    """
    if "content-encoding" in response.headers:  # the decoded size may exceed the declared one
        return False
    declared = response.headers.get("content-length", "")
    if not declared.isdigit():
        return False
    if int(declared) > limit:
        raise _too_large(limit, response, f" (Content-Length {declared})")
    return True


def rebuilt(response: httpx.Response, content: bytes) -> httpx.Response:
    """A read response holding ``content`` (already decoded), built with httpx's public constructor."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROPPED_HEADERS]
    rebuilt = httpx.Response(
        response.status_code, headers=headers, content=content, request=response.request, extensions=response.extensions
    )
    with contextlib.suppress(RuntimeError):  # elapsed is known once the original was closed
        rebuilt.elapsed = response.elapsed
    return rebuilt


class Chunks:
    """Collects a streamed body of unknown length, refusing it once it passes ``limit`` bytes."""

    def __init__(self, response: httpx.Response, limit: int) -> None:
        self.response, self.limit, self.size, self.parts = response, limit, 0, list[bytes]()

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise _too_large(self.limit, self.response)
        self.parts.append(chunk)


def is_closed(http: httpx.Client | httpx.AsyncClient) -> bool:
    return http.is_closed


def closed_failure(request: httpx.Request | None) -> Failure:
    return Failure(
        ClientClosedError("the client is closed: create a new one (or use it inside its `with` block)"), request
    )


def blocked_failure(action: Send, request: httpx.Request) -> Failure:
    return Failure(
        APITimeoutError(f"the call's deadline passed before {action.method} {action.url} was sent", request=request),
        request,
    )
