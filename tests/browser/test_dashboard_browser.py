"""Real browser, the analyst's path: from a dataset page's chart, « Ajouter au tableau de bord »; then, in the
composer, the territory filter on a commune, a key figure from the same dataset, a map and a table from another, a
text; copy its link, open it in a fresh browser context and see the same blocks with the same values; save it as a
short link (/tableaux-de-bord/<slug>) and reopen that; embed it; print it to PDF."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from pypdf import PdfReader

from tests.conftest import LiveServer, private_server, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(warehouse_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own: this module saves dashboards in the portal's database."""
    yield from private_server(warehouse_dir, tmp_path_factory)


METRIC = '[data-testid="stMetricValue"]'
DECK = '[data-testid="stDeckGlJsonChart"] canvas'
LINK = re.compile(r"https?://[^\s]+/(tableau-de-bord\?d=|tableaux-de-bord/)[A-Za-z0-9_-]+")
CHART = ".js-plotly-plot"
ROWS_NOTE = re.compile(r"\d+ enregistrements? sur \d+")


def main(page):  # noqa: ANN001, ANN201 - the page body, not the sidebar navigation
    return page.locator('[data-testid="stMain"]')


def key(name: str) -> str:
    return f".st-key-{name}"


def settle(page) -> None:  # noqa: ANN001
    wait_for_app(page)
    page.wait_for_timeout(300)
    wait_for_app(page)


def choose(page, widget_key: str, option: str, typed: str | None = None) -> None:  # noqa: ANN001
    """Pick `option` in a selectbox; the click that opens the list is retried when a rerun redrew the widget under
    it (the list then never opens)."""
    for attempt in range(3):
        page.locator(key(widget_key)).click()
        if typed:
            page.keyboard.type(typed)
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            settle(page)
    settle(page)


def type_in(page, widget_key: str, value: str) -> None:  # noqa: ANN001
    box = page.locator(f"{key(widget_key)} input, {key(widget_key)} textarea").first
    box.fill(value)
    box.press("Tab")  # Streamlit commits a text widget when it loses the focus
    settle(page)


def add_block(page) -> None:  # noqa: ANN001
    main(page).get_by_role("button", name="Ajouter le bloc").click()
    settle(page)


def shown_link(page, kind: str) -> str:  # noqa: ANN001
    codes = main(page).locator('[data-testid="stCode"]').all_inner_texts()
    found = [m.group(0) for text in codes for m in LINK.finditer(text) if m.group(1).startswith(kind)]
    assert found, codes
    return found[-1]


def expected_mean_ips(server: LiveServer) -> str:
    """Périgueux's mean IPS as the Explore API computes it, written the French way with one decimal."""
    answer = requests.get(f"{server.url}/api/explore/v2.1/catalog/datasets/ips-colleges/records", timeout=30,
                          params={"select": "avg(ips) as m", "where": 'code_insee_de_la_commune = "24322"'}).json()
    return f"{answer['results'][0]['m']:.1f}".replace(".", ",")


def pdf_text(page) -> str:  # noqa: ANN001
    """The text of the page printed to PDF by the browser (print media, A4)."""
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    return " ".join(p.extract_text() for p in pdf.pages).replace("\u202f", " ")


def read_dashboard(page, url: str) -> dict[str, object]:  # noqa: ANN001
    """What a reader sees of the dashboard at `url`, once its chart and map are drawn: block headings, the key figure,
    the chart's axis labels, the table's row count, the text."""
    page.goto(url)
    settle(page)
    body = main(page)
    body.locator(METRIC).first.wait_for(timeout=120_000)
    body.locator(DECK).first.wait_for(state="attached", timeout=120_000)
    body.locator(f"{CHART} .xtick").first.wait_for(state="attached", timeout=120_000)
    return {
        "headings": body.locator("h3").all_inner_texts(),
        "figure": body.locator(METRIC).first.inner_text().replace("\u202f", " ").strip(),
        "chart": body.locator(f"{CHART} .xtick").all_text_contents(),
        "rows": ROWS_NOTE.findall(body.inner_text().replace("\u202f", " ")),
        "text": body.get_by_text("Sortie de terrain").first.inner_text(),
    }


def test_compose_share_reopen_save_embed_and_print(live_server: LiveServer, browser: object) -> None:
    composer = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1000})  # type: ignore[attr-defined]
    page = composer.new_page()
    page.set_default_timeout(60_000)
    # The chart tab of a dataset page hands its view to the composer (the same session, so later blocks add to it).
    page.goto(f"{live_server.url}/jeu-de-donnees?id=ips-colleges&tab=graphique&chart=bar&x=secteur&y=ips&agg=mean")
    settle(page)
    main(page).get_by_role("link", name="Ajouter au tableau de bord").click()
    settle(page)
    main(page).get_by_role("heading", name="Composer un tableau de bord").wait_for()

    type_in(page, "dashboard_title", "Collèges de Périgueux")
    choose(page, "dashboard_level", "Commune")
    choose(page, "dashboard_code_commune", "Périgueux (24322)", typed="Périgueux")

    choose(page, "dashboard_new_type", "Chiffre clé")
    choose(page, "dashboard_new_dataset", "Indice de position sociale (IPS) des collèges de la Dordogne, rentrée 2022",
           typed="Indice de position")
    choose(page, "dashboard_new_fagg", "Moyenne")
    choose(page, "dashboard_new_fcol", "IPS")
    type_in(page, "dashboard_new_title", "IPS moyen")
    add_block(page)

    # Blocks left untitled are headed by their type. (Each widget costs a round trip, and once a map is in the
    # preview each one redraws it: the test keeps to what the dashboard needs and adds the map last; the composer's
    # other settings are covered by tests/pages/test_dashboard.py.)
    choose(page, "dashboard_new_type", "Tableau")
    choose(page, "dashboard_new_dataset", "Collèges de la Dordogne : adresses et géolocalisation",
           typed="Collèges de la Dordogne")
    add_block(page)

    choose(page, "dashboard_new_type", "Texte")
    type_in(page, "dashboard_new_text", "**Sortie de terrain** prévue en juin.")
    add_block(page)

    choose(page, "dashboard_new_type", "Carte")  # the table's dataset, kept; points: its first representation
    add_block(page)

    main(page).locator(METRIC).first.wait_for(timeout=120_000)
    main(page).locator(f"{CHART} .xtick").first.wait_for(state="attached", timeout=120_000)
    composed = main(page).locator(METRIC).first.inner_text().replace("\u202f", " ").strip()
    assert composed == expected_mean_ips(live_server)
    composed_chart = main(page).locator(f"{CHART} .xtick").all_text_contents()
    assert composed_chart == ["privé sous contrat", "public"], composed_chart  # both sectors in Périgueux
    link = shown_link(page, "tableau-de-bord?d=")

    # The link alone, in a browser that never saw the composer: the same blocks and values.
    fresh = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1000})  # type: ignore[attr-defined]
    reader = fresh.new_page()
    reader.set_default_timeout(60_000)
    seen = read_dashboard(reader, link)
    assert seen["headings"] == ["Graphique", "IPS moyen", "Tableau", "Texte", "Carte"], seen
    assert seen["figure"] == composed and seen["chart"] == composed_chart, seen
    assert len(seen["rows"]) == 1 and str(seen["text"]).startswith("Sortie de terrain"), seen

    # The short link: saved in the portal's database, reopened elsewhere with the same values.
    main(page).get_by_role("button", name="Enregistrer (lien court)").click()
    settle(page)
    main(page).get_by_text("Tableau de bord enregistré. Lien court permanent").wait_for()
    short = shown_link(page, "tableaux-de-bord/")
    assert read_dashboard(reader, short) == seen
    # Printed from the page itself: the print stylesheet leaves out the navigation and the sharing box.
    printed = pdf_text(reader)
    assert composed in printed and "Sortie de terrain" in printed
    assert "Partager, intégrer" not in printed and "Modifier une copie" not in printed and "Catalogue" not in printed

    # Embedded: no navigation, the same figure.
    reader.goto(short + "?embed=true")
    settle(reader)
    main(reader).locator(METRIC).first.wait_for(timeout=120_000)
    assert main(reader).locator(METRIC).first.inner_text().replace("\u202f", " ").strip() == composed
    assert reader.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').count() == 0
    fresh.close()
    composer.close()
