"""``TokenOps`` and ``AsyncTokenOps``: configuration and the connection pool; their resources get a requester over it.

A resource never sees its client: it gets a :class:`~tokenops._request.Requester` (or ``AsyncRequester``), the
settings and the pool behind the one request path (``_request.py``). ``with_options`` makes new ones.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

import attrs
import httpx

from tokenops._calls import AsyncOperations, Operations
from tokenops._clock import Clock
from tokenops._config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    NotGiven,
    Settings,
    build_settings,
)
from tokenops._request import AsyncRequester, Requester
from tokenops._transports import SyncPool, async_pool
from tokenops._videos import AsyncVideos, Videos

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "AsyncTokenOps",
    "TokenOps",
]

# --- the clients -------------------------------------------------------------------------------------------------


class _Client:
    _settings: Settings
    _http: Any
    _owns_http: bool  # close() closes the pool: built by this client, not a with_options copy of it
    _own_pool: bool  # the pool was built by a client (not an http_client passed in)
    _pool_headers: Mapping[str, str] | None
    _pool_timeout: httpx.Timeout | None

    def _configure(self, http_client: Any, make_http: Callable[..., Any], **settings: Any) -> None:
        """Settings and connection pool, common to both clients."""
        self._settings = build_settings(**settings)
        self._owns_http = self._own_pool = http_client is None
        self._pool_headers, self._pool_timeout = None, None
        if http_client is None:
            # The pool the client builds carries the key's headers and the default timeout itself, so a plain call
            # passes neither. Default headers stay out of it: a with_options copy may drop them, and a pool's
            # headers are merged into every request.
            if not self._settings.default_headers:
                self._pool_headers = self._settings.headers
            self._pool_timeout = self._settings.timeout
            http_client = make_http(
                self._settings.max_connections, headers=self._pool_headers, timeout=self._pool_timeout
            )
        self._http = http_client
        self._resources()

    def _resources(self) -> None:  # pragma: no cover - abstract: TokenOps and AsyncTokenOps define it
        raise NotImplementedError

    def _requester_args(self) -> dict[str, Any]:
        return {"own_pool": self._own_pool, "pool_headers": self._pool_headers, "pool_timeout": self._pool_timeout}

    def __repr__(self) -> str:
        s = self._settings
        return f"{type(self).__name__}(base_url={s.base_url!r}, max_retries={s.max_retries}, strict={s.strict})"

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        strict: bool | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str] | NotGiven = NOT_GIVEN,
        default_query: Mapping[str, str] | NotGiven = NOT_GIVEN,
        max_response_bytes: int | NotGiven = NOT_GIVEN,
        max_download_bytes: int | NotGiven = NOT_GIVEN,
        clock: Clock | NotGiven = NOT_GIVEN,
    ) -> Self:
        """A client with some settings changed, sharing this one's connection pool (closing it closes nothing).

        Args:
            timeout, max_retries, strict, default_headers, default_query, max_response_bytes,
            max_download_bytes, clock: as for the constructor; ``default_headers``/``default_query`` replace
            the current ones. An argument not given (:data:`tokenops.NOT_GIVEN`) keeps the current value.

        Returns:
            The new client; this one is unchanged.

        Raises:
            ConfigurationError: an invalid setting.
        """
        current = self._settings
        changes: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": max_retries,
            "strict": strict,
            "default_headers": default_headers,
            "default_query": default_query,
            "max_response_bytes": max_response_bytes,
            "max_download_bytes": max_download_bytes,
            "clock": clock,
        }
        arguments = {
            name: getattr(current, name) if isinstance(value, NotGiven) else value for name, value in changes.items()
        }
        settings = build_settings(
            api_key=current.secret.value if current.secret is not None else None,
            base_url=current.base_url,
            max_connections=current.max_connections,
            credentials={name: secret.value for name, secret in current.credentials.items()},
            **arguments,
        )
        clone = _copy.copy(self)
        # One registered secret per key: the copy keeps this client's.
        clone._settings = attrs.evolve(settings, secret=current.secret, credentials=current.credentials)
        clone._owns_http = False
        clone._resources()
        return clone

    copy = with_options


class TokenOps(_Client):
    """Synchronous client: ``client.videos`` (retrieve, wait) and ``client.operations`` (any operation).

    Args:
        api_key: the key; default ``$TOKENOPS_API_KEY``.
        base_url: default ``$TOKENOPS_BASE_URL``, else the spec's server URL (:data:`DEFAULT_BASE_URL`). Its path
            is kept; each call appends its operation's path, without repeating a leading part the base URL already
            ends with (``https://host/v1`` and ``https://host`` call ``/v1/videos/...`` at the same URL; see
            :func:`tokenops.spec.join_url`). A user/password, query or fragment is refused.
        timeout: seconds or an :class:`httpx.Timeout`; default :data:`DEFAULT_TIMEOUT` (finite).
        max_retries: retries on connection errors, timeouts, 408/409/429/5xx; default 2. POST/PATCH are
            retried only with an ``idempotency_key`` (or when the connection was never made).
        strict: raise :class:`ResponseValidationError` on anything the spec does not allow.
        http_client: your own :class:`httpx.Client` (proxies, transports, event hooks ...); you keep ownership.
        clock: time source for sleeps and deadlines (see :class:`Clock`); default the system clock.
        max_response_bytes: larger JSON/text bodies raise :class:`ResponseValidationError`; default 4 MiB.
        max_download_bytes: the limit for binary downloads; default 8 GiB.
        max_connections: the pool size (all kept alive) of the pool the client creates; default 100.
        default_headers / default_query: sent with every request (per-call ``extra_*`` win).
        credentials: a credential per security scheme of the spec, by scheme name (``{"GeminiKeyQuery": "..."}``),
            for schemes that do not take ``api_key``; else ``$TOKENOPS_CREDENTIAL_<SCHEME>``, else ``api_key``.
            Each operation sends them where its security requirement says (a bearer header, an API key in a
            header, the query or a cookie, basic auth).

    Raises:
        ConfigurationError: no API key (nor credentials), or an invalid setting.
    """

    _http: httpx.Client

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        strict: bool = False,
        http_client: httpx.Client | None = None,
        clock: Clock | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        credentials: Mapping[str, str] | None = None,
    ) -> None:
        self._configure(
            http_client,
            SyncPool,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            strict=strict,
            clock=clock,
            max_response_bytes=max_response_bytes,
            max_download_bytes=max_download_bytes,
            max_connections=max_connections,
            default_headers=default_headers,
            default_query=default_query,
            credentials=credentials,
        )

    def _resources(self) -> None:
        requester = Requester(self._http, self._settings, **self._requester_args())
        self.videos = Videos(requester)
        self.operations = Operations(requester)

    def close(self) -> None:
        """Close the connection pool (not an ``http_client`` you passed in: that one is yours)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncTokenOps(_Client):
    """Asynchronous client: same arguments as :class:`TokenOps`, with an :class:`httpx.AsyncClient`."""

    _http: httpx.AsyncClient

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        strict: bool = False,
        http_client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        credentials: Mapping[str, str] | None = None,
    ) -> None:
        self._configure(
            http_client,
            async_pool,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            strict=strict,
            clock=clock,
            max_response_bytes=max_response_bytes,
            max_download_bytes=max_download_bytes,
            max_connections=max_connections,
            default_headers=default_headers,
            default_query=default_query,
            credentials=credentials,
        )

    def _resources(self) -> None:
        requester = AsyncRequester(self._http, self._settings, **self._requester_args())
        self.videos = AsyncVideos(requester)
        self.operations = AsyncOperations(requester)

    async def close(self) -> None:
        """Close the connection pool (not an ``http_client`` you passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
