"""The « API » page: what the portal's machine API is, its base URL, copy-paste examples built on a real dataset,
ODSQL in a few lines, its limits (read from the settings), and the links to its description, DCAT and feeds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import streamlit as st

import queries
from catalogue import feeds
from catalogue.schema import Schema
from config import Settings, get_settings
from dashboards import codec
from dashboards.store import SCHEMA_PATH
from queries.dataset.odsql_url import API_PATH, RECORDS_MAX_LIMIT, RECORDS_MAX_WINDOW, Untranslatable, field, literal
from ui import format as fmt

OPENAPI_PATH = f"{API_PATH}/openapi.json"
# Served by api/dcat.py (the ui layer may not import api): the DCAT-AP catalogue, paged with Hydra.
DCAT_PATHS = {"JSON-LD": "/dcat/catalog.jsonld", "Turtle": "/dcat/catalog.ttl"}
ODS_PORTAL = "https://data.dordogne.fr"


@dataclass(frozen=True)
class Example:
    """A real dataset and a query on it, for the examples (ODSQL written by the dataset page's own helpers)."""

    dataset_id: str
    where: str | None
    order_by: str | None
    group_by: str | None


def example_for(schema: Schema) -> Example:
    """The latest period of its time column (if any), sorted by its first measure."""
    where = group_by = None
    time = schema.time_column
    col = schema.get(time)
    if time and col is not None:
        group_by = field(time)
        top = (schema.profile.get(time) or {}).get("max")
        try:
            where = f"{field(time)} = {literal(col.parse(str(top)), col)}" if top is not None else None
        except (ValueError, Untranslatable):
            where = None
    measures = schema.measure_columns or [c.name for c in schema.plain_columns if c.numeric]
    order_by = f"{field(measures[0])} desc" if measures else None
    return Example(schema.dataset_id, where, order_by, group_by)


def example_schema(settings: Settings) -> Schema | None:
    """The population dataset when it is published (every deployment has one), else the first published dataset."""
    published = sorted(queries.warehouse().datasets())
    for dataset_id in [settings.dataset("population"), *published]:
        if dataset_id in published:
            return Schema.from_meta(dataset_id, queries.dataset_meta(dataset_id))
    return None


def api_base(settings: Settings) -> str:
    return settings.public_base_url + API_PATH


def _query(params: dict[str, str | None]) -> str:
    return urlencode({k: v for k, v in params.items() if v}, quote_via=quote, safe="(),*")


def records_params(ex: Example, limit: int = 20) -> dict[str, str | None]:
    return {"where": ex.where, "order_by": ex.order_by, "limit": str(limit)}


def curl_example(base: str, ex: Example) -> str:
    url = f"{base}/catalog/datasets/{ex.dataset_id}/records?{_query(records_params(ex))}"
    return f"curl '{url}'"


def python_example(base: str, ex: Example) -> str:
    params = ", ".join(f"{k!r}: {v!r}" for k, v in records_params(ex).items() if v)
    return (
        "import requests\n\n"
        f"BASE = {base!r}\n"
        f"answer = requests.get(f\"{{BASE}}/catalog/datasets/{ex.dataset_id}/records\",\n"
        f"                      params={{{params}}}, timeout=60)\n"
        "answer.raise_for_status()\n"
        "data = answer.json()\n"
        "print(data[\"total_count\"], \"enregistrements\")\n"
        "for record in data[\"results\"]:\n"
        "    print(record)\n"
    )


def pandas_example(base: str, ex: Example) -> str:
    query = _query({"where": ex.where})
    url = f"{base}/catalog/datasets/{ex.dataset_id}/exports/csv" + (f"?{query}" if query else "")
    return (
        "import pandas as pd\n\n"
        "# Export CSV : toutes les lignes, sans limite ; séparateur « ; », UTF-8 avec BOM (pour Excel).\n"
        f"frame = pd.read_csv({url!r},\n"
        "                    sep=\";\", encoding=\"utf-8-sig\")\n"
        "print(frame.head())\n"
    )


def js_example(base: str, ex: Example) -> str:
    sets = "".join(f"url.searchParams.set({json.dumps(k)}, {json.dumps(v, ensure_ascii=False)});\n"
                   for k, v in records_params(ex).items() if v)
    return (
        f"const url = new URL({json.dumps(base + '/catalog/datasets/' + ex.dataset_id + '/records')});\n"
        f"{sets}"
        "const answer = await fetch(url);  // CORS ouvert : depuis n'importe quel site\n"
        "const data = await answer.json();\n"
        "console.log(data.total_count, data.results);\n"
    )


def limits_text(settings: Settings) -> list[str]:
    rate = (f"au plus {fmt.number(settings.api_rate_per_min)} appels par minute et par client ; au-delà, l'API "
            "répond `429 Too Many Requests` avec un en-tête `Retry-After` (secondes à attendre)"
            if settings.api_rate_per_min else "pas de limite d'appels par client sur ce portail")
    return [
        f"`/records` : `limit` ≤ {RECORDS_MAX_LIMIT} par appel et `offset + limit` ≤ "
        f"{fmt.number(RECORDS_MAX_WINDOW)} (comme chez Opendatasoft) ; au-delà, utilisez les exports.",
        "`/exports/{format}` : toutes les lignes, sans limite, envoyées au fil de l'eau (csv, json, jsonl, geojson, "
        "parquet, xlsx) ; `where`, `order_by`, `select`, `limit` et `offset` s'y appliquent aussi.",
        f"Exports simultanés : {fmt.number(settings.export_max_concurrent)} au plus ; au-delà, `429` avec "
        f"`Retry-After`. Un export dure au plus {settings.export_timeout_s:g} s.",
        f"Requêtes : {rate}. Chaque requête de l'API dispose de {settings.query_timeout_s:g} s au plus.",
        "Réponses avec `ETag` et `Last-Modified` (réponse `304` si rien n'a changé) et CORS ouvert en lecture "
        "(`GET`).",
    ]


ODSQL_LINES = [
    "`select` : champs, expressions, `count(*)`, `sum()`, `avg()`, `min()`, `max()`, `median()`, `percentile()`, "
    "alias `as` ; `include(nom*)` / `exclude(nom)`.",
    "`where` : comparaisons (`=`, `!=`, `<`, `>=`…), `and` / `or` / `not`, `in (…)`, `in [a..b]`, `like`, "
    "`is null`, `search()`, `suggest()`, `startswith()`, dates `date'2024-01-01'`, `year()`, `month()`, "
    "`within_distance()`, `in_bbox()` pour les jeux géographiques.",
    "`group_by` : champs, `range()`, `year()`… ; `order_by` : champs, alias ou agrégats, `asc` / `desc`.",
    "`refine` / `exclude` : facettes `champ:valeur` (répétables).",
    "Noms de champs entre accents graves (`` `nom` ``), textes entre guillemets (`\"Périgueux\"`, `\\\"` pour un "
    "guillemet). Une clause non prise en charge est refusée par une erreur `400` qui la nomme, jamais par un "
    "résultat faux.",
]


def render() -> None:
    settings = get_settings()
    base = api_base(settings)
    st.title("API")
    st.markdown(
        f"Les données de {settings.portal_name} sont accessibles aux programmes par une **API compatible avec "
        "l'API Explore v2.1 d'Opendatasoft** : mêmes adresses, mêmes paramètres, même langage de requête (ODSQL), "
        f"mêmes réponses. Un script écrit pour [data.dordogne.fr]({ODS_PORTAL}) ou pour n'importe quel portail "
        "Opendatasoft fonctionne ici sans changement : seule l'adresse de base change.")
    st.markdown("**Adresse de base**")
    # Code blocks without syntax colours: the highlighter's token colours fail WCAG AA contrast (axe, browser test).
    st.code(base, language=None)
    st.markdown(
        "Principales adresses : `/catalog/datasets` (le catalogue), `/catalog/datasets/{id}` (un jeu de données et "
        "ses champs), `/catalog/datasets/{id}/records` (les enregistrements, par pages), "
        "`/catalog/datasets/{id}/exports/{format}` (téléchargement complet), `/catalog/datasets/{id}/facets` "
        "(valeurs et effectifs). Chaque page de jeu de données donne, dans son onglet « API / SQL », les appels qui "
        "reproduisent exactement la vue affichée.")

    schema = example_schema(settings)
    if schema is not None:
        ex = example_for(schema)
        st.subheader("Exemples")
        st.markdown(f"Sur le jeu de données `{ex.dataset_id}`, à copier-coller tels quels.")
        st.markdown("**curl**")
        st.code(curl_example(base, ex), language=None, wrap_lines=True)
        st.markdown("**Python (requests)**")
        st.code(python_example(base, ex), language=None, wrap_lines=True)
        st.markdown("**pandas, sur un export CSV**")
        st.code(pandas_example(base, ex), language=None, wrap_lines=True)
        st.markdown("**JavaScript (fetch)**")
        st.code(js_example(base, ex), language=None, wrap_lines=True)
        if ex.group_by:
            st.markdown("**Agréger côté serveur**")
            st.code(f"{base}/catalog/datasets/{ex.dataset_id}/records?"
                    + _query({"select": f"{ex.group_by}, count(*) as n", "group_by": ex.group_by,
                              "order_by": ex.group_by, "limit": str(RECORDS_MAX_LIMIT)}),
                    language=None, wrap_lines=True)

    st.subheader("Le langage de requête ODSQL en bref")
    st.markdown("\n".join(f"- {line}" for line in ODSQL_LINES))
    st.subheader("Limites")
    st.markdown("\n".join(f"- {line}" for line in limits_text(settings)))

    st.subheader("Tableaux de bord")
    st.markdown(
        "Un [tableau de bord](/tableaux-de-bord) réunit des graphiques, cartes, tableaux, chiffres clés et textes tirés "
        "des jeux de données. C'est un document JSON versionné, décrit par son [schéma JSON]"
        f"({settings.public_base_url}{SCHEMA_PATH}) : un programme peut en écrire un, puis l'ouvrir par le lien "
        "`/tableau-de-bord?d=…`, où `d` est le document JSON compressé par zlib (deflate) puis encodé en base64url "
        f"sans « = » final ({codec.MAX_COMPRESSED // 1024} Ko compressés au plus). Un tableau de bord enregistré a une "
        "adresse courte permanente, `/tableaux-de-bord/<identifiant>` ; ajoutez `?embed=true` pour l'intégrer dans "
        "une page.")
    if schema is not None:  # a key figure (the number of records) of the examples' dataset
        doc = {"version": 1, "title": "Mon tableau de bord",
               "blocks": [{"type": "figure", "dataset": example_for(schema).dataset_id}]}
        st.code("import base64, json, zlib\n"
                f"doc = {json.dumps(doc, ensure_ascii=False)}\n"
                'd = base64.urlsafe_b64encode(zlib.compress(json.dumps(doc).encode())).decode().rstrip("=")\n'
                f'print("{settings.public_base_url}/tableau-de-bord?d=" + d)', language=None, wrap_lines=True)

    st.subheader("Descriptions et flux")
    root = settings.public_base_url
    links = [f"[Description OpenAPI de l'API]({root}{OPENAPI_PATH}) (celle d'Opendatasoft, avec l'adresse de ce "
             "portail) : pour Swagger UI, Postman ou un générateur de client."]
    links += [f"[Catalogue DCAT ({kind})]({root}{path}) : moissonnable par data.gouv.fr (DCAT-AP, paginé)."
              for kind, path in DCAT_PATHS.items()]
    links.append(f"[Flux Atom du catalogue]({root}{feeds.CATALOGUE_FEED_PATH}) : nouveaux jeux de données et mises "
                 "à jour.")
    st.markdown("\n".join(f"- {line}" for line in links))
