"""Real browser: the home page renders; a fresh server's first request can be a deep link. (Every page opening
offline without an exception: test_accessibility.py, which visits each one.)"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT, LiveServer, wait_for_app

pytestmark = pytest.mark.browser


def test_home_page_renders_with_catalogue_figures(live_server, page) -> None:
    page.goto(live_server.url + "/")
    wait_for_app(page)
    page.wait_for_selector('[data-testid="stMetricLabel"]:has-text("Jeux de données")')
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stMetric\"]').length >= 4")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Dordogne" in page.locator("h1").first.inner_text()


@pytest.mark.parametrize(("deep_link", "heading"), [
    ("/jeu-de-donnees?id=colleges&tab=tableau",
     tomllib.loads((ROOT / "catalogue" / "datasets" / "colleges.toml").read_text(encoding="utf-8"))["title"]),
])
def test_first_request_of_a_fresh_server_is_a_deep_link(warehouse_dir: Path, tmp_path: Path, page, deep_link: str,
                                                        heading: str) -> None:
    """A link shared on the web is often the first thing a just-(re)started server serves (see serve.py)."""
    data_dir = tmp_path / "data"
    shutil.copytree(warehouse_dir, data_dir)
    server = LiveServer(data_dir)  # a new server process: no page has been requested from it yet
    try:
        page.goto(server.url + deep_link)
        wait_for_app(page)
        page.locator('[data-testid="stMain"] h1').filter(has_text=heading).wait_for(timeout=60_000)
        page.wait_for_timeout(1000)  # the « Page not found » dialog, when it comes, comes after the first run
        assert page.get_by_text("Page not found").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.url == server.url + deep_link
        assert page.locator('[data-testid="stMetricLabel"]:has-text("Jeux de données")').count() == 0  # not home
    finally:
        server.stop()
