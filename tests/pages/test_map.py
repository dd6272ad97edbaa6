"""AppTest of /carte: offline deck spec, legend, layers, commune panel, URL state and merged-commune redirects."""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from streamlit.testing.v1 import AppTest

from geo import PALETTE
from geo import deck as maps
from tests.conftest import legend_svg_of, open_page

NNBSP = "\u202f"


def open_map(**params: str) -> AppTest:
    return open_page("pages/map.py", params)  # type: ignore[return-value]


def deck_spec(at: AppTest) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.json)


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown).replace(NNBSP, " ")


def test_default_map_is_offline_with_a_quantile_legend(read_only_portal: Path) -> None:
    at = open_map()
    spec = deck_spec(at)
    raw = at.get("deck_gl_json_chart")[0].proto.json
    # pydeck's "no basemap" sentinel: Streamlit then draws no basemap (a missing key would make it fetch Carto).
    assert "carto" not in raw.lower() and "mapbox://" not in raw and spec.get("mapStyle") == "__MAP_STYLE__"
    assert [layer["@@type"] for layer in spec["layers"]] == ["GeoJsonLayer", "TextLayer"]
    choropleth, labels = spec["layers"]
    features = choropleth["data"]["features"]
    assert len(features) == 503
    assert set(features[0]["properties"]) == {"tooltip", "f"}  # only what the map needs (no code: a click's index)
    # The fill is picked on click, its borders are not (picking them made a click too slow to count, in chromium).
    assert choropleth["pickable"] and choropleth["_subLayerProps"] == {"polygons-stroke": {"pickable": False}}
    assert len(raw.encode()) < 280_000  # simplified shapes, rounded coordinates, compact JSON (was 790 kB)
    # Place names from the portal's referential: at the département's zoom, the main towns only, Périgueux first.
    names_shown = [row["n"] for row in labels["data"]]
    assert names_shown[:2] == ["Périgueux", "Bergerac"] and "Sarlat-la-Canéda" in names_shown
    assert 5 <= len(names_shown) <= 20 and "Boulazac Isle Manoire" not in names_shown  # too close to Périgueux
    assert {tuple(f["properties"]["f"]) for f in features} == {rgb for _, rgb in PALETTE}
    legend = markdown(at)
    assert "| Classe 1 (la plus claire) |" in legend and "| Classe 5 (la plus foncée) |" in legend and "hab." in legend
    names = [name for name, _ in PALETTE]
    assert not any(f"| {name} |" in legend for name in names)  # classes are numbered, never named by colour
    counts = [int(line.rsplit("|", 2)[1]) for line in legend.splitlines() if line.startswith("| Classe ") and "Valeurs" not in line]
    assert sum(counts) == 503
    # The drawn legend: an SVG image with a swatch in each class colour of the one palette (no emoji, no colour name).
    svg = legend_svg_of(at)
    assert all(f"rgb({r},{g},{b})" in svg for _, (r, g, b) in PALETTE) and "hab." in svg
    assert not any(name in svg for name in names)
    assert dict(at.query_params)["indicateur"] == "population"


def test_shapes_keep_their_topology(read_only_portal: Path) -> None:
    """Coverage simplification: neighbours share their simplified borders exactly, EPCIs are unions of communes."""
    communes = shapely.from_geojson([json.dumps(g) for g in maps.shapes("commune").values()])
    epcis = shapely.from_geojson([json.dumps(g) for g in maps.shapes("epci").values()])
    assert len(communes) == 503 and len(epcis) == 22
    assert shapely.coverage_is_valid(communes) and shapely.coverage_is_valid(epcis)
    assert shapely.is_valid(communes).all() and shapely.is_valid(epcis).all()
    # Same total area, to within the rounding of coordinates: no gap, no overlap between EPCIs.
    assert abs(shapely.area(epcis).sum() / shapely.area(communes).sum() - 1) < 1e-9
    text = json.dumps(maps.shapes("commune"))
    assert max(len(x.split(".")[1]) for x in text.replace("]", ",").replace("[", ",").split(",") if "." in x) <= 5


def test_commune_link_zooms_and_fills_the_panel(read_only_portal: Path) -> None:
    at = open_map(indicateur="france-services-distance", commune="24520", couches="france_services,sante")
    spec = deck_spec(at)
    view = spec["initialViewState"]
    assert view["zoom"] == 11 and abs(view["latitude"] - 44.9) < 0.1
    assert [layer["id"] for layer in spec["layers"]] == ["choropleth-commune-0", "selection", "labels",
                                                         "france_services-0", "sante-0"]
    points = spec["layers"][3]["data"]
    assert len(points) == 37 and all("tooltip" in p for p in points)
    near = [row["n"] for row in spec["layers"][2]["data"]]  # zoomed on the commune: its neighbours are named
    assert "Sarlat-la-Canéda" in near and "Vitrac" in near and "Bergerac" not in near
    icons = spec["layers"][3]
    assert icons["@@type"] == "IconLayer" and icons["iconAtlas"].startswith("data:image/svg")  # a literal, no network
    assert icons["sizeUnits"] == "pixels" and spec["layers"][2]["characterSet"] == "auto"  # accents in names
    assert at.subheader[0].value == "Sarlat-la-Canéda"
    text = markdown(at)
    assert "**France services**" in text and " km" in text and "Population municipale : **" in text
    # A legend for every layer: the classes, the chosen commune's outline, each service's shape.
    svg = legend_svg_of(at)
    assert "Commune choisie" in svg and "France services" in svg and "Établissements de santé" in svg
    assert svg.count("<polygon") >= 2
    links = [el.proto.query_string for el in at.get("page_link")]
    assert "id=france-services" in links and "id=etablissements-sante" in links
    params = dict(at.query_params)
    assert params["commune"] == "24520" and params["zoom"] == "11" and params["couches"] == "france_services,sante"


def test_link_with_old_code_and_explicit_view(read_only_portal: Path) -> None:
    at = open_map(commune="24181", lat="44.8", lon="0.4", zoom="9.5", niveau="commune")
    assert any("Flaugeac" in i.value for i in at.info)
    params = dict(at.query_params)
    assert params["commune"] == "24534" and params["zoom"] == "9.5"
    assert deck_spec(at)["initialViewState"]["zoom"] == 9.5


def test_epci_level_and_widget_changes(read_only_portal: Path) -> None:
    at = open_map(niveau="epci", indicateur="ips-ecoles")
    spec = deck_spec(at)
    assert [layer["id"] for layer in spec["layers"]] == ["choropleth-epci-0", "communes-outline", "labels"]
    assert len(spec["layers"][0]["data"]["features"]) == 22
    assert "rupture de série" in markdown(at).lower()
    at.toggle(key="map_layer_colleges").set_value(True).run()
    at.selectbox(key="map_commune").select("24322").run()
    assert not at.exception
    params = dict(at.query_params)
    assert params["couches"] == "colleges" and params["commune"] == "24322" and params["niveau"] == "epci"
    assert at.subheader[0].value == "Périgueux"
