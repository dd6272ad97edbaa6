"""Dataset page: information, table, chart, map, export, API/SQL and reuses tabs; every view is a shareable link."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

import exports
import queries
from catalogue import vocab
from config import get_settings
from queries import QueryError
from queries import dataset_view as dv
from ui import dataset_charts
from ui import dataset_data as data
from ui import format as fmt
from ui.dataset import map as map_tab
from ui.dataset.common import col_label, note, seed

settings = get_settings()
TYPE_LABELS = {"integer": "Entier", "number": "Nombre décimal", "text": "Texte", "date": "Date",
               "datetime": "Date et heure", "boolean": "Booléen", "geometry": "Géométrie (GeoJSON)"}
DATA_TABS = ("tableau", "graphique", "carte", "export", "api")


def link(page: str, label: str, query_params: dict[str, Any] | None = None, icon: str | None = None) -> None:
    """st.page_link, or a plain link if the target page is not registered (e.g. while it is being written)."""
    try:
        st.page_link(page, label=label, query_params=query_params, icon=icon)
    except Exception:  # noqa: BLE001 - StreamlitAPIException / page missing: degrade to a markdown link
        slug = {"pages/catalogue.py": "catalogue", "pages/sql.py": "sql",
                "pages/reuse_submit.py": "proposer-une-reutilisation"}.get(page, "")
        st.markdown(f"[{label}](/{slug}{'?' + urlencode(query_params) if query_params else ''})")


def md_escape(text: str) -> str:
    """User text shown inside Markdown (messages quoting the URL) stays literal: no link, no emphasis."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()<>#+-.!|~" else ch for ch in text)


def back_to_catalogue(message: str) -> None:
    st.title("Jeu de données")
    st.error(message)
    link("pages/catalogue.py", "Retour au catalogue", icon=":material/search:")


def current_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}


def canonical(params: dict[str, Any]) -> str:
    items = []
    for key in sorted(params):
        values = params[key]
        for v in ([values] if isinstance(values, str) else values):
            items.append((key, v))
    return urlencode(items)


def raw_of(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, ".15g")
    return str(value)


def py_value(value: Any) -> Any:
    """numpy/pandas scalars → plain Python values (widget options must compare equal to the URL's values)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


# -- page state -------------------------------------------------------------------------------------------------------
params = current_params()
dataset_id = (params.get("id") or [""])[-1].strip()
if not dataset_id:
    back_to_catalogue("Aucun jeu de données n'est indiqué dans le lien (paramètre « id »).")
    st.stop()
if not dv.ID_RE.match(dataset_id):
    back_to_catalogue("Identifiant de jeu de données invalide : choisissez un jeu de données dans le catalogue.")
    st.stop()
try:
    schema = data.schema(dataset_id)
except QueryError:
    back_to_catalogue(f"Jeu de données introuvable : « {md_escape(dataset_id)} ». Il a peut-être été renommé ou retiré ; "
                      "retrouvez-le dans le catalogue.")
    st.stop()

spec = data.spec(dataset_id)
meta = data.meta(dataset_id)
view, notes = dv.parse_view(params, schema)
# Streamlit hides `embed` from st.query_params; st.context tells whether the page is inside an iframe.
view = view.replace(embed=view.embed or bool(st.context.is_embedded))
if view.tab == "carte" and not schema.map_modes:
    notes.append("ce jeu de données n'a ni géométrie, ni coordonnées, ni code commune : pas de carte")
    view = view.replace(tab="informations")

url_sig = canonical(params)
st.session_state["dataset_from_url"] = st.session_state.get("dataset_sig") != url_sig
if st.session_state["dataset_from_url"]:
    st.session_state["dataset_extra_cols"] = []

if st.session_state.get("dataset_viewed") != dataset_id:
    st.session_state["dataset_viewed"] = dataset_id
    try:
        from catalogue.stats import record_view

        record_view(dataset_id)
    except ImportError:
        pass

title = spec.title if spec else dataset_id


# -- header -----------------------------------------------------------------------------------------------------------
def share_url(v: dv.DatasetView) -> str:
    return f"{settings.public_base_url}/jeu-de-donnees?{v.replace(embed=False).query_string()}"


def header(v: dv.DatasetView) -> None:
    st.title(title)
    bits = [f"{fmt.number(schema.rows)} enregistrements", f"{len(schema.columns)} colonnes"]
    if spec:
        bits = [spec.publisher, spec.license.title, *bits]
    if meta.get("loaded_at"):
        bits.append(f"chargé le {fmt.date_fr(meta['loaded_at'])}")
    note(" · ".join(bits))
    if notes:
        st.warning("Certains paramètres du lien ont été ignorés : " + " ; ".join(md_escape(n) for n in notes) + ".")
        link("pages/catalogue.py", "Retour au catalogue", icon=":material/search:")


def share_box(v: dv.DatasetView) -> None:
    with st.popover("Partager", icon=":material/share:"):
        url = share_url(v)
        note("Lien vers cette vue (onglet, filtres, tri, page, graphique, carte) :")
        st.code(url, language=None, wrap_lines=True)
        embed = f"{url}&embed=true"
        note("Intégrer dans un site (iframe) :")
        st.code(f'<iframe src="{embed}" title="{title.replace(chr(34), "&quot;")}" width="100%" height="720" '
                f'style="border:0" loading="lazy"></iframe>', language="html", wrap_lines=True)


if not view.embed:
    header(view)

tabs = [t for t in dv.TABS if t != "carte" or schema.map_modes]
seed("dataset_tab", view.tab)
tab = st.segmented_control("Vue du jeu de données", tabs, format_func=dv.TABS.get, key="dataset_tab",
                           required=True) or "informations"
view = view.replace(tab=tab)


# -- filters (sidebar, data tabs only) --------------------------------------------------------------------------------
def facet_values(v: dv.DatasetView, name: str, limit: int = 100) -> list[tuple[Any, int]]:
    try:
        frame = data.frame(dv.facet_query(v, schema, name, limit))
    except QueryError:
        return []
    return [(py_value(r.value), int(r.n)) for r in frame.itertuples() if py_value(r.value) is not None]


def value_filter(v: dv.DatasetView, name: str, container: Any) -> list[dv.Filter]:
    """Multiselect of the column's most frequent values with their counts (under the other filters)."""
    col = schema.get(name)
    assert col is not None
    current = [f.value for f in v.filters_for(name) if f.op == "eq"]
    counts = dict(facet_values(v, name))
    options = list(counts) + [c for c in current if c not in counts]
    key = f"dataset_fv_{name}"
    seed(key, current)
    if any(x not in options for x in st.session_state.get(key, [])):
        st.session_state[key] = [x for x in st.session_state[key] if x in options]
    chosen = container.multiselect(
        "Valeurs", options, key=key, placeholder="Toutes les valeurs",
        format_func=lambda x: f"{x} ({fmt.number(counts[x])})" if x in counts else str(x),
    )
    out = [dv.Filter(name, "eq", x, raw_of(x)) for x in chosen]
    distinct = schema.distinct(name)
    if col.textual and (distinct is None or distinct > 100):
        contains = [f for f in v.filters_for(name) if f.op == "contains"]
        key_c = f"dataset_fc_{name}"
        seed(key_c, contains[0].value if contains else "")
        text = container.text_input("Contient", key=key_c, max_chars=dv.MAX_VALUE_LEN)
        if text.strip():
            out.append(dv.Filter(name, "contains", text.strip(), text.strip()))
    return out


def commune_filter(v: dv.DatasetView, name: str, container: Any) -> list[dv.Filter]:
    """Communes picked by name (codes of the column, named from the `communes` dataset) and an EPCI picker."""
    names = data.commune_names()
    current = [str(f.value) for f in v.filters_for(name) if f.op == "eq"]
    counts = {str(k): n for k, n in facet_values(v, name, limit=2_000)}
    options = sorted(set(counts) | set(current), key=lambda c: (names.get(c, "~" + c), c))
    key = f"dataset_fcom_{name}"
    seed(key, current)
    chosen = container.multiselect(
        "Communes", options, key=key, placeholder="Toutes les communes",
        format_func=lambda c: f"{names.get(c, c)} ({c})" + (f" — {fmt.number(counts[c])}" if c in counts else ""),
    )
    col = schema.get(name)
    typed = (lambda c: int(c)) if col is not None and col.type == "integer" else (lambda c: c)
    out = [dv.Filter(name, "eq", typed(c), c) for c in chosen]
    epcis = data.epci_names()
    if epcis:
        current_e = next((str(f.value) for f in v.filters_for(name) if f.op == "epci"), None)
        options_e = [None, *sorted(epcis, key=lambda s: epcis[s])]
        if current_e is not None and current_e not in options_e:
            options_e.append(current_e)
        key_e = f"dataset_fepci_{name}"
        seed(key_e, current_e)
        siren = container.selectbox("Intercommunalité (EPCI)", options_e, key=key_e, placeholder="Toutes",
                                    format_func=lambda s: "Toutes" if s is None else epcis.get(s, s))
        if siren:
            out.append(dv.Filter(name, "epci", siren, siren))
    return out


def range_bounds(name: str) -> tuple[Any, Any] | None:
    col = schema.get(name)
    prof = schema.profile.get(name) or {}
    lo, hi = prof.get("min"), prof.get("max")
    try:
        if lo is None or hi is None:
            frame = data.frame(dv.range_query(schema, name))
            lo, hi = py_value(frame.iloc[0]["lo"]), py_value(frame.iloc[0]["hi"])
        lo, hi = dv.typed_value(col, raw_of(lo)), dv.typed_value(col, raw_of(hi))  # type: ignore[arg-type]
    except (QueryError, ValueError, TypeError, IndexError):
        return None
    if col is not None and col.type == "datetime":
        lo, hi = lo.date(), hi.date()
    return (lo, hi) if lo is not None and hi is not None and lo < hi else None


def range_filter(v: dv.DatasetView, name: str, container: Any) -> list[dv.Filter]:
    col = schema.get(name)
    bounds = range_bounds(name)
    assert col is not None
    if bounds is None:
        container.markdown(":small[Une seule valeur : pas de plage à choisir.]")
        return [f for f in v.filters_for(name) if f.op in ("gte", "lte")]
    lo, hi = bounds
    gte = next((f.value for f in v.filters_for(name) if f.op == "gte"), None)
    lte = next((f.value for f in v.filters_for(name) if f.op == "lte"), None)
    if col.type == "datetime":
        gte = gte.date() if gte is not None else None
        lte = lte.date() if lte is not None else None
    # Values from a link may lie outside the data's range: widen the slider rather than drop them.
    lo_b, hi_b = min(lo, gte) if gte is not None else lo, max(hi, lte) if lte is not None else hi
    key = f"dataset_fr_{name}"
    seed(key, (gte if gte is not None else lo_b, lte if lte is not None else hi_b))
    step = None
    if col.type == "number":
        span = float(hi_b) - float(lo_b)
        step = float(f"{span / 100:.1g}") if span > 0 else 1.0
    a, b = container.slider("Plage", min_value=lo_b, max_value=hi_b, key=key, step=step)
    out = []
    if a != lo_b or gte is not None and a != lo:
        out.append(dv.Filter(name, "gte", a, raw_of(a)))
    if b != hi_b or lte is not None and b != hi:
        out.append(dv.Filter(name, "lte", b, raw_of(b)))
    return out


def filter_panel(v: dv.DatasetView) -> dv.DatasetView:
    sb = st.sidebar
    sb.markdown("### Filtres")
    seed("dataset_q", v.q)
    q = sb.text_input("Rechercher dans ce jeu de données", key="dataset_q", max_chars=dv.MAX_VALUE_LEN,
                      help="Cherche dans toutes les colonnes de texte, sans tenir compte des accents ni des majuscules.")
    widget_cols: list[str] = []
    for name in [*schema.commune_columns[:2], schema.time_column, *dv.facet_columns(schema),
                 *[f.column for f in v.filters], *st.session_state.get("dataset_extra_cols", [])]:
        if name and name not in widget_cols and schema.get(name) and schema.get(name).type != "geometry":
            widget_cols.append(name)
    handled: set[tuple[str, str]] = set()
    new_filters: list[dv.Filter] = []
    for name in widget_cols:
        col = schema.get(name)
        assert col is not None
        active = bool(v.filters_for(name))
        with sb.expander(col.label + (" ●" if active else ""), expanded=active):
            if schema.is_commune_code(name):
                new_filters += commune_filter(v, name, st)
                handled |= {(name, "eq"), (name, "epci")}
            elif col.rangeable and not (col.type == "integer" and name == schema.time_column
                                        and (schema.distinct(name) or 99) <= 12):
                new_filters += range_filter(v, name, st)
                handled |= {(name, "gte"), (name, "lte")}
            else:
                new_filters += value_filter(v, name, st)
                handled |= {(name, "eq"), (name, "contains")}
    others = [f for f in v.filters if (f.column, f.op) not in handled]
    for i, f in enumerate(others):
        keep = sb.checkbox(f"{col_label(schema, f.column)} {dv.OPS[f.op]} {f.raw}".strip(), value=True,
                           key=f"dataset_other_{i}_{f.to_param()}")
        if keep:
            new_filters.append(f)
    extra = [c.name for c in schema.plain_columns if c.name not in widget_cols]
    if extra:
        sb.selectbox("Filtrer une autre colonne", [None, *extra], key="dataset_addcol", placeholder="Choisir une colonne…",
                     format_func=lambda n: "Choisir une colonne…" if n is None else col_label(schema, n),
                     on_change=_add_column)
    if v.is_filtered:
        sb.button("Effacer tous les filtres", key="dataset_clear", on_click=_clear_filters,
                  args=(v.replace(filters=(), q="", page=1).to_params(),))
    seen: list[dv.Filter] = []
    for f in new_filters:
        if f not in seen:
            seen.append(f)
    # Unchanged filters keep their place in the link, new ones go last: same view, same URL.
    rank = {f: i for i, f in enumerate(v.filters)}
    seen.sort(key=lambda f: rank.get(f, len(rank)))
    return v.replace(filters=tuple(seen), q=q.strip())


def _add_column() -> None:
    name = st.session_state.get("dataset_addcol")
    if name:
        st.session_state.setdefault("dataset_extra_cols", []).append(name)
    st.session_state["dataset_addcol"] = None


def _clear_filters(new_params: dict[str, Any]) -> None:
    st.query_params.from_dict(new_params)


if view.embed and view.tab in DATA_TABS:
    note(f"{title} — {fmt.number(schema.rows)} enregistrements")
if view.tab in DATA_TABS:
    before = (view.filters, view.q)
    view = filter_panel(view)
    if (view.filters, view.q) != before:
        view = view.replace(page=1)
        st.session_state["dataset_page"] = 1


# -- tabs -------------------------------------------------------------------------------------------------------------
def count_line(v: dv.DatasetView) -> int:
    n = data.count(v, schema)
    if v.is_filtered:
        st.markdown(f"**{fmt.number(n)} enregistrement{'s' if n > 1 else ''} sur {fmt.number(schema.rows)}**")
    else:
        st.markdown(f"**{fmt.number(n)} enregistrement{'s' if n > 1 else ''}**")
    return n


def field_table(rows: list[tuple[str, str]]) -> None:
    """Two-column Markdown table; web addresses become links (http and https only), everything else stays text."""
    lines = ["| Champ | Valeur |", "|---|---|"]
    for name, value in rows:
        text = str(value)
        if text.startswith(("https://", "http://")) and not any(c in text for c in " <>()[]"):
            cell = f"[{md_escape(text)}]({text})"
        else:
            cell = md_escape(text).replace("\n", " ")
        lines.append(f"| {name} | {cell} |")
    st.markdown("\n".join(lines))


def chart_heading(spec: dv.ChartSpec) -> str:
    if spec.kind == "histogram":
        return f"Répartition de {col_label(schema, spec.x).lower()}"
    if spec.kind in ("scatter", "box"):
        what = col_label(schema, spec.y)
        return f"{what} selon {col_label(schema, spec.x).lower()}" if spec.x else what
    return f"{dataset_charts.value_label(schema, spec)} par {col_label(schema, spec.x).lower()}"


def tab_informations() -> None:
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Description")
        st.markdown(spec.description if spec and spec.description else "_Pas de description._")
    with right:
        st.subheader("Licence")
        lic_id = spec.license.id if spec else "notspecified"
        lic_title = spec.license.title if spec else vocab.license_title(lic_id)
        lic_url = spec.license.url if spec else vocab.license_url(lic_id)
        st.markdown(f"[{lic_title}]({lic_url})" if lic_url else lic_title)
        st.info(vocab.license_summary(lic_id))
        note("Attribution à reprendre dans vos réutilisations :")
        st.code((spec.attribution if spec and spec.attribution else (spec.publisher if spec else dataset_id)),
                language=None, wrap_lines=True)
    st.subheader("Métadonnées")
    rows: list[tuple[str, str]] = []
    if spec:
        cover = spec.temporal_coverage
        rows += [
            ("Identifiant", spec.id), ("Producteur", spec.publisher),
            ("Page du producteur", spec.publisher_url or "–"),
            ("Thèmes", ", ".join(vocab.topic_label(t) for t in spec.themes) or "–"),
            ("Mots-clés", ", ".join(spec.keywords) or "–"),
            ("Fréquence de mise à jour", vocab.frequency_label(spec.frequency)),
            ("Granularité territoriale", vocab.GRANULARITY_LABELS.get(spec.spatial_granularity,
                                                                     spec.spatial_granularity)),
            ("Couverture temporelle", f"{cover.get('start', '?')} – {cover.get('end', '?')}" if cover else "–"),
            ("Créé le", fmt.date_fr(spec.created)), ("Modifié le", fmt.date_fr(spec.modified)),
        ]
    else:
        rows.append(("Identifiant", dataset_id))
    rows += [("Enregistrements", fmt.number(schema.rows)), ("Colonnes", fmt.number(len(schema.columns)))]
    field_table(rows)

    warnings = meta.get("warnings") or []
    if warnings:
        st.subheader("Avertissements du chargement")
        st.warning(f"{len(warnings)} avertissement(s) lors du chargement de la source :\n\n"
                   + "\n".join(f"- {w}" for w in warnings[:50])
                   + ("\n- …" if len(warnings) > 50 else ""))

    st.subheader("Provenance")
    src = meta.get("source") or {}
    prov = [
        ("Source", (spec.source.url or spec.source.path or "–") if spec else (src.get("url") or src.get("path") or "–")),
        ("Page de la source", (spec.source.page or "–") if spec else "–"),
        ("Format lu", " · ".join(str(x) for x in (src.get("format"), src.get("encoding"),
                                                 f"séparateur « {src['delimiter']} »" if src.get("delimiter") else None)
                                 if x) or "–"),
        ("Chargé le", str(meta.get("loaded_at") or "–")),
        ("Version", str(meta.get("version") or "–")),
        ("Empreinte SHA-256 du fichier source", str(src.get("sha256") or "–")),
    ]
    field_table(prov)
    if spec and spec.provenance:
        with st.expander("Détail de la provenance"):
            st.text(spec.provenance)
    versions = data.versions(dataset_id)
    if versions:
        note("Historique des versions publiées")
        hist = []
        for ver in versions:
            ch = ver.get("changes") or {}
            change = []
            if ch.get("rows_added"):
                change.append(f"+{fmt.number(ch['rows_added'])} lignes")
            if ch.get("rows_removed"):
                change.append(f"−{fmt.number(ch['rows_removed'])} lignes")
            if ch.get("columns_added"):
                change.append("colonnes ajoutées : " + ", ".join(ch["columns_added"]))
            if ch.get("columns_removed"):
                change.append("colonnes retirées : " + ", ".join(ch["columns_removed"]))
            hist.append({"Version": ver.get("version"), "Chargée le": ver.get("loaded_at"),
                         "Enregistrements": ver.get("rows"), "Changements": "; ".join(change) or "–",
                         "En service": "oui" if ver.get("current") or ver.get("version") == meta.get("version")
                         else ""})
        st.dataframe(pd.DataFrame(hist), hide_index=True, width="stretch")

    st.subheader("Schéma")
    profile = data.profile(schema)
    schema_rows = []
    for c in schema.columns:
        prof = profile.get(c.name) or {}
        top = prof.get("top") or []
        example = top[0].get("value") if top else prof.get("min")
        schema_rows.append({"Libellé": c.label, "Nom technique": c.name, "Type": TYPE_LABELS.get(c.type, c.type),
                            "Unité": c.unit or "", "Description": c.description or "",
                            "Exemple": "" if example is None else str(example)[:80]})
    st.dataframe(pd.DataFrame(schema_rows), hide_index=True, width="stretch")

    st.subheader("Profil des colonnes")
    prof_rows = []
    for c in schema.plain_columns:
        prof = profile.get(c.name) or {}
        top = ", ".join(f"{t.get('value')} ({fmt.number(t.get('count'))})" for t in (prof.get("top") or [])[:5])
        hist: list[int] = []
        if c.numeric:
            try:
                hist = [int(n) for n in data.frame(dv.histogram_query(schema, c.name, bins=12))["n"]]
            except QueryError:
                hist = []
        prof_rows.append({"Colonne": c.label, "Nom technique": c.name, "Valeurs vides": prof.get("nulls"),
                          "Valeurs distinctes": prof.get("distinct"), "Minimum": str(prof.get("min") or ""),
                          "Maximum": str(prof.get("max") or ""), "Valeurs les plus fréquentes": top,
                          "Histogramme": hist or None})
    st.dataframe(pd.DataFrame(prof_rows), hide_index=True, width="stretch", column_config={
        "Histogramme": st.column_config.BarChartColumn("Histogramme", help="Répartition des valeurs (colonnes "
                                                       "numériques, 12 intervalles égaux, calculée par DuckDB)"),
    })


def tab_tableau(v: dv.DatasetView) -> dv.DatasetView:
    total = count_line(v)
    sortable = [c.name for c in schema.plain_columns]
    c1, c2, c3, c4 = st.columns([3, 2, 1, 1])
    seed("dataset_sort", v.sort)
    sort = c1.selectbox("Trier par", [None, *sortable], key="dataset_sort", placeholder="Ordre du fichier",
                        format_func=lambda n: "Ordre du fichier" if n is None else col_label(schema, n))
    seed("dataset_desc", "desc" if v.desc else "asc")
    direction = c2.radio("Ordre", ["asc", "desc"], key="dataset_desc", horizontal=True,
                         format_func=lambda d: "Croissant" if d == "asc" else "Décroissant")
    seed("dataset_size", v.size)
    size = c3.selectbox("Par page", list(dv.PAGE_SIZES), key="dataset_size")
    pages = max(1, -(-total // size))
    page = min(v.page, pages)
    if (sort, direction == "desc", size) != (v.sort, v.desc, v.size):
        page = 1
        st.session_state["dataset_page"] = 1
    seed("dataset_page", page)
    if st.session_state.get("dataset_page", 1) > pages:
        st.session_state["dataset_page"] = pages
    page = int(c4.number_input(f"Page (sur {fmt.number(pages)})", min_value=1, max_value=pages, step=1,
                               key="dataset_page"))
    v = v.replace(sort=sort, desc=direction == "desc" and sort is not None, size=size, page=page)
    rows = data.frame(dv.rows_query(v, schema))
    start = (page - 1) * size
    if total:
        note(f"Enregistrements {fmt.number(start + 1)} à {fmt.number(start + len(rows))} — page "
                   f"{fmt.number(page)} sur {fmt.number(pages)}"
                   + (" · la colonne géométrie est disponible à l'export" if schema.has_geometry else ""))
    else:
        st.info("Aucun enregistrement ne correspond aux filtres.")
    config = {c.name: st.column_config.Column(c.label + (f" ({c.unit})" if c.unit else ""),
                                              help=c.description[:300] or c.name)
              for c in schema.plain_columns}
    st.dataframe(rows, hide_index=True, width="stretch", column_config=config)
    return v


def tab_graphique(v: dv.DatasetView) -> dv.DatasetView:
    count_line(v)
    chart = v.chart or dv.suggest_chart(schema)
    if chart is None:
        st.info("Ce jeu de données n'a pas de colonne à représenter.")
        return v
    plain = [c.name for c in schema.plain_columns]
    numeric = [c.name for c in schema.plain_columns if c.numeric]
    c1, c2, c3, c4, c5 = st.columns(5)
    seed("dataset_chart_kind", chart.kind)
    kind = c1.selectbox("Type", list(dv.CHART_TYPES), key="dataset_chart_kind", format_func=dv.CHART_TYPES.get)
    x_options = numeric if kind == "histogram" else plain
    if kind == "histogram" and not numeric:
        st.info("Pas de colonne numérique : l'histogramme n'est pas possible.")
        return v
    seed("dataset_chart_x", chart.x if chart.x in x_options else None)
    if st.session_state.get("dataset_chart_x") not in [None, *x_options]:
        st.session_state["dataset_chart_x"] = None
    x = c2.selectbox("Axe horizontal (x)" if kind != "box" else "Groupes", [None, *x_options], key="dataset_chart_x", placeholder="—",
                     format_func=lambda n: "—" if n is None else col_label(schema, n))
    agg_options = ["count"] if kind in ("histogram", "scatter") else list(dv.AGGS)
    if kind == "box":
        agg_options = ["median"]
    seed("dataset_chart_agg", chart.agg if chart.agg in agg_options else agg_options[0])
    if st.session_state.get("dataset_chart_agg") not in agg_options:
        st.session_state["dataset_chart_agg"] = agg_options[0]
    agg = c3.selectbox("Agrégation", agg_options, key="dataset_chart_agg", format_func=dv.AGGS.get,
                       disabled=len(agg_options) == 1)
    seed("dataset_chart_y", chart.y if chart.y in numeric else None)
    if st.session_state.get("dataset_chart_y") not in [None, *numeric]:
        st.session_state["dataset_chart_y"] = None
    y = c4.selectbox("Valeur (y)", [None, *numeric], key="dataset_chart_y", placeholder="—",
                     format_func=lambda n: "—" if n is None else col_label(schema, n),
                     disabled=kind == "histogram" or (agg == "count" and kind not in ("scatter", "box")))
    seed("dataset_chart_series", chart.series if chart.series in plain else None)
    if st.session_state.get("dataset_chart_series") not in [None, *plain]:
        st.session_state["dataset_chart_series"] = None
    series = c5.selectbox("Couleur / séries", [None, *plain], key="dataset_chart_series", placeholder="—",
                          format_func=lambda n: "—" if n is None else col_label(schema, n),
                          disabled=kind in ("histogram", "pie", "box"))
    wanted = dv.ChartSpec(kind=kind, x=x, y=y, agg=agg, series=series)
    final = dv.normalise_chart(wanted, schema)
    if final is None:
        st.info("Choisissez les colonnes du graphique (axe horizontal, et une valeur numérique pour une somme, "
                "une moyenne…).")
        return v.replace(chart=wanted)
    v = v.replace(chart=final)
    try:
        cq = dv.chart_query(v, schema, final)
        result = data.frame(cq.query, max_rows=dv.SCATTER_CAP + 1)
    except QueryError as exc:
        st.error(str(exc))
        return v
    if result.empty:
        st.info("Aucune donnée à représenter avec ces filtres.")
        return v
    chart_title = chart_heading(final)
    fig = dataset_charts.figure(final, result, schema, title=chart_title)
    st.plotly_chart(fig, width="stretch", config={"displaylogo": False, "locale": "fr"})
    if "n_x" in result.columns and int(result["n_x"].max()) > cq.category_cap:
        note(f"Seules les {cq.category_cap} catégories les plus importantes sur "
                   f"{fmt.number(int(result['n_x'].max()))} sont représentées.")
    if "n_series" in result.columns and final.series and int(result["n_series"].max()) > dv.CHART_SERIES_CAP:
        note(f"Seules les {dv.CHART_SERIES_CAP} séries les plus importantes sont représentées.")
    if final.kind == "scatter" and len(result) >= dv.SCATTER_CAP:
        note(f"Nuage limité aux {fmt.number(dv.SCATTER_CAP)} premiers enregistrements.")
    with st.expander("Données du graphique (alternative textuelle)"):
        st.dataframe(dataset_charts.alt_table(final, result, schema), hide_index=True, width="stretch")
    return v


def _record_download(fmt_key: str) -> None:
    try:
        from catalogue.stats import record_download
    except ImportError:
        return
    record_download(dataset_id, fmt_key)


def tab_export(v: dv.DatasetView) -> None:
    n_filtered = count_line(v)
    options = exports.formats_for(schema)
    c1, c2 = st.columns(2)
    seed("dataset_export_fmt", "csv")
    fmt_key = c1.radio("Format", options, key="dataset_export_fmt", format_func=lambda k: exports.FORMATS[k].label)
    scopes = ["filtre", "tout"] if v.is_filtered else ["tout"]
    if st.session_state.get("dataset_export_scope") not in scopes:
        st.session_state["dataset_export_scope"] = scopes[0]
    scope = c2.radio("Enregistrements", scopes, key="dataset_export_scope", format_func=lambda s: (
        f"La sélection actuelle ({fmt.number(n_filtered)} enregistrements)" if s == "filtre"
        else f"Le jeu de données complet ({fmt.number(schema.rows)} enregistrements)"))
    bom = True
    if fmt_key in ("csv", "csv-comma"):
        bom = c1.checkbox("Avec BOM UTF-8 (pour Excel)", value=True, key="dataset_export_bom")
    export_view = v if scope == "filtre" else None
    rows = n_filtered if scope == "filtre" else schema.rows
    name = exports.file_name(dataset_id, fmt_key, scope == "filtre")
    too_big = fmt_key == "xlsx" and rows > exports.XLSX_MAX_ROWS
    if too_big:
        st.warning("Trop d'enregistrements pour Excel (1 048 575 au plus) : choisissez CSV ou Parquet, ou filtrez.")
    elif fmt_key in ("xlsx", "json", "geojson") and rows > 200_000:
        st.info("Fichier volumineux : sa préparation peut prendre plusieurs minutes. CSV et Parquet sont plus "
                "rapides pour de gros volumes.")

    def produce() -> Any:
        # Runs when the button is clicked (Streamlit's deferred download), on its own thread.
        result = exports.export_dataset(schema, fmt_key, export_view, bom=bom)
        return exports.open_for_download(result)

    st.download_button(f"Télécharger {name}", data=produce, file_name=name, mime=exports.FORMATS[fmt_key].mime,
                       key="dataset_export_download", on_click=_record_download, args=(fmt_key,), type="primary",
                       icon=":material/download:", disabled=too_big)
    note(f"{fmt.number(rows)} enregistrements, toutes les colonnes, dans l'ordre de la vue. Le fichier est "
               "produit au moment du clic.")
    info = exports.licence_info(dataset_id, export_view, rows)
    st.markdown(f"**Licence** : {info['licence']} — {info['licence_resume']}")
    note("Attribution à reprendre :")
    st.code(info["attribution"], language=None, wrap_lines=True)
    note("La licence et l'attribution accompagnent chaque fichier : métadonnées du JSON, du GeoJSON et du "
               "Parquet, feuille « Licence » du fichier Excel, et ce fichier texte pour les CSV.")
    st.download_button("Télécharger LISEZMOI.txt (licence et provenance)", data=exports.readme_text(info).encode(),
                       file_name=f"{dataset_id}_LISEZMOI.txt", mime="text/plain", key="dataset_export_readme",
                       on_click="ignore")


def tab_api(v: dv.DatasetView) -> None:
    count_line(v)
    page_q = dv.rows_query(v, schema)
    full_q = dv.export_query(v if v.is_filtered else None, schema)
    st.markdown("**SQL qui reproduit cette vue** — valeurs écrites en clair pour la lecture ; le portail, lui, "
                "les transmet séparément (paramètres liés).")
    st.code(page_q.display_sql(), language="sql", wrap_lines=True)
    sandbox_sql = full_q.display_sql()
    link("pages/sql.py", "Ouvrir dans l'éditeur SQL (tous les enregistrements de la vue)",
         query_params={"sql": sandbox_sql}, icon=":material/terminal:")
    note(f"Dans l'éditeur SQL, ce jeu de données est la vue `{queries.view_name(dataset_id)}`.")
    with st.expander("Requête exécutée (paramétrée)"):
        st.code(page_q.sql, language="sql", wrap_lines=True)
        st.code(json.dumps({k: raw_of(val) for k, val in page_q.params.items()}, ensure_ascii=False, indent=2),
                language="json")
    st.markdown("**Lien permanent de la vue**")
    st.code(share_url(v), language=None, wrap_lines=True)
    note("Le lien garde l'onglet, les filtres (`f=colonne:opération:valeur`, répétable), la recherche (`q`), "
               "le tri (`sort=colonne` ou `sort=-colonne`), la page (`page`, `size`), le graphique (`chart`, `x`, "
               "`y`, `agg`, `series`) et la carte (`map`, `mcol`, `magg`). Opérations : "
               + ", ".join(f"`{k}` ({label})" for k, label in dv.OPS.items()) + ".")


def tab_reutilisations() -> None:
    try:
        from ui.reuses import render_dataset_reuses
    except ImportError:
        st.info("Les réutilisations ne sont pas encore disponibles.")
        link("pages/reuse_submit.py", "Proposer une réutilisation", {"dataset": dataset_id}, icon=":material/add_circle:")
        return
    render_dataset_reuses(dataset_id)


if not view.embed:
    share_col = st.container()
try:
    if view.tab == "informations":
        tab_informations()
    elif view.tab == "tableau":
        view = tab_tableau(view)
    elif view.tab == "graphique":
        view = tab_graphique(view)
    elif view.tab == "carte":
        view = map_tab.render(view, schema, count_line(view))
    elif view.tab == "export":
        tab_export(view)
    elif view.tab == "api":
        tab_api(view)
    else:
        tab_reutilisations()
except QueryError as exc:
    # A time limit, a missing reference dataset (EPCI list) or a dataset replaced while reading: say so in French.
    st.error(f"Cette vue n'a pas pu être calculée : {exc}")
    link("pages/catalogue.py", "Retour au catalogue", icon=":material/search:")
if not view.embed:
    with share_col:
        share_box(view)

# -- write the view back to the URL -----------------------------------------------------------------------------------
new_params = view.to_params()
new_sig = canonical(new_params)
if new_sig != url_sig:
    st.query_params.from_dict(new_params)
st.session_state["dataset_sig"] = new_sig
