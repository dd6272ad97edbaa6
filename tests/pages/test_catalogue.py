"""Catalogue page (AppTest): search, facets, sort, empty result, deep links and hostile URLs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

import queries
from catalogue import stats
from catalogue.folding import fold
from catalogue.manifest import load_manifest
from queries import catalogue_search as cs

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def open_catalogue(params: dict[str, str | list[str]] | None = None) -> AppTest:
    """Open /catalogue as a visitor following a link (the router's first run lands on the home page)."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.switch_page("pages/catalogue.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def count_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "de données" in m.value and m.value.startswith("**"))


def total(at: AppTest) -> int:
    return int(count_line(at).split("**")[1].replace("\u202f", ""))


def dataset_links(at: AppTest) -> list[dict[str, list[str]]]:
    return [parse_qs(p.proto.query_string) for p in at.get("page_link") if "id=" in p.proto.query_string]


def card_ids(at: AppTest) -> list[str]:
    """Ids of the result cards, in order (the title link is the one without a tab)."""
    return [q["id"][0] for q in dataset_links(at) if "tab" not in q]


def params_of(at: AppTest) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}


def test_default_view_lists_the_catalogue_with_cards_exports_and_share(portal: Path) -> None:
    at = open_catalogue()
    n = len([s for s in load_manifest() if s.id in set(queries.published_ids())])
    assert total(at) == n
    ids = card_ids(at)
    assert len(ids) == min(n, cs.PER_PAGE)
    # Each card links straight to the table and export tabs (and the map tab when there is one).
    tabs = {q.get("tab", [""])[0] for q in dataset_links(at)}
    assert {"tableau", "export", "carte"} <= tabs
    assert {b.proto.label for b in at.get("download_button")} == {"CSV (tableur)", "JSON", "DCAT (JSON-LD)"}
    assert at.selectbox(key="catalogue_sort").value == "modification"
    assert at.code[0].value.endswith("/catalogue")
    assert "<iframe" in at.code[1].value and "embed=true" in at.code[1].value
    assert len(at.multiselect) >= 5
    # Facet labels carry counts, checked against the manifest itself.
    specs = [s for s in load_manifest() if s.id in set(queries.published_ids())]
    publishers = Counter(s.publisher for s in specs)
    assert sorted(at.multiselect(key="catalogue_facet_producteur").options) == sorted(
        f"{name} ({n})" for name, n in publishers.items())


def test_search_facet_and_sort_write_the_url_and_narrow_the_results(portal: Path) -> None:
    specs = {s.id: s for s in load_manifest()}
    at = open_catalogue()
    at.text_input(key="catalogue_q").input("college").run()
    assert params_of(at) == {"q": ["college"]}
    assert at.selectbox(key="catalogue_sort").value == "pertinence"
    ids = card_ids(at)
    colleges = [i for i in ids if "collège" in specs[i].title.lower()]
    assert colleges and ids[: len(colleges)] == colleges

    facet = at.multiselect(key="catalogue_facet_producteur")
    publisher = specs[ids[0]].publisher
    facet.select(publisher).run()
    assert not at.exception
    assert params_of(at) == {"q": ["college"], "producteur": [publisher]}
    assert set(card_ids(at)) == {i for i in ids if specs[i].publisher == publisher}

    at.selectbox(key="catalogue_sort").select("titre").run()
    assert params_of(at)["tri"] == ["titre"]
    titles = [fold(specs[i].title) for i in card_ids(at)]
    assert titles == sorted(titles)
    link = at.code[0].value
    assert parse_qs(urlsplit(link).query) == params_of(at)


def test_deep_link_restores_query_facets_sort_and_page(portal: Path) -> None:
    # Expected from the manifest alone: the Licence Ouverte 2.0 datasets by title, second page.
    lov2 = sorted((s for s in load_manifest() if s.license.id == "lov2"), key=lambda s: fold(s.title))
    pages = -(-len(lov2) // cs.PER_PAGE)
    assert pages >= 2
    params: dict[str, str | list[str]] = {"licence": ["lov2"], "tri": "titre", "page": "2"}
    at = open_catalogue(params)
    assert not at.warning
    assert params_of(at) == {"licence": ["lov2"], "tri": ["titre"], "page": ["2"]}
    assert at.selectbox(key="catalogue_sort").value == "titre"
    assert at.multiselect(key="catalogue_facet_licence").value == ["lov2"]
    assert total(at) == len(lov2)
    assert f"page 2 sur {pages}" in count_line(at)
    assert card_ids(at) == [s.id for s in lov2[cs.PER_PAGE:2 * cs.PER_PAGE]]

    at = open_catalogue({"q": "musées fréquentation"})
    assert at.text_input(key="catalogue_q").value == "musées fréquentation"
    assert card_ids(at) == ["musees-frequentation", "musees-de-france"]  # the attendance figures first
    assert total(at) == 2


def test_empty_result_says_so_offers_to_remove_filters_and_is_counted(portal: Path) -> None:
    licence = next(iter(cs.known_values()["licence"]))
    at = open_catalogue({"q": "xyzzy introuvable", "licence": licence})
    assert total(at) == 0
    assert any("Aucun jeu de données" in i.value for i in at.info)
    labels = [b.label for b in at.button]
    assert any("xyzzy introuvable" in lbl for lbl in labels) and any("Licence" in lbl for lbl in labels)
    failed = stats.failed_searches(10)
    assert failed[0]["q"] == "xyzzy introuvable" and failed[0]["filters"] == {"licence": [licence]}
    at.run()  # a rerun of the same view is not a new search
    assert stats.failed_searches(10)[0]["count"] == 1

    at.button(key="catalogue_clear_q").click().run()
    assert params_of(at) == {"licence": [licence]} and total(at) > 0


ALL = -1  # every published dataset: the hostile parts of the URL were dropped, nothing narrows the view


@pytest.mark.parametrize("params, notice, expected", [
    ({"q": "'; DROP TABLE catalogue; --", "page": "1e9"}, "page", 0),  # searched as words: no dataset has them
    ({"theme": ["x') OR 1=1 --", "$tokens"], "tri": "records; DELETE"}, "Filtre ignoré", ALL),
    ({"page": "500", "annee": "dix-neuf"}, "dernière", ALL),
    ({"q": "![x](http://evil.example/p.png) **gras** <b>html</b>" + "z" * 400, "contenu": "carte\x00"}, "raccourcie", 0),
])
def test_hostile_urls_give_a_french_notice_never_an_exception(portal: Path, params: dict, notice: str,
                                                              expected: int) -> None:
    at = open_catalogue(params)
    messages = " ".join(w.value for w in at.warning) + " ".join(i.value for i in at.info)
    assert notice in messages.replace("\\", "")
    published = set(queries.published_ids())
    assert total(at) == (len([s for s in load_manifest() if s.id in published]) if expected == ALL else expected)
    # The URL now shows the view actually displayed: only clean, known values remain.
    clean = params_of(at)
    assert all(len(v) <= cs.MAX_Q_CHARS for vals in clean.values() for v in vals)
    assert "x') OR 1=1 --" not in clean.get("theme", [])
    assert cs.facet_counts(cs.CatalogueQuery())[0] > 0  # the catalogue table is intact
