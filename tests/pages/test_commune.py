"""The resident's question, « what is near me in Sarlat-la-Canéda? »: the nearest services (several per kind, public
first, health by type, address and data date, proper case) and the commune page."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import queries
from reuses import store
from reuses.validation import ReuseInput, validate
from tests.conftest import open_page
from ui.commune_search import places
from ui.commune_text import proper_case, town_name

SARLAT = "24520"
NNBSP = "\u202f"


def test_three_nearest_colleges_keep_the_public_one_first(read_only_portal: Path) -> None:
    rows = queries.run("map_nearest_services", code=SARLAT, per_kind=3)
    colleges = rows[rows["kind"] == "colleges"]
    assert len(colleges) == 3
    assert colleges["name"].iloc[0] == "Collège La Boétie" and colleges["sector"].iloc[0] == "public"
    # The private Saint-Joseph is nearer to the centroid, yet the public collège comes first.
    assert colleges["distance_km"].iloc[1] < colleges["distance_km"].iloc[0]
    assert list(colleges["rank"]) == [1, 2, 3]
    assert {"address", "postcode", "data_date", "category", "type", "lon", "lat"} <= set(rows.columns)
    health = rows[rows["kind"] == "sante"]
    assert list(dict.fromkeys(health["category"]))[0] == "hopital"  # a one-line summary shows a hospital
    assert health["data_date"].astype(str).str.startswith("2020-03-06").all()
    assert health.groupby("category").size().max() <= 3


def test_one_per_kind_is_the_nearest_public_college(read_only_portal: Path) -> None:
    rows = queries.run("map_nearest_services", code=SARLAT, per_kind=1)
    college = rows[rows["kind"] == "colleges"]
    assert list(college["name"]) == ["Collège La Boétie"]  # /carte's one-line panel


def test_finess_capitals_become_proper_french_case(read_only_portal: Path) -> None:
    assert proper_case("CENTRE HOSPITALIER DE BELVES") == "Centre hospitalier de Belvès"
    assert (proper_case("EHPAD - UNITE DE SOINS DE LONGUE DUREE DU CH DE SARLAT")
            == "EHPAD - unité de soins de longue durée du CH de Sarlat")
    assert proper_case("3 RUE DE L'HOPITAL") == "3 rue de l'hôpital"
    assert proper_case("Rue GABRIEL TARDE") == "Rue Gabriel Tarde"
    assert proper_case("S.A. PERIGORD REEDUCATION") == "S.A. Périgord rééducation"
    assert town_name("SARLAT LA CANEDA") == "Sarlat-la-Canéda"
    assert town_name("ST MEDARD DE MUSSIDAN") == "Saint-Médard-de-Mussidan"


def markdown(at: object) -> str:
    return "\n".join(m.value for m in at.markdown).replace(NNBSP, " ")  # type: ignore[attr-defined]


def page_links(at: object) -> list[tuple[str, str]]:
    """(label, query string) of every st.page_link drawn."""
    return [(el.proto.label, el.proto.query_string) for el in at.get("page_link")]  # type: ignore[attr-defined]


def test_sarlat_page_names_figures_colleges_public_first_and_links_filtered_rows(read_only_portal: Path) -> None:
    at = open_page("pages/commune.py", {"code": SARLAT})
    assert at.title[0].value == "Sarlat-la-Canéda"  # type: ignore[attr-defined]
    metrics = {m.label: m.value for m in at.metric}  # type: ignore[attr-defined]
    assert metrics["Population municipale (2023)"].replace(NNBSP, " ") == "8 763 hab."
    # The page's area and density are the density indicator's (geodesic area of the warehouse's outline): 48,7 km²
    # (INSEE: 47,13; simplified outline) and 8 763 / 48,68 = 180 hab./km².
    assert metrics["Superficie"].replace(NNBSP, " ") == "≈ 48,7 km²"
    assert metrics["Densité"].replace(NNBSP, " ") == "≈ 180 hab./km²"
    text = markdown(at)
    colleges = text.split("**Collèges**", 1)[1].split("**France services**", 1)[0]
    lines = [line for line in colleges.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(lines) == 3
    assert lines[0].startswith("1. **Collège La Boétie** (public)")
    assert "(privé)" in lines[1] and "Sarlat\\-la\\-Canéda" in lines[0] and "Rue Gabriel Tarde" in lines[0]
    assert "*Hôpitaux (centres hospitaliers)*" in text and "**Centre hospitalier de Sarlat** (public" in text
    assert "données au 6 mars 2020" in text and "CENTRE HOSPITALIER" not in text
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)  # type: ignore[attr-defined]
    assert "nearest-colleges" in [layer["id"] for layer in deck["layers"]] and deck.get("mapStyle") == "__MAP_STYLE__"

    # The datasets with rows for the commune: count, and a link carrying the dataset page's own filter parameter.
    links = dict(page_links(at))
    colleges = next(q for label, q in links.items() if label.startswith("Collèges de la Dordogne"))
    assert parse_qs(colleges) == {"id": ["colleges"], "tab": ["tableau"], "f": ["code_commune:eq:24520"]}
    assert any(label.endswith("— 2 lignes") and "Collèges" in label for label in links)
    # The board of the commune and of its EPCI are one click away.
    assert "niveau=commune&code=24520" in links.values()
    assert any(q.startswith("niveau=epci&code=") for q in links.values())


def test_unknown_old_and_hostile_codes_get_a_french_message(read_only_portal: Path) -> None:
    at = open_page("pages/commune.py", {"code": "99999"})
    assert "Aucune commune du territoire ne porte le code INSEE 99999" in at.warning[0].value  # type: ignore[attr-defined]
    at = open_page("pages/commune.py", {"code": "<script>alert(1)</script>"})
    assert "n'est pas un code INSEE de commune" in at.warning[0].value  # type: ignore[attr-defined]
    assert "<script>" not in at.warning[0].value  # type: ignore[attr-defined]
    at = open_page("pages/commune.py", {"code": "24079"})  # Cantillac, merged into Brantôme en Périgord in 2019
    assert at.title[0].value == "Brantôme en Périgord"  # type: ignore[attr-defined]
    assert "ancienne commune" in at.info[0].value and at.query_params["code"] == "24064"  # type: ignore[attr-defined]


def test_searches_offer_communes_and_epcis(read_only_portal: Path) -> None:
    for typed in ("Sarlat", "sarlat la caneda", "SARLAT-LA-CANÉDA", "24200", "24520"):
        found = places(typed)
        assert any(p.kind == "commune" and p.code == SARLAT for p in found), typed
    assert places("24520")[0].code == SARLAT  # an exact INSEE code first
    assert places("périgueux")[0].name == "Périgueux"
    epci = next(p for p in places("perigueux") if p.kind == "epci")
    assert epci.params == {"niveau": "epci", "code": "200040392"} and epci.page == "pages/indicators.py"
    assert places("zzzz") == []

    at = open_page("pages/catalogue.py", {"q": "Sarlat"})
    assert ("Sarlat\\-la\\-Canéda — commune · 24200 · INSEE 24520", "code=24520") in page_links(at)
    at = open_page("pages/home.py", {})
    at.text_input(key="home_q").input("sarlat").run()  # type: ignore[attr-defined]
    links = page_links(at)
    assert links[:2] == [("Sarlat\\-la\\-Canéda — commune · 24200 · INSEE 24520", "code=24520"),
                         ("CC Sarlat\\-Périgord Noir — intercommunalité · 13 communes · SIREN 200027217",
                          "niveau=epci&code=200027217")]
    # The datasets that match are still offered, with the catalogue's full results one click away.
    assert any(q == "q=sarlat" and "voir le catalogue" in label for label, q in links)


def test_reuses_naming_the_commune_or_using_its_data_are_listed(portal: Path) -> None:
    def published(title: str, description: str, dataset: str) -> None:
        draft = validate(ReuseInput(title=title, description=description, type="map", topic="education_and_research",
                                    url=f"https://exemple.fr/{dataset}", author_name="Test", email="t@exemple.fr",
                                    datasets=[dataset]), {dataset})
        store.publish(store.submit(draft, f"test-{dataset}"), "Modératrice")

    published("Les écoles du Périgord noir", "Les écoles de Sarlat-la-Canéda et alentour, sur une carte.", "ips-ecoles")
    published("Carte des collèges", "Tous les collèges du département.", "colleges")
    published("Musées", "Les musées du département.", "musees-de-france")  # no row for Sarlat in this dataset
    at = open_page("pages/commune.py", {"code": SARLAT})
    text = markdown(at)
    assert "**Qui parlent de Sarlat\\-la\\-Canéda**" in text and "**Qui utilisent des données de la commune**" in text
    titles = [label for label, _ in page_links(at)]
    assert "Les écoles du Périgord noir" in titles and "Carte des collèges" in titles and "Musées" not in titles
    store.dispose_engines()
