"""A scripted raw-TCP HTTP server on 127.0.0.1 for faults httpx's MockTransport cannot fake (resets, stalls)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Behaviour = Callable[[socket.socket], None]


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk


@contextmanager
def raw_server(behaviour: Behaviour, *, max_seconds: float = 30.0) -> Iterator[str]:
    """Serve ``behaviour`` (given each accepted socket after the request is read) until the block ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.settimeout(max_seconds)
            try:
                _read_request(conn)
                behaviour(conn)
            except OSError:
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
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
