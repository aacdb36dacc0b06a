"""Shared fixtures: a disposable repo copy, fake clocks, scripted clients, the mock in-process and over TCP."""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
REPO_INPUTS = (
    "openapi.yaml",
    "generator-config.yaml",
    "spec.lock.json",
    "upstream",
    "generated",
    "templates",
    "overlays",
    "CHANGELOG.md",
)


def copy_repo_inputs(dest: Path) -> Path:
    """Copy what regenerate.py reads and compares into ``dest``; return ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in REPO_INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            shutil.copyfile(source, dest / name)
    return dest


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    return copy_repo_inputs(tmp_path / "repo")


@pytest.fixture
def clock() -> Any:
    from tests.fakes import FakeClock  # noqa: PLC0415

    return FakeClock()


@pytest.fixture
def make_client(clock: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Build a TokenOps on a scripted MockTransport and the fake clock: make_client(script, **options)."""
    import httpx  # noqa: PLC0415

    from tests.fakes import CANARY_KEY  # noqa: PLC0415
    from tokenops import TokenOps  # noqa: PLC0415

    monkeypatch.delenv("TOKENOPS_API_KEY", raising=False)
    monkeypatch.delenv("TOKENOPS_BASE_URL", raising=False)
    clients: list[Any] = []

    def build(script: Any, **options: Any) -> TokenOps:
        options.setdefault("api_key", CANARY_KEY)
        options.setdefault("base_url", "http://api.test")
        client = TokenOps(http_client=httpx.Client(transport=httpx.MockTransport(script)), clock=clock, **options)
        clients.append(client)
        return client

    return build


@pytest.fixture
def make_async_client(clock: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    import httpx  # noqa: PLC0415

    from tests.fakes import CANARY_KEY  # noqa: PLC0415
    from tokenops import AsyncTokenOps  # noqa: PLC0415

    monkeypatch.delenv("TOKENOPS_API_KEY", raising=False)

    def build(script: Any, **options: Any) -> AsyncTokenOps:
        options.setdefault("api_key", CANARY_KEY)
        options.setdefault("base_url", "http://api.test")
        transport = httpx.MockTransport(script)
        return AsyncTokenOps(http_client=httpx.AsyncClient(transport=transport), clock=clock, **options)

    return build


# The key the session's mock server (``mock_server``) accepts.
SERVER_KEY = "sk-tcp-test"


@pytest.fixture(scope="session")
def mock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m contract_tests.mock`` on a free 127.0.0.1 port, one process for the whole session.

    Tests that change its state (jobs, faults, clock) reset it first (``POST /_mock/reset``), e.g. through
    the ``server`` fixture.
    """
    from contract_tests.mock.process import mock_process  # noqa: PLC0415

    log = tmp_path_factory.mktemp("mock") / "stderr.log"
    with mock_process(["--api-key", SERVER_KEY, "--quiet"], log=log) as process:
        yield process.base_url


@pytest.fixture(scope="session")
def mock_control(mock_server: str) -> Iterator[Any]:
    """One ``httpx.Client`` on the session's mock server (control API and endpoints), shared by the session.

    Every new ``httpx.Client`` (and every ``httpx.get``/``httpx.post``) loads the CA bundle: about 35 ms of CPU.
    """
    import httpx  # noqa: PLC0415

    from tests.mock_helpers import shared_tls  # noqa: PLC0415

    with httpx.Client(base_url=mock_server, timeout=10, verify=shared_tls()) as client:
        yield client


@pytest.fixture
def server(mock_server: str, mock_control: Any) -> str:
    """The session's mock server, reset to its start-up state (well-known jobs, no faults, clock at start)."""
    assert mock_control.post("/_mock/reset").status_code == 200
    return mock_server


@pytest.fixture
def mock() -> Iterator[Any]:
    from tests.mock_helpers import MockHarness  # noqa: PLC0415

    harness = MockHarness()
    yield harness
    harness.close()


@pytest.fixture(autouse=True)
def _restore_tokenops_logger() -> Iterator[None]:
    """TOKENOPS_LOG makes the client attach a stderr handler; keep each test's logging state its own."""
    import logging  # noqa: PLC0415

    logger = logging.getLogger("tokenops")
    level, handlers = logger.level, list(logger.handlers)
    yield
    logger.setLevel(level)
    for handler in [h for h in logger.handlers if h not in handlers]:
        logger.removeHandler(handler)


# The "grown" 6-operation spec: today's page plus the vendor pages in tests/fixtures/upstream/videos-api/.
GROWTH_PAGES = sorted((ROOT / "tests" / "fixtures" / "upstream" / "videos-api").glob("*.md"))
GROWN_PAGES = ["upstream/get-video-status.md", *(str(page) for page in GROWTH_PAGES)]


@pytest.fixture(scope="session")
def grown_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repo copy that took the growth pages: ``openapi.yaml`` with 6 operations and ``generated/`` regenerated.

    Built once per session (per xdist worker) with the documented commands:
    ``scripts/spec_sync.py --root TMP upstream/get-video-status.md PAGES...`` then ``scripts/regenerate.py --root TMP``.
    Put ``TMP/generated`` first on ``PYTHONPATH`` to import the grown ``tokenops_client``.
    """
    import io  # noqa: PLC0415

    from scripts import regenerate, spec_sync  # noqa: PLC0415

    root = copy_repo_inputs(tmp_path_factory.mktemp("grown") / "repo")
    with contextlib.redirect_stdout(io.StringIO()):
        assert spec_sync.main(["--root", str(root), *GROWN_PAGES]) == 0
        assert regenerate.main(["--root", str(root)]) == 0
    return root


@pytest.fixture(scope="session")
def grown_spec(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``openapi.yaml`` as ``spec_sync`` writes it from today's page and the growth pages (``grown_repo`` has the
    same bytes), merged in this process: no generator, no CHANGELOG entry, so a unit test may use it.

    Merging validates each page and the result (~0.5 s of CPU per process); the text is kept in pytest's cache,
    keyed by the pages and the code that merges and validates them (``tests/test_spec_sync.py`` tests the merge).
    """
    import hashlib  # noqa: PLC0415

    from contract_tests.toolchain import spec, sync  # noqa: PLC0415

    key = hashlib.sha256()
    for source in [ROOT / page for page in GROWN_PAGES] + [Path(sync.__file__), Path(spec.__file__)]:
        key.update(source.read_bytes() + b"\0")
    cache = getattr(pytestconfig, "cache", None)
    stored = cache.mkdir("grown-spec") / f"{key.hexdigest()}.yaml" if cache is not None else None
    path = tmp_path_factory.mktemp("grown-spec") / "openapi.yaml"
    if stored is not None and stored.is_file():
        shutil.copyfile(stored, path)
        return path
    text, _ = sync.build([sync.read_source(page, ROOT) for page in GROWN_PAGES])
    path.write_text(text, encoding="utf-8", newline="")
    if stored is not None:
        staging = stored.with_name(f"{stored.name}.{os.getpid()}")
        staging.write_text(text, encoding="utf-8", newline="")
        staging.replace(stored)  # atomic: another worker sees all of it or none
    return path


@pytest.fixture(scope="session")
def list_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``openapi.yaml`` with the vendor's list pages (the video list, OpenAI's and Gemini's model lists) and today's
    page, as ``spec_sync`` writes it (``tests/list_pages.py``)."""
    from tests.list_pages import write_list_spec  # noqa: PLC0415

    return write_list_spec(tmp_path_factory.mktemp("list-spec"))


@pytest.fixture(scope="session", autouse=True)
def _one_generator_run_per_input(pytestconfig: pytest.Config) -> Iterator[None]:
    """Run the pinned generator once per distinct input (spec, config, templates), shared by the test processes.

    Many tests regenerate the same spec (the committed one, a candidate that ``spec_sync`` then ``regenerate``
    and ``drift`` see again); the output is a function of those bytes (``tests/test_regenerate.py`` proves it
    across processes, cwd, hash seed and locale, without this cache), so later runs reuse the first one's files.
    The outputs live in pytest's cache directory (``.pytest_cache``, removed by ``make clean``), keyed by the
    inputs, the pinned tool versions, the interpreter and ``generate.py`` itself: every xdist worker and the next
    session reuse them; a run with ``-p no:cacheprovider`` keeps them in memory for its own process only.
    """
    import hashlib  # noqa: PLC0415
    import sys  # noqa: PLC0415
    import tempfile  # noqa: PLC0415
    from importlib import metadata  # noqa: PLC0415

    from contract_tests.toolchain import generate  # noqa: PLC0415

    original = generate.generate_into
    cache = getattr(pytestconfig, "cache", None)
    store = cache.mkdir("generator-outputs") if cache is not None else None
    outputs: dict[str, dict[str, bytes]] = {}
    tooling = hashlib.sha256(sys.version.encode() + Path(generate.__file__).read_bytes())
    for name in sorted(generate.PINNED_TOOLS):
        tooling.update(f"{name}=={metadata.version(name)}".encode())

    def _read(key: str) -> dict[str, bytes] | None:
        if key in outputs:
            return outputs[key]
        if store is None or not (store / key).is_dir():
            return None
        files = {p.relative_to(store / key).as_posix(): p.read_bytes() for p in (store / key).rglob("*") if p.is_file()}
        outputs[key] = files  # read from disk once per process
        return files

    def _keep(key: str, files: dict[str, bytes]) -> None:
        outputs[key] = files
        if store is None or (store / key).is_dir():
            return
        staging = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=store))
        for name, content in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(content)
        try:
            staging.rename(store / key)  # atomic: another worker either sees all of it or none
        except OSError:  # another worker stored the same output first
            shutil.rmtree(staging, ignore_errors=True)

    def generate_once(root: Path, workdir: Path) -> Path:
        templates = root / generate.TEMPLATES_DIR
        inputs = [root / generate.SPEC_FILE, root / generate.CONFIG_FILE]
        inputs += sorted(p for p in templates.rglob("*") if p.is_file()) if templates.is_dir() else []
        if not all(path.is_file() for path in inputs):
            return original(root, workdir)  # the generator reports what is missing
        UNIT_GUARD.note("ran the pinned generator (openapi-python-client, a process when its output is not cached)")
        digest = tooling.copy()
        for path in inputs:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        key = digest.hexdigest()
        files = _read(key)
        if files is None:
            built = original(root, workdir)
            _keep(key, {p.relative_to(built).as_posix(): p.read_bytes() for p in built.rglob("*") if p.is_file()})
            return built
        package_dir = workdir / generate.PACKAGE
        for name, content in files.items():
            (package_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (package_dir / name).write_bytes(content)
        return package_dir

    patch = pytest.MonkeyPatch()
    patch.setattr(generate, "generate_into", generate_once)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def conformance_runs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Conformance runs shared across test modules: ``conformance_runs(*args)`` runs ``scripts/conformance.py``
    in-process once per session (per xdist worker) for each distinct argument list and returns (exit code,
    a copy of conformance.json, the read-only report directory). See ``tests.conformance_fakes.SharedRuns``."""
    from tests.conformance_fakes import SharedRuns  # noqa: PLC0415

    return SharedRuns(tmp_path_factory.mktemp("conformance-runs"))


# The test tiers (docs/architecture.md, "Test tiers"): a test without a tier marker is a unit test.
#   unit         make test-fast: in-process only: no subprocess, no server process, no generator run, no fresh venv
#   integration  make test: apps served over TCP in-process, the session's mock process, whole conformance
#                (schemathesis) runs, the generator, git, the grown repo copy, one console-script smoke test
#   release      make test-release: packaging into fresh venvs, the growth check, the docs' runnable blocks,
#                reproducibility across cwd/locale/hash seed, the secret canary, stress, processes of their own
INTEGRATION = "integration"
RELEASE = "release"
# Fixtures that make a test an integration test by using them (directly or through another fixture).
INTEGRATION_FIXTURES = frozenset({"grown_repo", "mock_server", "mock_control", "server", "conformance_runs"})
# What a unit test must not do, as audit events (PEP 578): start a process in any way.
_PROCESS_EVENTS = frozenset(
    {"subprocess.Popen", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.system", "os.exec", "pty.spawn"}
)


def is_unit(item: pytest.Item) -> bool:
    """True for a test of the unit tier (no ``integration`` or ``release`` marker)."""
    return item.get_closest_marker(INTEGRATION) is None and item.get_closest_marker(RELEASE) is None


class UnitGuard:
    """Notes what a running unit test does that the unit tier rules out; the test then fails and says how to fix it.

    Processes are seen through an audit hook (``sys.addaudithook``), whoever starts them (the test, our code or a
    library); a generator run through :func:`_one_generator_run_per_input`, also when its output is cached (the
    tier of a test must not depend on the state of a cache).
    """

    def __init__(self) -> None:
        self.watching = False
        self.seen: list[str] = []
        self.hooked = False

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if self.watching and event in _PROCESS_EVENTS:
            command = args[1] if event == "subprocess.Popen" and len(args) > 1 else args[0] if args else ""
            self.note(f"started a process ({event}: {str(command)[:120]})")

    def note(self, what: str) -> None:
        if self.watching and what not in self.seen:
            self.seen.append(what)

    @contextlib.contextmanager
    def watch(self, item: pytest.Item) -> Iterator[None]:
        """Watch ``item`` if it is a unit test; fail it afterwards if it did what unit tests must not do."""
        if not is_unit(item):
            yield
            return
        self.watching, self.seen = True, []
        try:
            yield
        finally:
            self.watching = False
        if self.seen:
            pytest.fail(
                f"{item.nodeid} is a unit test (no tier marker) but it {'; '.join(self.seen)}. Unit tests run in"
                " this process only: mark it @pytest.mark.integration (or use a fixture from"
                ' tests/conftest.py INTEGRATION_FIXTURES); see docs/architecture.md, "Test tiers".',
                pytrace=False,
            )


UNIT_GUARD = UnitGuard()


def pytest_configure(config: pytest.Config) -> None:
    if not UNIT_GUARD.hooked:  # once per process: audit hooks cannot be removed (mutmut runs many sessions in one)
        sys.addaudithook(UNIT_GUARD.audit)
        UNIT_GUARD.hooked = True
    # The cyclic garbage collector cost ~20 % of the unit tier's CPU: a young-generation pass every 700 allocations,
    # and full passes over the ~120,000 objects imports and collection leave. Collect young objects less often, and
    # never walk what collection built (below). Measured: 8.5-9.3 s -> 6.0-7.3 s of CPU for the unit tier, serial.
    gc.set_threshold(50_000, 20, 100)


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.freeze()  # modules, test functions and parameters live to the end of the session: out of the collector's way


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier: ``integration`` when it uses an :data:`INTEGRATION_FIXTURES` fixture or
    carries the old ``e2e`` marker; ``release`` tests are marked by hand (a decorator, or ``pytestmark``)."""
    for item in items:
        if item.get_closest_marker(INTEGRATION) is not None:
            continue
        if item.get_closest_marker("e2e") is not None or INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


# Seconds each test file took in this run (setup, call and teardown of its tests), for tests/parallel.py's shares.
SECONDS_BY_FILE: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    name = report.nodeid.split("::", 1)[0]
    SECONDS_BY_FILE[name] = SECONDS_BY_FILE.get(name, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Keep what each test file took, per ``-m`` expression, in pytest's cache (in the process that saw every report:
    not in an xdist worker). Shares running at once may each overwrite the other's fresh figures: a rough balance."""
    config = session.config
    cache = getattr(config, "cache", None)
    if cache is None or hasattr(config, "workerinput") or not SECONDS_BY_FILE:
        return
    from tests.parallel import seconds_key  # noqa: PLC0415

    key = seconds_key(config.option.markexpr or "")
    stored = cache.get(key, {})
    stored.update({name: round(seconds, 3) for name, seconds in SECONDS_BY_FILE.items()})
    cache.set(key, stored)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with UNIT_GUARD.watch(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with UNIT_GUARD.watch(item):
        return (yield)
