"""One dashboard block drawn with the dataset page's own pieces: its chart query and Plotly figure, the map's binning
and decks, a page of rows read by DuckDB, one aggregate for a key figure, sanitised Markdown for a text. Each block
names its source, licence and version, and explains in French why it cannot be drawn when its data went away."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from catalogue.french import date_long
from config import get_settings
from dashboards import store
from dashboards.spec import BLOCK_TYPES, Block, GlobalFilter
from dashboards.views import Resolved, figure_query, resolve
from queries import QueryError, binning, sandbox
from queries.dataset.sql import SCATTER_CAP, chart_query, rows_query
from queries.dataset.state import AGGS, DatasetView, MapSpec, normalise_chart, suggest_chart
from ui import format as fmt
from ui.dataset import data, map_decks
from ui.dataset.chart import alt_table, figure
from ui.dataset.common import Dataset, col_label, md_escape, note
from ui.dataset.map import choropleth_code_column, legend_block, on_screen, text_alternative
from ui.reuses import render_markdown

MAP_HEIGHT = 420


def version_date(version: str) -> str:
    """`20261207T154403053793Z` → « 7 décembre 2026 »."""
    if len(version) >= 8 and version[:8].isdigit():
        return date_long(f"{version[:4]}-{version[4:6]}-{version[6:8]}")
    return version


def _dataset(dataset_id: str) -> Dataset | None:
    try:
        meta = data.meta(dataset_id)
    except QueryError:
        return None
    return Dataset(dataset_id, data.schema(dataset_id), data.spec(dataset_id), meta)


def dataset_link(view: DatasetView, tab: str) -> str:
    return f"/jeu-de-donnees?{view.replace(tab=tab, page=1).query_string()}"


def source_line(ds: Dataset, view: DatasetView, saved_versions: dict[str, str]) -> None:
    """Source, licence and version under every dataset block; a word when the data changed since the save."""
    licence = ds.spec.license.title if ds.spec else "licence non renseignée"
    version = str(ds.meta.get("version") or "")
    # Not note(): it escapes "]", and these are links. Titles and licences are escaped, the links built from the view.
    st.markdown(f":small[Source : [{md_escape(ds.title)}]({dataset_link(view, 'tableau')}) · {md_escape(licence)} · "
                f"version du {version_date(version)} · [données filtrées à télécharger]({dataset_link(view, 'export')})]")
    saved = saved_versions.get(ds.id)
    if saved and saved != version:
        st.info(f"Les données ont changé depuis l'enregistrement du tableau de bord (version du "
                f"{version_date(saved)}, aujourd'hui du {version_date(version)}).", icon=":material/update:")


def _chart(ds: Dataset, r: Resolved, key: str) -> None:
    chart = r.view.chart or suggest_chart(ds.schema)
    final = normalise_chart(chart, ds.schema) if chart else None
    if final is None:
        st.info("Ce graphique n'a pas de colonne à représenter.")
        return
    cq = chart_query(r.view, ds.schema, final)
    result = data.frame(cq.query, max_rows=SCATTER_CAP + 1)
    if result.empty:
        st.info("Aucune donnée à représenter avec ces filtres.")
        return
    fig = figure(final, result, ds.schema)
    fig.update_layout(height=360, title=None)
    st.plotly_chart(fig, width="stretch", config={"displaylogo": False, "locale": "fr"}, key=key)
    with st.expander("Données du graphique (alternative textuelle)"):
        st.dataframe(alt_table(final, result, ds.schema), hide_index=True, width="stretch")


def _framed(view: DatasetView, gf: GlobalFilter) -> MapSpec:
    """The block's viewport, or the dashboard's commune when the territory filter names one."""
    m = view.map
    centre = data.commune_centres().get(gf.code or "") if gf.level == "commune" else None
    if centre is not None and m.lat is None:
        m = replace(m, lat=round(centre[2], 5), lon=round(centre[1], 5), zoom=11.0)
    return on_screen(m)


def _map(ds: Dataset, r: Resolved, gf: GlobalFilter, key: str) -> None:
    schema, view = ds.schema, r.view
    mode = view.map.mode if view.map.mode in schema.map_modes else schema.map_modes[0]
    shown = _framed(view, gf)
    outlines = data.commune_features()
    if mode == "choropleth":
        m = view.map
        values = data.frame(binning.choropleth_query(view, schema, choropleth_code_column(schema), m.column, m.agg))
        label = "Nombre d'enregistrements" if m.column is None else f"{AGGS[m.agg]} de {col_label(schema, m.column)}"
        deck, legend = map_decks.choropleth_deck(values, shown, outlines, label)
        st.pydeck_chart(deck, width="stretch", height=MAP_HEIGHT, key=key)
        if legend:
            legend_block(label, legend)
        text_alternative(values.rename(columns={"code": "Code commune", "value": label, "n": "Enregistrements"}))
    elif mode == "points":
        assert shown.zoom is not None and shown.lat is not None
        layer = binning.point_map(view, schema, data.frame, total=data.count(view, schema), zoom=shown.zoom,
                                  lat=shown.lat, lon=shown.lon if view.map.lat is not None else None)
        if layer.kind == "grid":
            deck = map_decks.grid_deck(layer.frame, shown, outlines, cell_km=layer.cell_km or 0.0)
        else:
            deck = map_decks.points_deck(layer.frame, schema, shown, outlines)
        st.pydeck_chart(deck, width="stretch", height=MAP_HEIGHT, key=key)
        text_alternative(layer.frame.rename(columns={"lon": "Longitude", "lat": "Latitude", "n": "Enregistrements",
                                                     **{c: col_label(schema, c) for c in schema.label_columns}}))
    else:
        polys = data.frame(binning.polygons_query(view, schema))
        st.pydeck_chart(map_decks.polygons_deck(polys, schema, shown, outlines), width="stretch", height=MAP_HEIGHT,
                        key=key)
        text_alternative(polys.drop(columns=["geometry"]))


def _table(ds: Dataset, r: Resolved, block: Block) -> None:
    schema, view = ds.schema, r.view
    total = data.count(view, schema)
    rows = data.frame(rows_query(view.replace(page=1), schema))
    if block.columns:
        rows = rows[[c for c in block.columns if c in rows.columns]]
    shown = min(total, view.size)
    note(f"{fmt.number(shown)} enregistrement{'s' if shown > 1 else ''} sur {fmt.number(total)}")
    labels = {c: col_label(schema, c) for c in rows.columns}
    st.dataframe(rows.rename(columns=labels), hide_index=True, width="stretch", placeholder="")


def _value(frame: pd.DataFrame) -> tuple[Any, int]:
    if frame.empty:
        return None, 0
    value = frame.iloc[0]["value"]
    return (None if value is None or value != value else value), int(frame.iloc[0]["n"])


def figure_text(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    decimals = 0 if float(value).is_integer() or abs(float(value)) >= 1000 else 1
    return fmt.number(value, decimals) + (f" {unit}" if unit else "")


def _figure(ds: Dataset, r: Resolved, block: Block) -> None:
    value, n = _value(data.frame(figure_query(r.view, ds.schema, block.agg, block.column)))
    what = AGGS[block.agg] if block.agg != "count" else "Nombre d'enregistrements"
    label = f"{what} de {col_label(ds.schema, block.column)}" if block.column and block.agg != "count" else what
    st.metric(label, figure_text(value, block.unit))
    note(f"Calculé sur {fmt.number(n)} enregistrement{'s' if n > 1 else ''}.")
    if r.applied:
        other, _ = _value(data.frame(figure_query(r.own, ds.schema, block.agg, block.column)))
        note(f"Sans le filtre du tableau de bord : {figure_text(other, block.unit)}.")


def _sql(block: Block, key: str) -> None:
    """An analyst's query runs in the sandbox (queries.sandbox), and, as on /sql, only when asked for."""
    st.code(block.sql or "", language="sql")
    if not st.button("Exécuter la requête", key=f"{key}_run", icon=":material/play_arrow:"):
        note("La requête s'exécute à la demande, dans l'environnement limité des requêtes SQL.")
        return
    try:
        result = sandbox.run_user_sql(block.sql or "")
    except QueryError as exc:
        st.error(str(exc))
        return
    st.dataframe(result.frame, hide_index=True, width="stretch")
    if result.truncated:
        note("Résultat tronqué aux limites des requêtes SQL.")


def problem(text: str) -> None:
    st.warning(text, icon=":material/report:")


def render(block: Block, gf: GlobalFilter, saved_versions: dict[str, str], key: str) -> None:
    """Draw one block inside the caller's column."""
    title = block.title or BLOCK_TYPES[block.type]
    st.subheader(title, anchor=False)
    if block.type == "text":
        render_markdown(block.text, empty="(texte vide)")
        return
    if block.sql is not None:
        _sql(block, key)
        return
    ds = _dataset(block.dataset or "")
    if ds is None:
        problem(f"Le jeu de données « {block.dataset} » n'est plus publié sur ce portail : ce bloc ne peut pas être "
                "affiché.")
        return
    r = resolve(block, ds.schema, gf)
    if r.problems:
        problem("Ce bloc ne peut plus être affiché tel qu'il a été composé : " + " ; ".join(r.problems) + ".")
        source_line(ds, r.own, saved_versions)
        return
    try:
        if block.type == "chart":
            _chart(ds, r, key)
        elif block.type == "map":
            _map(ds, r, gf, key)
        elif block.type == "table":
            _table(ds, r, block)
        else:
            _figure(ds, r, block)
    except QueryError as exc:
        problem(str(exc))
    if r.applied:
        note("Filtré par le tableau de bord : " + " et ".join(r.applied) + ".")
    source_line(ds, r.view, saved_versions)


def public_url(query: str) -> str:
    return f"{get_settings().public_base_url}/tableau-de-bord?{query}"


def short_url(slug: str) -> str:
    """A saved dashboard's permanent address, `/tableaux-de-bord/<slug>`."""
    return f"{get_settings().public_base_url}{store.short_path(slug)}"
