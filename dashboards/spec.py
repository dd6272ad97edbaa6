"""A dashboard as a versioned JSON document: its JSON Schema, its typed form, its migrations, French errors.

The document is what a link carries (`dashboards.codec`) and what a short link saves (`dashboards.store`). A block's
`view` is the dataset page's own query string as a JSON object (`f`, `q`, `sort`, `chart`, `x`, `map`, …): filters,
sort and chart/map settings keep one model and one validation (`queries.dataset.state.parse_view`, applied against the
dataset's schema by `dashboards.views`). This module checks the shape only; nothing here reaches SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from queries.dataset.state import AGGS, CHART_TYPES, DEPARTEMENT_CODE, MAP_MODES, MAX_FILTERS, OPS, PAGE_SIZES
from reuses.sanitize import markdown_text, plain_text

VERSION = 1
BLOCK_TYPES: dict[str, str] = {
    "chart": "Graphique", "map": "Carte", "table": "Tableau", "figure": "Chiffre clé", "text": "Texte",
}
LEVELS: dict[str, str] = {"commune": "Commune", "epci": "Intercommunalité", "departement": "Département"}
MAX_BLOCKS = 20
MAX_TITLE = 120
MAX_TEXT = 4_000
MAX_SQL = 4_000
MAX_COLUMNS = 30
MAX_DEPTH = 6  # dashboard → blocks → block → view → f → value: five levels; one spare
WIDTHS = (1, 2, 3)  # the grid has three columns; a block spans one to three

# Dataset ids as the warehouse spells them; column names as the loaders normalise them (snake_case ASCII). Anything
# else — quotes, spaces, semicolons, SQL — is refused here, before a schema is even looked at.
DATASET_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
COLUMN_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,79}$"
FILTER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,79}:(" + "|".join(OPS) + r"):"

_COLUMN = {"type": "string", "pattern": COLUMN_PATTERN}
_VIEW = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "f": {"type": "array", "maxItems": MAX_FILTERS,
              "items": {"type": "string", "maxLength": 300, "pattern": FILTER_PATTERN}},
        "q": {"type": "string", "maxLength": 200},
        "sort": {"type": "string", "pattern": r"^-?[A-Za-z_][A-Za-z0-9_]{0,79}$"},
        "size": {"enum": [str(s) for s in PAGE_SIZES]},
        "chart": {"enum": list(CHART_TYPES)},
        "x": _COLUMN, "y": _COLUMN, "series": _COLUMN, "mcol": _COLUMN,
        "agg": {"enum": list(AGGS)},
        "map": {"enum": list(MAP_MODES)},
        "magg": {"enum": list(AGGS)},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "zoom": {"type": "number", "minimum": 0, "maximum": 22},
    },
}


def _needs(block_type: str, *required: str) -> dict[str, Any]:
    return {"if": {"properties": {"type": {"const": block_type}}},
            "then": {"required": list(required)}}


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://territoire.example/schemas/dashboard-v1.json",
    "title": "Tableau de bord Territoire, version 1",
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "blocks"],
    "properties": {
        "version": {"const": VERSION},
        "title": {"type": "string", "maxLength": MAX_TITLE},
        "filter": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "level": {"enum": list(LEVELS)},
                "code": {"type": "string", "pattern": rf"^(\d{{5}}|2[AB]\d{{3}}|\d{{9}}|{DEPARTEMENT_CODE})$"},
                "year": {"type": "integer", "minimum": 1800, "maximum": 2200},
            },
            "dependentRequired": {"level": ["code"], "code": ["level"]},
        },
        "blocks": {
            "type": "array",
            "maxItems": MAX_BLOCKS,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type"],
                "properties": {
                    "type": {"enum": list(BLOCK_TYPES)},
                    "title": {"type": "string", "maxLength": MAX_TITLE},
                    "width": {"enum": list(WIDTHS)},
                    "dataset": {"type": "string", "pattern": DATASET_PATTERN},
                    "sql": {"type": "string", "minLength": 1, "maxLength": MAX_SQL},
                    "view": _VIEW,
                    "columns": {"type": "array", "maxItems": MAX_COLUMNS, "uniqueItems": True, "items": _COLUMN},
                    "agg": {"enum": list(AGGS)},
                    "column": _COLUMN,
                    "unit": {"type": "string", "maxLength": 20},
                    "text": {"type": "string", "maxLength": MAX_TEXT},
                },
                "allOf": [
                    _needs("chart", "dataset"), _needs("map", "dataset"), _needs("figure", "dataset"),
                    _needs("text", "text"),
                    # a table reads a dataset's view or the result of an analyst's SQL (run in the sandbox), not both
                    {"if": {"properties": {"type": {"const": "table"}}},
                     "then": {"oneOf": [{"required": ["dataset"]}, {"required": ["sql"]}]}},
                ],
            },
        },
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=None)


class SpecError(ValueError):
    """A dashboard that cannot be opened; the message is French and names the place of the problem."""


@dataclass(frozen=True)
class GlobalFilter:
    """The territory (a commune or an EPCI) and the year every block follows when its dataset has that dimension."""

    level: str | None = None
    code: str | None = None
    year: int | None = None

    @property
    def empty(self) -> bool:
        return self.level is None and self.year is None


@dataclass(frozen=True)
class Block:
    type: str
    title: str = ""
    width: int = 1
    dataset: str | None = None
    sql: str | None = None
    view: Mapping[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    agg: str = "count"
    column: str | None = None
    unit: str = ""
    text: str = ""


@dataclass(frozen=True)
class Dashboard:
    blocks: tuple[Block, ...] = ()
    title: str = ""
    filter: GlobalFilter = GlobalFilter()
    version: int = VERSION


# -- migrations ---------------------------------------------------------------------------------------------------


def _v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (the first drafts, never versioned): `kind` for the block type, `cols` for its width, filters as a
    top-level `filters` list per block, `territory` as « level:code »."""
    out: dict[str, Any] = {"version": 1}
    if "title" in doc:
        out["title"] = doc["title"]
    territory = doc.get("territory")
    if isinstance(territory, str) and ":" in territory:
        level, code = territory.split(":", 1)
        out["filter"] = {"level": level, "code": code}
    blocks = []
    for old in doc.get("blocks") or []:
        if not isinstance(old, dict):
            blocks.append(old)  # left for the schema to refuse, with its position
            continue
        new = {k: v for k, v in old.items() if k not in ("kind", "cols", "filters")}
        if "kind" in old:
            new["type"] = old["kind"]
        if "cols" in old:
            new["width"] = old["cols"]
        if old.get("filters"):
            new["view"] = {**(new.get("view") or {}), "f": old["filters"]}
        blocks.append(new)
    out["blocks"] = blocks
    return out


MIGRATIONS = {0: _v0_to_v1}


def migrate(doc: dict[str, Any]) -> dict[str, Any]:
    """Bring an older document up to VERSION, one step at a time (a document without `version` is version 0)."""
    version = doc.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version > VERSION or version < 0:
        raise SpecError(f"version du tableau de bord « {str(version)[:10]} » inconnue (version {VERSION} au plus)")
    while version < VERSION:
        doc = MIGRATIONS[version](doc)
        version = doc["version"]
    return doc


# -- validation ---------------------------------------------------------------------------------------------------


def _where(path: list[Any]) -> str:
    if len(path) >= 2 and path[0] == "blocks" and isinstance(path[1], int):
        rest = ".".join(str(p) for p in path[2:])
        return f"bloc {path[1] + 1}" + (f", champ « {rest} »" if rest else "")
    return f"champ « {'.'.join(str(p) for p in path)} »" if path else "document"


def _french(error: jsonschema.ValidationError) -> str:
    """One French sentence for a JSON Schema error (never echoes more than a few characters of the input)."""
    where, kind = _where(list(error.absolute_path)), error.validator
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"{where} : clé inconnue « {str(extra[0])[:40]} »" if extra else f"{where} : clé inconnue"
    if kind == "required":
        missing = [r for r in error.validator_value if r not in error.instance]
        return f"{where} : « {missing[0] if missing else '?'} » manquant"
    if kind == "oneOf":
        return f"{where} : un tableau lit soit un jeu de données, soit une requête SQL (l'un des deux)"
    if kind in ("enum", "const"):
        if list(error.absolute_path)[-1:] == ["type"]:
            return f"{where} : type de bloc « {str(error.instance)[:30]} » inconnu ({', '.join(BLOCK_TYPES)})"
        return f"{where} : valeur « {str(error.instance)[:30]} » non autorisée"
    if kind == "pattern" and "f" in list(error.absolute_path)[-2:-1]:
        return f"{where} : filtre « {str(error.instance)[:40]} » illisible (forme attendue : colonne:opération:valeur)"
    if kind == "pattern":
        return f"{where} : « {str(error.instance)[:40]} » n'est pas un nom de colonne ou de jeu de données valide"
    if kind in ("maxLength", "maxItems"):
        return f"{where} : trop long ({error.validator_value} au plus)"
    if kind == "type":
        return f"{where} : type de valeur inattendu"
    if kind in ("minimum", "maximum"):
        return f"{where} : valeur hors limites"
    if kind == "dependentRequired":
        return f"{where} : le territoire demande un niveau et un code"
    return f"{where} : valeur invalide"


def validate(doc: Any) -> dict[str, Any]:
    """The document migrated and checked against SCHEMA; raises SpecError with the first problem, in French."""
    if not isinstance(doc, dict):
        raise SpecError("le tableau de bord doit être un objet JSON")
    doc = migrate(doc)
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(doc))
    if error is not None:
        raise SpecError(_french(error))
    return doc


def parse(doc: Any) -> Dashboard:
    """A checked document as typed blocks; titles become plain text and texts inert Markdown (as reuses are)."""
    doc = validate(doc)
    flt = doc.get("filter") or {}
    blocks = tuple(
        Block(type=b["type"], title=plain_text(b.get("title", "")), width=b.get("width", 1), dataset=b.get("dataset"),
              sql=b.get("sql"), view=dict(b.get("view") or {}), columns=tuple(b.get("columns") or ()),
              agg=b.get("agg", "count"), column=b.get("column"), unit=plain_text(b.get("unit", "")),
              text=markdown_text(b.get("text", "")))
        for b in doc["blocks"]
    )
    return Dashboard(blocks=blocks, title=plain_text(doc.get("title", "")),
                     filter=GlobalFilter(flt.get("level"), flt.get("code"), flt.get("year")))


def to_doc(dashboard: Dashboard) -> dict[str, Any]:
    """The JSON document of a dashboard, defaults left out (shorter links; equal dashboards give equal documents)."""
    out: dict[str, Any] = {"version": VERSION}
    if dashboard.title:
        out["title"] = dashboard.title
    flt = {k: v for k, v in (("level", dashboard.filter.level), ("code", dashboard.filter.code),
                             ("year", dashboard.filter.year)) if v is not None}
    if flt:
        out["filter"] = flt
    blocks = []
    defaults = Block(type="text")
    for b in dashboard.blocks:
        item: dict[str, Any] = {"type": b.type}
        for name in ("title", "width", "dataset", "sql", "agg", "column", "unit", "text"):
            value = getattr(b, name)
            if value != getattr(defaults, name):
                item[name] = value
        if b.view:
            item["view"] = dict(b.view)
        if b.columns:
            item["columns"] = list(b.columns)
        blocks.append(item)
    out["blocks"] = blocks
    return out
