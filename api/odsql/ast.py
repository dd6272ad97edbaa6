"""The typed tree of an ODSQL clause: what parser.py builds and translate.py turns into DuckDB SQL.

Every node keeps `pos`, its offset in the clause's text (for error messages); it takes no part in equality, so a
`select` item and a `group_by` item written the same way compare equal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Node:
    pos: int = field(default=-1, compare=False, kw_only=True)
    end: int = field(default=-1, compare=False, kw_only=True)
    depth: int = field(default=1, compare=False, kw_only=True)


# ---- values ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field(Node):
    """A field of the dataset, or a label (alias) defined in select/group_by."""

    name: str


@dataclass(frozen=True)
class Literal(Node):
    """A string, number, boolean or null literal; `kind` is one of string, number, boolean, null."""

    value: Any
    kind: str


@dataclass(frozen=True)
class DateLiteral(Node):
    """`date'2017'`, `date'2018/04/01'`, `date'2017-04-03T08:02'`: the first instant and the precision written
    (year, month, day, hour, minute, second), so `= date'2017'` means the whole year 2017."""

    value: dt.datetime
    precision: str
    text: str

    @property
    def stop(self) -> dt.datetime:
        """The first instant after the period the literal names."""
        v = self.value
        if self.precision == "year":
            return v.replace(year=v.year + 1)
        if self.precision == "month":
            return v.replace(year=v.year + v.month // 12, month=v.month % 12 + 1)
        step = {"day": dt.timedelta(days=1), "hour": dt.timedelta(hours=1), "minute": dt.timedelta(minutes=1),
                "second": dt.timedelta(seconds=1)}.get(self.precision, dt.timedelta(microseconds=1))
        return v + step


@dataclass(frozen=True)
class GeomLiteral(Node):
    """`geom'POINT(1 1)'` or `geom'{"type": "Polygon", …}'` (WKT or GeoJSON, read by the translator)."""

    text: str


@dataclass(frozen=True)
class Quantity(Node):
    """A number with a unit: a distance (`1km`) or a time interval (`1 day`)."""

    value: float
    unit: str


@dataclass(frozen=True)
class Star(Node):
    """`*` as a function argument: count(*), search(*, …), range(f, *, 10, *)."""


# ---- expressions -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Func(Node):
    """A function call; `name` is lower-cased, `named` holds now(year=2000)-style arguments."""

    name: str
    args: tuple[Node, ...] = ()
    named: tuple[tuple[str, Node], ...] = ()
    distinct: bool = False


@dataclass(frozen=True)
class Negative(Node):
    operand: Node


@dataclass(frozen=True)
class Arith(Node):
    """`+ - * /` between numbers."""

    op: str
    left: Node
    right: Node


# ---- predicates ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Compare(Node):
    """`= != < <= > >=` (ODS `:` is `=`)."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class And(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class IsNull(Node):
    operand: Node
    negated: bool = False


@dataclass(frozen=True)
class IsBool(Node):
    operand: Node
    value: bool
    negated: bool = False


@dataclass(frozen=True)
class Like(Node):
    operand: Node
    pattern: Node
    negated: bool = False


@dataclass(frozen=True)
class InList(Node):
    operand: Node
    items: tuple[Node, ...]
    negated: bool = False


@dataclass(frozen=True)
class InRange(Node):
    """`f IN [a..b]`, `f IN ]a..b[` (a bracket facing outwards excludes its bound)."""

    operand: Node
    low: Node
    high: Node
    low_inclusive: bool
    high_inclusive: bool


@dataclass(frozen=True)
class InField(Node):
    """`"Paris" IN multivalued_field`."""

    value: Node
    field: Field


# ---- clause items ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SelectAll(Node):
    """`*` in select: every field."""


@dataclass(frozen=True)
class SelectPattern(Node):
    """`include(pop*)` / `exclude(pop*)`: fields whose name matches (a trailing `*` is a prefix wildcard)."""

    include: bool
    pattern: str


@dataclass(frozen=True)
class Item(Node):
    """A select or group_by expression with its optional `AS` label and its source text (ODS names an unlabelled
    result after the text of its expression, e.g. `count(*)`)."""

    expr: Node
    alias: str | None
    text: str


@dataclass(frozen=True)
class OrderItem(Node):
    expr: Node
    descending: bool = False


@dataclass(frozen=True)
class FacetFilter(Node):
    """`refine=field:value` / `exclude=field:value`; the value is free text, read by the field's type."""

    field: str
    value: str
