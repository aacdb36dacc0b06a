"""Raw TCP on 127.0.0.1: a scripted HTTP server (faults MockTransport cannot fake) and a connection-counting proxy."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

Behaviour = Callable[[socket.socket], None]


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk


@contextmanager
def raw_server(behaviour: Behaviour, *, max_seconds: float = 30.0, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve ``behaviour`` (given each accepted socket after the request is read) until the block ends.

    Leaving the block wakes the accepting thread with one last connection, so stopping costs no polling delay;
    the thread also ends by itself after ``max_seconds`` without a connection. With ``tls`` (a server-side
    context) each connection is wrapped in it first and the URL is ``https://``; a refused handshake is dropped.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(max_seconds)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # the bound ran out (or the listener closed): stop serving
                return
            if stop.is_set():  # the wake-up connection
                conn.close()
                return
            conn.settimeout(max_seconds)
            try:
                if tls is not None:
                    conn = tls.wrap_socket(conn, server_side=True)
                _read_request(conn)
                behaviour(conn)
            except OSError:  # ssl.SSLError included: the client refused the certificate
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"{'http' if tls is None else 'https'}://127.0.0.1:{port}"
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=max_seconds).close()
        thread.join(timeout=max_seconds)
        listener.close()


def reset_before_headers(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def reset_after_headers(conn: socket.socket) -> None:
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"id": "vi')
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def stall_mid_body(hold: threading.Event) -> Behaviour:
    def behaviour(conn: socket.socket) -> None:
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"id": ')
        hold.wait(10)

    return behaviour


def garbage_status_line(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 banana\r\n\r\n")


class CountingProxy:
    """A TCP proxy on 127.0.0.1 in front of ``target`` that counts the connections clients open through it.

    It runs an asyncio loop in a daemon thread and stops when the ``with`` block ends (or after ``max_seconds``).
    """

    def __init__(self, target: str, *, max_seconds: float = 300.0) -> None:
        url = httpx.URL(target)
        self.target_host, self.target_port = url.host, url.port or 80
        self.max_seconds = max_seconds
        self.connections = 0
        self.base_url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_writer.close()
            return
        with contextlib.suppress(asyncio.CancelledError):  # the proxy is stopping: drop the connection quietly
            await asyncio.gather(self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer))

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024)
        self.base_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self._ready.set()
        async with server:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.max_seconds)

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)


def _serve_proxy(target: str) -> None:
    """``python -m tests.rawserver TARGET``: print the proxy's URL, serve until stdin closes, print the count."""
    with CountingProxy(target) as proxy:
        print(proxy.base_url, flush=True)  # noqa: T201 - the parent process reads these two lines
        sys.stdin.read()
    print(proxy.connections, flush=True)  # noqa: T201


if __name__ == "__main__":
    _serve_proxy(sys.argv[1])
