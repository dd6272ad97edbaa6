"""The dataset page's « Informations » tab: description, licence, metadata, provenance, versions, schema, profile."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from catalogue import feeds, vocab
from config import get_settings
from queries import QueryError
from queries.dataset.sql import histogram_query
from ui import format as fmt
from ui.dataset import data
from ui.dataset.common import Dataset, md_escape, note
from ui.reuses import render_markdown

TYPE_LABELS = {"integer": "Entier", "number": "Nombre décimal", "text": "Texte", "date": "Date",
               "datetime": "Date et heure", "boolean": "Booléen", "geometry": "Géométrie (GeoJSON)"}


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


def render(ds: Dataset) -> None:
    _description_and_licence(ds)
    _metadata(ds)
    _provenance(ds)
    _versions(ds)
    _schema_and_profile(ds)


def _description_and_licence(ds: Dataset) -> None:
    spec = ds.spec
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Description")
        # the publisher's Markdown, harvested: no remote image, no raw HTML, links rel="nofollow noopener"
        render_markdown(spec.description if spec else "", empty="_Pas de description._")
    with right:
        st.subheader("Licence")
        lic_id = spec.license.id if spec else "notspecified"
        lic_title = spec.license.title if spec else vocab.license_title(lic_id)
        lic_url = spec.license.url if spec else vocab.license_url(lic_id)
        st.markdown(f"[{lic_title}]({lic_url})" if lic_url else lic_title)
        st.info(vocab.license_summary(lic_id))
        note("Attribution à reprendre dans vos réutilisations :")
        st.code((spec.attribution if spec and spec.attribution else (spec.publisher if spec else ds.id)),
                language=None, wrap_lines=True)


def _metadata(ds: Dataset) -> None:
    spec, schema = ds.spec, ds.schema
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
        rows.append(("Identifiant", ds.id))
    rows += [("Enregistrements", fmt.number(schema.rows)), ("Colonnes", fmt.number(len(schema.columns)))]
    field_table(rows)

    warnings = ds.meta.get("warnings") or []
    if warnings:
        st.subheader("Avertissements du chargement")
        st.warning(f"{len(warnings)} avertissement(s) lors du chargement de la source :\n\n"
                   + "\n".join(f"- {w}" for w in warnings[:50])
                   + ("\n- …" if len(warnings) > 50 else ""))


def _provenance(ds: Dataset) -> None:
    spec, meta = ds.spec, ds.meta
    st.subheader("Provenance")
    src = meta.get("source") or {}
    url = (spec.source.url if spec else None) or src.get("url")
    path = (spec.source.path if spec else None) or src.get("path")
    # What a visitor needs first: where the data comes from and when it was loaded, in words; the portal's own file
    # path, the version stamp and the file's hash are for checking, folded below.
    prov = [
        ("Source", url or ("Fichier fourni avec le portail" if path else "–")),
        ("Page de la source", (spec.source.page or "–") if spec else (src.get("page") or "–")),
        ("Chargé le", fmt.datetime_long(meta.get("loaded_at"))),
    ]
    field_table(prov)
    with st.expander("Détails techniques (fichier lu, version, empreinte)"):
        field_table([
            ("Fichier source", path or url or "–"),
            ("Format lu", " · ".join(str(x) for x in (src.get("format"), src.get("encoding"),
                                                     f"séparateur « {src['delimiter']} »" if src.get("delimiter")
                                                     else None) if x) or "–"),
            ("Version", str(meta.get("version") or "–")),
            ("Chargé le (UTC, ISO 8601)", str(meta.get("loaded_at") or "–")),
            ("Empreinte SHA-256 du fichier source", str(src.get("sha256") or "–")),
        ])
    if spec and spec.provenance:
        with st.expander("Détail de la provenance"):
            st.text(spec.provenance)


def _versions(ds: Dataset) -> None:
    feed = get_settings().public_base_url + feeds.dataset_feed_path(ds.id)
    st.markdown(f"[Suivre les mises à jour (Atom)]({feed}) : chaque nouvelle version de ce jeu de données, avec ce "
                "qui a changé, dans votre lecteur de flux.")
    versions = data.versions(ds.id)
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
            hist.append({"Version": ver.get("version"), "Chargée le": fmt.datetime_long(ver.get("loaded_at")),
                         "Enregistrements": ver.get("rows"), "Changements": "; ".join(change) or "–",
                         "En service": "oui" if ver.get("current") or ver.get("version") == ds.meta.get("version")
                         else ""})
        st.dataframe(pd.DataFrame(hist), hide_index=True, width="stretch")


def _schema_and_profile(ds: Dataset) -> None:
    schema = ds.schema
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
                hist = [int(n) for n in data.frame(histogram_query(schema, c.name, bins=12))["n"]]
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
