"""What translating one ODSQL query shares: the bound parameters, the schema, the clause being read, the typed
result of each expression. translate.py wires in the expression and condition translators that functions.py calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.odsql import ast
from api.odsql.errors import ODSQLError
from api.odsql.schema import GEO, NUMERIC, TEMPORAL, DatasetSchema, FieldInfo
from queries import ident

NUMERIC_OR_NULL = NUMERIC | {"null"}


@dataclass(frozen=True)
class Typed:
    """A translated expression: its SQL, its ODS type, whether it aggregates rows, and (for group keys that are
    labels, such as range buckets) the SQL to sort its groups by."""

    sql: str
    type: str
    aggregate: bool = False
    sort: str | None = None


class Binder:
    """Collects the values of a query as named parameters; the SQL only ever holds their names."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.params) + 1}"
        self.params[name] = value
        return "$" + name


@dataclass
class Context:
    """What a clause may contain, and the state shared while translating one query."""

    schema: DatasetSchema
    bind: Binder
    now: dt.datetime  # wall-clock time in the request's time zone, without tzinfo
    lang: str = "fr"
    timezone: str = "UTC"  # the request's time zone (checked by query.wall_clock): datetime fields are read in it
    clause: str = "where"
    labels: dict[str, Typed] = field(default_factory=dict)  # order_by may name select/group_by labels
    extra_where: list[str] = field(default_factory=list)  # conditions a group_by expression implies
    in_aggregate: bool = False
    random_basis: str = ""  # what order_by=random(seed) hashes: the row's columns or the group keys
    evaluate: Callable[[Context, ast.Node], Typed] | None = None  # translate.value
    condition: Callable[[Context, ast.Node], str] | None = None  # translate.predicate

    def value(self, node: ast.Node) -> Typed:
        assert self.evaluate is not None
        return self.evaluate(self, node)

    def predicate(self, node: ast.Node) -> str:
        assert self.condition is not None
        return self.condition(self, node)

    def error(self, node: ast.Node | None, detail: str) -> ODSQLError:
        return ODSQLError(detail, self.clause, node.pos if node is not None else None)

    def column(self, name: str) -> str:
        return str(ident(name, self.schema.columns))

    def field_info(self, node: ast.Field) -> FieldInfo:
        info = self.schema.find(node.name)
        if info is None:
            raise self.error(node, f"Unknown field: {node.name}")
        return info


def field_sql(ctx: Context, info: FieldInfo) -> Typed:
    """A field as a value: its column, or {lon, lat} for a geo_point_2d field. A datetime field (stored as UTC
    without offset: loaders.pipeline) is the wall-clock time in the request's time zone, as now() and date literals
    are: ODS reads and compares datetimes in that zone."""
    if info.type == "geo_point_2d" and info.lon and info.lat:
        lon, lat = ctx.column(info.lon), ctx.column(info.lat)
        return Typed(f"(CASE WHEN {lon} IS NULL OR {lat} IS NULL THEN NULL "
                     f"ELSE struct_pack(lon := {lon}, lat := {lat}) END)", info.type)
    column = ctx.column(info.column or info.name)
    if info.type == "datetime" and ctx.timezone != "UTC":
        return Typed(f"timezone({ctx.bind(ctx.timezone)}, timezone('UTC', {column}))", info.type)
    return Typed(column, info.type)


def date_param(ctx: Context, value: dt.datetime, precision: str) -> str:
    """A date literal bound as a DATE when it names a whole day (or more), else as a TIMESTAMP."""
    if precision in ("year", "month", "day") and value == dt.datetime.combine(value.date(), dt.time()):
        return ctx.bind(value.date())
    return ctx.bind(value)


def compatible(a: str, b: str) -> bool:
    """Whether two ODS types can be compared."""
    if "null" in (a, b):
        return True
    if a in NUMERIC and b in NUMERIC:
        return True
    if a in TEMPORAL and b in TEMPORAL:
        return True
    return a == b and a not in GEO
