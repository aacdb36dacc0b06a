"""Every TCP test of the client, on each transport it supports: one helper builds the client and runs the call."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from tokenops import DEFAULT_MAX_CONNECTIONS, AsyncTokenOps, DefaultAioHttpClient, TokenOps

# The sync client's pool (httpx), the async client's own pool (httpx in shards), DefaultAioHttpClient (aiohttp).
TRANSPORTS = ("httpx", "httpx-async", "aiohttp")
ASYNC_TRANSPORTS = ("httpx-async", "aiohttp")


def call_with(transport: str, operation: Callable[[Any], Any], **options: Any) -> Any:
    """Build a client for ``transport`` with ``options``, run ``operation(client)`` (awaited on an async client), close
    the client (and the ``DefaultAioHttpClient`` made for it), and return what the operation returned.

    Raises:
        Exception: what the operation raised.
    """
    if transport == "httpx":
        with TokenOps(**options) as client:
            return operation(client)

    async def run() -> Any:
        async with async_client(transport, **options) as client:
            result = operation(client)
            return await result if inspect.isawaitable(result) else result

    return asyncio.run(run())


class async_client:
    """``async with async_client(transport, **options) as client``: an AsyncTokenOps on ``transport``; closing it
    closes the ``DefaultAioHttpClient`` made for it too."""

    def __init__(self, transport: str, *, max_connections: int | None = None, **options: Any) -> None:
        if transport not in ASYNC_TRANSPORTS:
            raise ValueError(f"not an async transport: {transport}")
        self.http: DefaultAioHttpClient | None = None
        if transport == "aiohttp":
            self.http = DefaultAioHttpClient(max_connections=max_connections or DEFAULT_MAX_CONNECTIONS)
        elif max_connections is not None:
            options["max_connections"] = max_connections
        self.client = AsyncTokenOps(http_client=self.http, **options)

    async def __aenter__(self) -> AsyncTokenOps:
        return self.client

    async def __aexit__(self, *exc_info: object) -> None:
        await self.client.close()
        if self.http is not None:
            await self.http.aclose()
