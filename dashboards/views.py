"""A block against its dataset: its `view` read by the dataset page's own parser, the dashboard's territory and year
applied, and the one aggregate of a key figure. Every identifier comes from the dataset's schema (the allow-list) and
every value is bound (queries.dataset.sql); a block whose dataset or column disappeared gets a French explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalogue.schema import Schema
from dashboards.spec import Block, GlobalFilter
from queries.dataset.sql import AGG_SQL, Binder, Query, ident, select_sql, view_table, where_clause
from queries.dataset.state import DatasetView, Filter, parse_filter, parse_view


@dataclass(frozen=True)
class Resolved:
    """A dataset block ready to draw: `view` under the global filter, `own` without it (the comparison of a key
    figure), `applied` says in French what the global filter did; `problems` is non-empty when it cannot be drawn."""

    view: DatasetView
    own: DatasetView
    applied: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def view_params(block: Block) -> dict[str, list[str]]:
    """The block's view as the query string parse_view reads (each key → its list of values)."""
    out: dict[str, list[str]] = {}
    for key, value in block.view.items():
        if isinstance(value, list):
            out[key] = [str(v) for v in value]
        elif isinstance(value, float):
            out[key] = [f"{value:g}"]
        else:
            out[key] = [str(value)]
    return out


def view_doc(view: DatasetView) -> dict[str, Any]:
    """A dataset view (from its page or a link) as a block's `view`: the same keys, one value or a list for `f`."""
    doc: dict[str, Any] = {}
    for key, value in view.to_params().items():
        if key in ("id", "tab", "page"):
            continue
        if key == "f":
            doc[key] = list(value)
        elif key in ("lat", "lon", "zoom"):
            doc[key] = float(value)  # type: ignore[arg-type]
        else:
            doc[key] = value
    return doc


def _column_problems(block: Block, schema: Schema) -> list[str]:
    problems = []
    for name in (*block.columns, *([block.column] if block.column else [])):
        col = schema.get(name)
        if col is None or col.type == "geometry":
            problems.append(f"la colonne « {name} » n'existe plus dans ce jeu de données")
        elif name == block.column and block.agg != "count" and not col.numeric:
            problems.append(f"la colonne « {name} » n'est pas numérique")
    if block.type == "figure" and block.agg != "count" and not block.column:
        problems.append("un chiffre clé autre qu'un nombre d'enregistrements demande une colonne")
    if block.type == "map" and not schema.map_modes:
        problems.append("ce jeu de données n'a plus de dimension géographique à cartographier")
    return problems


def _replace(view: DatasetView, flt: Filter) -> DatasetView:
    """The view with `flt` instead of the block's own filters on that column (equal values of a column are ORed)."""
    return view.replace(filters=(*view.without_column(flt.column).filters, flt))


def commune_column(schema: Schema) -> str | None:
    cols = schema.commune_columns
    return next((c for c in cols if "cog" in c), cols[0]) if cols else None


def apply_global(view: DatasetView, schema: Schema, gf: GlobalFilter) -> tuple[DatasetView, list[str]]:
    """The dashboard's territory and year on one dataset view, where the dataset has those dimensions."""
    applied = []
    if gf.level and gf.code:
        epci_col = schema.epci_columns[0] if schema.epci_columns else None
        commune = commune_column(schema)
        if gf.level == "epci" and epci_col:
            text = f"{epci_col}:eq:{gf.code}"
        elif commune:
            op = {"commune": "eq", "epci": "epci", "departement": "dep"}[gf.level]
            text = f"{commune}:{op}:{gf.code}"
        else:
            text = ""
        flt = parse_filter(text, schema)[0] if text else None
        if flt is not None:
            view = _replace(view, flt)
            applied.append("territoire")
    if gf.year is not None and schema.time_column:
        col = schema.get(schema.time_column)
        op = "eq" if col is not None and col.numeric else "contains"
        flt = parse_filter(f"{schema.time_column}:{op}:{gf.year}", schema)[0]
        if flt is not None:
            view = _replace(view, flt)
            applied.append("année")
    return view, applied


def resolve(block: Block, schema: Schema, gf: GlobalFilter) -> Resolved:
    """Read the block's view against the dataset's schema: any part the schema no longer allows is a problem (the
    block is not drawn with half its filters)."""
    own, notes = parse_view(view_params(block), schema)
    problems = [*notes, *_column_problems(block, schema)]
    view, applied = apply_global(own, schema, gf)
    return Resolved(view=view, own=own, applied=tuple(applied), problems=tuple(problems))


def figure_query(view: DatasetView, schema: Schema, agg: str, column: str | None) -> Query:
    """A key figure: one aggregate (with the number of records behind it) under the view's filters."""
    bind = Binder()
    value = "count(*)" if agg == "count" or not column else f"{AGG_SQL[agg]}({ident(schema, column)})"
    return Query(select_sql([f"{value} AS value", "count(*) AS n"], view_table(schema),
                            where_clause(view, schema, bind)), bind.params)
