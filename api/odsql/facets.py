"""refine / exclude: `field:value` selects (or removes) one entry of a facet, read by the field's type; date facets
are hierarchical (`2019`, `2019/12`, `2019/12/05`)."""

from __future__ import annotations

import math
import re

from api.odsql import ast
from api.odsql.context import Context, date_param, field_sql
from api.odsql.errors import ODSQLError
from api.odsql.parser import parse_date
from api.odsql.schema import GEO, NUMERIC, TEMPORAL

_NUMBER = re.compile(r"-?\d{1,18}([.,]\d{1,12})?([eE][-+]?\d{1,3})?")


def facet_condition(ctx: Context, facet: ast.FacetFilter) -> str:
    """SQL true for the rows in the facet entry `facet.value` of `facet.field`."""
    info = ctx.schema.find(facet.field)
    if info is None:
        raise ctx.error(facet, f"Unknown field: {facet.field}")
    column = field_sql(ctx, info).sql
    raw = facet.value
    if info.type in GEO:
        raise ctx.error(facet, f"{info.name} is a geo field: it has no facet to refine on")
    if info.type in TEMPORAL:
        try:
            literal = parse_date(raw, facet.pos)
        except ODSQLError as exc:
            raise exc.in_clause(ctx.clause) from None
        start = date_param(ctx, literal.value, literal.precision)
        stop = date_param(ctx, literal.stop, literal.precision)
        return f"({column} >= {start} AND {column} < {stop})"
    if info.type in NUMERIC:
        if not _NUMBER.fullmatch(raw):
            raise ctx.error(facet, f"'{raw[:40]}' is not a number (field {info.name} is {info.type})")
        number = float(raw.replace(",", "."))
        if not math.isfinite(number):
            raise ctx.error(facet, f"'{raw[:40]}' is out of range")
        value = int(number) if info.type == "int" and number.is_integer() else number
        return f"({column} = {ctx.bind(value)})"
    if info.type == "boolean":
        lowered = raw.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise ctx.error(facet, f"'{raw[:40]}' is not a boolean (true or false)")
        return f"({column} = {ctx.bind(lowered in ('true', '1'))})"
    return f"({column} = {ctx.bind(raw)})"
