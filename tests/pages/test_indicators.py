"""AppTest of /indicateurs across territory levels: right values on the cards, URL state, redirects, exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import config
from tests.conftest import open_page

ROOT = Path(__file__).resolve().parents[2]
NNBSP = "\u202f"


def open_board(**params: str) -> AppTest:
    return open_page("pages/indicators.py", params)  # type: ignore[return-value]


def metrics(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value.replace(NNBSP, " "), m.delta) for m in at.metric}


def captions(at: AppTest) -> str:
    """Secondary texts (small markdown, see ui.indicator_cards.note)."""
    return " ".join(m.value for m in at.markdown).replace(NNBSP, " ")


def test_departement_board(read_only_portal: Path) -> None:
    at = open_board()
    cards = metrics(at)
    assert cards["Population municipale"][0] == "417 614 hab."
    assert cards["Population municipale"][1].replace(NNBSP, " ") == "+1 289 hab. (+0,3 %) depuis 2022"
    assert cards["France services"][0] == "37"
    assert cards["Établissements de santé"][0] == "37"
    assert cards["Part des 60 ans ou plus"][0] == "38,5 %"
    assert "France métropolitaine : 27,4 % (2022)" in captions(at)
    assert dict(at.query_params)["niveau"] == "departement"
    # every card cites its dataset through a link to the dataset page
    links = [el.proto.query_string for el in at.get("page_link")]
    assert len(links) >= len(at.metric)
    assert "id=population-communes" in links and "id=aide-sociale-departementale" in links
    # series chart keeps Plotly's client-side PNG export
    chart = at.get("plotly_chart")[0]
    config = json.loads(chart.proto.config)
    assert config["toImageButtonOptions"]["format"] == "png" and config["displayModeBar"] is True
    assert [b.label for b in at.get("download_button")] == [
        "Télécharger le tableau de bord (PDF, A4)", "Télécharger les données en CSV", "Télécharger les données en XLSX"]
    assert all("Donnée départementale" not in e.label for e in at.expander)  # the département board is all its own
    assert "Taux de pauvreté" not in cards  # published per commune only: named, no empty card
    assert "Publiés seulement à une échelle plus fine" in captions(at) and "Taux de pauvreté" in captions(at)


def test_change_arrows_follow_the_sign_and_say_whether_it_is_good(read_only_portal: Path) -> None:
    """The issue's « ↑ −0,32 pt »: the growth rate fell, so the arrow points down; colours only where up is good/bad."""
    from streamlit.proto.Metric_pb2 import Metric

    at = open_board()
    shown = {m.label: (m.delta.replace(NNBSP, " "), m.proto.direction, m.proto.color) for m in at.metric}
    Dir, Col = Metric.MetricDirection, Metric.MetricColor
    growth = shown["Croissance annuelle moyenne de la population"]
    assert growth == ("−0,32 pt depuis 2021-2022", Dir.DOWN, Col.GRAY)  # neutral: no judgement
    assert "Évolution depuis 2021-2022 : en baisse." in captions(at)
    rsa = shown["Allocataires du RSA"]
    assert rsa[0] == "+1,2 ‰ depuis 2018" and rsa[1:] == (Dir.UP, Col.RED)
    assert "Évolution depuis 2018 : en hausse, défavorable." in captions(at)
    dnb = shown["Réussite au diplôme national du brevet"]
    assert dnb[0] == "+2,5 pt depuis 2022" and dnb[1:] == (Dir.UP, Col.GREEN)
    assert "Évolution depuis 2022 : en hausse, favorable." in captions(at)
    for delta, direction, _color in shown.values():  # no card anywhere contradicts its own sign
        assert direction == {"+": Dir.UP, "−": Dir.DOWN}.get(delta[:1], Dir.NONE), delta


def test_epci_board_sums_its_communes(read_only_portal: Path) -> None:
    at = open_board(niveau="epci", code="200040392")  # CA Le Grand Périgueux
    assert "CA Le Grand Périgueux" in at.header[0].value
    cards = metrics(at)
    # 2023 population of the EPCI = sum of its member communes (epci_communes_24_2026.csv)
    import csv

    with (ROOT / "data/dordogne/referentiel/epci_communes_24_2026.csv").open(encoding="utf-8") as fh:
        members = {r["code_insee"] for r in csv.DictReader(fh) if r["epci_siren"] == "200040392"}
    with (ROOT / "data/dordogne/population/population_communes_24_cog2026.csv").open(encoding="utf-8") as fh:
        total = sum(int(r["pmun"]) for r in csv.DictReader(fh)
                    if r["millesime"] == "2023" and r["code_insee_cog2026"] in members)
    assert cards["Population municipale"][0] == f"{total:,} hab.".replace(",", " ")
    assert "Pas de donnée par intercommunalité : valeur de la Dordogne" in captions(at)
    assert dict(at.query_params) == {"niveau": "epci", "code": "200040392", "indicateur": "population"}


def test_commune_board_and_ranking(read_only_portal: Path) -> None:
    at = open_board(niveau="commune", code="24322")  # Périgueux
    cards = metrics(at)
    assert cards["Population municipale"][0] == "29 055 hab."
    assert cards["France services"][0] == "1"  # one France services in Périgueux (insee_com 24322)
    assert "Dordogne : 417 614 hab. (2023)" in captions(at)
    assert any("Périgueux" in m.value and "sur 503" in m.value for m in at.markdown)
    ranking = at.dataframe[0].value
    assert len(ranking) == 503 and ranking.iloc[0]["Territoire"] == "Périgueux"


def test_switching_a_commune_to_the_epci_level_opens_its_own_epci(read_only_portal: Path) -> None:
    at = open_board()
    at.radio(key="indicators_level").set_value("commune").run()
    at.selectbox(key="indicators_commune").select("24037").run()  # Bergerac
    assert "Bergerac (commune 24037" in at.header[0].value
    at.radio(key="indicators_level").set_value("epci").run()
    assert not at.exception
    # the commune's EPCI (epci_communes_24_2026.csv: 200070647 CA Bergeracoise), not the département
    assert at.header[0].value == "CA Bergeracoise (EPCI 200070647)"
    assert at.selectbox(key="indicators_epci").value == "200070647"
    assert dict(at.query_params) == {"niveau": "epci", "code": "200070647", "indicateur": "population"}


def test_board_link_is_a_real_link_with_a_french_copy_field(read_only_portal: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_PUBLIC_URL", "https://donnees.exemple.fr/")
    config.get_settings.cache_clear()  # read_only_portal clears it again after the test
    at = open_board(niveau="commune", code="24037", indicateur="ips-ecoles")
    expected = "https://donnees.exemple.fr/indicateurs?niveau=commune&code=24037&indicateur=ips-ecoles"
    assert [b.proto.url for b in at.get("link_button")] == [expected]
    assert at.get("link_button")[0].proto.label == "Lien de ce tableau de bord"
    field = next(t for t in at.text_input if t.label == "Lien à copier")
    assert field.value == expected and not at.code  # st.code's copy button speaks English
    field.set_value("autre chose").run()  # read-only in effect: the address comes back
    assert next(t for t in at.text_input if t.label == "Lien à copier").value == expected
    at.radio(key="indicators_level").set_value("epci").run()  # the link follows the board
    assert at.get("link_button")[0].proto.url == expected.replace("niveau=commune&code=24037", "niveau=epci&code=200070647")


def test_old_commune_code_redirects_with_a_notice(read_only_portal: Path) -> None:
    at = open_board(niveau="commune", code="24181")  # Flaugeac, merged into Sigoulès-et-Flaugeac
    assert dict(at.query_params)["code"] == "24534"
    assert any("Flaugeac" in i.value and "24534" in i.value for i in at.info)
    assert metrics(at)["Population municipale"][0] == "1 280 hab."


def test_commune_created_by_a_merger_and_widget_change(read_only_portal: Path) -> None:
    at = open_board(niveau="commune", code="24064")  # Brantôme en Périgord: COM_AP of several COM_AV
    assert "Brantôme en Périgord" in at.header[0].value and not at.info
    at.selectbox(key="indicators_series").select("ips-ecoles").run()
    assert not at.exception
    assert dict(at.query_params)["indicateur"] == "ips-ecoles"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = {trace["name"] for trace in spec["data"]}
    # the IPS method change in 2022 splits every line instead of chaining the two series
    assert any("avant 2022" in n for n in names) and any("depuis 2022" in n for n in names)
    at.radio(key="indicators_level").set_value("departement").run()
    assert dict(at.query_params)["niveau"] == "departement"


# -- Issue 13, the elected official: an honest commune board, base 100, the A4 PDF, French CSV ------------------------
def _population(code_column: str, code: str, year: int) -> float:
    import csv

    with (ROOT / "data/dordogne/population/population_communes_24_cog2026.csv").open(encoding="utf-8") as fh:
        return sum(float(r["pmun"]) for r in csv.DictReader(fh)
                   if r["millesime"] == str(year) and (code_column == "" or r[code_column] == code))


def test_commune_board_shows_no_departement_figure_as_its_own(read_only_portal: Path) -> None:
    from indicators import board, territory
    from ui.indicator_cards import value_text

    departement = {c.indicator.label: value_text(c.indicator, c.latest.value).replace(NNBSP, " ")
                   for c in board.build_cards(territory.top_territory()) if c.latest is not None}
    at = open_board(niveau="commune", code="24037")  # Bergerac
    (context,) = [e for e in at.expander if e.label.startswith("Donnée départementale (Dordogne)")]
    apart = {m.label: m.value.replace(NNBSP, " ") for m in context.metric}
    own = {label: value for label, (value, _) in metrics(at).items() if label not in apart}
    assert "Population municipale" in own and len(own) >= 10
    for label, value in own.items():  # the commune's own figures: none is the département's
        assert value != departement.get(label), label
    # the département-only indicators (ageing, RSA, APA, PCH, ASE…) are apart, each card labelled
    assert {"Allocataires du RSA", "Bénéficiaires de l'APA", "Bénéficiaires de la PCH",
            "Enfants accueillis à l'aide sociale à l'enfance", "Dépenses nettes liées au RSA"} <= set(apart)
    assert "Part des 60 ans ou plus" in own  # the commune's own census figure now, not the département's
    assert all(value == departement[label] for label, value in apart.items())
    labels = [m.value for m in context.markdown if m.value == ":small[**Donnée départementale (Dordogne)**]"]
    assert len(labels) == len(apart)
    assert [h.value for h in at.subheader][-1] == "Contexte départemental"
    # comparisons stay comparisons, the commune's EPCI first
    assert "Comparaison — CA Bergeracoise : 61 915 hab. (2023) · Dordogne : 417 614 hab. (2023)" in captions(at)


def test_base100_chart_has_the_commune_its_epci_and_the_departement(read_only_portal: Path) -> None:
    at = open_board(niveau="commune", code="24037")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    traces = {t["name"]: t for t in spec["data"]}
    assert list(traces) == ["Bergerac", "CA Bergeracoise", "Dordogne"]
    assert spec["layout"]["yaxis"]["title"]["text"] == "Indice (base 100 en 2016)"
    assert spec["layout"]["separators"] == ",\u202f"  # French decimal comma and thousands space in the hover
    bergerac = traces["Bergerac"]
    expected = 100 * _population("code_insee_cog2026", "24037", 2023) / _population("code_insee_cog2026", "24037", 2016)
    assert bergerac["x"][0] == 2016 and bergerac["y"][0] == pytest.approx(100)
    assert bergerac["y"][-1] == pytest.approx(expected)
    assert traces["Dordogne"]["y"][-1] == pytest.approx(100 * _population("", "", 2023) / _population("", "", 2016))
    # the values stay readable: in the hover (French, with the unit) and in the table under the chart
    assert bergerac["customdata"][-1] == ["2023", "27\u202f110\u202fhab."]
    assert "indice %{y:,.1f}" in bergerac["hovertemplate"]
    table = at.table[0].value
    assert list(table.columns) == ["Bergerac", "CA Bergeracoise", "Dordogne"]
    assert table.loc["2023", "Bergerac"] == "27\u202f110\u202fhab."
    at.radio(key="indicators_scale_population").set_value("valeurs").run()
    values = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    assert [t["name"] for t in values] == ["Bergerac", "CA Bergeracoise", "Dordogne"] and values[0]["y"][-1] == 27110


def test_a_missing_level_leaves_fewer_lines_and_says_so(read_only_portal: Path) -> None:
    at = open_board(niveau="commune", code="24001", indicateur="dnb-reussite")  # Abjat-sur-Bandiat: no collège
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in spec["data"]] == ["CC du Périgord Nontronnais", "Dordogne"]
    assert ("Pas de valeur pour Abjat-sur-Bandiat : le graphique ne montre que CC du Périgord Nontronnais, Dordogne."
            in captions(at))
    # a value the source withholds says so, in French (Filosofi: too few households)
    assert "Valeur non diffusée pour Abjat-sur-Bandiat par la source : secret statistique." in captions(at)
    at = open_board(niveau="epci", code="200070647", indicateur="population")  # an EPCI board: EPCI + département
    assert [t["name"] for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]] == [
        "CA Bergeracoise", "Dordogne"]


def test_board_pdf_is_one_a4_page_with_every_figure_and_its_source(read_only_portal: Path) -> None:
    import io

    from pypdf import PdfReader

    from indicators import board, territory
    from ui.indicator_cards import board_pdf, value_text

    bergerac = territory.resolve("commune", "24037").territory
    data = board_pdf(bergerac, "https://donnees.exemple.fr/indicateurs?niveau=commune&code=24037")
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    width, height = (round(float(v) / 72 * 25.4) for v in reader.pages[0].mediabox.upper_right)
    assert (width, height) == (210, 297)  # A4 portrait, in mm
    text = reader.pages[0].extract_text()
    assert "Tableau de bord — Bergerac" in text and "Bergerac (commune 24037 · CA Bergeracoise)" in text
    assert "Généré le " in text and "Licence Ouverte" in text
    assert "Contexte départemental — Donnée départementale (Dordogne)" in text
    flat = " ".join(text.split())
    for card in board.build_cards(bergerac):  # every figure of the board, with its unit
        if card.latest is not None:
            assert value_text(card.indicator, card.latest.value) in text, card.indicator.id
            assert f"{card.indicator.year_label} {card.latest.period}" in flat, card.indicator.id
        for source in card.sources:  # and every source dataset with its licence
            assert f"(jeu « {source['id']} ») — licence : {source['licence']}" in flat, source["id"]


def test_board_csv_is_french_without_raw_booleans(read_only_portal: Path) -> None:
    import csv
    import io

    from indicators import territory
    from ui.indicator_cards import export_csv

    data = export_csv(territory.resolve("commune", "24037").territory)
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert {r["indicateur_disponible_a_ce_niveau"] for r in rows} == {"oui", "non"}
    assert "True" not in text and "False" not in text
    growth = next(r for r in rows if r["indicateur"] == "population-croissance" and r["code"] == "24037")
    assert "," in growth["valeur"] and "." not in growth["valeur"]  # decimal commas for French spreadsheets
    assert {r["niveau"] for r in rows if r["indicateur"] == "population"} == {
        "Commune", "Intercommunalité (EPCI)", "Département"}


def test_a_failing_indicator_says_so_in_french_with_the_detail_folded(read_only_portal: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """An indicator whose query fails (here: made to fail) keeps its card, in French; DuckDB's English is folded."""
    import pandas as pd

    from indicators import RESULT_COLUMNS, board

    real = board.indicator_frame

    def failing(indicator: object, level: str) -> tuple[pd.DataFrame, str | None]:
        if indicator.id == "musees-frequentation":  # type: ignore[attr-defined]
            return pd.DataFrame(columns=list(RESULT_COLUMNS)), "Requête refusée : Binder Error: column « x » not found"
        return real(indicator, level)  # type: ignore[arg-type]

    monkeypatch.setattr(board, "indicator_frame", failing)
    at = open_board(niveau="commune", code="24037")
    assert metrics(at)["Fréquentation des musées de France"][0] == "–"
    assert "Données indisponibles : le calcul de cet indicateur a échoué. Réessayez plus tard." in captions(at)
    (detail,) = [e for e in at.expander if e.label == "Détail technique"]
    assert "Binder Error" in detail.markdown[0].value


def test_a_card_its_pdf_line_and_the_csv_cite_the_sources_of_their_own_level(read_only_portal: Path) -> None:
    """The age shares come from RP 2023 for a commune and from INSEE's estimations for the département: each level
    cites only its own source, on the card, in the PDF and in the CSV."""
    import csv
    import io

    from indicators import board, get, territory
    from ui.indicator_cards import _pdf_figure, comparison_texts, export_csv

    census, estimates = "population-age-communes", "estimations-population-age-sexe"
    bergerac = territory.resolve("commune", "24037").territory
    card = board.build_card(get("part-60-ans-et-plus"), bergerac)
    assert [s["id"] for s in card.sources] == [census]
    assert all(census in line and estimates not in line for line in _pdf_figure(card).sources)
    # the comparisons come from the same census: no series named after them
    texts = comparison_texts(card)
    assert [t.split(" : ")[0] for t in texts] == ["CA Bergeracoise", "Dordogne"]
    assert all(t.endswith("(2023)") for t in texts), texts
    dep = board.build_card(get("part-60-ans-et-plus"), territory.top_territory())
    assert [s["id"] for s in dep.sources] == [estimates]
    rows = list(csv.DictReader(io.StringIO(export_csv(bergerac).decode("utf-8-sig")), delimiter=";"))
    age = {r["sources"] for r in rows if r["indicateur"] == "part-60-ans-et-plus"}
    assert len(age) == 1 and f"({census})" in age.pop()
    at = open_board(niveau="commune", code="24037", indicateur="part-60-ans-et-plus")
    labels = [el.proto.label for el in at.get("page_link")]
    assert "Source : Population par sexe et tranche d'âge quinquennale des communes de la Dordogne, recensement 2023" in labels


def test_a_comparison_from_another_series_names_it(read_only_portal: Path) -> None:
    from dataclasses import replace

    from indicators import board, get, territory
    from indicators.board import Point
    from ui.indicator_cards import comparison_texts

    card = board.build_card(get("part-60-ans-et-plus"), territory.resolve("commune", "24037").territory)
    other = replace(card, departement=Point(30.0, 2022, "2022", "estimations au 1er janvier"))
    assert comparison_texts(other)[-1] == "Dordogne : 30,0\u202f% (2022, estimations au 1er janvier)"
