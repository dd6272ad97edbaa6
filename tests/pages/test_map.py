"""AppTest of /carte: offline deck spec, legend, layers, commune panel, URL state and merged-commune redirects."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from geo import PALETTE
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
    assert [layer["@@type"] for layer in spec["layers"]] == ["GeoJsonLayer"]
    features = spec["layers"][0]["data"]["features"]
    assert len(features) == 503
    assert set(features[0]["properties"]) == {"code", "tooltip", "fill"}  # only what the map needs
    assert len(raw) < 1_200_000  # compact JSON, not pydeck's indented one
    legend = markdown(at)
    names = [name for name, _ in PALETTE]
    assert "| jaune |" in legend and "| violet foncé |" in legend and "hab." in legend
    counts = [int(line.rsplit("|", 2)[1]) for line in legend.splitlines()
              if line.startswith("| ") and line.split("|")[1].strip() in names]
    assert sum(counts) == 503
    # The drawn legend: an SVG image with a swatch in each class colour of the one palette (no emoji).
    svg = legend_svg_of(at)
    assert all(f"rgb({r},{g},{b})" in svg for _, (r, g, b) in PALETTE) and "hab." in svg
    assert dict(at.query_params)["indicateur"] == "population"


def test_commune_link_zooms_and_fills_the_panel(read_only_portal: Path) -> None:
    at = open_map(indicateur="france-services-distance", commune="24520", couches="france_services,sante")
    spec = deck_spec(at)
    view = spec["initialViewState"]
    assert view["zoom"] == 11 and abs(view["latitude"] - 44.9) < 0.1
    assert [layer["id"] for layer in spec["layers"]] == ["choropleth-commune", "selection", "france_services", "sante"]
    points = spec["layers"][2]["data"]
    assert len(points) == 37 and all("tooltip" in p for p in points)
    assert at.subheader[0].value == "Sarlat-la-Canéda"
    text = markdown(at)
    assert "France services :" in text and " km" in text and "Population municipale : **" in text
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
    assert [layer["id"] for layer in spec["layers"]] == ["communes-outline", "choropleth-epci"]
    assert len(spec["layers"][1]["data"]["features"]) == 22
    assert "rupture de série" in markdown(at).lower()
    at.toggle(key="map_layer_colleges").set_value(True).run()
    at.selectbox(key="map_commune").select("24322").run()
    assert not at.exception
    params = dict(at.query_params)
    assert params["couches"] == "colleges" and params["commune"] == "24322" and params["niveau"] == "epci"
    assert at.subheader[0].value == "Périgueux"
