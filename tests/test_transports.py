"""The async client's transports: httpx's pool in shards (the default), DefaultAioHttpClient (``tokenops[aiohttp]``).

What they must keep of the client's promises over real TCP: proxies from the environment, cookies, event hooks, the
error tree and its retry rules on resets, stalls and garbage; what the default pool must not do: open more than its
connections; what a missing extra says.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contract_tests.mock.process import free_port
from tests import rawserver
from tests.conftest import SERVER_KEY as KEY
from tests.fakes import CANARY_KEY, FakeClock
from tests.test_malformed_corpus import HOLD, TCP_CORPUS
from tests.transports import ASYNC_TRANSPORTS, TRANSPORTS, async_client, call_with
from tokenops import (
    AsyncTokenOps,
    ConfigurationError,
    DefaultAioHttpClient,
    TokenOps,
    Video,
    WaitTimeout,
    response_info,
)
from tokenops import _transports as transports_module
from tokenops._flows import Failure, Send
from tokenops._transports import ShardedTransport, Slots, SyncPool, async_pool, send_streaming, send_sync

pytestmark = pytest.mark.integration  # real TCP servers, deadlines in real time

# --- a missing extra ---------------------------------------------------------------------------------------------


def test_without_aiohttp_the_client_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # as if it were not installed: importing it fails
    with pytest.raises(ConfigurationError) as missing:
        DefaultAioHttpClient()
    message = str(missing.value)
    assert "tokenops[aiohttp]" in message
    assert "\n" not in message
    AsyncTokenOps(api_key=CANARY_KEY)  # the default transport needs nothing more


# --- free slots ----------------------------------------------------------------------------------------------------


def test_slots_hand_out_the_last_released_first_and_serve_waiters_in_order() -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        slots = Slots(["a", "b"])
        first, second = await slots.acquire(None), await slots.acquire(None)
        waiting = [asyncio.ensure_future(slots.acquire(None)) for _ in range(2)]
        await asyncio.sleep(0)
        slots.release(first)
        slots.release(second)
        served = [await waiter for waiter in waiting]
        for slot in served:
            slots.release(slot)
        again = [await slots.acquire(None), await slots.acquire(None)]
        return served, [first, second, *again]

    served, order = asyncio.run(scenario())
    assert served == ["b", "a"]  # the first waiter got the first slot released
    assert order == ["b", "a", "a", "b"]  # last released, first reused


def test_a_slot_wait_past_the_pool_timeout_is_httpx_pool_timeout_and_a_cancelled_waiter_passes_its_slot_on() -> None:
    async def scenario() -> str:
        slots = Slots(["only"])
        held = await slots.acquire(None)
        with pytest.raises(httpx.PoolTimeout):
            await slots.acquire(0.01)
        cancelled = asyncio.ensure_future(slots.acquire(None))
        behind = asyncio.ensure_future(slots.acquire(None))
        await asyncio.sleep(0)
        slots.release(held)  # handed to `cancelled` ...
        cancelled.cancel()  # ... which is cancelled before it runs: the slot must reach the next in line
        return await asyncio.wait_for(behind, 5)

    assert asyncio.run(scenario()) == "only"


# --- the default pool: httpx in shards ------------------------------------------------------------------------------


class _Server:
    """An asyncio HTTP/1.1 server on 127.0.0.1 that counts the connections open at once (in this event loop)."""

    def __init__(self, delay: float = 0.01) -> None:
        self.delay = delay
        self.open = self.peak = self.requests = 0
        self.cookies: list[str | None] = []
        self.targets: list[str] = []  # each request's target, as sent

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.peak = max(self.peak, self.open)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                self.requests += 1
                self.targets.append(head.split(" ", 2)[1])
                self.cookies.append(next((h[8:] for h in head.split("\r\n") if h.lower().startswith("cookie: ")), None))
                await asyncio.sleep(self.delay)
                body = b'{"id": "video_x", "object": "video", "status": "completed", "progress": 100}'
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nset-cookie: lb=one; Path=/\r\n")
                writer.write(b"content-length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()


def test_the_default_pool_never_opens_more_than_its_connections_however_many_wait() -> None:
    server = _Server()

    async def scenario() -> list[Video]:
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        async with listener:
            base_url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
            async with AsyncTokenOps(api_key=CANARY_KEY, base_url=base_url, max_connections=5) as client:
                return await asyncio.gather(*(client.videos.retrieve(f"video_{i}") for i in range(40)))

    videos = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert len(videos) == 40
    assert server.requests == 40
    assert 1 <= server.peak <= 5


def test_the_pool_the_client_builds_is_split_in_shards_of_two() -> None:
    transport = ShardedTransport(7, verify=httpx.create_ssl_context())
    assert transport.shards == 4  # 2 + 2 + 2 + 1
    pool = async_pool(7, headers={"X-A": "1"}, timeout=httpx.Timeout(3.0))
    assert pool.headers["x-a"] == "1"
    assert pool.timeout == httpx.Timeout(3.0)
    assert not pool.follow_redirects
    asyncio.run(pool.aclose())


# --- DefaultAioHttpClient ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pool", ["aiohttp", "sync"])
@pytest.mark.parametrize("method", ["POST", "GET", "delete"])
@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("http://api.test/v1/videos/video_1", {}),
        ("https://api.test:8443/v1/videos/a%2Fb", {"params": {"limit": "3"}, "timeout": 7.0}),
        ("http://api.test/v1/videos", {"json": {"prompt": "a cat"}, "headers": {"Accept": "text/plain"}}),
        ("http://api.test/v1/videos", {"headers": {"Host": "other.test"}}),  # a Host of the caller's is kept
        ("/relative", {}),  # not a tokenops URL: httpx builds it
    ],
)
def test_default_aiohttp_client_and_the_sync_pool_build_requests_as_httpx_does(
    pool: str, method: str, url: str, options: dict[str, Any]
) -> None:
    headers = {"Authorization": "Bearer sk-x", "User-Agent": "tokenops-test", **options.pop("headers", {})}
    client_options: dict[str, Any] = {"headers": {"X-Client": "1"}, "timeout": httpx.Timeout(5.0)}
    ours: httpx.Client | httpx.AsyncClient
    plain: httpx.Client | httpx.AsyncClient
    if pool == "aiohttp":
        ours = DefaultAioHttpClient(base_url="http://base.test", **client_options)
        plain = httpx.AsyncClient(base_url="http://base.test", **client_options)
    else:
        ours = SyncPool(4, base_url="http://base.test", **client_options)
        plain = httpx.Client(base_url="http://base.test", **client_options)
    for _ in range(2):  # the second time from what was merged the first
        built, expected = (c.build_request(method, url, headers=headers, **options) for c in (ours, plain))
        assert (built.method, built.url) == (expected.method, expected.url)
        assert built.headers.multi_items() == expected.headers.multi_items()
        assert built.extensions == expected.extensions
        assert built.content == expected.content  # read when built, as httpx reads a body it was given
        assert built.read() == expected.read()
        assert list(built.stream) == list(expected.stream)  # type: ignore[arg-type]  # bytes: sync and async
        built.headers["X-Changed"] = "1"  # a request's headers are its own: the next one is built without this
    ours.headers["X-Client"] = "2"  # a change to the client's headers is seen
    assert ours.build_request(method, url, headers=headers).headers["x-client"] == "2"
    ours.headers["X-Client"] = "1"
    assert ours.build_request(method, "http://other.test:81/v1", headers=headers).headers["host"] == (
        headers.get("Host", "other.test:81")
    )
    if "Host" not in headers:  # no headers of the call's own: the client's (what a pool that carries the key sends)
        built, expected = (c.build_request(method, url, **options) for c in (ours, plain))
        assert built.headers.multi_items() == expected.headers.multi_items()


@contextlib.contextmanager
def _serving(server: _Server) -> Iterator[str]:
    """``server`` on 127.0.0.1 in an event loop of its own thread (for the sync client too), stopped on exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    listener = asyncio.run_coroutine_threadsafe(asyncio.start_server(server.handle, "127.0.0.1", 0), loop).result(10)
    try:
        yield f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    finally:

        async def stop() -> None:  # in the server's loop: asyncio's Server is not thread-safe
            listener.close()
            await listener.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_each_transport_keeps_cookies_and_gives_responses_their_request_and_elapsed_time(transport: str) -> None:
    # What httpx.Client.send adds to a response, kept when the client sends straight to its transport.
    server = _Server(delay=0.01)

    def two_calls(client: Any) -> Any:
        if isinstance(client, TokenOps):
            return [client.videos.retrieve("video_a"), client.videos.retrieve("video_b")]

        async def both() -> list[Video]:
            return [await client.videos.retrieve("video_a"), await client.videos.retrieve("video_b")]

        return both()

    with _serving(server) as base_url:
        videos = call_with(transport, two_calls, api_key=CANARY_KEY, base_url=base_url)
    assert server.cookies == [None, "lb=one"]  # a load balancer's sticky cookie goes back
    info = response_info(videos[1])
    assert info is not None
    response = info.http_response
    assert response.request.url.path == "/v1/videos/video_b"
    # elapsed is set and covers the server's 10 ms (the loop's and perf_counter's clocks differ by their resolution)
    assert timedelta(seconds=0.005) <= response.elapsed < timedelta(seconds=10)


def test_a_closed_pool_refuses_to_send_as_httpx_does() -> None:
    # Straight to the transport only while the client is open: a closed one's transport would open a new connection.
    url = f"http://127.0.0.1:{free_port()}/v1/videos/video_a"
    pool = SyncPool(2)
    pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        send_sync(pool, pool.build_request("GET", url))

    async def closed_aiohttp() -> None:
        http = DefaultAioHttpClient()
        await http.aclose()
        await send_streaming(http, http.build_request("GET", url))

    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(closed_aiohttp())


def test_default_aiohttp_client_keeps_cookies_and_runs_event_hooks() -> None:
    server = _Server(delay=0)
    hooked: list[str] = []

    async def hook(request: httpx.Request) -> None:
        hooked.append(request.url.path)

    async def scenario() -> None:
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        async with listener:
            base_url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
            async with DefaultAioHttpClient() as http:
                client = AsyncTokenOps(api_key=CANARY_KEY, base_url=base_url, http_client=http)
                await client.videos.retrieve("video_a")
                await client.videos.retrieve("video_b")
                assert http.cookies["lb"] == "one"
                http.event_hooks = {"request": [hook]}
                await client.videos.retrieve("video_c")

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert server.cookies == [None, "lb=one", "lb=one"]  # a load balancer's sticky cookie goes back
    assert hooked == ["/v1/videos/video_c"]


def test_default_aiohttp_client_gives_each_request_its_own_timeout() -> None:
    # The transport keeps aiohttp's timeout object per set of httpx timeouts: a request gets its own, never the one
    # of the request before it (a long one after a short one, and back).
    server = _Server(delay=0.1)

    async def scenario() -> None:
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        async with listener, DefaultAioHttpClient() as http:
            url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}/v1/videos/video_a"
            assert (await http.get(url, timeout=5)).status_code == 200
            with pytest.raises(httpx.ReadTimeout):
                await http.get(url, timeout=httpx.Timeout(5, read=0.02))
            assert (await http.get(url, timeout=5)).status_code == 200

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_default_aiohttp_client_sends_each_request_to_its_own_url_as_httpx_encoded_it() -> None:
    # The transport keeps aiohttp's parsed URL of each URL string it sent to: a URL sent again must reach its own
    # target, never the one sent before it, and httpx's percent-encoding goes out as it is.
    server = _Server(delay=0)
    targets = ["/v1/videos/video_a", "/v1/videos/a%2Fb?limit=3", "/v1/videos/video_b", "/v1/videos/video_a"]

    async def scenario() -> None:
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        async with listener, DefaultAioHttpClient() as http:
            base_url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
            for target in targets:
                response = await http.get(base_url + target)
                assert response.request.url == httpx.URL(base_url + target)

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert server.targets == targets


# The client left open in the first loop cannot be closed from the second: aiohttp says so when it is collected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_default_aiohttp_client_is_bound_to_one_event_loop() -> None:
    server = _Server(delay=0)

    async def once(http: DefaultAioHttpClient) -> None:
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        async with listener:
            base_url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
            await AsyncTokenOps(api_key=CANARY_KEY, base_url=base_url, http_client=http).videos.retrieve("video_a")

    http = DefaultAioHttpClient()
    asyncio.run(once(http))
    with pytest.raises(RuntimeError, match="one per event loop"):
        asyncio.run(once(http))
    del http
    gc.collect()  # here, under this test's filter, not in a later test


@pytest.mark.parametrize(("kind", "behaviour", "expected", "read"), TCP_CORPUS, ids=[c[0] for c in TCP_CORPUS])
def test_resets_stalls_and_garbage_are_the_same_errors_over_aiohttp(
    kind: str, behaviour: rawserver.Behaviour, expected: type[Exception], read: float
) -> None:
    # tests/test_malformed_corpus.py::test_corpus_over_tcp, on DefaultAioHttpClient.
    HOLD.clear()
    clock = FakeClock()
    timeout = httpx.Timeout(2.0, read=read)
    with rawserver.raw_server(behaviour) as base:
        started = time.monotonic()
        with pytest.raises(expected) as caught:
            call_with(
                "aiohttp",
                lambda client: client.videos.retrieve("video_123"),
                api_key=CANARY_KEY,
                base_url=base,
                timeout=timeout,
                max_retries=1,
                clock=clock,
            )
        elapsed = time.monotonic() - started
        HOLD.set()
    assert len(clock.sleeps) == 1  # retried once, as configured
    assert elapsed < 2 * read + 2.0, elapsed
    assert CANARY_KEY not in str(caught.value)


def test_a_refused_connection_is_an_error_before_sending_and_a_reset_after_sending_is_not() -> None:
    # What the transport maps aiohttp's errors to decides retries: a POST without an idempotency key is resent only
    # when it never reached the server (httpx.ConnectError, ConnectTimeout, PoolTimeout).
    async def attempt(base_url: str) -> Exception | None:
        async with async_client("aiohttp", api_key=CANARY_KEY, base_url=base_url, clock=FakeClock()) as client:
            send = Send(method="POST", url=f"{base_url}/v1/videos", idempotent=False)
            reply = await client.videos._requester.send(send)
            return reply.error if isinstance(reply, Failure) else None

    refused = asyncio.run(attempt(f"http://127.0.0.1:{free_port()}"))
    assert isinstance(refused, httpx.ConnectError)
    with rawserver.raw_server(rawserver.reset_after_headers) as base:
        reset = asyncio.run(attempt(base))
    assert isinstance(reset, httpx.ReadError | httpx.RemoteProtocolError)
    assert not isinstance(reset, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


# --- proxies from the environment -----------------------------------------------------------------------------------


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    return monkeypatch


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_http_proxy_from_the_environment_is_used_and_no_proxy_is_honoured(
    server: str, no_proxy_env: pytest.MonkeyPatch, transport: str
) -> None:
    target = server.replace("127.0.0.1", "localhost")  # NO_PROXY names it; the proxy is reached by address
    with rawserver.CountingProxy(server) as proxy:
        no_proxy_env.setenv("HTTP_PROXY", proxy.base_url)
        video = call_with(
            transport, lambda client: client.videos.retrieve("video_completed_demo"), api_key=KEY, base_url=target
        )
        assert video.is_terminal
        assert proxy.connections >= 1  # through the proxy
        through_proxy = proxy.connections
        no_proxy_env.setenv("NO_PROXY", "localhost")
        call_with(
            transport, lambda client: client.videos.retrieve("video_completed_demo"), api_key=KEY, base_url=target
        )
        assert proxy.connections == through_proxy  # straight to the server


# --- a server that stops answering mid-wait_many --------------------------------------------------------------------


class StallingServer:
    """Answers the first ``answer`` requests (in progress, poll again in 0.1 s), then reads requests and never
    answers. Knows which connections are left with a request it did not answer."""

    def __init__(self, answer: int) -> None:
        self.answer = answer
        self.answered = 0
        self.waiting: set[int] = set()  # connections holding an unanswered request, still open
        self._handlers: set[asyncio.Task[Any]] = set()
        self._listener: asyncio.Server | None = None

    async def start(self) -> str:
        self._listener = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._listener.sockets[0].getsockname()[1]}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if self.answered >= self.answer:
                    self.waiting.add(id(writer))
                    try:
                        while await reader.read(65536):  # until the client closes the connection
                            pass
                    finally:
                        self.waiting.discard(id(writer))
                    return
                self.answered += 1
                video_id = head.split(b" ", 2)[1].decode().rsplit("/", 1)[-1]
                body = b'{"id": "%s", "object": "video", "status": "in_progress", "progress": 5}' % video_id.encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nopenai-poll-after-ms: 100\r\n")
                writer.write(b"content-length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)

    def tasks(self) -> set[asyncio.Task[Any]]:
        return set(self._handlers)

    async def settle(self, bound: float = 10.0) -> None:
        """Give the connections the client closed time to be seen closed (at most ``bound`` seconds)."""
        until = time.monotonic() + bound
        while self.waiting and time.monotonic() < until:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)


@pytest.mark.parametrize("transport", ASYNC_TRANSPORTS)
def test_wait_many_against_a_server_that_stops_answering_keeps_its_deadline_and_leaks_nothing(
    transport: str,
) -> None:
    stalling = StallingServer(answer=25)
    ids = [f"video_{i}" for i in range(12)]

    async def scenario() -> tuple[list[Any], set[asyncio.Task[Any]], float, int]:
        base_url = await stalling.start()
        before = set(asyncio.all_tasks())
        try:
            async with async_client(transport, api_key=CANARY_KEY, base_url=base_url) as client:
                started = time.monotonic()
                # 0.6 s: the 25 answers come in the first ~0.2 s (three rounds of 100 ms hints); then the stall
                results = await client.videos.wait_many(ids, timeout=0.6, concurrency=4)
                elapsed = time.monotonic() - started
                leaked = set(asyncio.all_tasks()) - before - stalling.tasks()
                await stalling.settle()
                left_waiting = len(stalling.waiting)  # checked before the client closes its pool
            return results, leaked, elapsed, left_waiting
        finally:
            await stalling.stop()

    results, leaked, elapsed, left_waiting = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert stalling.answered == 25
    assert not leaked
    assert left_waiting == 0  # every connection left with an unanswered request was closed by the client
    assert elapsed < 0.6 + 5  # the deadline held (a loose bound for a loaded machine, not a speed goal)
    assert [getattr(r, "video_id", None) for r in results] == ids  # every outcome in place, in input order
    assert all(isinstance(r, WaitTimeout) for r in results)
    assert all(r.last_video is not None for r in results)  # 25 answers reached every job before the stall


# --- streamed downloads and the error map --------------------------------------------------------------------------


def _download_server(body: bytes, *, stall_after: int | None = None) -> Any:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\ncontent-length: %d\r\n\r\n" % len(body))
            writer.write(body if stall_after is None else body[:stall_after])
            await writer.drain()
            await reader.read()  # hold the connection until the client lets go
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return handle


@pytest.mark.parametrize("transport", ASYNC_TRANSPORTS)
def test_a_large_download_streams_whole_and_a_stall_mid_body_is_a_timeout(transport: str) -> None:
    from tests.test_client_downloads import DOWNLOAD  # noqa: PLC0415 - a binary operation, built like generated ones
    from tokenops import APITimeoutError  # noqa: PLC0415

    body = bytes(range(256)) * 2048  # 512 KiB: streamed, not read with the headers

    async def fetch(stall_after: int | None) -> bytes:
        listener = await asyncio.start_server(_download_server(body, stall_after=stall_after), "127.0.0.1", 0)
        async with listener:
            base_url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
            timeout = httpx.Timeout(5.0, read=0.3)
            async with async_client(transport, api_key=CANARY_KEY, base_url=base_url, timeout=timeout) as client:
                download = await client.operations.call(DOWNLOAD, video_id="v")
                async with download:
                    return b"".join([chunk async for chunk in download.aiter_bytes()])

    assert asyncio.run(asyncio.wait_for(fetch(None), 30)) == body
    with pytest.raises(APITimeoutError, match="Download timed out"):
        asyncio.run(asyncio.wait_for(fetch(100_000), 30))


def test_aiohttp_errors_map_to_the_httpx_errors_they_mean() -> None:
    import aiohttp  # noqa: PLC0415

    from tokenops._transports import _mapped  # noqa: PLC0415 - the map itself: most of its cases need a broken network

    request = httpx.Request("GET", "http://api.test/v1/videos/v")
    cases: list[tuple[Exception, type[Exception]]] = [
        (aiohttp.ConnectionTimeoutError("connect"), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("cut"), httpx.ReadError),
        (aiohttp.InvalidURL("nope://x"), httpx.UnsupportedProtocol),
        (aiohttp.ClientError("other"), httpx.TransportError),
        (TimeoutError(), httpx.ReadTimeout),
    ]
    for error, expected in cases:
        mapped = _mapped(error, request)
        assert type(mapped) is expected, (error, mapped)
        assert mapped.request is request  # type: ignore[attr-defined]
    leaked = aiohttp.ClientError("proxy said: http://user:secret@proxy.test:3128 refused")
    assert "secret" not in str(_mapped(leaked, request))
    unrelated = ValueError("a bug")
    assert _mapped(unrelated, request) is unrelated


def test_the_sync_pool_builds_requests_from_many_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    # A TokenOps is shared by threads: the builder's URL cache is evicted while others read it.
    monkeypatch.setattr(transports_module, "URL_CACHE", 8)
    pool = SyncPool(2, headers={"Authorization": "Bearer sk-x"})

    def build(worker: int) -> list[str]:
        return [str(pool.build_request("GET", f"http://api.test/v1/videos/v{worker}_{n}").url) for n in range(2_000)]

    with concurrent.futures.ThreadPoolExecutor(8) as threads:
        built = list(threads.map(build, range(8)))
    pool.close()
    assert built == [[f"http://api.test/v1/videos/v{w}_{n}" for n in range(2_000)] for w in range(8)]
