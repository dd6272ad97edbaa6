"""Real browser: the map draws offline, a commune search updates the panel, its link reproduces the view; a click on
the map selects a commune and, at the EPCI level, an EPCI; the drawn legend; the map first on a phone."""

from __future__ import annotations

import re

import pytest

from bench.map_payload import screen_xy
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
    page.get_by_text("France services", exact=True).first.wait_for()  # type: ignore[attr-defined]
    page.get_by_text(re.compile(r"\d,\d\s?km")).first.wait_for()  # type: ignore[attr-defined]

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


# Bergerac's centroid in the commune referential (contours-communes centroid_lon/lat): a large commune, so a click
# there lands inside it whatever the simplification.
BERGERAC = ("24037", 0.4864, 44.8543)


def _click_at(page: object, lon: float, lat: float) -> None:
    """Click the map where a WGS84 point is, from the view the page wrote into its URL (lat, lon, zoom)."""
    params = dict(p.split("=", 1) for p in page.url.split("?", 1)[1].split("&"))  # type: ignore[attr-defined]
    view = (float(params["lat"]), float(params["lon"]), float(params["zoom"]))
    box = page.locator(DECK_CANVAS).first.bounding_box()  # type: ignore[attr-defined]
    x, y = screen_xy(lon, lat, view, box["width"], box["height"])
    page.mouse.move(box["x"] + x, box["y"] + y)  # type: ignore[attr-defined]
    page.wait_for_timeout(500)  # type: ignore[attr-defined]
    page.mouse.click(box["x"] + x, box["y"] + y)  # type: ignore[attr-defined]


def test_click_on_the_map_selects_a_commune_then_an_epci(live_server: LiveServer, page: object) -> None:
    page.goto(f"{live_server.url}/carte")  # type: ignore[attr-defined]
    wait_for_app(page)
    page.wait_for_selector(DECK_CANVAS, timeout=30_000)  # type: ignore[attr-defined]
    page.wait_for_function("() => window.location.search.includes('zoom=')")  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]

    code, lon, lat = BERGERAC
    _click_at(page, lon, lat)
    page.wait_for_function(f"() => window.location.search.includes('commune={code}')",  # type: ignore[attr-defined]
                           timeout=30_000)
    page.get_by_role("heading", name="Bergerac", exact=True).wait_for(timeout=30_000)  # type: ignore[attr-defined]
    wait_for_app(page)
    # No English « Clear selection » button: the chart starts afresh after each click.
    assert page.get_by_role("button", name="Clear selection").count() == 0  # type: ignore[attr-defined]

    page.get_by_text("Intercommunalités", exact=True).first.click()  # type: ignore[attr-defined]
    wait_for_app(page)
    page.wait_for_function("() => window.location.search.includes('niveau=epci')")  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Bergerac", exact=True).wait_for()  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    _click_at(page, lon, lat)
    page.wait_for_function("() => window.location.search.includes('epci=')", timeout=30_000)  # type: ignore[attr-defined]
    page.get_by_role("link", name="Tableau de bord de l'intercommunalité").wait_for(timeout=30_000)  # type: ignore[attr-defined]
    assert "commune=" not in page.url  # type: ignore[attr-defined]

    # The drawn legend, an image, has an entry for every layer: the classes (by number, not colour names), the chosen
    # EPCI's outline and, once shown, the collèges' marker.
    page.get_by_text("Collèges", exact=True).first.click()  # type: ignore[attr-defined]
    page.wait_for_function("() => window.location.search.includes('couches=colleges')")  # type: ignore[attr-defined]
    wait_for_app(page)
    # The URL changes before the rerun that redraws the legend ends: wait for the redrawn image itself.
    legend = page.locator('[data-testid="stImage"] img[alt^="Légende"][alt*="Collèges"]')  # type: ignore[attr-defined]
    legend.wait_for(timeout=30_000)
    alt = legend.get_attribute("alt")
    assert "Classe 1 (la plus claire)" in alt and "Intercommunalité choisie" in alt and "Collèges" in alt, alt
    assert "jaune" not in alt and "violet" not in alt
    assert legend.evaluate("img => img.naturalWidth > 100 && img.src.startsWith('data:image/svg+xml')")


def test_map_comes_before_the_controls_on_a_phone(live_server: LiveServer, browser: object) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    try:
        phone = context.new_page()
        phone.goto(f"{live_server.url}/carte")
        wait_for_app(phone)
        deck = phone.wait_for_selector(DECK_CANVAS, timeout=30_000).bounding_box()
        control = phone.locator('[data-testid="stSelectbox"]').filter(has_text="Indicateur").bounding_box()
        assert deck["y"] + deck["height"] <= control["y"], (deck, control)
        assert deck["width"] <= 390 and deck["y"] < 844  # the map is on the first screen, not under the controls
    finally:
        context.close()
