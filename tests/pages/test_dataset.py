"""Dataset page (AppTest): every tab of every dataset, deep links restoring filters and charts, hostile URLs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import queries
from catalogue.manifest import load_manifest
from catalogue.schema import Schema
from queries.dataset import sql, state

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
DATASETS = [s.id for s in load_manifest()]
# The map each embedded dataset gets (ui/dataset/map.py): points from longitude/latitude columns, polygons from a
# geometry column, communes coloured by value from a commune-code column; none offers no « Carte » tab.
MAP_MODES = {
    "aide-sociale-departementale": (), "cantons-2018": ("polygons",), "colleges-valeur-ajoutee": (),
    "colleges": ("points", "choropleth"), "communes": ("choropleth",), "contours-communes": ("polygons", "choropleth"),
    "contours-epci": ("polygons",), "epci-communes": ("choropleth",), "epci": (),
    "estimations-population-age-sexe": (), "etablissements-sante": ("points",),
    "france-services": ("points", "choropleth"), "ips-colleges": ("choropleth",), "ips-ecoles": ("choropleth",),
    "ips-lycees": ("choropleth",), "mouvements-communes": ("choropleth",), "musees-de-france": ("points",),
    "musees-frequentation": (), "population-communes": ("choropleth",),
    "populations-legales-historique": ("choropleth",), "population-age-communes": ("choropleth",),
    "allocataires-caf-communes": ("choropleth",), "revenus-pauvrete-communes": ("choropleth",),
    "apl-medecins-generalistes": ("choropleth",),
}
NNBSP = "\u202f"


def open_dataset(params: dict[str, Any]) -> AppTest:
    """Open /jeu-de-donnees as a visitor following a link (the router's first run lands on the home page)."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page("pages/dataset.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def count_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "enregistrement" in m.value and m.value.startswith("**"))


def counts(at: AppTest) -> tuple[int, int | None]:
    """(records of the current filter, total) read from « **1 234 enregistrements sur 3 018** »."""
    text = count_line(at).strip("*").replace(NNBSP, "")
    parts = text.split(" enregistrement")
    shown = int(parts[0])
    total = int(text.rsplit(" sur ", 1)[1]) if " sur " in text else None
    return shown, total


def params(at: AppTest) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key in at.query_params:
        value = at.query_params[key]
        out[key] = value if isinstance(value, list) else [value]
    return out


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_every_tab_renders_for_every_dataset(portal: Path, dataset_id: str) -> None:
    at = open_dataset({"id": dataset_id})
    assert at.title[0].value
    modes = MAP_MODES[dataset_id]
    assert (state.TABS["carte"] in at.segmented_control(key="dataset_tab").options) == bool(modes)
    for tab in state.TABS:
        at.query_params["tab"] = tab
        at.run()
        assert not at.exception, (tab, [e.value for e in at.exception])
        assert not at.error, (tab, [e.value for e in at.error])
        if tab == "informations":
            assert any(d.value.shape[0] > 0 for d in at.dataframe)  # metadata, schema and profile tables
            assert any(c.value for c in at.code)  # the attribution, ready to copy
        elif tab == "tableau":
            table = at.dataframe[0].value
            shown, _ = counts(at)
            assert len(table) == min(shown, state.DEFAULT_PAGE_SIZE) and shown > 0
            assert "geometry" not in table.columns
        elif tab == "graphique":
            charts = at.get("plotly_chart")
            assert charts, "a chart is suggested for every dataset"
            spec = json.loads(charts[0].proto.spec)
            assert spec["data"] and params(at)["chart"][0] in state.CHART_TYPES
            assert any("alternative textuelle" in e.proto.label for e in at.expander)
        elif tab == "carte":
            decks = at.get("deck_gl_json_chart")
            assert bool(decks) == bool(modes)
            if modes:
                assert at.radio(key="dataset_map_mode").options == [state.MAP_MODES[m] for m in modes]
                raw = decks[0].proto.json
                deck = json.loads(raw)
                # Offline: no provider, pydeck's placeholder style (the browser test checks no request leaves).
                assert "mapProvider" not in deck and deck.get("mapStyle") == "__MAP_STYLE__"
                assert "carto" not in raw.lower() and "mapbox://" not in raw
                assert deck["layers"][0]["@@type"] == "GeoJsonLayer"
                assert any("alternative textuelle" in e.proto.label for e in at.expander)
            else:
                assert any("pas de carte" in w.value for w in at.warning)
        elif tab == "export":
            assert any("Télécharger" in b.proto.label for b in at.get("download_button"))
        elif tab == "api":
            assert any("SELECT" in c.value and "$p" not in c.value for c in at.code)


def test_deep_link_restores_filters_sort_and_page(portal: Path) -> None:
    at = open_dataset({"id": "estimations-population-age-sexe", "tab": "tableau",
                       "f": ["sexe:eq:Femmes", "zone:eq:Dordogne", "annee:gte:2000"], "sort": "-population",
                       "page": "2", "size": "20"})
    assert counts(at) == (23 * 21, 8100)  # 2000-2022 × (20 age bands + total)
    table = at.dataframe[0].value
    assert len(table) == 20 and set(table["sexe"]) == {"Femmes"} and (table["annee"] >= 2000).all()
    assert list(table["population"]) == sorted(table["population"], reverse=True)
    assert at.multiselect(key="dataset_fv_sexe").value == ["Femmes"]
    assert at.number_input(key="dataset_page").value == 2
    assert at.selectbox(key="dataset_sort").value == "population"
    # The URL is kept as it came (nothing dropped, nothing added).
    assert params(at)["f"] == ["sexe:eq:Femmes", "zone:eq:Dordogne", "annee:gte:2000"]
    assert params(at)["page"] == ["2"]


def test_deep_link_restores_the_chart(portal: Path) -> None:
    at = open_dataset({"id": "estimations-population-age-sexe", "tab": "graphique", "f": "zone:eq:Dordogne",
                       "chart": "bar", "x": "age", "y": "population", "agg": "sum", "series": "sexe"})
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [d["type"] for d in spec["data"]] == ["bar"] * 3
    assert {d["name"] for d in spec["data"]} == {"Ensemble", "Femmes", "Hommes"}
    assert len(spec["data"][0]["x"]) == 21
    assert at.selectbox(key="dataset_chart_kind").value == "bar"
    assert at.selectbox(key="dataset_chart_series").value == "sexe"
    # Changing the chart writes the new spec to the URL (pie charts have no series).
    at.selectbox(key="dataset_chart_kind").set_value("pie").run()
    p = params(at)
    assert p["chart"] == ["pie"] and p["x"] == ["age"] and "series" not in p and p["f"] == ["zone:eq:Dordogne"]
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["type"] == "pie"


def test_widgets_write_the_view_back_to_the_url(portal: Path) -> None:
    at = open_dataset({"id": "estimations-population-age-sexe", "tab": "tableau"})
    assert counts(at) == (8100, None)
    at.multiselect(key="dataset_fv_sexe").set_value(["Hommes"]).run()
    assert params(at)["f"] == ["sexe:eq:Hommes"] and counts(at) == (2700, 8100)
    at.number_input(key="dataset_page").set_value(3).run()
    assert params(at)["page"] == ["3"]
    at.text_input(key="dataset_q").input("95 ans").run()
    p = params(at)
    assert p["q"] == ["95 ans"] and "page" not in p  # a new filter starts again at page 1
    s = Schema.from_meta("estimations-population-age-sexe", queries.dataset_meta("estimations-population-age-sexe"))
    expected, _ = state.parse_view({"f": ["sexe:eq:Hommes"], "q": ["95 ans"]}, s)
    assert counts(at) == (int(sql.run(sql.count_query(expected, s)).iloc[0, 0]), 8100) and counts(at)[0] > 0
    at.button(key="dataset_clear").click().run()
    assert "f" not in params(at) and "q" not in params(at)


def test_commune_and_epci_pickers(portal: Path) -> None:
    at = open_dataset({"id": "population-communes", "tab": "tableau"})
    key = next(k for k in ("dataset_fcom_code_insee_cog2026", "dataset_fcom_code_insee") if _has(at, k))
    picker = at.multiselect(key=key)
    assert any("Périgueux (24322)" in o for o in picker.options)
    picker.set_value(["24322"]).run()
    shown, _ = counts(at)
    assert shown == 6 and any(f.endswith(":eq:24322") for f in params(at)["f"])  # one row per millésime
    at.multiselect(key=key).set_value([]).run()
    epci = at.selectbox(key=key.replace("dataset_fcom_", "dataset_fepci_"))
    assert epci.options[0] == "Toutes" and len(epci.options) > 10  # EPCIs listed by name
    epci.select_index(1).run()
    siren = at.selectbox(key=key.replace("dataset_fcom_", "dataset_fepci_")).value
    assert siren and any(f.endswith(f":epci:{siren}") for f in params(at)["f"])
    assert 0 < counts(at)[0] < 3018


def _has(at: AppTest, key: str) -> bool:
    try:
        at.multiselect(key=key)
    except KeyError:
        return False
    return True


def test_map_choropleth_from_a_link(portal: Path) -> None:
    at = open_dataset({"id": "population-communes", "tab": "carte", "f": "millesime:eq:2023", "map": "choropleth",
                       "mcol": "pmun", "magg": "sum"})
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    features = deck["layers"][0]["data"]["features"]
    assert len(features) == 503
    assert any(f["properties"]["nom"] == "Périgueux" and f["properties"]["valeur"] != "pas de donnée"
               for f in features)
    assert at.selectbox(key="dataset_map_col").value == "pmun"
    assert any("alternative textuelle" in e.proto.label for e in at.expander)


def test_map_points_follow_the_viewport_and_the_centre_picker(portal: Path) -> None:
    def points(at: AppTest) -> list[dict[str, Any]]:
        deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
        return next(layer["data"] for layer in deck["layers"] if layer.get("id") == "points")

    whole = open_dataset({"id": "france-services", "tab": "carte"})
    assert len(points(whole)) == 37
    # Zoomed on Périgueux: only the points inside the view are queried and sent.
    zoomed = open_dataset({"id": "france-services", "tab": "carte", "lat": "45.18431", "lon": "0.71859",
                           "zoom": "12"})
    inside = points(zoomed)
    assert 0 < len(inside) < 37
    assert all(abs(p["lon"] - 0.71859) < 0.1 and abs(p["lat"] - 45.18431) < 0.1 for p in inside)
    # The picker centres the map on a commune and writes the viewport into the link.
    picker = zoomed.selectbox(key="dataset_map_centre")
    picker.select("24322").run()  # Périgueux
    assert not zoomed.exception
    assert params(zoomed)["zoom"] == ["12"] and params(zoomed)["lat"] and params(zoomed)["lon"]
    picker = zoomed.selectbox(key="dataset_map_centre")
    picker.select("").run()  # back to the whole territory: the viewport leaves the link
    assert "zoom" not in params(zoomed)
    assert len(points(zoomed)) == 37


@pytest.mark.parametrize("query", [
    {"id": "nope"},
    {"id": "'; DROP TABLE x; --"},
    {"id": "../../etc/passwd"},
    {},
    {"id": "x" * 5000},
])
def test_unknown_or_invalid_id_gives_a_french_message(portal: Path, query: dict[str, Any]) -> None:
    at = open_dataset(query)
    assert not at.exception
    assert at.error and ("introuvable" in at.error[0].value or "invalide" in at.error[0].value
                         or "Aucun jeu" in at.error[0].value)


def test_hostile_parameters_are_ignored_with_a_message(portal: Path) -> None:
    at = open_dataset({"id": "colleges", "tab": "<script>alert(1)</script>",
                       "f": ["nope:eq:1", "secteur_public_prive_libe:eq:'; DROP TABLE x; --",
                             "etat_etablissement:gte:1 OR 1=1"],
                       "sort": "population; DROP TABLE x", "page": "99999999999999999999", "size": "1000000",
                       "chart": "bar", "x": "nope", "agg": "sum(population)", "map": "heatmap", "zoom": "1e9"})
    assert not at.exception and not at.error
    assert "ignorés" in at.warning[0].value
    # The hostile value is an ordinary (bound) value: it matches nothing and the page still works.
    assert params(at)["f"] == ["secteur_public_prive_libe:eq:'; DROP TABLE x; --"]
    at.query_params["tab"] = "tableau"
    at.run()
    assert not at.exception and counts(at) == (0, 52)
    assert any("Aucun enregistrement" in i.value for i in at.info)


def test_share_link_and_embed_snippet(portal: Path) -> None:
    at = open_dataset({"id": "colleges", "tab": "tableau", "f": "secteur_public_prive_libe:eq:Public"})
    codes = [c.value for c in at.code]
    link = next(c for c in codes if c.startswith("http") and "jeu-de-donnees?" in c)
    assert "id=colleges" in link and "f=secteur_public_prive_libe:eq:Public" in link
    assert any(c.startswith("<iframe") and "embed=true" in c for c in codes)
    embedded = AppTest.from_file(APP, default_timeout=60)
    embedded.context["is_embedded"] = True
    embedded.run()
    for key, value in {"id": "colleges", "tab": "tableau"}.items():
        embedded.query_params[key] = value
    embedded.switch_page("pages/dataset.py").run()
    assert not embedded.exception and not embedded.title  # no page header inside an iframe
    assert embedded.dataframe[0].value.shape[0] == 50


def test_loader_warnings_and_a_dataset_outside_the_manifest(portal: Path) -> None:
    import pyarrow as pa

    from tests.exports.test_exports import publish

    publish("essai-avertissements", pa.table({"commune": ["Périgueux", "Bergerac"], "valeur": [1, 2]}))
    meta_path = next((portal / "warehouse" / "essai-avertissements" / "versions").glob("*/meta.json"))
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["warnings"] = ["ligne 12 : 3 champs au lieu de 5, complétée par des valeurs vides"]
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    at = open_dataset({"id": "essai-avertissements"})
    assert at.title[0].value == "essai-avertissements"  # no manifest entry: the id stands in for the title
    assert any("ligne 12 : 3 champs" in w.value for w in at.warning)
    at.query_params["tab"] = "tableau"
    at.run()
    assert not at.exception and counts(at) == (2, None)


def test_a_query_error_becomes_a_french_message(portal: Path) -> None:
    import shutil

    # The EPCI filter needs the `epci-communes` dataset: without it the view cannot be computed.
    at = AppTest.from_file(APP, default_timeout=60).run()
    shutil.rmtree(portal / "warehouse" / "epci-communes")
    registry = json.loads((portal / "warehouse" / "registry.json").read_text(encoding="utf-8"))
    registry["datasets"].pop("epci-communes")
    (portal / "warehouse" / "registry.json").write_text(json.dumps(registry), encoding="utf-8")
    for key, value in {"id": "population-communes", "tab": "tableau",
                       "f": "code_insee_cog2026:epci:200040392"}.items():
        at.query_params[key] = value
    at.switch_page("pages/dataset.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("n'a pas pu être calculée" in e.value for e in at.error)


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_catalogue_flags_match_what_the_page_offers(portal: Path, dataset_id: str) -> None:
    """« Avec une carte » and « Série temporelle » in the catalogue come from the same schema analysis as the page."""
    entry = queries.run("catalogue_export").set_index("id").loc[dataset_id]
    at = open_dataset({"id": dataset_id, "tab": "graphique"})
    offers_map = state.TABS["carte"] in at.segmented_control(key="dataset_tab").options
    assert offers_map == bool(entry["has_map"]), dataset_id
    # A time series opens on a line along its time axis; any other dataset on another chart.
    assert (params(at)["chart"] == ["line"]) == bool(entry["has_time_series"]), dataset_id
