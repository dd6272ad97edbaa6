"""One dataset's view (filters, search, sort, page, chart, map) parsed from and written to the URL, and its SQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd

import queries
from queries import QueryError, SafeIdent

# -- vocabulary of the URL ------------------------------------------------------------------------------------------
TABS: dict[str, str] = {
    "informations": "Informations",
    "tableau": "Tableau",
    "graphique": "Graphique",
    "carte": "Carte",
    "export": "Export",
    "api": "API / SQL",
    "reutilisations": "Réutilisations",
}
OPS: dict[str, str] = {
    "eq": "est égal à",
    "ne": "est différent de",
    "gte": "supérieur ou égal à",
    "lte": "inférieur ou égal à",
    "contains": "contient",
    "null": "est vide",
    "notnull": "n'est pas vide",
    "epci": "commune de l'intercommunalité",
}
CHART_TYPES: dict[str, str] = {
    "bar": "Barres", "line": "Courbe", "area": "Aires", "pie": "Secteurs", "scatter": "Nuage de points",
    "histogram": "Histogramme", "box": "Boîte à moustaches",
}
AGGS: dict[str, str] = {
    "count": "Nombre d'enregistrements", "sum": "Somme", "mean": "Moyenne", "median": "Médiane",
    "min": "Minimum", "max": "Maximum",
}
_AGG_SQL = {"sum": "sum", "mean": "avg", "median": "median", "min": "min", "max": "max"}
MAP_MODES: dict[str, str] = {
    "points": "Points", "polygons": "Contours", "choropleth": "Communes (carte choroplèthe)",
}
PAGE_SIZES = (20, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50

MAX_FILTERS = 20
MAX_VALUE_LEN = 200
MAX_PAGE = 1_000_000
CHART_CATEGORY_CAP = 50  # bars / pie: more categories than this is unreadable
CHART_LINE_CAP = 1_000
CHART_SERIES_CAP = 12
SCATTER_CAP = 5_000
ROW_NUMBER = "file_row_number"  # column DuckDB adds with read_parquet(..., file_row_number=true)
HISTOGRAM_BINS = 20

TIME_NAMES = ("annee", "millesime", "session", "rentree_scolaire", "year", "annee_en_vigueur")
COMMUNE_CODE_HINTS = ("code_insee", "insee_com", "code_commune", "codgeo", "com_av", "com_ap", "commune_parente",
                      "code_insee_cog2026", "code_insee_origine")
_COMMUNE_CODE_RE = re.compile(r"^(2[AB]|\d{2})\d{3}$")
_LABEL_HINTS = ("nom", "appellation", "libelle", "titre", "title", "denomination", "name", "zone", "label")
_MEASURE_HINTS = ("population", "valeur_num", "valeur", "pmun", "ptot", "nombre", "effectif", "frequentation",
                  "total", "ips", "montant", "nb_")
_NOT_MEASURE = re.compile(r"^(code|id|siren|siret|uai|numero|epsg|lat|lon|longitude|latitude|coordonnee|centroid|x$|y$|rang"
                          r"|commune|arrondissement|departement|region|mod$|tncc|house|tel$|cp|postcode|geo_qual|ref_"
                          r"|an_)|(_code|_id|siren|latitude|longitude|_x|_y|_lon|_lat)$")
# Text columns that identify or locate a record rather than group records (never suggested as categories).
_NOT_CATEGORY = re.compile(r"code|siren|siret|uai|numero|^id|_id$|boite|postal|adresse|street|rue|tel|mail|url|site"
                           r"|commentaire|complement|lieu_dit|position|coordonnee")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


class ViewError(QueryError):
    """The URL cannot be turned into a view (e.g. unknown dataset); the message is French and shown as is."""


# -- the dataset's schema -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One column of a published dataset, as meta.json and the manifest describe it."""

    name: str
    type: str  # integer number text date datetime boolean geometry
    label: str
    unit: str = ""
    description: str = ""
    source_name: str = ""

    @property
    def numeric(self) -> bool:
        return self.type in ("integer", "number")

    @property
    def temporal(self) -> bool:
        return self.type in ("date", "datetime")

    @property
    def textual(self) -> bool:
        return self.type == "text"

    @property
    def rangeable(self) -> bool:
        return self.numeric or self.temporal


@dataclass(frozen=True)
class Schema:
    """What the view builder may name: the dataset's columns (the allow-list), profile, geo info and row count."""

    dataset_id: str
    columns: tuple[Column, ...]
    rows: int
    profile: Mapping[str, Any] = field(default_factory=dict)
    geo: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_meta(cls, dataset_id: str, meta: Mapping[str, Any], docs: Mapping[str, Any] | None = None) -> Schema:
        """Columns from meta.json; labels, units and descriptions from the manifest's `[columns.*]` when present."""
        docs = docs or {}
        cols = []
        for c in meta.get("columns") or []:
            name = str(c.get("name", ""))
            if not name:
                continue
            doc = docs.get(name)
            ctype = str(c.get("type") or "text")
            if name == "geometry":
                ctype = "geometry"
            cols.append(Column(
                name=name, type=ctype, label=getattr(doc, "label", "") or name, unit=getattr(doc, "unit", "") or "",
                description=getattr(doc, "description", "") or "", source_name=str(c.get("source_name") or ""),
            ))
        return cls(dataset_id=dataset_id, columns=tuple(cols), rows=int(meta.get("rows") or 0),
                   profile=dict(meta.get("profile") or {}), geo=dict(meta.get("geo") or {}))

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def get(self, name: str | None) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    def col_ident(self, name: str) -> SafeIdent:
        return queries.ident(name, self.names)

    @property
    def table(self) -> SafeIdent:
        return queries.table_name(self.dataset_id)

    @property
    def row_ordered(self) -> bool:
        """Sorted pages break ties on the row's position in the file, unless a column already has that name."""
        return ROW_NUMBER not in self.names

    def sort_table(self, view: DatasetView) -> SafeIdent:
        """The view to read sorted rows from: the one with `file_row_number` when the view is sorted."""
        if view.sort and self.row_ordered:
            return queries.ordered_table_name(self.dataset_id)
        return self.table

    @property
    def plain_columns(self) -> list[Column]:
        """Every column except the GeoJSON geometry (too large for tables, facets and sorting)."""
        return [c for c in self.columns if c.type != "geometry"]

    def distinct(self, name: str) -> int | None:
        value = (self.profile.get(name) or {}).get("distinct")
        return int(value) if isinstance(value, (int, float)) else None

    def is_commune_code(self, name: str) -> bool:
        """A column of INSEE commune codes: a known name, text-like, and its profile values look like codes."""
        col = self.get(name)
        if col is None or col.type not in ("text", "integer"):
            return False
        if not any(name == h or name.startswith(h) for h in COMMUNE_CODE_HINTS):
            return False
        prof = self.profile.get(name) or {}
        samples = [str(t.get("value")) for t in prof.get("top") or [] if t.get("value") not in (None, "")]
        samples += [str(prof[k]) for k in ("min", "max") if prof.get(k) not in (None, "")]
        return not samples or all(_COMMUNE_CODE_RE.match(s) for s in samples)

    @property
    def commune_columns(self) -> list[str]:
        return [c.name for c in self.columns if self.is_commune_code(c.name)]

    @property
    def time_column(self) -> str | None:
        for hint in TIME_NAMES:
            col = self.get(hint)
            if col is not None and col.type in ("integer", "text", "number"):
                return hint
        return None

    @property
    def label_columns(self) -> list[str]:
        """Columns that name a record (for tooltips): names first, then other text columns."""
        text = [c.name for c in self.plain_columns if c.textual]
        named = [n for n in text if any(h in n for h in _LABEL_HINTS)]
        rest = [n for n in text if n not in named]
        return (named + rest)[:4]

    @property
    def measure_columns(self) -> list[str]:
        """Numeric columns worth summing or mapping (not codes, coordinates or years)."""
        out = [c.name for c in self.plain_columns
               if c.numeric and c.name not in TIME_NAMES and not _NOT_MEASURE.search(c.name)]
        return sorted(out, key=lambda n: (0 if any(h in n for h in _MEASURE_HINTS) else 1, out.index(n)))

    @property
    def lon_lat(self) -> tuple[str, str] | None:
        lon = str(self.geo.get("lon") or "longitude")
        lat = str(self.geo.get("lat") or "latitude")
        lon_col, lat_col = self.get(lon), self.get(lat)
        if lon_col and lat_col and lon_col.numeric and lat_col.numeric:
            return lon, lat
        return None

    @property
    def has_geometry(self) -> bool:
        col = self.get(str(self.geo.get("geometry") or "geometry"))
        return col is not None and col.type == "geometry"

    @property
    def map_modes(self) -> list[str]:
        """The map views this dataset supports, best first (points, polygons, commune choropleth)."""
        modes = []
        kind = self.geo.get("kind") or "none"
        if self.lon_lat and kind in ("point", "none"):
            modes.append("points")
        if self.has_geometry and kind == "polygon":
            modes.append("polygons")
        if self.commune_columns:
            modes.append("choropleth")
        return modes


# -- the view -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filter:
    """`f=<column>:<op>:<value>`: a value already checked against the column's type (bound, never spliced)."""

    column: str
    op: str
    value: Any = None
    raw: str = ""

    def to_param(self) -> str:
        return f"{self.column}:{self.op}:{self.raw}"


@dataclass(frozen=True)
class ChartSpec:
    """Chart builder settings: `chart`, `x`, `y`, `agg`, `series`."""

    kind: str = "bar"
    x: str | None = None
    y: str | None = None
    agg: str = "count"
    series: str | None = None


@dataclass(frozen=True)
class MapSpec:
    """Map settings: `map` (mode), `mcol` and `magg` (choropleth measure), viewport `lat`, `lon`, `zoom`."""

    mode: str | None = None
    column: str | None = None
    agg: str = "count"
    lat: float | None = None
    lon: float | None = None
    zoom: float | None = None


@dataclass(frozen=True)
class DatasetView:
    """Everything a dataset page shows; `to_params()` gives the query string that reopens it."""

    dataset_id: str
    tab: str = "informations"
    filters: tuple[Filter, ...] = ()
    q: str = ""
    sort: str | None = None
    desc: bool = False
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    chart: ChartSpec | None = None
    map: MapSpec = MapSpec()
    embed: bool = False

    def replace(self, **changes: Any) -> DatasetView:
        return dataclasses.replace(self, **changes)

    @property
    def is_filtered(self) -> bool:
        return bool(self.filters or self.q)

    def filters_for(self, column: str) -> list[Filter]:
        return [f for f in self.filters if f.column == column]

    def without_column(self, column: str) -> DatasetView:
        return self.replace(filters=tuple(f for f in self.filters if f.column != column))

    def to_params(self) -> dict[str, str | list[str]]:
        """Only what differs from the defaults, in a stable order (so equal views give equal links)."""
        out: dict[str, str | list[str]] = {"id": self.dataset_id}
        if self.tab != "informations":
            out["tab"] = self.tab
        if self.filters:
            out["f"] = [f.to_param() for f in self.filters]
        if self.q:
            out["q"] = self.q
        if self.sort:
            out["sort"] = ("-" if self.desc else "") + self.sort
        if self.page != 1:
            out["page"] = str(self.page)
        if self.size != DEFAULT_PAGE_SIZE:
            out["size"] = str(self.size)
        if self.chart is not None:
            out["chart"] = self.chart.kind
            for key, value in (("x", self.chart.x), ("y", self.chart.y), ("series", self.chart.series)):
                if value:
                    out[key] = value
            out["agg"] = self.chart.agg
        m = self.map
        if m.mode:
            out["map"] = m.mode
        if m.column:
            out["mcol"] = m.column
        if m.agg != "count":
            out["magg"] = m.agg
        for key, num in (("lat", m.lat), ("lon", m.lon), ("zoom", m.zoom)):
            if num is not None:
                out[key] = f"{num:g}"
        # `embed` is Streamlit's own parameter: it is kept by the frontend and may not be set from Python.
        return out

    def query_string(self) -> str:
        # ":" stays readable in links (f=sexe:eq:Femmes); it is allowed in a query string.
        return urlencode(self.to_params(), doseq=True, safe=":")


def _first(params: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = params.get(key) or []
    if isinstance(values, str):
        return values
    return str(values[-1]) if values else None


def _all(params: Mapping[str, Sequence[str]], key: str) -> list[str]:
    values = params.get(key) or []
    return [values] if isinstance(values, str) else [str(v) for v in values]


def _clean_text(value: str, limit: int = MAX_VALUE_LEN) -> str | None:
    """Printable text of bounded length, or None (control characters are never part of a legitimate value)."""
    if len(value) > limit or any(unicodedata.category(ch) == "Cc" for ch in value):
        return None
    return value.strip()


def typed_value(col: Column, raw: str) -> Any:
    """The Python value of `raw` for this column's type; raises ValueError when it does not fit."""
    if col.type == "integer":
        if not re.fullmatch(r"-?\d{1,18}", raw.strip()):
            raise ValueError(raw)
        return int(raw)
    if col.type == "number":
        if not re.fullmatch(r"-?\d{1,15}([.,]\d{1,12})?([eE][-+]?\d{1,3})?", raw.strip()):
            raise ValueError(raw)
        value = float(raw.replace(",", "."))
        if not math.isfinite(value):
            raise ValueError(raw)
        return value
    if col.type == "date":
        return dt.date.fromisoformat(raw.strip()[:10])
    if col.type == "datetime":
        return dt.datetime.fromisoformat(raw.strip())
    if col.type == "boolean":
        folded = raw.strip().lower()
        if folded in ("true", "1", "oui", "vrai"):
            return True
        if folded in ("false", "0", "non", "faux"):
            return False
        raise ValueError(raw)
    if col.type == "geometry":
        raise ValueError(raw)
    return raw


def parse_filter(text: str, schema: Schema) -> tuple[Filter | None, str | None]:
    """`col:op:value` → a Filter, or a French message saying why the parameter was ignored."""
    cleaned = _clean_text(text)
    if cleaned is None:
        return None, "un filtre trop long ou contenant des caractères de contrôle a été ignoré"
    parts = text.split(":", 2)
    if len(parts) < 2:
        return None, f"filtre « {cleaned[:40]} » illisible (forme attendue : colonne:opération:valeur)"
    name, op = parts[0].strip(), parts[1].strip()
    raw = parts[2] if len(parts) == 3 else ""
    col = schema.get(name)
    if col is None:
        return None, f"colonne inconnue « {name[:40]} »"
    if op not in OPS:
        return None, f"opération « {op[:20]} » inconnue pour la colonne « {name} »"
    if op in ("null", "notnull"):
        return Filter(name, op, None, ""), None
    if col.type == "geometry":
        return None, f"la colonne « {name} » ne se filtre que par « vide » / « non vide »"
    if op == "contains":
        return Filter(name, op, raw, raw), None
    if op == "epci":
        if not schema.is_commune_code(name) or not re.fullmatch(r"\d{9}", raw.strip()):
            return None, f"filtre intercommunal invalide sur « {name} » (SIREN à 9 chiffres attendu)"
        return Filter(name, op, raw.strip(), raw.strip()), None
    try:
        value = typed_value(col, raw)
    except ValueError:
        return None, f"valeur « {raw[:40]} » invalide pour la colonne « {name} » ({col.type})"
    return Filter(name, op, value, raw), None


def _parse_float(text: str | None, lo: float, hi: float) -> float | None:
    if text is None or not re.fullmatch(r"-?\d{1,4}(\.\d{1,8})?", text.strip()):
        return None
    value = float(text)
    return value if lo <= value <= hi else None


def parse_view(params: Mapping[str, Sequence[str]], schema: Schema) -> tuple[DatasetView, list[str]]:
    """Read a query string (each key → its list of values) into a view; bad parts are dropped and reported."""
    notes: list[str] = []
    tab = _first(params, "tab") or "informations"
    if tab not in TABS:
        notes.append(f"onglet « {tab[:30]} » inconnu")
        tab = "informations"

    filters: list[Filter] = []
    raw_filters = _all(params, "f")
    if len(raw_filters) > MAX_FILTERS:
        notes.append(f"seuls les {MAX_FILTERS} premiers filtres sont appliqués")
        raw_filters = raw_filters[:MAX_FILTERS]
    for text in raw_filters:
        flt, note = parse_filter(text, schema)
        if note:
            notes.append(note)
        elif flt is not None and flt not in filters:
            filters.append(flt)

    q = _first(params, "q") or ""
    q_clean = _clean_text(q)
    if q_clean is None:
        notes.append("la recherche est trop longue (200 caractères au plus) et a été ignorée")
        q_clean = ""

    sort, desc = None, False
    raw_sort = _first(params, "sort")
    if raw_sort:
        name = raw_sort[1:] if raw_sort.startswith("-") else raw_sort
        col = schema.get(name)
        if col is None or col.type == "geometry":
            notes.append(f"tri sur une colonne inconnue « {name[:40]} »")
        else:
            sort, desc = name, raw_sort.startswith("-")

    page = 1
    raw_page = _first(params, "page")
    if raw_page is not None:
        if re.fullmatch(r"\d{1,7}", raw_page.strip()) and 1 <= int(raw_page) <= MAX_PAGE:
            page = int(raw_page)
        else:
            notes.append(f"numéro de page « {raw_page[:20]} » invalide")

    size = DEFAULT_PAGE_SIZE
    raw_size = _first(params, "size")
    if raw_size is not None:
        if raw_size.strip() in {str(s) for s in PAGE_SIZES}:
            size = int(raw_size)
        else:
            notes.append(f"taille de page « {raw_size[:20]} » invalide ({', '.join(map(str, PAGE_SIZES))})")

    chart = None
    raw_chart = _first(params, "chart")
    if raw_chart is not None:
        chart, chart_notes = _parse_chart(params, raw_chart, schema)
        notes += chart_notes

    map_spec, map_notes = _parse_map(params, schema)
    notes += map_notes

    embed = (_first(params, "embed") or "").lower() == "true"
    view = DatasetView(dataset_id=schema.dataset_id, tab=tab, filters=tuple(filters), q=q_clean, sort=sort,
                       desc=desc, page=page, size=size, chart=chart, map=map_spec, embed=embed)
    return view, notes


def _parse_chart(params: Mapping[str, Sequence[str]], kind: str, schema: Schema) -> tuple[ChartSpec | None, list[str]]:
    notes = []
    if kind not in CHART_TYPES:
        return None, [f"type de graphique « {kind[:20]} » inconnu"]
    cols = {}
    for key in ("x", "y", "series"):
        name = _first(params, key)
        if name:
            col = schema.get(name)
            if col is None or col.type == "geometry":
                notes.append(f"colonne « {name[:40]} » inconnue pour le graphique")
            else:
                cols[key] = name
    agg = _first(params, "agg") or "count"
    if agg not in AGGS:
        notes.append(f"agrégation « {agg[:20]} » inconnue")
        agg = "count"
    y_col = schema.get(cols.get("y"))
    if y_col is not None and not y_col.numeric and (agg != "count" or kind in ("scatter", "box")):
        notes.append(f"la colonne « {y_col.name} » n'est pas numérique")
        cols.pop("y")
    spec = ChartSpec(kind=kind, x=cols.get("x"), y=cols.get("y"), agg=agg, series=cols.get("series"))
    return normalise_chart(spec, schema), notes


def normalise_chart(spec: ChartSpec, schema: Schema) -> ChartSpec | None:
    """Fill what a chart type needs (a numeric y for sums, a numeric x for histograms) or give up (None)."""
    measures = schema.measure_columns or [c.name for c in schema.plain_columns if c.numeric]
    y, agg, x = spec.y, spec.agg, spec.x
    if spec.kind in ("histogram",):
        x_col = schema.get(x)
        if x_col is None or not x_col.numeric:
            x = measures[0] if measures else None
        return ChartSpec("histogram", x, None, "count", None) if x else None
    if spec.kind in ("scatter", "box"):
        if y is None:
            y = measures[0] if measures else None
        if y is None:
            return None
        if spec.kind == "scatter" and x is None:
            x = next((m for m in measures if m != y), None) or schema.time_column
            if x is None:
                return None
        return ChartSpec(spec.kind, x, y, agg, spec.series)
    if x is None:
        return None
    if agg != "count" and y is None:
        agg = "count"
    if agg == "count":
        y = None
    series = spec.series if spec.kind != "pie" and spec.series != x else None
    return ChartSpec(spec.kind, x, y, agg, series)


def _parse_map(params: Mapping[str, Sequence[str]], schema: Schema) -> tuple[MapSpec, list[str]]:
    notes = []
    modes = schema.map_modes
    mode = _first(params, "map")
    if mode is not None and mode not in modes:
        if mode in MAP_MODES:
            notes.append(f"la vue carte « {MAP_MODES[mode]} » n'existe pas pour ce jeu de données")
        else:
            notes.append(f"vue carte « {mode[:20]} » inconnue")
        mode = None
    column = _first(params, "mcol")
    if column is not None:
        col = schema.get(column)
        if col is None or not col.numeric:
            notes.append(f"colonne « {column[:40]} » inconnue ou non numérique pour la carte")
            column = None
    agg = _first(params, "magg") or "count"
    if agg not in AGGS:
        notes.append(f"agrégation « {agg[:20]} » inconnue pour la carte")
        agg = "count"
    if agg != "count" and column is None:
        agg = "count"
    lat = _parse_float(_first(params, "lat"), -90, 90)
    lon = _parse_float(_first(params, "lon"), -180, 180)
    zoom = _parse_float(_first(params, "zoom"), 0, 22)
    for key, value in (("lat", lat), ("lon", lon), ("zoom", zoom)):
        if _first(params, key) is not None and value is None:
            notes.append(f"paramètre de carte « {key} » invalide")
    return MapSpec(mode=mode, column=column, agg=agg, lat=lat, lon=lon, zoom=zoom), notes


def suggest_chart(schema: Schema) -> ChartSpec | None:
    """A first chart: a time series when there is a year-like column, else the counts of the main category."""
    measures = schema.measure_columns
    time_col = schema.time_column
    if time_col:
        if measures:
            return ChartSpec("line", time_col, measures[0], "sum", None)
        return ChartSpec("bar", time_col, None, "count", None)
    category = main_category(schema)
    if category:
        return ChartSpec("bar", category, None, "count", None)
    if measures:
        return ChartSpec("histogram", measures[0], None, "count", None)
    first = schema.plain_columns[0].name if schema.plain_columns else None
    return ChartSpec("bar", first, None, "count", None) if first else None


def main_category(schema: Schema) -> str | None:
    """The text column that best splits the dataset (a handful of distinct values, not an identifier)."""
    best: tuple[float, str] | None = None
    for c in schema.plain_columns:
        if not _groups_records(schema, c, 50):
            continue
        n = schema.distinct(c.name) or 1
        score = abs(math.log(n) - math.log(8))
        if best is None or score < best[0]:
            best = (score, c.name)
    return best[1] if best else None


def _groups_records(schema: Schema, col: Column, max_distinct: int) -> bool:
    """A text column with a few repeated values that are mostly filled: a natural category."""
    if not col.textual or schema.is_commune_code(col.name) or _NOT_CATEGORY.search(col.name):
        return False
    n = schema.distinct(col.name)
    if n is None or n < 2 or n > max_distinct:
        return False
    nulls = (schema.profile.get(col.name) or {}).get("nulls") or 0
    rows = max(schema.rows, 1)
    if nulls > rows / 2:
        return False
    return not (rows >= 10 and n > (rows - nulls) * 0.8)


def facet_columns(schema: Schema, limit: int = 6) -> list[str]:
    """Text columns offered as value filters by default (few distinct values, not identifiers)."""
    scored = []
    for c in schema.plain_columns:
        if _groups_records(schema, c, 60):
            scored.append((schema.distinct(c.name) or 0, c.name))
    return [name for _, name in sorted(scored)[:limit]]


# -- SQL ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    """A statement with identifiers from the allow-list and every user value bound as `$p0`, `$p1`, ..."""

    sql: str
    params: dict[str, Any]

    def display_sql(self) -> str:
        """The SQL with values written as literals: for reading and copying only, never executed by the page."""
        def literal(m: re.Match[str]) -> str:
            return sql_literal(self.params[m.group(1)]) if m.group(1) in self.params else m.group(0)

        return re.sub(r"\$([A-Za-z_][A-Za-z0-9_]*)\b", literal, self.sql)

    def cache_key(self) -> str:
        return json.dumps([self.sql, {k: str(v) for k, v in self.params.items()}], ensure_ascii=False)


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


class _Binder:
    """Hands out `$p<n>` names for values; the SQL text only ever contains these names."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return "$" + name


def _folded(expr: str) -> str:
    return f"strip_accents(lower(CAST({expr} AS VARCHAR)))"


def _contains(folded: str, param: str) -> str:
    """Accent- and case-insensitive substring test. contains() rather than LIKE '%x%' ESCAPE: no wildcard to
    escape in the user's words, and DuckDB's LIKE with ESCAPE takes a slow path (bench/scale.py measured it)."""
    return f"contains({folded}, strip_accents(lower({param})))"


def _where(view: DatasetView, schema: Schema, bind: _Binder, exclude: str | None = None) -> str:
    """WHERE clause of the view's filters and search (AND between columns, OR between equal values of a column)."""
    clauses: list[str] = []
    by_col: dict[str, list[Filter]] = {}
    for f in view.filters:
        if f.column != exclude:
            by_col.setdefault(f.column, []).append(f)
    for name, flts in by_col.items():
        col = schema.col_ident(name)
        eqs = [f for f in flts if f.op == "eq"]
        if eqs:
            clauses.append(f"{col} IN ({', '.join(bind(f.value) for f in eqs)})")
        epcis = [f for f in flts if f.op == "epci"]
        if epcis:
            clauses.append(_epci_clause(col, epcis, bind))
        for f in flts:
            if f.op == "ne":
                clauses.append(f"({col} IS DISTINCT FROM {bind(f.value)})")
            elif f.op == "gte":
                clauses.append(f"{col} >= {bind(f.value)}")
            elif f.op == "lte":
                clauses.append(f"{col} <= {bind(f.value)}")
            elif f.op == "contains":
                clauses.append(_contains(_folded(col), bind(f.value)))
            elif f.op == "null":
                clauses.append(f"{col} IS NULL")
            elif f.op == "notnull":
                clauses.append(f"{col} IS NOT NULL")
    if view.q:
        text_cols = [schema.col_ident(c.name) for c in schema.plain_columns if c.textual]
        if text_cols:
            words = bind(view.q)
            ors = " OR ".join(_contains(_folded(c), words) for c in text_cols)
            clauses.append(f"({ors})")
        else:
            clauses.append("FALSE")
    return ("WHERE " + "\n  AND ".join(clauses)) if clauses else ""


def _epci_clause(col: SafeIdent, flts: list[Filter], bind: _Binder) -> str:
    """Codes of the EPCIs' member communes, from the `epci-communes` dataset (its columns are checked first)."""
    meta = queries.dataset_meta("epci-communes")
    names = [c.get("name") for c in meta.get("columns") or []]
    table = queries.table_name("epci-communes")
    code, siren = queries.ident("code_insee", names), queries.ident("epci_siren", names)
    values = ", ".join(bind(f.value) for f in flts)
    # Identifiers are SafeIdents and values `$p` names: nothing from the user is spliced into the text.
    return (f"CAST({col} AS VARCHAR) IN (SELECT CAST({code} AS VARCHAR) FROM {table} "  # noqa: S608
            f"WHERE CAST({siren} AS VARCHAR) IN ({values}))")


def _order(view: DatasetView, schema: Schema) -> str:
    if not view.sort:
        return ""
    first = f"{schema.col_ident(view.sort)} {'DESC' if view.desc else 'ASC'} NULLS LAST"
    # Ties are broken so that LIMIT/OFFSET pages never overlap nor skip a row: on the row's position in the Parquet
    # file (a total order, and half the cost of comparing every other column), else on every other column.
    if schema.row_ordered:
        return f"ORDER BY {first}, {ROW_NUMBER}"
    rest = [schema.col_ident(c.name) for c in schema.plain_columns if c.name != view.sort]
    return "ORDER BY " + ", ".join([first, *rest])


def _select(columns: Iterable[str], table: str, *clauses: str) -> str:
    """Assemble a SELECT from allow-listed, quoted identifiers and clauses holding only `$p` placeholders."""
    body = "\n".join(c for c in clauses if c)
    return f"SELECT {', '.join(columns)}\nFROM {table}" + (f"\n{body}" if body else "")


def rows_query(view: DatasetView, schema: Schema, *, page: int | None = None) -> Query:
    """One page of rows (LIMIT/OFFSET), every column but the geometry, in the view's order."""
    bind = _Binder()
    cols = [schema.col_ident(c.name) for c in schema.plain_columns] or ["*"]
    where = _where(view, schema, bind)
    order = _order(view, schema)
    page = view.page if page is None else page
    tail = f"LIMIT {bind(view.size)} OFFSET {bind((page - 1) * view.size)}"
    return Query(_select(cols, schema.sort_table(view), where, order, tail), bind.params)


def count_query(view: DatasetView, schema: Schema) -> Query:
    bind = _Binder()
    return Query(_select(["count(*) AS n"], schema.table, _where(view, schema, bind)), bind.params)


def export_query(view: DatasetView | None, schema: Schema) -> Query:
    """Every row of the dataset (view None) or exactly the rows of the view's filters, all columns, in order."""
    bind = _Binder()
    cols = [schema.col_ident(c.name) for c in schema.columns] or ["*"]
    if view is None:
        return Query(_select(cols, schema.table), {})
    return Query(_select(cols, schema.sort_table(view), _where(view, schema, bind), _order(view, schema)), bind.params)


def facet_query(view: DatasetView, schema: Schema, column: str, limit: int = 100) -> Query:
    """Most frequent values of a column with their counts, under the other columns' filters (disjunctive facet)."""
    bind = _Binder()
    col = schema.col_ident(column)
    where = _where(view, schema, bind, exclude=column)
    tail = f"GROUP BY 1\nORDER BY n DESC, value NULLS LAST\nLIMIT {bind(limit)}"
    return Query(_select([f"{col} AS value", "count(*) AS n"], schema.table, where, tail), bind.params)


def range_query(schema: Schema, column: str) -> Query:
    col = schema.col_ident(column)
    return Query(_select([f"min({col}) AS lo", f"max({col}) AS hi"], schema.table), {})


def histogram_query(schema: Schema, column: str, view: DatasetView | None = None,
                    bins: int = HISTOGRAM_BINS) -> Query:
    """Equal-width bins of a numeric column computed by DuckDB (bounds from the data under the view's filters)."""
    bind = _Binder()
    col = schema.col_ident(column)
    where = _where(view, schema, bind) if view is not None else ""
    nbins = bind(bins)
    cond = f"{col} IS NOT NULL" if not where else ""
    filtered = _select([f"CAST({col} AS DOUBLE) AS v"], schema.table, where or f"WHERE {cond}")
    sql = (
        f"WITH base AS (\n{filtered}\n),\n"  # noqa: S608 - SafeIdents and $p names only
        "bounds AS (SELECT min(v) AS lo, max(v) AS hi FROM base WHERE v IS NOT NULL AND isfinite(v)),\n"
        f"binned AS (SELECT CASE WHEN hi = lo THEN 0 ELSE least(CAST(floor((v - lo) / (hi - lo) * {nbins}) AS INTEGER),"
        f" {nbins} - 1) END AS bin, lo, hi FROM base, bounds WHERE v IS NOT NULL AND isfinite(v))\n"
        f"SELECT bin, min(lo) + bin * (min(hi) - min(lo)) / {nbins} AS bin_start,\n"
        f"       min(lo) + (bin + 1) * (min(hi) - min(lo)) / {nbins} AS bin_end, count(*) AS n\n"
        "FROM binned GROUP BY bin ORDER BY bin"
    )
    return Query(sql, bind.params)


def profile_query(schema: Schema) -> Query:
    """Nulls, distinct values, min and max of every column in one scan (used when meta.json has no profile)."""
    parts = []
    for i, c in enumerate(schema.plain_columns):
        col = schema.col_ident(c.name)
        parts += [f"count(*) - count({col}) AS n{i}", f"approx_count_distinct({col}) AS d{i}",
                  f"CAST(min({col}) AS VARCHAR) AS lo{i}", f"CAST(max({col}) AS VARCHAR) AS hi{i}"]
    return Query(_select(parts or ["count(*) AS n"], schema.table), {})


@dataclass(frozen=True)
class ChartQuery:
    query: Query
    spec: ChartSpec
    category_cap: int


def chart_query(view: DatasetView, schema: Schema, spec: ChartSpec) -> ChartQuery:
    """Aggregated points of a chart, computed by DuckDB and capped (top categories, top series)."""
    bind = _Binder()
    where = _where(view, schema, bind)
    table = schema.table
    if spec.kind == "histogram":
        assert spec.x is not None
        return ChartQuery(histogram_query(schema, spec.x, view), spec, HISTOGRAM_BINS)
    if spec.kind == "scatter":
        assert spec.x is not None and spec.y is not None
        cols = [f"{schema.col_ident(spec.x)} AS x", f"{schema.col_ident(spec.y)} AS y"]
        cols.append(f"{schema.col_ident(spec.series)} AS series" if spec.series else "NULL AS series")
        notnull = f"{schema.col_ident(spec.x)} IS NOT NULL AND {schema.col_ident(spec.y)} IS NOT NULL"
        cond = (where + f"\n  AND {notnull}") if where else f"WHERE {notnull}"
        return ChartQuery(Query(_select(cols, table, cond, f"LIMIT {bind(SCATTER_CAP)}"), bind.params), spec,
                          SCATTER_CAP)
    if spec.kind == "box":
        assert spec.y is not None
        y = f"CAST({schema.col_ident(spec.y)} AS DOUBLE)"
        x = schema.col_ident(spec.x) if spec.x else "NULL"
        cols = [f"{x} AS x", f"count({y}) AS n", f"min({y}) AS min", f"quantile_cont({y}, 0.25) AS q1",
                f"median({y}) AS median", f"quantile_cont({y}, 0.75) AS q3", f"max({y}) AS max", f"avg({y}) AS mean"]
        tail = f"GROUP BY 1\nORDER BY n DESC, x NULLS LAST\nLIMIT {bind(CHART_CATEGORY_CAP)}"
        return ChartQuery(Query(_select(cols, table, where, tail), bind.params), spec, CHART_CATEGORY_CAP)
    assert spec.x is not None
    x = schema.col_ident(spec.x)
    series = schema.col_ident(spec.series) if spec.series else "NULL"
    if spec.agg == "count" or not spec.y:
        value = "count(*)"
    else:
        value = f"{_AGG_SQL[spec.agg]}({schema.col_ident(spec.y)})"
    cap = CHART_LINE_CAP if spec.kind in ("line", "area") else CHART_CATEGORY_CAP
    agg_sql = _select([f"{x} AS x", f"{series} AS series", f"{value} AS value"], table, where, "GROUP BY ALL")
    sql = (
        f"WITH agg AS (\n{agg_sql}\n),\n"  # noqa: S608 - SafeIdents and $p names only
        "xr AS (SELECT x, row_number() OVER (ORDER BY sum(value) DESC NULLS LAST, x NULLS LAST) AS rx,\n"
        "       count(*) OVER () AS n_x FROM agg GROUP BY x),\n"
        "sr AS (SELECT series, row_number() OVER (ORDER BY sum(value) DESC NULLS LAST, series NULLS LAST) AS rs,\n"
        "       count(*) OVER () AS n_series FROM agg GROUP BY series)\n"
        "SELECT agg.x, agg.series, agg.value, xr.n_x, sr.n_series\n"
        "FROM agg JOIN xr ON agg.x IS NOT DISTINCT FROM xr.x JOIN sr ON agg.series IS NOT DISTINCT FROM sr.series\n"
        f"WHERE xr.rx <= {bind(cap)} AND sr.rs <= {bind(CHART_SERIES_CAP)}\n"
        "ORDER BY agg.x NULLS LAST, agg.series NULLS LAST"
    )
    return ChartQuery(Query(sql, bind.params), spec, cap)


def commune_names() -> dict[str, str]:
    """INSEE code → commune name, from the `communes` dataset (actual communes win over delegated ones)."""
    try:
        meta = queries.dataset_meta("communes")
        names = [c.get("name") for c in meta.get("columns") or []]
        idents = {"communes": queries.table_name("communes"), "code": queries.ident("code_insee", names),
                  "nom": queries.ident("nom", names)}
        kind = queries.ident("type", names) if "type" in names else None
    except QueryError:
        return {}
    order = f"CASE WHEN {kind} = 'commune-actuelle' THEN 0 ELSE 1 END" if kind else "0"
    sql = _select([f"CAST({idents['code']} AS VARCHAR) AS code", f"{idents['nom']} AS nom"], idents["communes"],
                  f"ORDER BY {order} DESC")
    frame = queries.run_sql_text(sql, {}, max_rows=20_000)
    # Later rows overwrite earlier ones: actual communes come last, so they name a shared code.
    return {str(r.code): str(r.nom) for r in frame.itertuples()}


def epci_names() -> dict[str, str]:
    """EPCI SIREN → EPCI name, from `epci-communes` (or `epci`)."""
    for ds_id, name_col in (("epci-communes", "epci_nom"), ("epci", "nom")):
        try:
            meta = queries.dataset_meta(ds_id)
            names = [c.get("name") for c in meta.get("columns") or []]
            sql = _select([f"DISTINCT CAST({queries.ident('epci_siren', names)} AS VARCHAR) AS siren",
                           f"{queries.ident(name_col, names)} AS nom"], queries.table_name(ds_id), "ORDER BY 2")
            frame = queries.run_sql_text(sql, {}, max_rows=5_000)
        except QueryError:
            continue
        return {str(r.siren): str(r.nom) for r in frame.itertuples()}
    return {}


def commune_shapes() -> dict[str, tuple[str, str]]:
    """INSEE code → (name, GeoJSON geometry text) of the communes, from `contours-communes` or the embedded file."""
    try:
        meta = queries.dataset_meta("contours-communes")
        schema = Schema.from_meta("contours-communes", meta)
        code = next(iter(schema.commune_columns), None) or ("code_insee" if schema.get("code_insee") else None)
        name = next((n for n in ("nom", "nom_commune", "libelle") if schema.get(n)), None)
        if code and schema.has_geometry:
            cols = [f"CAST({schema.col_ident(code)} AS VARCHAR) AS code",
                    f"{schema.col_ident(name)} AS nom" if name else "NULL AS nom",
                    f"{schema.col_ident(str(schema.geo.get('geometry') or 'geometry'))} AS geometry"]
            frame = queries.run_sql_text(_select(cols, schema.table), {}, max_rows=20_000)
            return {str(r.code): (str(r.nom or r.code), str(r.geometry)) for r in frame.itertuples()}
    except QueryError:
        pass
    return _embedded_shapes()


def _embedded_shapes() -> dict[str, tuple[str, str]]:
    from config import get_settings

    path = Path(get_settings().embedded_dir) / "dordogne" / "geo" / "communes_24.geojson"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for feat in data.get("features") or []:
        props = feat.get("properties") or {}
        if props.get("code_insee") and feat.get("geometry"):
            out[str(props["code_insee"])] = (str(props.get("nom") or props["code_insee"]), json.dumps(feat["geometry"]))
    return out


def run(query: Query, max_rows: int | None = None) -> pd.DataFrame:
    """Execute a built query through the guarded executor."""
    return queries.run_sql_text(query.sql, query.params, max_rows=max_rows)
