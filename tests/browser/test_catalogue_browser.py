"""Real browser on /catalogue: search, facet, state in the URL, the shared link reproduces the view (axe-core: test_accessibility.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT, wait_for_app

pytestmark = pytest.mark.browser

COUNT = re.compile(r"^(\d[\d\u202f]*) jeux? de données")


def main(page):  # noqa: ANN001, ANN201 - the page body, not the sidebar navigation
    return page.locator('[data-testid="stMain"]')


def result_count(page) -> int:  # noqa: ANN001
    text = main(page).get_by_text(COUNT).first.inner_text()
    return int(COUNT.match(text.strip()).group(1).replace("\u202f", ""))  # type: ignore[union-attr]


def settle(page) -> None:  # noqa: ANN001
    wait_for_app(page)
    main(page).get_by_text(COUNT).first.wait_for()


def test_search_facet_and_shared_link_reproduce_the_view(live_server, page, browser) -> None:  # noqa: ANN001
    page.goto(f"{live_server.url}/catalogue")
    settle(page)
    everything = result_count(page)
    assert everything == len(list((ROOT / "catalogue" / "datasets").glob("*.toml")))  # the whole manifest

    box = page.locator(".st-key-catalogue_q input")
    box.fill("musées")
    box.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=mus"))
    settle(page)
    found = result_count(page)
    assert 1 <= found < everything
    first_card = main(page).locator('[data-testid="stPageLink"]').first.inner_text()
    assert "usée" in first_card  # « Musées … » first

    page.locator(".st-key-catalogue_facet_contenu").click()
    page.get_by_role("option", name=re.compile(r"^Avec une carte")).click()
    page.wait_for_url(re.compile(r"[?&]contenu=carte"))
    page.keyboard.press("Escape")
    settle(page)
    narrowed = result_count(page)
    assert 1 <= narrowed <= found
    url = page.url
    assert "q=mus" in url and "contenu=carte" in url

    # The link shown under « Partager » is the same view.
    # While a rerun finishes Streamlit can show the stale and the new expander together: wait for a single one.
    share = main(page).get_by_text("Partager cette vue")
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stMain\"] p')]"
                           ".filter(p => p.textContent.trim() === 'Partager cette vue').length === 1")
    settle(page)
    share.first.click()
    shown = main(page).locator('[data-testid="stCode"]').first.inner_text().strip()
    assert "contenu=carte" in shown and "q=mus" in shown

    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    try:
        fresh = context.new_page()
        fresh.set_default_timeout(30_000)
        fresh.goto(url)
        settle(fresh)
        # Polling assertions: on a loaded 2-core machine the first paint can precede the widgets' values.
        expect(fresh.locator(".st-key-catalogue_q input")).to_have_value("musées")
        expect(main(fresh).get_by_text(COUNT).first).to_have_text(re.compile(rf"^{narrowed} jeux? de données"))
        assert "contenu=carte" in fresh.url
    finally:
        context.close()
