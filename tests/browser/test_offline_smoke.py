"""Real browser: the home page renders, every page opens without an exception, nothing is fetched off the machine."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for_app
from tests.test_app import URL_PATHS

pytestmark = pytest.mark.browser

LOCAL = ("http://127.0.0.1", "data:", "blob:")


def test_home_page_renders_with_catalogue_figures(live_server, page) -> None:
    page.goto(live_server.url + "/")
    wait_for_app(page)
    page.wait_for_selector('[data-testid="stMetricLabel"]:has-text("Jeux de données")')
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stMetric\"]').length >= 4")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Dordogne" in page.locator("h1").first.inner_text()


def test_every_page_opens_offline_without_exception(live_server, page) -> None:
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(LOCAL) else None)
    for url_path in URL_PATHS.values():
        page.goto(f"{live_server.url}/{url_path}")
        wait_for_app(page)
        page.wait_for_timeout(1500)  # let maps, charts and fonts request what they would
        assert page.locator('[data-testid="stException"]').count() == 0, url_path
        # A deep link opened first must not show Streamlit's "Page not found" dialog (see serve.py).
        assert page.get_by_text("Page not found").count() == 0, url_path
    assert external == [], f"requests left the machine: {sorted(set(external))}"
