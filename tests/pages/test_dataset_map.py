"""The dataset page's map tab (AppTest): what it sends stays under queries.binning's caps; its communes map uses the
same classifier, palette and drawn legend as /carte."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import geo
from queries import binning
from tests.conftest import legend_svg_of, open_page

NNBSP = "\u202f"


def maybe_layer(at: Any, layer_id: str) -> Any:
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return next((lyr["data"] for lyr in deck["layers"] if lyr.get("id") == layer_id), None)


def layer(at: Any, layer_id: str) -> Any:
    """A deck layer's data: a list of records (points, grid) or a FeatureCollection (communes)."""
    data = maybe_layer(at, layer_id)
    assert data is not None, layer_id
    return data


def test_map_tab_never_sends_more_points_than_the_cap(read_only_portal: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    whole = open_page("pages/dataset.py", {"id": "france-services", "tab": "carte"})
    assert len(layer(whole, "points")) == 37 <= binning.MAX_POINTS
    # With a cap below the dataset's 37 points, the page sends DuckDB's grid of counts instead, every point counted.
    monkeypatch.setattr(binning, "MAX_POINTS", 10)
    grid_at = open_page("pages/dataset.py", {"id": "france-services", "tab": "carte"})
    cells = layer(grid_at, "grid")
    assert 0 < len(cells) <= binning.MAX_CELLS and sum(c["n"] for c in cells) == 37
    text = " ".join(m.value for m in grid_at.markdown).replace(NNBSP, " ")
    km = float(re.search(r"mailles d'environ ([\d,]+) km", text).group(1).replace(",", "."))
    view = json.loads(grid_at.get("deck_gl_json_chart")[0].proto.json)["initialViewState"]
    assert (view["zoom"], view["latitude"]) == pytest.approx((7.6, 45.15), abs=0.1)  # the territory, as on /carte
    # The cell width said in km is the one at the view's latitude (cos(latitude)), not a fixed 78 km per degree.
    expected = binning.cell_km(binning.cell_size(view["zoom"], view["latitude"])[0], view["latitude"])
    assert km == pytest.approx(expected, abs=0.05)
    # Centred on a commune: at most the cap, and only the points in view.
    zoomed = open_page("pages/dataset.py", {"id": "france-services", "tab": "carte", "lat": "45.18431",
                                            "lon": "0.71859", "zoom": "12"})
    shown = maybe_layer(zoomed, "points") or layer(zoomed, "grid")
    assert 0 < len(shown) <= 10


def test_dataset_choropleth_and_carte_share_classifier_palette_and_legend(read_only_portal: Path) -> None:
    at = open_page("pages/dataset.py", {"id": "population-communes", "tab": "carte", "f": "millesime:eq:2023",
                                        "map": "choropleth", "mcol": "pmun", "magg": "sum"})
    features = layer(at, "choropleth")["features"]
    fills = {tuple(f["properties"]["fill"]) for f in features}
    palette = {tuple(geo.class_color(i)) for i in range(geo.CLASSES)} | {tuple(geo.class_color(None))}
    assert fills <= palette and len(fills & palette) >= 5
    # Classes are quantiles as pandas qcut computes them: the legend's counts equal qcut's, class by class.
    values = next(d.value for d in at.dataframe if "Code commune" in d.value.columns)
    column = next(c for c in values.columns if c.startswith("Somme"))
    expected = pd.qcut(values[column].astype(float), geo.CLASSES, duplicates="drop").value_counts(sort=False)
    svg = legend_svg_of(at)
    shown = [int(n) for n in re.findall(r"\((\d+) communes\)", svg)]
    assert shown == expected.tolist()
    assert all(f"rgb({r},{g},{b})" in svg for _, (r, g, b) in geo.PALETTE)
    # The image has a text alternative naming each class's colour and bounds.
    alts = [img.alt for image in at.get("image") for img in image.proto.imgs]
    assert len(alts) == 1 and alts[0].startswith("Légende : Somme de") and "violet foncé : " in alts[0]

    carte = open_page("pages/map.py", {})
    # Both maps open on the territory framed the same way (indicators.state.default_view).
    opening = json.loads(at.get("deck_gl_json_chart")[0].proto.json)["initialViewState"]
    carte_opening = json.loads(carte.get("deck_gl_json_chart")[0].proto.json)["initialViewState"]
    assert [opening[k] for k in ("latitude", "longitude", "zoom")] == pytest.approx(
        [carte_opening[k] for k in ("latitude", "longitude", "zoom")], abs=0.02)
    carte_svg = legend_svg_of(carte)
    assert [img.alt for image in carte.get("image") for img in image.proto.imgs][0].startswith("Légende : ")
    # /carte sends RGB (the layer's opacity does the alpha) and numbers its pickable layers' ids by click (geo.deck).
    carte_fills = {(*f["properties"]["f"], 200) for f in layer(carte, "choropleth-commune-0")["features"]}
    assert carte_fills <= palette
    # One palette, drawn the same way: the same swatches in the same order on both pages.
    swatches = re.findall(r'fill="(rgb\([^)]*\))"', svg)[: geo.CLASSES]
    assert re.findall(r'fill="(rgb\([^)]*\))"', carte_svg)[: geo.CLASSES] == swatches
    assert swatches == [f"rgb({r},{g},{b})" for _, (r, g, b) in geo.PALETTE]
