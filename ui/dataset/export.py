"""The dataset page's « Export » tab: the whole dataset or exactly the filtered rows, streamed, licence alongside."""

from __future__ import annotations

import streamlit as st

import exports
from catalogue.stats import record_download
from config import get_settings
from queries.dataset.odsql_url import EXPORT_LABELS, api_calls, download_urls
from queries.dataset.state import DatasetView
from ui import format as fmt
from ui.dataset.common import Dataset, count_line, md_escape, note, seed


def prepare(ds: Dataset, fmt_key: str, export_view: DatasetView | None, bom: bool, name: str) -> None:
    """Produce the file now (within the export limits) and offer it, or say in French why it cannot be."""
    try:
        with st.spinner("Préparation du fichier…"):
            result = exports.export_dataset(ds.schema, fmt_key, export_view, bom=bom)
    except exports.ExportError as exc:
        st.error(str(exc))
        return
    record_download(ds.id, fmt_key)
    with exports.open_for_download(result) as handle:  # read once by Streamlit; nothing stays in the temp folder
        st.download_button(f"Télécharger {name}", data=handle, file_name=name, mime=exports.FORMATS[fmt_key].mime,
                           key="dataset_export_download", on_click="ignore", type="primary",
                           icon=":material/download:")


def permanent_urls(ds: Dataset, v: DatasetView, fmt_key: str) -> None:
    """The API's download URLs of this format: always the current version, for scripts and links (no button)."""
    base = get_settings().public_base_url
    st.markdown("**Adresses de téléchargement permanentes** (API, toujours la version à jour)")
    note(f"Format de l'API : {EXPORT_LABELS[fmt_key]}.")
    whole = download_urls(ds.schema, base, [fmt_key]).get(fmt_key)
    if whole:
        note("Jeu de données complet :")
        st.code(whole, language=None, wrap_lines=True)
    if v.is_filtered:
        calls = api_calls(v, ds.schema, base, [fmt_key])
        if calls.refused:
            note("Lignes filtrées : pas d'adresse exacte dans l'API pour ce filtre ("
                 + " ; ".join(md_escape(r) for r in calls.refused) + ").")
        elif calls.exports and fmt_key in calls.exports:
            note("Lignes filtrées (mêmes filtres, même tri) :")
            st.code(calls.exports[fmt_key], language=None, wrap_lines=True)


def render(ds: Dataset, v: DatasetView) -> None:
    schema, dataset_id = ds.schema, ds.id
    n_filtered = count_line(v, schema)
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

    # Two steps: the file is produced in this run, so that a refusal (too many exports at once) or the time limit
    # is told in French on the page; a deferred download could only fail with the browser's generic message.
    if st.button(f"Préparer {name}", key="dataset_export_prepare", type="primary", icon=":material/download:",
                 disabled=too_big):
        prepare(ds, fmt_key, export_view, bom, name)
    note(f"{fmt.number(rows)} enregistrements, toutes les colonnes, dans l'ordre de la vue. Le fichier est "
         "produit au moment du clic.")
    permanent_urls(ds, v, fmt_key)
    info = exports.licence_info(dataset_id, export_view, rows)
    st.markdown(f"**Licence** : {info['licence']} — {info['licence_resume']}")
    note("Attribution à reprendre :")
    st.code(info["attribution"], language=None, wrap_lines=True)
    note("La licence et l'attribution accompagnent chaque fichier : métadonnées du JSON, du GeoJSON et du "
         "Parquet, feuille « Licence » du fichier Excel, et ce fichier texte pour les CSV.")
    st.download_button("Télécharger LISEZMOI.txt (licence et provenance)", data=exports.readme_text(info).encode(),
                       file_name=f"{dataset_id}_LISEZMOI.txt", mime="text/plain", key="dataset_export_readme",
                       on_click="ignore")
