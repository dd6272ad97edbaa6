"""The dashboard specification: every block type through the schema and back, the v0 → v1 migration, and hostile
documents refused with a French message before anything looks at a dataset."""

from __future__ import annotations

import pytest

from dashboards import codec
from dashboards.spec import BLOCK_TYPES, MAX_BLOCKS, SCHEMA, Dashboard, SpecError, migrate, parse, to_doc

EVERY_BLOCK = {
    "version": 1,
    "title": "Collèges de Périgueux",
    "filter": {"level": "commune", "code": "24322", "year": 2023},
    "blocks": [
        {"type": "chart", "title": "IPS par secteur", "dataset": "ips-colleges", "width": 2,
         "view": {"chart": "bar", "x": "secteur", "y": "ips", "agg": "mean", "f": ["secteur:eq:Public"]}},
        {"type": "map", "dataset": "ips-colleges", "view": {"map": "choropleth", "mcol": "ips", "magg": "mean",
                                                             "lat": 45.18, "lon": 0.72, "zoom": 9.5}},
        {"type": "table", "dataset": "ips-colleges", "columns": ["nom_de_l_etablissment", "ips"],
         "view": {"sort": "-ips", "size": "20", "q": "collège"}},
        {"type": "table", "title": "Requête", "sql": "SELECT count(*) FROM ds_ips_colleges"},
        {"type": "figure", "dataset": "ips-colleges", "agg": "mean", "column": "ips", "unit": "points"},
        {"type": "text", "title": "À lire", "text": "## Lecture\n\nUn **IPS** élevé : milieu favorisé.", "width": 3},
    ],
}


def test_every_block_type_goes_through_the_schema_and_back() -> None:
    assert {b["type"] for b in EVERY_BLOCK["blocks"]} == set(BLOCK_TYPES)
    board = parse(EVERY_BLOCK)
    assert to_doc(board) == EVERY_BLOCK
    assert parse(to_doc(board)) == board
    assert board.blocks[0].width == 2 and board.filter.year == 2023


def test_a_version_0_document_still_opens() -> None:
    old = {"title": "Ancien", "territory": "commune:24322",
           "blocks": [{"kind": "chart", "cols": 2, "dataset": "ips-colleges", "filters": ["secteur:eq:Public"],
                       "view": {"chart": "bar", "x": "secteur"}},
                      {"kind": "text", "text": "Bonjour"}]}
    board = parse(old)
    assert board.version == 1 and board.filter.level == "commune" and board.filter.code == "24322"
    assert board.blocks[0].type == "chart" and board.blocks[0].width == 2
    assert board.blocks[0].view == {"chart": "bar", "x": "secteur", "f": ["secteur:eq:Public"]}
    assert migrate({"version": 1, "blocks": []}) == {"version": 1, "blocks": []}


@pytest.mark.parametrize(("doc", "expected"), [
    ({"version": 1, "blocks": [{"type": "iframe"}]}, "type de bloc « iframe » inconnu"),
    ({"version": 1, "blocks": [{"type": "chart", "dataset": "ips-colleges", "view": {"x": "ips\"; DROP TABLE t; --"}}]},
     "n'est pas un nom de colonne"),
    ({"version": 1, "blocks": [{"type": "table", "dataset": "ips-colleges", "columns": ["ips) FROM x; --"]}]},
     "n'est pas un nom de colonne"),
    ({"version": 1, "blocks": [{"type": "chart", "dataset": "../../etc/passwd"}]}, "n'est pas un nom"),
    ({"version": 1, "blocks": [{"type": "chart", "dataset": "a", "view": {"f": ["ips' OR 1=1 --:eq:1"]}}]},
     "filtre"),
    ({"version": 1, "blocks": [{"type": "chart", "dataset": "a", "view": {"where": "1=1"}}]}, "clé inconnue « where »"),
    ({"version": 1, "blocks": [], "html": "<b>"}, "clé inconnue « html »"),
    ({"version": 1, "blocks": [{"type": "chart"}]}, "« dataset » manquant"),
    ({"version": 1, "blocks": [{"type": "table", "dataset": "a", "sql": "SELECT 1"}]}, "l'un des deux"),
    ({"version": 1, "blocks": [{"type": "text", "text": "x"}] * (MAX_BLOCKS + 1)}, "trop long"),
    ({"version": 1, "blocks": [{"type": "text", "text": "x" * 5000}]}, "trop long"),
    ({"version": 7, "blocks": []}, "version du tableau de bord « 7 » inconnue"),
    ({"version": 1, "blocks": [{"type": "text", "text": "x", "width": 4}]}, "non autorisée"),
    ({"version": 1, "blocks": [], "filter": {"level": "commune"}}, "niveau et un code"),
    ([1, 2], "objet JSON"),
])
def test_hostile_documents_get_a_french_message(doc: object, expected: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse(doc)
    assert expected in str(caught.value)


def test_script_in_a_text_or_a_title_is_made_inert() -> None:
    board = parse({"version": 1, "title": "<img src=x onerror=alert(1)>Titre", "blocks": [
        {"type": "text", "title": "<b>Gras</b>", "text": "<script>alert(1)</script>**ok** [x](javascript:alert(1))"}]})
    assert board.title == "Titre" and board.blocks[0].title == "Gras"
    text = board.blocks[0].text
    assert "<script" not in text and "alert(1)</" not in text and "**ok**" in text
    assert "](javascript:" not in text


def test_the_schema_itself_is_valid_json_schema() -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_an_empty_dashboard_is_valid_and_small() -> None:
    assert len(codec.encode(Dashboard())) < 60
