"""Real browser, the resident's path: home search « Sarlat » → the commune suggestion → /commune?code=24520 with its
name, three nearest collèges (the public one marked, first) → the datasets-with-rows link → only Sarlat's rows."""

from __future__ import annotations

import re

import pytest

from tests.conftest import LiveServer, wait_for_app

pytestmark = pytest.mark.browser

COUNT = re.compile(r"^(\d[\d\u202f]*) enregistrements?( sur (\d[\d\u202f]*))?$")


def main(page):  # noqa: ANN001, ANN201 - the page body, not the navigation header
    return page.locator('[data-testid="stMain"]')


def test_from_home_search_to_the_commune_page_and_its_filtered_rows(live_server: LiveServer, page: object) -> None:
    requests_out: list[str] = []
    page.on("request", lambda r: requests_out.append(r.url))  # type: ignore[attr-defined]
    page.goto(live_server.url)  # type: ignore[attr-defined]
    wait_for_app(page)
    box = main(page).get_by_label("Rechercher une commune ou un jeu de données")
    box.fill("Sarlat")
    box.press("Enter")
    suggestion = main(page).get_by_role("link", name=re.compile(r"^Sarlat-la-Canéda — commune"))
    suggestion.click(timeout=30_000)

    page.wait_for_url(re.compile(r"/commune\?code=24520$"), timeout=30_000)  # type: ignore[attr-defined]
    main(page).get_by_role("heading", name="Sarlat-la-Canéda", level=1).wait_for(timeout=60_000)
    colleges = main(page).locator('[data-testid="stMarkdown"]').filter(has_text="Collège La Boétie").locator("li")
    colleges.first.wait_for(timeout=60_000)
    items = [text.strip() for text in colleges.all_inner_texts()]
    assert len(items) == 3, items
    assert items[0].startswith("Collège La Boétie (public)"), items
    assert sum("(public)" in item for item in items) == 1 and "(privé)" in items[1]
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=60_000)  # type: ignore[attr-defined]

    link = main(page).get_by_role("link", name=re.compile(r"^Collèges de la Dordogne.* — 2 lignes$"))
    link.scroll_into_view_if_needed(timeout=60_000)
    link.click()
    page.wait_for_url(re.compile(r"/jeu-de-donnees\?.*f=code_commune(:|%3A)eq(:|%3A)24520"),  # type: ignore[attr-defined]
                      timeout=30_000)
    wait_for_app(page)
    count = main(page).get_by_text(COUNT).first
    count.wait_for(timeout=60_000)
    assert count.inner_text().strip().replace("\u202f", " ") == "2 enregistrements sur 52"

    external = [u for u in requests_out if not u.startswith(live_server.url) and not u.startswith(("data:", "blob:"))]
    assert not external, external  # offline: no basemap, no font, no tile server
