"""Real browser: the map draws offline, a commune search updates the panel, its link reproduces the view."""

from __future__ import annotations

import re

import pytest

from tests.conftest import LiveServer, wait_for_app

pytestmark = pytest.mark.browser

DECK_CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'


def test_map_renders_search_updates_panel_and_link_reproduces_view(live_server: LiveServer, page: object,
                                                                   browser: object) -> None:
    requests_out: list[str] = []
    page.on("request", lambda r: requests_out.append(r.url))  # type: ignore[attr-defined]
    page.goto(f"{live_server.url}/carte?indicateur=france-services-distance")  # type: ignore[attr-defined]
    wait_for_app(page)
    page.wait_for_selector(DECK_CANVAS, timeout=30_000)  # type: ignore[attr-defined]

    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Rechercher une commune")  # type: ignore[attr-defined]
    box.click()
    page.keyboard.type("Sarlat")  # type: ignore[attr-defined]
    page.get_by_role("option", name=re.compile("Sarlat-la-Canéda")).click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Sarlat-la-Canéda").wait_for(timeout=30_000)  # type: ignore[attr-defined]
    wait_for_app(page)
    page.wait_for_function("() => window.location.search.includes('commune=24520')")  # type: ignore[attr-defined]
    url = page.url  # type: ignore[attr-defined]
    assert "indicateur=france-services-distance" in url and "zoom=11" in url
    assert page.get_by_text(re.compile(r"France services : .* km")).count() >= 1  # type: ignore[attr-defined]

    external = [u for u in requests_out if not u.startswith(live_server.url) and not u.startswith("data:")
                and not u.startswith("blob:")]
    assert not external, external  # offline: no basemap or tile server

    fresh = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    try:
        other = fresh.new_page()
        other.goto(url)
        wait_for_app(other)
        other.wait_for_selector(DECK_CANVAS, timeout=30_000)
        other.get_by_role("heading", name="Sarlat-la-Canéda").wait_for(timeout=30_000)
        # the legend heading names the indicator of the link
        other.get_by_text(re.compile("Distance à la France services la plus proche — km")).wait_for(timeout=30_000)
        assert "commune=24520" in other.url
    finally:
        fresh.close()


def test_board_link_opens_the_same_commune(live_server: LiveServer, page: object) -> None:
    page.goto(f"{live_server.url}/indicateurs?niveau=commune&code=24181")  # type: ignore[attr-defined]
    wait_for_app(page)
    page.get_by_role("heading", name=re.compile("Sigoulès-et-Flaugeac")).wait_for(timeout=30_000)  # type: ignore[attr-defined]
    plot = page.locator('[data-testid="stPlotlyChart"]').first  # type: ignore[attr-defined]
    plot.scroll_into_view_if_needed(timeout=30_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", state="attached", timeout=30_000)  # type: ignore[attr-defined]
    assert "code=24534" in page.url  # type: ignore[attr-defined]
