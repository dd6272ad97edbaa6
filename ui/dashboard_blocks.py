"""One dashboard block drawn with the dataset page's own pieces: its chart query and Plotly figure, the map's binning
and decks, a page of rows read by DuckDB, one aggregate for a key figure, sanitised Markdown for a text. Each block
names its source, licence and version, and explains in French why it cannot be drawn when its data went away."""

from __future__ import annotations

import functools
from collections.abc import Callable
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
from ui import charts
from ui import format as fmt
from ui.dataset import data, map_decks
from ui.dataset.chart import alt_table, chart_figure
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


Draw = Callable[[], None]


def _chart(ds: Dataset, r: Resolved, key: str) -> Draw:
    chart = r.view.chart or suggest_chart(ds.schema)
    final = normalise_chart(chart, ds.schema) if chart else None
    if final is None:
        return lambda: st.info("Ce graphique n'a pas de colonne à représenter.")
    cq = chart_query(r.view, ds.schema, final)
    result = data.frame(cq.query, max_rows=SCATTER_CAP + 1)
    if result.empty:
        return lambda: st.info("Aucune donnée à représenter avec ces filtres.")
    fig = chart_figure(ds.id, final, cq.query, height=360)
    alternative = alt_table(final, result, ds.schema)

    def draw() -> None:
        charts.plotly_chart(fig, filename=f"{ds.id}-graphique", key=key)
        with st.expander("Données du graphique (alternative textuelle)"):
            st.dataframe(alternative, hide_index=True, width="stretch")

    return draw


def _framed(view: DatasetView, gf: GlobalFilter) -> MapSpec:
    """The block's viewport, or the dashboard's commune when the territory filter names one."""
    m = view.map
    centre = data.commune_centres().get(gf.code or "") if gf.level == "commune" else None
    if centre is not None and m.lat is None:
        m = replace(m, lat=round(centre[2], 5), lon=round(centre[1], 5), zoom=11.0)
    return on_screen(m)


def _map(ds: Dataset, r: Resolved, gf: GlobalFilter, key: str) -> Draw:
    schema, view = ds.schema, r.view
    mode = view.map.mode if view.map.mode in schema.map_modes else schema.map_modes[0]
    shown = _framed(view, gf)
    outlines = data.commune_features()
    legend: tuple[str, list[Any]] | None = None
    if mode == "choropleth":
        m = view.map
        values = data.frame(binning.choropleth_query(view, schema, choropleth_code_column(schema), m.column, m.agg))
        label = "Nombre d'enregistrements" if m.column is None else f"{AGGS[m.agg]} de {col_label(schema, m.column)}"
        deck, rows = map_decks.choropleth_deck(values, shown, outlines, label)
        legend = (label, rows) if rows else None
        alternative = values.rename(columns={"code": "Code commune", "value": label, "n": "Enregistrements"})
    elif mode == "points":
        assert shown.zoom is not None and shown.lat is not None
        layer = binning.point_map(view, schema, data.frame, total=data.count(view, schema), zoom=shown.zoom,
                                  lat=shown.lat, lon=shown.lon if view.map.lat is not None else None)
        if layer.kind == "grid":
            deck = map_decks.grid_deck(layer.frame, shown, outlines, cell_km=layer.cell_km or 0.0)
        else:
            deck = map_decks.points_deck(layer.frame, schema, shown, outlines)
        alternative = layer.frame.rename(columns={"lon": "Longitude", "lat": "Latitude", "n": "Enregistrements",
                                                  **{c: col_label(schema, c) for c in schema.label_columns}})
    else:
        polys = data.frame(binning.polygons_query(view, schema))
        deck = map_decks.polygons_deck(polys, schema, shown, outlines)
        alternative = polys.drop(columns=["geometry"])

    def draw() -> None:
        st.pydeck_chart(deck, width="stretch", height=MAP_HEIGHT, key=key)
        if legend:
            legend_block(*legend)
        text_alternative(alternative)

    return draw


def _table(ds: Dataset, r: Resolved, block: Block) -> Draw:
    schema, view = ds.schema, r.view
    total = data.count(view, schema)
    rows = data.frame(rows_query(view.replace(page=1), schema))
    if block.columns:
        rows = rows[[c for c in block.columns if c in rows.columns]]
    shown = min(total, view.size)
    rows = rows.rename(columns={c: col_label(schema, c) for c in rows.columns})

    def draw() -> None:
        note(f"{fmt.number(shown)} enregistrement{'s' if shown > 1 else ''} sur {fmt.number(total)}")
        st.dataframe(rows, hide_index=True, width="stretch", placeholder="")

    return draw


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


def _figure(ds: Dataset, r: Resolved, block: Block) -> Draw:
    value, n = _value(data.frame(figure_query(r.view, ds.schema, block.agg, block.column)))
    what = AGGS[block.agg] if block.agg != "count" else "Nombre d'enregistrements"
    label = f"{what} de {col_label(ds.schema, block.column)}" if block.column and block.agg != "count" else what
    other = _value(data.frame(figure_query(r.own, ds.schema, block.agg, block.column)))[0] if r.applied else None

    def draw() -> None:
        st.metric(label, figure_text(value, block.unit))
        note(f"Calculé sur {fmt.number(n)} enregistrement{'s' if n > 1 else ''}.")
        if r.applied:
            note(f"Sans le filtre du tableau de bord : {figure_text(other, block.unit)}.")

    return draw


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


def prepare(block: Block, gf: GlobalFilter, saved_versions: dict[str, str], key: str) -> Draw:
    """Everything a block needs from the data (queries, figure, map), and the function that then draws it inside
    the caller's column, under its heading. Preparing calls no Streamlit function: a block that cannot be prepared
    is explained, never half drawn."""
    title = block.title or BLOCK_TYPES[block.type]
    body = _body(block, gf, saved_versions, key)

    def draw() -> None:
        st.subheader(title, anchor=False)
        body()

    return draw


def _body(block: Block, gf: GlobalFilter, saved_versions: dict[str, str], key: str) -> Draw:
    if block.type == "text":
        return functools.partial(render_markdown, block.text, empty="(texte vide)")
    if block.sql is not None:
        return functools.partial(_sql, block, key)
    ds = _dataset(block.dataset or "")
    if ds is None:
        return functools.partial(problem, f"Le jeu de données « {block.dataset} » n'est plus publié sur ce portail : "
                                          "ce bloc ne peut pas être affiché.")
    r = resolve(block, ds.schema, gf)
    if r.problems:
        def explain() -> None:
            problem("Ce bloc ne peut plus être affiché tel qu'il a été composé : " + " ; ".join(r.problems) + ".")
            source_line(ds, r.own, saved_versions)

        return explain
    try:
        if block.type == "chart":
            data_part = _chart(ds, r, key)
        elif block.type == "map":
            data_part = _map(ds, r, gf, key)
        elif block.type == "table":
            data_part = _table(ds, r, block)
        else:
            data_part = _figure(ds, r, block)
    except QueryError as exc:
        data_part = functools.partial(problem, str(exc))

    def draw() -> None:
        data_part()
        if r.applied:
            note("Filtré par le tableau de bord : " + " et ".join(r.applied) + ".")
        source_line(ds, r.view, saved_versions)

    return draw


def public_url(query: str) -> str:
    return f"{get_settings().public_base_url}/tableau-de-bord?{query}"


def short_url(slug: str) -> str:
    """A saved dashboard's permanent address, `/tableaux-de-bord/<slug>`."""
    return f"{get_settings().public_base_url}{store.short_path(slug)}"
