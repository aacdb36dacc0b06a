"""Where a conformance run sends its requests: the embedded mock, any ASGI app, our mock over HTTP, or any server.

Every target is reached over real TCP, so transport faults (a dropped connection, a stalled body, a lying
``Content-Encoding``) reach the suite exactly as they would from a real server. The embedded mock and
:func:`serve_app` run an ASGI app with uvicorn in a background thread bound to ``127.0.0.1`` on a free port;
the server stops when the target is closed, or by itself after ``max_seconds``.
"""

from __future__ import annotations

import atexit
import functools
import logging
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any, Literal

import attrs
import httpx

from tokenops.spec import PathTemplate, join_url

__all__ = [
    "EMBEDDED_REPLAY_BASE",
    "EMBEDDED_START",
    "Target",
    "TargetError",
    "embedded",
    "http_client",
    "operation_base",
    "remote",
    "serve_app",
]

# The embedded mock's clock starts here (a fixed instant: the same run gives the same bodies).
EMBEDDED_START = 1_741_570_283.0
# Reports of embedded runs name this address: the one the printed replay command starts the mock on.
EMBEDDED_REPLAY_BASE = "http://127.0.0.1:4010"
DEFAULT_MAX_SECONDS = 3600.0
_SERVER_AT, _MOCK_AT = "server at ", "tokenops mock at "  # how reports name a --target


# Servers told to stop whose close() did not wait: the process joins them at exit (never mid-shutdown).
_STOPPING: set[threading.Thread] = set()


@atexit.register
def _join_stopping() -> None:
    try:
        for thread in list(_STOPPING):
            thread.join(timeout=10)
    except KeyboardInterrupt:  # Ctrl-C after the run ended and reported: the daemon threads end with the process
        return


@functools.cache
def _tls() -> Any:
    return httpx.create_ssl_context()


def http_client(**options: Any) -> httpx.Client:
    """An ``httpx.Client`` that shares the process's one TLS context (each new context reads the CA bundle again,
    ~50 ms, even for plain-HTTP targets).

    Args:
        options: ``httpx.Client`` keyword arguments (``base_url``, ``timeout``, ``headers``...).

    Returns:
        The client; close it when done.
    """
    return httpx.Client(verify=_tls(), **options)


class TargetError(Exception):
    """The target cannot be used (unreachable, not HTTP); the message is one line."""


@attrs.define
class Target:
    """A server under test, as the suite sees it.

    ``base_url`` is where requests go; ``public_base_url`` is what reports print (for the embedded mock: the
    address its replay command serves on). ``control`` is True when the server has our mock's control API
    (``/_mock/``: jobs can be created and its clock advanced). ``mock_args`` recreate an embedded mock's
    configuration with ``python -m contract_tests.mock``; ``created_jobs`` are the jobs the run created.
    """

    name: str
    base_url: str
    control: bool
    public_base_url: str = ""
    mock_args: tuple[str, ...] = ()
    created_jobs: list[dict[str, Any]] = attrs.field(factory=list)  # what the run created through /_mock/jobs
    _server: Any = None  # the uvicorn.Server of an embedded target
    _thread: threading.Thread | None = None
    _timer: threading.Timer | None = None
    _control_client: httpx.Client | None = None  # one connection for every control call (not one client each)

    def __attrs_post_init__(self) -> None:
        if not self.public_base_url:
            self.public_base_url = self.base_url

    @property
    def embedded(self) -> bool:
        """True when the suite started this server itself (its reports carry a replay command)."""
        return self._server is not None

    def control_request(self, method: str, path: str, payload: Any = None) -> Any:
        """One call to the mock's control API; returns the decoded JSON.

        Raises:
            TargetError: the target has no control API, or it refused the call.
        """
        if not self.control:
            raise TargetError(f"{self.name} has no mock control API")
        if self._control_client is None:
            self._control_client = http_client(base_url=f"{self.base_url}/_mock/", timeout=10)
        try:
            response = self._control_client.request(method, path, json=payload)
        except httpx.HTTPError as exc:
            raise TargetError(f"mock control API {path}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 300:  # noqa: PLR2004
            raise TargetError(f"mock control API {path} refused: {response.status_code} {response.text[:200]}")
        return response.json() if response.content else None

    def rebase(self, base_url: str, timeout: float = 10.0) -> None:
        """Send requests to ``base_url`` from now on (the base every operation of the spec shares, when ``--target``
        ended in part of their paths, ``https://host/v1``): our mock's control API is looked for there too.

        Raises:
            TargetError: nothing answers there.
        """
        if base_url == self.base_url:
            return
        if self.public_base_url == self.base_url:
            self.public_base_url = base_url
        self.base_url = base_url
        if not self.control and self._server is None and _detect_control(base_url, timeout):
            self.control = True
            self.name = self.name.replace(_SERVER_AT, _MOCK_AT, 1)

    def create_jobs(self, jobs: Sequence[dict[str, Any]]) -> None:
        """Create jobs through the mock's control API (``POST /_mock/jobs``)."""
        self.control_request("POST", "jobs", list(jobs))
        self.created_jobs.extend(dict(job) for job in jobs)

    def advance(self, seconds: float) -> None:
        """Move the mock's clock forward (``POST /_mock/clock/advance``)."""
        self.control_request("POST", "clock/advance", {"seconds": seconds})

    def close(self, *, wait: bool = True) -> None:
        """Close the control connection; stop the server this target started, if any.

        Args:
            wait: return only once the server has stopped (it takes uvicorn ~0.15 s). With False it stops in the
                background and the process waits for it at exit.
        """
        if self._control_client is not None:
            self._control_client.close()
            self._control_client = None
        if self._timer is not None:
            self._timer.cancel()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            if wait:
                self._thread.join(timeout=10)
            elif self._thread.is_alive():
                _STOPPING.add(self._thread)
                _STOPPING.difference_update([thread for thread in _STOPPING if not thread.is_alive()])


def operation_base(base_url: str, template: PathTemplate) -> str:
    """The base URL one operation's path is appended to under the shared rule (:func:`tokenops.spec.join_url`): the
    base's path is kept, minus the literal head of the template it already ends with. ``https://host/v1`` and
    ``/v1/videos/{id}`` give ``https://host``; ``https://host/api`` gives ``https://host/api``."""
    base = base_url.rstrip("/")
    rest = join_url(base, template, template.text)[len(base) :]  # the template's path minus the head the base has
    head = template.text[: len(template.text) - len(rest)]
    return base[: len(base) - len(head)] if head and base.endswith(head) else base


def _detect_control(base_url: str, timeout: float) -> bool:
    try:
        with http_client(timeout=timeout) as client:
            probe = client.get(f"{base_url}/_mock/clock")
    except httpx.HTTPError as exc:
        raise TargetError(f"target {base_url} is unreachable: {type(exc).__name__}: {exc}") from None
    if probe.status_code != 200:  # noqa: PLR2004
        return False
    try:
        body = probe.json()
    except ValueError:
        return False
    return isinstance(body, dict) and "now" in body


def serve_app(
    app: Any,
    *,
    name: str = "ASGI app (in-process, over TCP)",
    control: bool | None = None,
    public_base_url: str = "",
    mock_args: Sequence[str] = (),
    max_seconds: float = DEFAULT_MAX_SECONDS,
    lifespan: Literal["auto", "on", "off"] = "off",
) -> Target:
    """Serve an ASGI ``app`` on ``127.0.0.1`` (a free port) in a background thread and return it as a target.

    Args:
        app: the ASGI application.
        name: what reports call the target.
        control: whether it has our mock's control API (``None``: ask it).
        public_base_url: what reports print instead of the real address (default: the real address).
        mock_args: ``python -m contract_tests.mock`` arguments that recreate this server (embedded mock).
        max_seconds: the server stops by itself after this long.
        lifespan: uvicorn's ``lifespan`` setting (``on``: the app's startup and shutdown run, e.g. to close its
            own connections).

    Returns:
        The target; close it to stop the server.

    Raises:
        TargetError: the server did not start within 10 s.
    """
    import uvicorn  # noqa: PLC0415 - the server stack is only needed for served targets

    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, log_level=logging.CRITICAL, access_log=False, lifespan=lifespan)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"serve-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise TargetError(f"{name}: the server did not start")
        time.sleep(0.005)
    timer = threading.Timer(max_seconds, lambda: setattr(server, "should_exit", True))
    timer.daemon = True
    timer.start()
    base = f"http://127.0.0.1:{port}"
    has_control = _detect_control(base, 5) if control is None else control
    return Target(
        name=name,
        base_url=base,
        control=has_control,
        public_base_url=public_base_url,
        mock_args=tuple(mock_args),
        server=server,
        thread=thread,
        timer=timer,
    )


def embedded(api_key: str, *, faults: Sequence[str] = (), max_seconds: float = DEFAULT_MAX_SECONDS) -> Target:
    """Our mock, started by the suite on 127.0.0.1 with a manual clock; it accepts ``api_key``.

    Args:
        api_key: the key the mock accepts.
        faults: fault rules (``python -m contract_tests.mock --fault`` syntax).
        max_seconds: the server stops by itself after this long.

    Raises:
        FaultSpecError: a fault rule is invalid.
    """
    from contract_tests.mock import MockClock, create_app, parse_fault_spec  # noqa: PLC0415

    rules = [parse_fault_spec(spec) for spec in faults]
    app = create_app(api_keys=[api_key], clock=MockClock(start=EMBEDDED_START), faults=rules, log_requests=False)
    args = [arg for spec in faults for arg in ("--fault", spec)]
    return serve_app(
        app,
        name="embedded mock",
        control=True,
        public_base_url=EMBEDDED_REPLAY_BASE,
        mock_args=args,
        max_seconds=max_seconds,
    )


def remote(url: str, timeout: float = 10.0) -> Target:
    """Any server at ``url`` (its base URL, with or without a path: the runner applies the shared base URL rule);
    detects our mock by its control API.

    Raises:
        TargetError: not an http(s) URL, or nothing answers there.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise TargetError(f"--target {url!r} is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise TargetError(f"--target {url!r} must be an http:// or https:// URL")
    base = url.rstrip("/")
    control = _detect_control(base, timeout)
    name = f"{_MOCK_AT if control else _SERVER_AT}{base}"
    return Target(name=name, base_url=base, control=control)
