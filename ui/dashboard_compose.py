"""Composing a dashboard: its title, territory and year, blocks added from any published dataset (or pasted from a
dataset page's link, filters included), moved up and down, sized on the grid. The document being composed lives in
the session; every change goes through dashboards.spec.parse, so what is shown is what a link will carry."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import streamlit as st

import queries
from dashboards import codec, store
from dashboards.spec import BLOCK_TYPES, LEVELS, WIDTHS, Dashboard, SpecError, parse, to_doc
from dashboards.views import view_doc
from queries import QueryError
from queries.dataset.state import AGGS, CHART_TYPES, MAP_MODES, PAGE_SIZES, parse_view, valid_id
from ui.dashboard import level_names, propose_link
from ui.dashboard_blocks import public_url, short_url
from ui.dataset import data
from ui.dataset.common import col_label, md_escape, note
from ui.reuses import client_address, dataset_titles

DOC = "dashboard_doc"  # the document being composed (a plain JSON-like dict)
NONE = "—"


def current() -> Dashboard:
    return parse(st.session_state[DOC])


def start(encoded: str | None) -> list[str]:
    """Open the composer once per session: on the dashboard of `?d=` (to edit a copy), else an empty one."""
    if DOC in st.session_state:
        return []
    doc: dict[str, Any] = {"version": 1, "blocks": []}
    notes = []
    if encoded:
        try:
            doc = to_doc(codec.decode(encoded))
        except SpecError as exc:
            notes.append(f"Le tableau de bord du lien n'a pas pu être repris : {exc}.")
    st.session_state[DOC] = doc
    return notes


def _commit(doc: dict[str, Any]) -> bool:
    """Keep `doc` if it is a valid dashboard, else say why (nothing changes)."""
    try:
        parse(doc)
    except SpecError as exc:
        st.error(f"Modification refusée : {exc}.")
        return False
    st.session_state[DOC] = doc
    return True


def settings_form() -> None:
    """Title, territory and year of the whole dashboard."""
    doc = dict(st.session_state[DOC])
    title = st.text_input("Titre du tableau de bord", value=doc.get("title", ""), max_chars=120,
                          key="dashboard_title")
    flt = dict(doc.get("filter") or {})
    c1, c2, c3 = st.columns([1, 2, 1])
    levels = [NONE, *LEVELS]
    level = c1.selectbox("Filtre de territoire", levels, index=levels.index(flt.get("level") or NONE),
                         format_func=lambda v: "Aucun" if v == NONE else LEVELS[v], key="dashboard_level")
    code = None
    if level != NONE:
        names = level_names(level)
        options = sorted(names, key=lambda c: names[c])
        index = options.index(flt["code"]) if flt.get("code") in options else None
        code = c2.selectbox(LEVELS[level], options, index=index, format_func=lambda c: f"{names[c]} ({c})",
                            placeholder="Choisissez…", key=f"dashboard_code_{level}")
    year = c3.number_input("Année (facultatif)", min_value=1800, max_value=2200, value=flt.get("year"), step=1,
                           key="dashboard_year")
    new_filter = {k: v for k, v in (("level", level if code else None), ("code", code),
                                    ("year", int(year) if year is not None else None)) if v is not None}
    changed = {**doc, "title": title.strip(), "filter": new_filter}
    if not new_filter:
        changed.pop("filter")
    if not changed["title"]:
        changed.pop("title")
    if changed != doc:
        _commit(changed)


def _move(i: int, step: int) -> None:
    doc = dict(st.session_state[DOC])
    blocks = list(doc["blocks"])
    j = i + step
    if 0 <= j < len(blocks):
        blocks[i], blocks[j] = blocks[j], blocks[i]
        st.session_state[DOC] = {**doc, "blocks": blocks}


def _remove(i: int) -> None:
    doc = dict(st.session_state[DOC])
    st.session_state[DOC] = {**doc, "blocks": [b for k, b in enumerate(doc["blocks"]) if k != i]}


def _resize(i: int) -> None:
    doc = dict(st.session_state[DOC])
    blocks = [dict(b) for b in doc["blocks"]]
    chosen = st.session_state[f"dashboard_width_{i}"]
    if chosen is not None:  # a second click on the chosen width unselects it: keep the width then
        blocks[i]["width"] = int(chosen)
    st.session_state[DOC] = {**doc, "blocks": blocks}


def block_list() -> None:
    """The blocks in order, each with ↑ ↓, its width on the grid, and ✕."""
    blocks = st.session_state[DOC]["blocks"]
    if not blocks:
        st.info("Aucun bloc pour l'instant : ajoutez-en un ci-dessous.")
    titles = dataset_titles()
    for i, block in enumerate(blocks):
        # The controls sit in one row of content-sized widgets (a horizontal container, not columns, which stack on a
        # phone: four widgets per block would bury the list).
        text, controls = st.columns([3, 2], vertical_alignment="center")
        row = controls.container(horizontal=True, vertical_alignment="center", gap="small")
        source = titles.get(block.get("dataset", ""), block.get("dataset", "")) if block.get("dataset") else ""
        text.markdown(f"**{i + 1}. {BLOCK_TYPES[block['type']]}** — {md_escape(block.get('title') or 'sans titre')}"
                      + (f" · :small[{md_escape(source)}]" if source else ""))
        row.button("↑", key=f"dashboard_up_{i}", on_click=_move, args=(i, -1), disabled=i == 0, help="Monter le bloc")
        row.button("↓", key=f"dashboard_down_{i}", on_click=_move, args=(i, 1), disabled=i == len(blocks) - 1,
                   help="Descendre le bloc")
        st.session_state[f"dashboard_width_{i}"] = block.get("width", 1)
        row.segmented_control("Largeur (colonnes)", list(WIDTHS), key=f"dashboard_width_{i}", on_change=_resize,
                              args=(i,), label_visibility="collapsed", help="Largeur du bloc, en colonnes de la grille")
        row.button("✕", key=f"dashboard_remove_{i}", on_click=_remove, args=(i,), help="Retirer le bloc")


def incoming(block_type: str | None, vue: str | None, sql: str | None) -> list[str]:
    """`?bloc=chart&vue=<a dataset page's query string>` or `?bloc=table&sql=<query>`: what the « Ajouter au tableau
    de bord » buttons of the dataset page and /sql send. The block is appended once per session (reloading the same
    link adds nothing); the SQL is only stored here, and runs on demand in the sandbox like /sql's."""
    if not block_type:
        return []
    token = f"{block_type}|{vue}|{sql}"
    if st.session_state.get("dashboard_incoming") == token:
        return []
    st.session_state["dashboard_incoming"] = token
    if block_type not in BLOCK_TYPES or block_type == "text":
        return [f"Type de bloc « {block_type[:20]} » inconnu : rien n'a été ajouté."]
    notes: list[str] = []
    if sql:
        block: dict[str, Any] = {"type": "table", "title": "Requête SQL", "sql": sql}
    else:
        dataset_id, view, notes = _from_link("?" + (vue or ""))
        if dataset_id is None:
            return [f"Rien n'a été ajouté : {'; '.join(notes)}."]
        block = {"type": block_type, "dataset": dataset_id, **({"view": view} if view else {})}
    before = len(st.session_state[DOC]["blocks"])
    _add(block)
    refused = st.session_state.pop("dashboard_refused", None)
    if refused or len(st.session_state[DOC]["blocks"]) == before:
        return [refused or "Rien n'a été ajouté."]
    return [f"Une partie du lien a été ignorée : {text}." for text in notes]


def _from_link(link: str) -> tuple[str | None, dict[str, Any], list[str]]:
    """A dataset page's link (`/jeu-de-donnees?id=…&f=…`) → its dataset, its view as a block's `view`, notes."""
    params = parse_qs(urlsplit(link.strip()).query)
    dataset_id = (params.get("id") or [""])[-1]
    if not valid_id(dataset_id):
        return None, {}, ["le lien ne désigne pas un jeu de données du portail"]
    try:
        schema = data.schema(dataset_id)
    except QueryError:
        return None, {}, [f"le jeu de données « {dataset_id} » n'est pas publié"]
    view, notes = parse_view(params, schema)
    return dataset_id, view_doc(view), notes


def _options(kind: str, dataset_id: str) -> dict[str, Any]:
    """The settings of a chart, map, table or key figure, with the dataset's columns as choices."""
    schema = data.schema(dataset_id)
    plain = [c.name for c in schema.plain_columns]
    numeric = [c.name for c in schema.plain_columns if c.numeric and not schema.is_commune_code(c.name)]
    label = lambda n: NONE if n == NONE else col_label(schema, n)  # noqa: E731
    out: dict[str, Any] = {}
    c1, c2, c3, c4 = st.columns(4)
    if kind == "chart":
        view: dict[str, Any] = {"chart": c1.selectbox("Type de graphique", list(CHART_TYPES), key="dashboard_new_chart",
                                                      format_func=CHART_TYPES.get)}
        x = c2.selectbox("Axe horizontal", [NONE, *plain], key="dashboard_new_x", format_func=label)
        agg = c3.selectbox("Agrégation", list(AGGS), key="dashboard_new_agg", format_func=AGGS.get)
        y = c4.selectbox("Valeur", [NONE, *numeric], key="dashboard_new_y", format_func=label)
        view.update({k: v for k, v in (("x", x), ("y", y)) if v != NONE})
        view["agg"] = agg
        out["view"] = view
    elif kind == "map":
        mode = c1.selectbox("Représentation", schema.map_modes, key="dashboard_new_map", format_func=MAP_MODES.get)
        view = {"map": mode}
        if mode == "choropleth":
            column = c2.selectbox("Valeur par commune", [NONE, *numeric], key="dashboard_new_mcol", format_func=label)
            if column != NONE:
                view["mcol"] = column
                view["magg"] = c3.selectbox("Agrégation", [a for a in AGGS if a != "count"], key="dashboard_new_magg",
                                            format_func=AGGS.get)
        out["view"] = view
    elif kind == "table":
        out["columns"] = st.multiselect("Colonnes (toutes si aucune)", plain, key="dashboard_new_columns",
                                        format_func=label, max_selections=30)
        sort = c1.selectbox("Trier par", [NONE, *plain], key="dashboard_new_sort", format_func=label)
        desc = c2.toggle("Décroissant", key="dashboard_new_desc")
        size = c3.selectbox("Lignes", list(PAGE_SIZES), key="dashboard_new_size")
        out["view"] = {**({"sort": ("-" if desc else "") + sort} if sort != NONE else {}), "size": str(size)}
    elif kind == "figure":
        out["agg"] = c1.selectbox("Calcul", list(AGGS), key="dashboard_new_fagg", format_func=AGGS.get)
        if out["agg"] != "count":
            out["column"] = c2.selectbox("Colonne", numeric, key="dashboard_new_fcol", format_func=label)
        out["unit"] = c3.text_input("Unité", max_chars=20, key="dashboard_new_unit")
    return out


def add_form() -> None:
    """Add one block: a type, a title, then a dataset (picked, or pasted as a dataset page's link) and its options,
    or a Markdown text."""
    st.subheader("Ajouter un bloc", anchor=False)
    c1, c2 = st.columns([1, 3])
    kind = c1.selectbox("Type de bloc", list(BLOCK_TYPES), key="dashboard_new_type", format_func=BLOCK_TYPES.get)
    title = c2.text_input("Titre du bloc", max_chars=120, key="dashboard_new_title")
    block: dict[str, Any] = {"type": kind}
    if title.strip():
        block["title"] = title.strip()
    from_sql = kind == "table" and st.radio("Source du tableau", ["dataset", "sql"], horizontal=True,
                                            key="dashboard_new_source",
                                            format_func={"dataset": "Jeu de données", "sql": "Requête SQL"}.get) == "sql"
    if kind == "text":
        block["text"] = st.text_area("Texte (Markdown : **gras**, *italique*, listes, liens http(s))", max_chars=4000,
                                     key="dashboard_new_text")
    elif from_sql:
        # Stored only: the dashboard runs it on demand, in /sql's sandbox (worker process, time/memory/row limits).
        block["sql"] = st.text_area("Requête (une instruction SELECT, comme sur la page « Requêtes SQL »)",
                                    max_chars=4000, key="dashboard_new_sql", placeholder="SELECT … FROM ds_…")
    else:
        link = st.text_input("Lien d'une vue de jeu de données (facultatif : ses filtres sont repris)",
                             key="dashboard_new_link", placeholder="/jeu-de-donnees?id=…&f=…")
        titles = {i: t for i, t in dataset_titles().items() if i in set(queries.published_ids())}
        if link.strip():
            dataset_id, view, notes = _from_link(link)
            for text in notes:
                note(f"Lien : {text}.")
            if dataset_id is None:
                return
            st.markdown(f"Jeu de données : **{titles.get(dataset_id, dataset_id)}**")
        else:
            # The last dataset chosen stays chosen when the block type goes to « Texte » and back (Streamlit forgets a
            # widget that was not drawn).
            options = list(titles)
            last = st.session_state.get("dashboard_last_dataset")
            dataset_id = st.selectbox("Jeu de données", options, key="dashboard_new_dataset",
                                      format_func=lambda i: titles[i], placeholder="Choisissez…",
                                      index=options.index(last) if last in options else None)
            st.session_state["dashboard_last_dataset"] = dataset_id
            view = {}
            if dataset_id is None:
                return
        if kind == "map" and not data.schema(dataset_id).map_modes:
            st.info("Ce jeu de données n'a pas de dimension géographique : choisissez-en un autre pour une carte.")
            return
        options = _options(kind, dataset_id)
        block.update({"dataset": dataset_id, **options})
        merged = {**view, **options.get("view", {})}
        if merged:
            block["view"] = merged
    st.button("Ajouter le bloc", key="dashboard_add", type="primary", icon=":material/add:", on_click=_add,
              args=(block,))
    refused = st.session_state.pop("dashboard_refused", None)
    if refused:
        st.error(refused)


def _add(block: dict[str, Any]) -> None:
    """Append the block (if the dashboard stays valid) and empty the fields a next block would not share."""
    doc = st.session_state[DOC]
    new = {**doc, "blocks": [*doc["blocks"], block]}
    try:
        parse(new)
    except SpecError as exc:
        st.session_state["dashboard_refused"] = f"Bloc refusé : {exc}."
        return
    st.session_state[DOC] = new
    for name in ("title", "text", "link", "unit", "sql"):
        st.session_state[f"dashboard_new_{name}"] = ""


def result(board: Dashboard) -> None:
    """The link that carries the dashboard, its preview, and the short permanent link on request."""
    try:
        encoded = codec.encode(board)
    except SpecError as exc:
        st.error(f"Ce tableau de bord ne tient pas dans un lien : {exc}.")
        return
    st.markdown("**Lien à copier**")
    st.code(public_url(f"d={encoded}"), language=None, wrap_lines=True)
    if st.button("Enregistrer (lien court)", key="dashboard_save", icon=":material/save:", disabled=not board.blocks):
        versions = {}
        for block in board.blocks:
            if block.dataset:
                try:
                    versions[block.dataset] = str(data.meta(block.dataset).get("version") or "")
                except QueryError:
                    continue
        try:
            st.session_state["dashboard_slug"] = (encoded, store.save(board, versions, client_address()))
        except SpecError as exc:
            st.error(f"Enregistrement refusé : {exc}.")
    saved_for, slug = st.session_state.get("dashboard_slug") or ("", "")
    if slug and saved_for == encoded:  # a short link is shown only for the dashboard it saved
        st.success("Tableau de bord enregistré. Lien court permanent :")
        st.code(short_url(slug), language=None)
        propose_link(board, slug)
    note("Un tableau de bord enregistré n'est listé nulle part, mais il est public : toute personne qui a le lien "
         "peut le voir.")
