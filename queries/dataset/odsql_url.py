"""A dataset page's view → the Explore API calls that return exactly its rows: ODSQL text (where, order_by, select)
and the records and export URLs. Pure string building: no SQL, no query, and nothing from `api` (nothing imports it).

Each filter of the page has one ODSQL form with the same result as queries/dataset/sql.py's SQL, as api/odsql
translates it:

| page (`f=col:op:value`, `q`) | page SQL                                  | ODSQL                          |
|------------------------------|-------------------------------------------|--------------------------------|
| `eq` (OR within a column)    | `col IN (v1, v2)`                         | `` `col` in (v1, v2) ``        |
| `ne`                         | `col IS DISTINCT FROM v` (nulls kept)     | `` not `col` = v `` (ODS: a comparison with null is false, its negation true) |
| `gte`, `lte`                 | `col >= v`, `col <= v`                    | `` `col` >= v ``, `` `col` <= v `` |
| `contains` (text columns)    | folded substring                          | `` `col` like "v" `` (folded substring; `*` would be a wildcard) |
| `null`, `notnull`            | `IS NULL`, `IS NOT NULL`                  | `is null`, `is not null`       |
| `q`                          | folded substring of any text column       | `` (`a` like "q" or `b` like "q") `` — not `search()`, which matches words fuzzily |
| `epci`                       | commune codes of the EPCI (a sub-query)   | none: refused, said on the tab |

Sort: `order_by=`col` asc|desc`; both sides put nulls last and break ties on the row's position in the file.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from catalogue.schema import Column, Schema
from queries.dataset.state import DatasetView, Filter

API_PATH = "/api/explore/v2.1"
# Opendatasoft's paging contract for records (exports have no cap); api/odsql/query.py reads them from here.
RECORDS_MAX_LIMIT = 100
RECORDS_MAX_WINDOW = 10_000
# The field the API adds to a point dataset (from its longitude/latitude); the page's exports do not have it.
GEO_POINT_FIELD = "geo_point_2d"
# Page export format → (API export format, extra parameters).
EXPORT_FORMATS: dict[str, tuple[str, dict[str, str]]] = {
    "csv": ("csv", {}), "csv-comma": ("csv", {"delimiter": ","}), "json": ("json", {}), "geojson": ("geojson", {}),
    "parquet": ("parquet", {}), "xlsx": ("xlsx", {}),
}
# What each URL gives (the API writes numbers with a decimal point in every CSV, as Opendatasoft does).
EXPORT_LABELS = {"csv": "CSV (séparateur « ; », point décimal)", "csv-comma": "CSV (séparateur « , », point décimal)",
                 "json": "JSON (liste d'enregistrements)", "geojson": "GeoJSON", "parquet": "Parquet",
                 "xlsx": "Excel (XLSX)"}


class Untranslatable(ValueError):
    """A part of the view that has no exact ODSQL equivalent (the French message says which and why)."""


@dataclass(frozen=True)
class ApiCalls:
    """The API calls of one view. `refused` lists (in French) what has no exact ODSQL equivalent: then there is no
    URL at all (a URL returning other rows would be worse than none). `records` holds one URL, or several when a
    page is larger than the API's limit; it is empty (with `records_note`) past the API's paging window."""

    where: str | None = None
    order_by: str | None = None
    select: str | None = None
    records: tuple[str, ...] = ()
    records_note: str | None = None
    exports: dict[str, str] | None = None
    refused: tuple[str, ...] = ()


def dataset_base(public_base_url: str, dataset_id: str) -> str:
    return f"{public_base_url.rstrip('/')}{API_PATH}/catalog/datasets/{quote(dataset_id, safe='')}"


def field(name: str) -> str:
    """A field name in ODSQL: always between backticks (a name such as `date` or `and` stays a name)."""
    if "`" in name:
        raise Untranslatable(f"le nom de colonne « {name} » contient une apostrophe inverse")
    return f"`{name}`"


def string(text: str) -> str:
    """An ODSQL string literal: double quotes, backslash escapes for `\\` and `"` (as api/odsql's parser reads it)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal(value: Any, column: Column) -> str:
    """A typed filter value (state.parse_filter parsed it for the column) as an ODSQL literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Untranslatable(f"valeur non finie pour « {column.name} »")
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise Untranslatable(f"date avec fuseau horaire pour « {column.name} »")
        # Microseconds always written: the literal then names one instant, so `=` and `<=` compare exactly.
        return f"date'{value.isoformat(timespec='microseconds')}'"
    if isinstance(value, dt.date):
        return f"date'{value.isoformat()}'"
    if isinstance(value, str):
        return string(value)
    raise Untranslatable(f"valeur de type inconnu pour « {column.name} »")


def _like_text(text: str, what: str) -> str:
    """Text for `like`: the API folds it in Python and the page in DuckDB, which agree on letters and accents but not
    on compatibility characters (ligatures such as « ﬁ », superscripts); `*` is a wildcard in ODSQL."""
    if "*" in text:
        raise Untranslatable(f"{what} contient « * », qui est un joker dans ODSQL (`like`)")
    if unicodedata.normalize("NFKD", text) != unicodedata.normalize("NFD", text):
        raise Untranslatable(f"{what} contient un caractère de compatibilité Unicode (ligature, exposant…)")
    return string(text)


def _column_conditions(schema: Schema, name: str, flts: list[Filter]) -> list[str]:
    column = schema.get(name)
    if column is None:
        raise Untranslatable(f"colonne inconnue « {name} »")
    f_sql = field(name)
    out: list[str] = []
    eqs = [literal(f.value, column) for f in flts if f.op == "eq"]
    if len(eqs) == 1:
        out.append(f"{f_sql} = {eqs[0]}")
    elif eqs:
        out.append(f"{f_sql} in ({', '.join(eqs)})")
    deps = [f for f in flts if f.op == "dep"]
    if deps:  # ORed, as the portal's SQL does (queries.dataset.sql.where_clause)
        if not column.textual:
            raise Untranslatable(f"le filtre « commune du département » sur la colonne non textuelle « {name} »")
        conditions = [f"startswith({f_sql}, {literal(f.value, column)})" for f in deps]
        out.append(conditions[0] if len(conditions) == 1 else "(" + " or ".join(conditions) + ")")
    for f in flts:
        if f.op == "epci":
            raise Untranslatable(f"le filtre « commune de l'intercommunalité » sur « {name} » (ODSQL n'a pas de "
                                 "sous-requête : filtrez par la liste des codes communes)")
        if f.op == "ne":
            out.append(f"not {f_sql} = {literal(f.value, column)}")
        elif f.op == "gte":
            out.append(f"{f_sql} >= {literal(f.value, column)}")
        elif f.op == "lte":
            out.append(f"{f_sql} <= {literal(f.value, column)}")
        elif f.op == "contains":
            if not column.textual:
                raise Untranslatable(f"le filtre « contient » sur la colonne non textuelle « {name} » (`like` ne "
                                     "s'applique qu'au texte)")
            out.append(f"{f_sql} like {_like_text(str(f.value), f'le filtre « contient » sur « {name} »')}")
        elif f.op == "null":
            out.append(f"{f_sql} is null")
        elif f.op == "notnull":
            out.append(f"{f_sql} is not null")
    return out


def where_text(view: DatasetView, schema: Schema) -> str | None:
    """The ODSQL `where` of the view's filters and search (None without any); Untranslatable if one has no exact
    equivalent."""
    by_col: dict[str, list[Filter]] = {}
    for f in view.filters:
        by_col.setdefault(f.column, []).append(f)
    parts: list[str] = []
    for name, flts in by_col.items():
        parts += _column_conditions(schema, name, flts)
    if view.q:
        text = _like_text(view.q, "la recherche")
        columns = [c.name for c in schema.plain_columns if c.textual]
        ors = [f"{field(c)} like {text}" for c in columns]
        parts.append(("(" + " or ".join(ors) + ")" if len(ors) > 1 else ors[0]) if ors else "false")
    return " and ".join(parts) if parts else None


def order_text(view: DatasetView, schema: Schema) -> str | None:
    if not view.sort:
        return None
    if "file_row_number" in schema.names:
        # The page then breaks ties on every other column, the API on the row's position: orders may differ.
        raise Untranslatable("le tri (ce jeu a une colonne « file_row_number », qui change l'ordre des ex æquo)")
    return f"{field(view.sort)} {'desc' if view.desc else 'asc'}"


def select_text(schema: Schema) -> str | None:
    """The table's columns: every column but the geometry, as the page's table shows them."""
    names = [c.name for c in schema.plain_columns]
    return ", ".join(field(n) for n in names) if names else None


def _url(base: str, params: dict[str, str | int | None]) -> str:
    kept = {k: str(v) for k, v in params.items() if v is not None}
    # `,`, `(`, `)` and `*` are allowed in a query string: ODSQL stays readable where it can.
    return base + ("?" + urlencode(kept, quote_via=quote, safe="(),*") if kept else "")


def _n(number: int) -> str:
    """A count written the French way (narrow no-break space between thousands)."""
    return f"{number:,}".replace(",", "\u202f")


def records_urls(base: str, params: dict[str, str | None], view: DatasetView) -> tuple[tuple[str, ...], str | None]:
    """The records URLs of the view's page: one per slice of RECORDS_MAX_LIMIT rows, none past the paging window."""
    offset = (view.page - 1) * view.size
    if offset + view.size > RECORDS_MAX_WINDOW:
        return (), (f"Cette page commence après l'enregistrement {_n(offset)} : l'API ne pagine les enregistrements "
                    f"que sur les {_n(RECORDS_MAX_WINDOW)} premiers (`offset + limit` ≤ {_n(RECORDS_MAX_WINDOW)}). "
                    "Les exports n'ont pas cette limite et acceptent aussi `limit` et `offset`.")
    urls = []
    for start in range(offset, offset + view.size, RECORDS_MAX_LIMIT):
        limit = min(RECORDS_MAX_LIMIT, offset + view.size - start)
        urls.append(_url(f"{base}/records", {**params, "limit": limit, "offset": start}))
    note = None
    if len(urls) > 1:
        note = (f"L'API renvoie au plus {RECORDS_MAX_LIMIT} enregistrements par appel : cette page de {view.size} "
                f"en demande {len(urls)}.")
    return tuple(urls), note


def export_url(base: str, fmt: str, where: str | None = None, order_by: str | None = None,
               schema: Schema | None = None) -> str:
    """The export URL of a page format (`csv-comma` → csv with `delimiter=,`). With `schema`, the columns are exactly
    the dataset's: the API's `geo_point_2d` of a point dataset is left out (kept for GeoJSON, whose geometry it is
    when the dataset has no geometry column)."""
    api_fmt, extra = EXPORT_FORMATS[fmt]
    select = None
    if (schema is not None and api_fmt != "geojson" and schema.geo.get("kind") == "point"
            and GEO_POINT_FIELD not in schema.names):
        select = f"exclude({GEO_POINT_FIELD})"
    return _url(f"{base}/exports/{api_fmt}", {"select": select, "where": where, "order_by": order_by, **extra})


def api_calls(view: DatasetView, schema: Schema, public_base_url: str, formats: list[str]) -> ApiCalls:
    """Every API call that reproduces the view: the records of its page, the exports of its filtered rows."""
    base = dataset_base(public_base_url, schema.dataset_id)
    refused = []
    where = order_by = None
    try:
        where = where_text(view, schema)
    except Untranslatable as exc:
        refused.append(str(exc))
    try:
        order_by = order_text(view, schema)
    except Untranslatable as exc:
        refused.append(str(exc))
    try:
        select = select_text(schema)
    except Untranslatable as exc:
        refused.append(str(exc))
        select = None
    if refused:
        return ApiCalls(refused=tuple(refused))
    records, note = records_urls(base, {"select": select, "where": where, "order_by": order_by}, view)
    exports = {fmt: export_url(base, fmt, where, order_by, schema) for fmt in formats if fmt in EXPORT_FORMATS}
    return ApiCalls(where=where, order_by=order_by, select=select, records=records, records_note=note,
                    exports=exports)


def download_urls(schema: Schema, public_base_url: str, formats: list[str]) -> dict[str, str]:
    """The permanent download URL of the whole dataset in each format (what the export tab and the catalogue offer)."""
    base = dataset_base(public_base_url, schema.dataset_id)
    return {fmt: export_url(base, fmt) for fmt in formats if fmt in EXPORT_FORMATS}
