"""Catalogue: full-text search, facets, sort and pages; the whole view lives in the URL and can be shared."""

from urllib.parse import urlencode

import streamlit as st

import queries
from catalogue import stats
from config import get_settings
from exports import catalogue as exports
from queries import catalogue_search as cs
from ui import cards
from ui import commune_search as place_search
from ui import format as fmt

settings = get_settings()
FACET_KEY = "catalogue_facet_{}"


def _current_query() -> cs.CatalogueQuery:
    """The view the URL describes (already cleaned by the run that drew the widgets)."""
    query, _ = cs.parse_params(st.query_params.get_all)
    return query


def _write_url(query: cs.CatalogueQuery) -> None:
    """Replace our keys in the URL, keep the others (e.g. embed, handled by Streamlit itself)."""
    foreign = {k: st.query_params.get_all(k) for k in st.query_params if k not in cs.OWN_KEYS}
    st.query_params.from_dict({**foreign, **query.to_params()})


def _on_search() -> None:
    q = " ".join(str(st.session_state.get("catalogue_q", "")).split())[: cs.MAX_Q_CHARS]
    _write_url(_current_query().with_changes(q=q, page=1))


def _on_sort() -> None:
    chosen = st.session_state.get("catalogue_sort")
    query = _current_query()
    # The default sort stays out of the URL, so it keeps following the query (relevance once there is one).
    sort = None if chosen == query.with_changes(sort=None).effective_sort else chosen
    _write_url(query.with_changes(sort=sort, page=1))


def _on_facet(key: str) -> None:
    query = _current_query()
    filters = dict(query.filters)
    filters[key] = tuple(st.session_state.get(FACET_KEY.format(key), []))
    _write_url(query.with_changes(filters={k: v for k, v in filters.items() if v}, page=1))


def _remove_filter(key: str, value: str) -> None:
    query = _current_query()
    filters = {k: tuple(v for v in vals if not (k == key and v == value)) for k, vals in query.filters.items()}
    _write_url(query.with_changes(filters={k: v for k, v in filters.items() if v}, page=1))


def _clear_search() -> None:
    _write_url(_current_query().with_changes(q="", page=1))


st.title("Catalogue des données")

try:
    known = cs.known_values()
except queries.QueryError as exc:
    st.error(f"Le catalogue est momentanément indisponible : {exc}")
    st.stop()

query, notices = cs.parse_params(st.query_params.get_all, known)
if notices:
    for notice in notices:
        st.warning(cards.escape_markdown(notice), icon=":material/warning:")
    _write_url(query)  # the address bar now shows the view actually displayed

popularity = cs.popularity_scores(stats.popularity())
try:
    result = cs.search(query, popularity)
except queries.QueryError as exc:
    st.error(f"La recherche n'a pas pu aboutir : {exc}")
    st.stop()
if result.page != query.page:
    st.info(f"Cette recherche n'a que {result.pages} page(s) : voici la dernière.")
    query = query.with_changes(page=result.page)
    _write_url(query)

if query.q or query.filters:
    # Count each distinct search once per session (reruns and page changes are not new searches).
    signature = (query.q, tuple(sorted((k, tuple(sorted(v))) for k, v in query.filters.items())))
    if st.session_state.get("catalogue_logged") != signature:
        stats.record_search(query.q, cs.filters_for_log(query), result.total)
        st.session_state["catalogue_logged"] = signature

# Widgets show the URL's view: their state is set from it on every run, callbacks write the URL back.
st.session_state["catalogue_q"] = query.q
st.session_state["catalogue_sort"] = query.effective_sort
col_q, col_sort = st.columns([3, 1], vertical_alignment="bottom")
# live: each keystroke searches (and no English « Press Enter to apply » hint under the box).
col_q.text_input("Rechercher dans le catalogue", key="catalogue_q", on_change=_on_search, live=True,
                 placeholder="ex. collèges, musées, population…", max_chars=cs.MAX_Q_CHARS,
                 help="Titre, description, mots-clés, producteur et noms de colonnes ; accents, majuscules et "
                      "pluriels sont ignorés ; tous les mots doivent être présents.")
sorts = [s for s in cs.SORTS if s != "pertinence" or query.tokens]
col_sort.selectbox("Trier par", sorts, key="catalogue_sort", format_func=cs.SORTS.get, on_change=_on_sort)

col_facets, col_results = st.columns([1, 3], gap="large")

with col_facets:
    st.header("Filtres")  # h2 right under the page title (axe: heading-order)
    for key, title in cs.FACET_TITLES.items():
        values = result.facets.get(key, [])
        options = [f.value for f in values if f.count > 0 or f.selected]
        if not options:
            continue
        by_value = {f.value: f for f in values}
        st.session_state[FACET_KEY.format(key)] = [v for v in query.filters.get(key, ()) if v in options]
        st.multiselect(
            title, options, key=FACET_KEY.format(key), on_change=_on_facet, args=(key,),
            format_func=lambda v, m=by_value: f"{m[v].label} ({m[v].count})" if v in m else v,
            placeholder="Tous", select_all=False,  # Streamlit's « Select all » has no French label
        )

with col_results:
    if query.q:  # a commune or EPCI named by the search leads to its page, above the datasets matching as before
        place_search.render_places(query.q)
    noun = "jeu de données" if result.total <= 1 else "jeux de données"
    st.markdown(f"**{fmt.number(result.total)}** {noun}"
                + (f" · page {result.page} sur {result.pages}" if result.pages > 1 else ""))

    if result.total == 0:
        st.info("Aucun jeu de données ne correspond à cette recherche. Essayez d'autres mots ou retirez un filtre.",
                icon=":material/search_off:")
        if query.q:
            st.button(f"Retirer la recherche « {cards.escape_markdown(query.q)} »", key="catalogue_clear_q", on_click=_clear_search,
                      icon=":material/close:")
        for i, (key, value) in enumerate(query.active_filters()):
            label = known.get(key, {}).get(value, value)
            st.button(f"Retirer le filtre {cs.FACET_TITLES[key]} : {cards.escape_markdown(label)}", key=f"catalogue_remove_{i}",
                      on_click=_remove_filter, args=(key, value), icon=":material/close:")
        if query.active_filters():
            st.markdown("Plusieurs valeurs d'un même filtre s'additionnent (OU) ; des filtres différents se "
                       "combinent (ET).")
    else:
        for row in result.rows.to_dict("records"):
            cards.dataset_card(row)

    if result.pages > 1:
        prev_col, next_col = st.columns(2)
        if result.page > 1:
            prev_col.page_link("pages/catalogue.py", label="Page précédente", icon=":material/arrow_back:",
                               query_params=query.with_changes(page=result.page - 1).to_params())
        if result.page < result.pages:
            next_col.page_link("pages/catalogue.py", label="Page suivante", icon=":material/arrow_forward:",
                               query_params=query.with_changes(page=result.page + 1).to_params())

    with st.expander("Partager cette vue", icon=":material/share:"):
        params = query.to_params()
        link = f"{settings.public_base_url}/catalogue" + (f"?{urlencode(params, doseq=True)}" if params else "")
        embed = f"{settings.public_base_url}/catalogue?{urlencode({**params, 'embed': 'true'}, doseq=True)}"
        st.markdown("Lien vers cette recherche (filtres, tri et page compris) :")
        st.code(link, language=None)
        st.markdown("Code pour intégrer cette vue dans une autre page web :")
        st.code(f'<iframe src="{embed}" title="Catalogue — {settings.portal_name}" width="100%" height="800" '
                f'style="border:0" loading="lazy"></iframe>', language="html")

    with st.expander("Télécharger le catalogue complet", icon=":material/download:"):
        try:
            files = exports.catalogue_files()
        except queries.QueryError as exc:
            st.error(f"Export indisponible : {exc}")
        else:
            c1, c2, c3 = st.columns(3)
            c1.download_button("CSV (tableur)", files["csv"], file_name="catalogue.csv", mime="text/csv",
                               key="catalogue_dl_csv", on_click="ignore", icon=":material/table:")
            c2.download_button("JSON", files["json"], file_name="catalogue.json", mime="application/json",
                               key="catalogue_dl_json", on_click="ignore", icon=":material/data_object:")
            c3.download_button("DCAT (JSON-LD)", files["jsonld"], file_name="catalogue.jsonld",
                               mime="application/ld+json", key="catalogue_dl_dcat", on_click="ignore",
                               icon=":material/hub:")
            st.markdown("CSV séparé par « ; » (UTF-8), listes séparées par « | ». Le DCAT suit le vocabulaire "
                       "W3C DCAT, moissonnable par data.gouv.fr.")
