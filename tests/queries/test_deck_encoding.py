"""Map JSON with the commune outlines encoded once (geo.deck.Encoded): the browser gets the very bytes a plain
encoding gives, whatever the layers; a choropleth coloured once is reused only for the same values."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from pydeck.bindings.json_tools import default_serialize

from geo.deck import CompactDeck, Encoded
from queries.dataset.state import MapSpec
from ui.dataset import data, map_decks

SPEC = MapSpec(mode="choropleth", lat=45.1, lon=0.7, zoom=8.0)


def plain(deck: CompactDeck) -> str:
    """The deck encoded with every Encoded layer data decoded back into objects first."""
    for layer in deck.layers:
        if isinstance(layer.data, Encoded):
            layer._data = json.loads(layer.data.text)
    return json.dumps(deck, sort_keys=True, default=default_serialize, separators=(",", ":"), ensure_ascii=False)


def test_spliced_json_is_the_plain_json(read_only_portal: Path) -> None:
    outlines = data.commune_features()
    values = pd.DataFrame({"code": [f["properties"]["code"] for f in outlines[:40]],
                           "value": [float(i) for i in range(40)]})
    chosen, legend = map_decks.choropleth_deck(values, SPEC, outlines, "Valeur")
    points = map_decks.points_deck(pd.DataFrame({"lon": [0.7], "lat": [45.1]}), data.schema("colleges"), SPEC,
                                   outlines)
    for deck in (chosen, points):
        sent = json.loads(deck.to_json())
        assert deck.to_json() == plain(deck)
        assert sent["layers"][0]["data"]["type"] == "FeatureCollection"
    features = json.loads(chosen.to_json())["layers"][0]["data"]["features"]
    assert len(features) == len(outlines) and sum(f["properties"]["valeur"] == "pas de donnée" for f in features) \
        == len(outlines) - 40
    assert sum(row.count for row in legend if row.low is not None) == 40  # and the rest under « pas de donnée »


def test_other_values_give_other_colours(read_only_portal: Path) -> None:
    outlines = data.commune_features()
    codes = [f["properties"]["code"] for f in outlines[:10]]
    first, _ = map_decks.choropleth_deck(pd.DataFrame({"code": codes, "value": range(10)}), SPEC, outlines, "V")
    second, _ = map_decks.choropleth_deck(pd.DataFrame({"code": codes, "value": range(10, 0, -1)}), SPEC, outlines,
                                          "V")
    fill = {f["properties"]["code"]: f["properties"]["fill"]
            for f in json.loads(first.to_json())["layers"][0]["data"]["features"]}
    other = {f["properties"]["code"]: f["properties"]["fill"]
             for f in json.loads(second.to_json())["layers"][0]["data"]["features"]}
    assert fill[codes[0]] == other[codes[-1]] and fill[codes[0]] != other[codes[0]]
