"""Real browser, the elected official (issue 13): Bergerac's board shows no département figure as the commune's, its
evolution chart has the commune, its EPCI and the département in base 100, and its A4 PDF names Bergerac."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import LiveServer, wait_for_app

pytestmark = pytest.mark.browser

NNBSP = "\u202f"
CONTEXT = "Donnée départementale (Dordogne)"
# Every metric of the page: label, value, and the summary of the expander around it (the département's context, or
# none for the commune's own cards).
METRICS_JS = """els => els.map(e => {
    const around = e.closest('[data-testid="stExpander"]');
    return [e.querySelector('[data-testid="stMetricLabel"]').innerText.trim(),
            e.querySelector('[data-testid="stMetricValue"]').innerText.trim(),
            around ? around.querySelector('summary').innerText.trim() : ''];
})"""


def departement_values() -> dict[str, str]:
    """What the département's own board shows, card by card (computed in this process from the same warehouse)."""
    from indicators import board, territory
    from ui.indicator_cards import value_text

    return {c.indicator.label: value_text(c.indicator, c.latest.value).replace(NNBSP, " ")
            for c in board.build_cards(territory.top_territory()) if c.latest is not None}


def test_bergerac_board_is_honest_compares_in_base_100_and_prints_one_a4_page(
        live_server: LiveServer, page: object, read_only_portal: Path) -> None:
    departement = departement_values()
    page.goto(f"{live_server.url}/indicateurs?niveau=commune&code=24037")  # type: ignore[attr-defined]
    wait_for_app(page)
    body = page.locator('[data-testid="stMain"]')  # type: ignore[attr-defined]
    body.get_by_role("heading", name="Bergerac (commune 24037 · CA Bergeracoise)").wait_for(timeout=60_000)

    # -- no département figure presented as the commune's ----------------------------------------------------------
    context = body.locator('[data-testid="stExpander"]').filter(has_text=f"{CONTEXT} :")
    context.locator("summary").first.click()  # opened, as a reader would, so its cards are drawn
    context.locator('[data-testid="stMetric"]').first.wait_for(timeout=30_000)
    shown = body.locator('[data-testid="stMetric"]').evaluate_all(METRICS_JS)
    own = {label: value.replace(NNBSP, " ") for label, value, around in shown if CONTEXT not in around}
    apart = {label: value.replace(NNBSP, " ") for label, value, around in shown if CONTEXT in around}
    assert len(own) >= 15 and "Population municipale" in own and own["Population municipale"] == "27 110 hab."
    for label, value in own.items():
        assert value != departement.get(label), f"{label} shows the département's {value}"
    assert {"Allocataires du RSA", "Bénéficiaires de l'APA", "Bénéficiaires de la PCH"} <= set(apart)
    assert all(value == departement[label] for label, value in apart.items())
    assert context.get_by_text(CONTEXT, exact=True).count() == len(apart)  # each card says it, not only the section
    body.get_by_role("heading", name="Contexte départemental").wait_for()

    # -- the base-100 chart: three series in Plotly's own legend -----------------------------------------------------
    chart = body.locator('[data-testid="stPlotlyChart"]').first
    chart.scroll_into_view_if_needed(timeout=30_000)
    chart.locator(".legend .traces").nth(2).wait_for(timeout=30_000)
    assert chart.locator(".legend .legendtext").all_text_contents() == ["Bergerac", "CA Bergeracoise", "Dordogne"]
    assert chart.locator(".ytitle").text_content() == "Indice (base 100 en 2016)"

    # -- the A4 PDF, generated on click, names Bergerac ---------------------------------------------------------------
    with page.expect_download(timeout=60_000) as info:  # type: ignore[attr-defined]
        body.get_by_role("button", name="Télécharger le tableau de bord (PDF, A4)").click()
    download = info.value
    assert download.suggested_filename == "tableau-de-bord-commune-24037.pdf"
    data = Path(download.path()).read_bytes()
    reader = PdfReader(io.BytesIO(data))
    assert data.startswith(b"%PDF-") and len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Tableau de bord — Bergerac" in text and "27 110 hab." in text.replace(NNBSP, " ")
