"""A dataset page's state as carried by the URL: tab, filters, search, sort, page, chart and map settings."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from catalogue.schema import Schema
from warehouse import ID_RE

# -- vocabulary of the URL ------------------------------------------------------------------------------------------
TABS: dict[str, str] = {
    "informations": "Informations", "tableau": "Tableau", "graphique": "Graphique", "carte": "Carte",
    "export": "Export", "api": "API / SQL", "reutilisations": "Réutilisations",
}
OPS: dict[str, str] = {
    "eq": "est égal à", "ne": "est différent de", "gte": "supérieur ou égal à", "lte": "inférieur ou égal à",
    "contains": "contient", "null": "est vide", "notnull": "n'est pas vide", "epci": "commune de l'intercommunalité",
    "dep": "commune du département",
}
DEPARTEMENT_CODE = r"\d{2}|2[AB]|97\d"  # metropolitan, Corsica, overseas (whose commune codes start with 97x)
CHART_TYPES: dict[str, str] = {
    "bar": "Barres", "line": "Courbe", "area": "Aires", "pie": "Secteurs", "scatter": "Nuage de points",
    "histogram": "Histogramme", "box": "Boîte à moustaches",
}
AGGS: dict[str, str] = {
    "count": "Nombre d'enregistrements", "sum": "Somme", "mean": "Moyenne", "median": "Médiane",
    "min": "Minimum", "max": "Maximum",
}
MAP_MODES: dict[str, str] = {
    "points": "Points", "polygons": "Contours", "choropleth": "Communes (carte choroplèthe)",
}
PAGE_SIZES = (20, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50

MAX_FILTERS = 20
MAX_VALUE_LEN = 200
MAX_PAGE = 1_000_000


def valid_id(dataset_id: str) -> bool:
    """A dataset id as the warehouse accepts it (checked before any lookup)."""
    return bool(ID_RE.match(dataset_id))


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
    if op == "dep":
        if not schema.is_commune_code(name) or not re.fullmatch(DEPARTEMENT_CODE, raw.strip()):
            return None, f"filtre départemental invalide sur « {name} » (code de département attendu, ex. 24 ou 2A)"
        return Filter(name, op, raw.strip(), raw.strip()), None
    try:
        value = col.parse(raw)
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
    """A first chart: a line along the time column of a time series, else the counts of the main category."""
    measures = schema.measure_columns
    if schema.has_time_series:
        if measures:
            return ChartSpec("line", schema.time_column, measures[0], "sum", None)
        return ChartSpec("line", schema.time_column, None, "count", None)
    category = schema.main_category
    if category:
        return ChartSpec("bar", category, None, "count", None)
    if measures:
        return ChartSpec("histogram", measures[0], None, "count", None)
    first = schema.plain_columns[0].name if schema.plain_columns else None
    return ChartSpec("bar", first, None, "count", None) if first else None

