"""Binary responses (``source == "bytes"`` in the operations table): streamed, size-bounded, closed after use."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from tokenops._errors import APIConnectionError, APITimeoutError, ResponseValidationError
from tokenops._models import ResponseInfo

__all__ = ["AsyncDownload", "Download"]

CHUNK_SIZE = 64 * 1024


@contextlib.contextmanager
def stream_errors(request: httpx.Request) -> Iterator[None]:
    """Map httpx's errors while a download streams into the error tree."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise APITimeoutError(f"Download timed out ({type(exc).__name__}): {request.url}", request=request) from None
    except (httpx.HTTPError, httpx.StreamError) as exc:
        raise APIConnectionError(f"Download broke ({type(exc).__name__}): {request.url}", request=request) from None


class _Bounded:
    """Counts streamed bytes against the limit; refuses a declared length over it before reading a byte."""

    def __init__(self, response: httpx.Response, limit: int) -> None:
        self.response = response
        self.limit = limit
        self.size = 0
        declared = response.headers.get("content-length", "")
        if "content-encoding" not in response.headers and declared.isdigit() and int(declared) > limit:
            raise ResponseValidationError(
                f"download exceeds {limit} bytes (Content-Length {declared}); raise max_download_bytes to accept it",
                response=response,
            )

    def count(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        if self.size > self.limit:
            raise ResponseValidationError(
                f"download exceeds {self.limit} bytes; raise max_download_bytes to accept it", response=self.response
            )
        return chunk


def _part_path(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    target = Path(path)
    return target, target.with_name(target.name + ".part")


class _DownloadBase:
    def __init__(self, info: ResponseInfo, limit: int) -> None:
        self.info = info
        self._bounded = _Bounded(info.http_response, limit)

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        return self.info.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response headers (``content-type``, ``content-length``, ...)."""
        return self.info.headers

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` header, when present."""
        return self.info.request_id

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status_code} {self.headers.get('content-type', '')!r}>"


class Download(_DownloadBase):
    """A binary response whose body is still on the wire. Use it in a ``with`` block (or call :meth:`close`).

    >>> with client.operations.call("downloadVideoContent", video_id="video_123") as download:  # doctest: +SKIP
    ...     download.write_to("video.mp4")
    """

    def iter_bytes(self, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The body in chunks, decoded (gzip etc.), never more than ``max_download_bytes`` in total.

        Raises:
            ResponseValidationError: the body passed the limit (the chunks before it were already yielded).
            APIConnectionError: the connection broke mid-body.
        """
        with stream_errors(self.info.request):
            for chunk in self.info.http_response.iter_bytes(chunk_size):
                yield self._bounded.count(chunk)

    def read(self) -> bytes:
        """The whole body in memory (bounded by ``max_download_bytes``); prefer :meth:`write_to` for big files."""
        try:
            return b"".join(self.iter_bytes())
        finally:
            self.close()

    def write_to(self, path: str | os.PathLike[str]) -> int:
        """Stream the body into ``path`` (through ``path.part``, renamed when complete); returns the byte count.

        Raises:
            ResponseValidationError / APIConnectionError: as :meth:`iter_bytes`; no partial file is left.
        """
        target, part = _part_path(path)
        try:
            with part.open("wb") as sink:
                for chunk in self.iter_bytes():
                    sink.write(chunk)
            part.replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                part.unlink()
            raise
        finally:
            self.close()
        return self._bounded.size

    def close(self) -> None:
        """Release the connection (reading stops)."""
        self.info.http_response.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncDownload(_DownloadBase):
    """The async :class:`Download`: ``async with``, :meth:`aiter_bytes`, :meth:`aread`, :meth:`awrite_to`."""

    async def aiter_bytes(self, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Async :meth:`Download.iter_bytes`."""
        with stream_errors(self.info.request):
            async for chunk in self.info.http_response.aiter_bytes(chunk_size):
                yield self._bounded.count(chunk)

    async def aread(self) -> bytes:
        """Async :meth:`Download.read`."""
        try:
            return b"".join([chunk async for chunk in self.aiter_bytes()])
        finally:
            await self.aclose()

    async def awrite_to(self, path: str | os.PathLike[str]) -> int:
        """Async :meth:`Download.write_to` (file writes are small, buffered and synchronous)."""
        target, part = _part_path(path)
        try:
            with part.open("wb") as sink:
                async for chunk in self.aiter_bytes():
                    sink.write(chunk)
            part.replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                part.unlink()
            raise
        finally:
            await self.aclose()
        return self._bounded.size

    async def aclose(self) -> None:
        """Release the connection."""
        await self.info.http_response.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
