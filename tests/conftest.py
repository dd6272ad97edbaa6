"""Shared fixtures: one warehouse built from the embedded data per session, a live server and a browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.common import Server, free_port  # noqa: F401 - free_port: the tests take it from here

ROOT = Path(__file__).resolve().parent.parent
# The app's last-resort error handler re-raises under tests: a bug must fail a test, not become a message.
os.environ["TERRITOIRE_STRICT"] = "1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _reset_settings() -> None:
    import config

    config.get_settings.cache_clear()


def build_warehouse(data_dir: Path) -> None:
    """Build the warehouse from the embedded manifest with the real loader command (as `make run` does)."""
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(data_dir)}
    env.pop("TERRITOIRE_CATALOGUE_DIR", None)
    proc = subprocess.run([sys.executable, "-m", "loaders", "build"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"loaders build failed:\n{proc.stdout}\n{proc.stderr}")


@pytest.fixture(scope="session")
def warehouse_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the warehouse built once per session from `catalogue/datasets/`."""
    data_dir = tmp_path_factory.mktemp("territoire-data")
    build_warehouse(data_dir)
    return data_dir


@pytest.fixture
def portal(warehouse_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at a private copy of the session warehouse (tests may write: stats, reuses, versions)."""
    data_dir = tmp_path / "data"
    shutil.copytree(warehouse_dir, data_dir, symlinks=False)
    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("TERRITOIRE_CATALOGUE_DIR", raising=False)
    _reset_settings()
    yield data_dir
    _reset_settings()


@pytest.fixture
def read_only_portal(warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The session warehouse read in place, for tests that never write (no per-test copy of 20 datasets)."""
    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(warehouse_dir))
    monkeypatch.delenv("TERRITOIRE_CATALOGUE_DIR", raising=False)
    _reset_settings()
    yield warehouse_dir
    _reset_settings()


def open_page(page_file: str, params: dict[str, str], timeout: int = 90) -> object:
    """AppTest of the app opened on `page_file` with these URL parameters (the first run lands on the home page)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    at.switch_page(page_file)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def legend_svg_of(at: object) -> str:
    """The SVG text of the map legend a page drew with st.image (geo.legend_svg, sent as a base64 data URL)."""
    import base64

    urls = [url for image in at.get("image") for url in image.value]  # type: ignore[attr-defined]
    svgs = [base64.b64decode(u.split(",", 1)[1]).decode() for u in urls if u.startswith("data:image/svg+xml")]
    assert len(svgs) == 1, urls
    return svgs[0]


@pytest.fixture(autouse=True)
def _clear_streamlit_caches() -> Iterator[None]:
    """st.cache_data and queries.cache are shared by every AppTest in the process: isolate tests from each other."""
    yield
    if "queries.cache" in sys.modules:  # the one result cache, when this test loaded it
        sys.modules["queries.cache"].clear()
    try:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
    except Exception:  # noqa: BLE001 - streamlit not imported by this test
        pass
    _reset_settings()


class LiveServer(Server):
    """serve.py on a free port against a given data directory, strict (a page error fails the test loudly), its log
    in the data directory, and without the API's per-client rate limit (every test client is 127.0.0.1; the tests
    of that limit set it in `extra_env`)."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        super().__init__(data_dir, data_dir / "server.log", {"TERRITOIRE_API_RATE": "0", **(extra_env or {})},
                         strict=True)


def private_server(warehouse_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own on a copy of the warehouse (for a module's `live_server` override)."""
    data_dir = tmp_path_factory.mktemp("live-data")
    shutil.copytree(warehouse_dir, data_dir, dirs_exist_ok=True)
    server = LiveServer(data_dir, {"TERRITOIRE_ADMIN_SECRET": "secret-de-test-navigateur"})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server(warehouse_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for every module that only reads (each start costs seconds of imports and cold caches). A module
    that writes to the portal's database (reuses, moderation, saved dashboards) overrides this fixture with its own
    module-scoped `private_server`, so that no other test sees what it wrote."""
    yield from private_server(warehouse_dir, tmp_path_factory)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `make test` (it installs it) or apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def wait_for_app(pg: object) -> None:
    """Wait until Streamlit finished running the script (status widget gone) and the page has content."""
    pg.wait_for_selector('[data-testid="stAppViewContainer"]')  # type: ignore[attr-defined]
    pg.wait_for_timeout(300)  # type: ignore[attr-defined]
    pg.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=30_000)  # type: ignore[attr-defined]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs two pytest-xdist workers (--dist loadgroup): the real-browser tests all go to one of them,
    in order, while the other runs the rest; two Chromiums at once on two cores would only slow both."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
        # schemathesis names each operation's item « test[GET /path] » but gives them all the test function's
        # nodeid; xdist schedules and reports by nodeid, so it would run one operation per test function.
        original = getattr(item, "originalname", None)
        if original and item.name != original and item.nodeid.endswith(f"::{original}") and item.parent:
            item._id = item.parent.id.child(item.name)  # noqa: SLF001 - where pytest 9 keeps the nodeid
