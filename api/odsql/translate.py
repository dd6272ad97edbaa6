"""ODSQL tree → DuckDB SQL text: every literal a bound parameter ($p1, $p2…), every field checked against the
dataset's schema and quoted by queries.ident(), types checked; functions live in functions.py."""

from __future__ import annotations

from api.odsql import ast, functions
from api.odsql.context import NUMERIC_OR_NULL, Context, Typed, compatible, date_param, field_sql
from api.odsql.errors import ODSQLError
from api.odsql.parser import parse_date
from api.odsql.schema import GEO, NUMERIC, TEMPORAL

_SQL_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_FLIPPED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def value(ctx: Context, node: ast.Node) -> Typed:
    """An expression that yields a value (select items, operands, arguments)."""
    if isinstance(node, ast.Literal):
        if node.kind == "null":
            return Typed("NULL", "null")
        kind = {"string": "text", "boolean": "boolean"}.get(node.kind)
        if kind is None:
            kind = "int" if isinstance(node.value, int) else "double"
        return Typed(ctx.bind(node.value), kind)
    if isinstance(node, ast.DateLiteral):
        typ = "date" if node.precision in ("year", "month", "day") else "datetime"
        return Typed(date_param(ctx, node.value, node.precision), typ)
    if isinstance(node, ast.Field):
        if node.name in ctx.labels:
            return ctx.labels[node.name]
        return field_sql(ctx, ctx.field_info(node))
    if isinstance(node, ast.Negative):
        inner = value(ctx, node.operand)
        if inner.type not in NUMERIC_OR_NULL:
            raise ctx.error(node, f"'-' expects a number, got {inner.type}")
        return Typed(f"(-{inner.sql})", inner.type if inner.type != "null" else "double", inner.aggregate)
    if isinstance(node, ast.Arith):
        return _arith(ctx, node)
    if isinstance(node, ast.Func):
        return functions.call(ctx, node)
    if isinstance(node, ast.GeomLiteral):
        raise ctx.error(node, "a geometry literal is only accepted by geo functions")
    if isinstance(node, ast.Quantity):
        raise ctx.error(node, f"a quantity with a unit ('{node.unit}') is only accepted by within_distance() and "
                              "range()")
    if isinstance(node, ast.Star):
        raise ctx.error(node, "'*' is not allowed here")
    raise ctx.error(node, "a boolean condition is not allowed here")


def _arith(ctx: Context, node: ast.Arith) -> Typed:
    left, right = value(ctx, node.left), value(ctx, node.right)
    for side, operand in ((left, node.left), (right, node.right)):
        if side.type not in NUMERIC_OR_NULL:
            raise ctx.error(operand, f"arithmetic operators are only defined on numeric values, got {side.type}")
    aggregate = left.aggregate or right.aggregate
    if node.op == "/":  # ODS: a division by zero is null (DuckDB would give inf)
        return Typed(f"({left.sql} / nullif({right.sql}, 0))", "double", aggregate)
    typ = "int" if left.type == right.type == "int" and node.op != "/" else "double"
    return Typed(f"({left.sql} {node.op} {right.sql})", typ, aggregate)


def _as_date_literal(ctx: Context, node: ast.Node) -> ast.DateLiteral | None:
    """A date literal, or a string literal that reads as one (`date_field > '2020-01-01'`)."""
    if isinstance(node, ast.DateLiteral):
        return node
    if isinstance(node, ast.Literal) and node.kind == "string":
        try:
            return parse_date(str(node.value), node.pos)
        except ODSQLError as exc:
            raise ctx.error(node, f"'{str(node.value)[:40]}' is not a date") from exc
    return None


def period_compare(ctx: Context, left: Typed, op: str, literal: ast.DateLiteral) -> str:
    """A temporal value against a date literal naming a period (`date'2017'` is the whole year)."""
    start = date_param(ctx, literal.value, literal.precision)
    stop = date_param(ctx, literal.stop, literal.precision)
    x = left.sql
    return {"=": f"({x} >= {start} AND {x} < {stop})", "!=": f"({x} < {start} OR {x} >= {stop})",
            "<": f"({x} < {start})", "<=": f"({x} < {stop})", ">": f"({x} >= {stop})",
            ">=": f"({x} >= {start})"}[op]


def compare(ctx: Context, node: ast.Node, op: str, left_node: ast.Node, right_node: ast.Node) -> str:
    if isinstance(left_node, (ast.DateLiteral, ast.Literal)) and not isinstance(right_node, (ast.DateLiteral,
                                                                                             ast.Literal)):
        left_node, right_node, op = right_node, left_node, _FLIPPED[op]
    left = value(ctx, left_node)
    if left.type in TEMPORAL and not isinstance(right_node, ast.Field | ast.Func | ast.Arith):
        literal = _as_date_literal(ctx, right_node)
        if literal is not None:
            return period_compare(ctx, left, op, literal)
    right = value(ctx, right_node)
    if "null" in (left.type, right.type):
        return "FALSE"  # ODS: a comparison involving a null value is false
    if not compatible(left.type, right.type):
        raise ctx.error(node, f"cannot compare {left.type} with {right.type}")
    if left.type in GEO or left.type == "boolean" and op not in ("=", "!="):
        raise ctx.error(node, f"operator {op} is not defined on {left.type} values")
    return f"({left.sql} {_SQL_OPS[op]} {right.sql})"


def predicate(ctx: Context, node: ast.Node) -> str:
    """A boolean condition (where, refine): SQL that is TRUE for the rows to keep."""
    if isinstance(node, ast.And):
        return "(" + " AND ".join(predicate(ctx, i) for i in node.items) + ")"
    if isinstance(node, ast.Or):
        return "(" + " OR ".join(predicate(ctx, i) for i in node.items) + ")"
    if isinstance(node, ast.Not):
        # ODS: a comparison with a null value is false, so its negation is true.
        return f"(NOT coalesce({predicate(ctx, node.operand)}, FALSE))"
    if isinstance(node, ast.Compare):
        return compare(ctx, node, node.op, node.left, node.right)
    if isinstance(node, ast.IsNull):
        return _is_null(ctx, node)
    if isinstance(node, ast.IsBool):
        operand = value(ctx, node.operand)
        if operand.type not in ("boolean", "null"):
            raise ctx.error(node, f"IS TRUE/FALSE expects a boolean, got {operand.type}")
        return f"({operand.sql} IS {'NOT ' if node.negated else ''}{'TRUE' if node.value else 'FALSE'})"
    if isinstance(node, ast.Like):
        return functions.like(ctx, node)
    if isinstance(node, ast.InList):
        return _in_list(ctx, node)
    if isinstance(node, ast.InRange):
        return _in_range(ctx, node)
    if isinstance(node, ast.InField):
        info = ctx.field_info(node.field)
        raise ctx.error(node, f"field {info.name} is not multivalued: use {info.name} = <value>")
    if isinstance(node, ast.Literal) and node.kind == "string":
        return functions.full_text(ctx, node, None, str(node.value), mode="words")
    if isinstance(node, ast.Func) and node.name in functions.PREDICATES:
        return functions.predicate_call(ctx, node)
    typed = value(ctx, node)
    if typed.aggregate:
        raise ctx.error(node, "aggregate functions are not allowed in where")
    if typed.type == "boolean":
        return f"({typed.sql} IS TRUE)"
    raise ctx.error(node, f"expected a boolean condition, got a {typed.type} value")


def _is_null(ctx: Context, node: ast.IsNull) -> str:
    if isinstance(node.operand, ast.Field) and node.operand.name not in ctx.labels:
        info = ctx.field_info(node.operand)
        if info.type == "geo_point_2d" and info.lon and info.lat:
            lon, lat = ctx.column(info.lon), ctx.column(info.lat)
            test = f"({lon} IS NULL OR {lat} IS NULL)"
            return f"(NOT {test})" if node.negated else test
    operand = value(ctx, node.operand)
    return f"({operand.sql} IS {'NOT ' if node.negated else ''}NULL)"


def _in_list(ctx: Context, node: ast.InList) -> str:
    operand = value(ctx, node.operand)
    if operand.type in TEMPORAL:
        parts = [compare(ctx, node, "=", node.operand, item) for item in node.items]
        test = "(" + " OR ".join(parts) + ")"
    else:
        values = []
        for item in node.items:
            if not isinstance(item, (ast.Literal, ast.Negative)):
                raise ctx.error(item, "IN (…) expects a list of literals")
            typed = value(ctx, item)
            if typed.type == "null":
                continue
            if not compatible(operand.type, typed.type) or operand.type in GEO:
                raise ctx.error(item, f"cannot compare {operand.type} with {typed.type}")
            values.append(typed.sql)
        test = f"({operand.sql} IN ({', '.join(values)}))" if values else "FALSE"
    return f"(NOT coalesce({test}, FALSE))" if node.negated else test


def _in_range(ctx: Context, node: ast.InRange) -> str:
    operand = value(ctx, node.operand)
    if operand.type not in NUMERIC | TEMPORAL:
        raise ctx.error(node, f"IN [a..b] expects a numeric or date value, got {operand.type}")
    low = compare(ctx, node, ">=" if node.low_inclusive else ">", node.operand, node.low)
    high = compare(ctx, node, "<=" if node.high_inclusive else "<", node.operand, node.high)
    return f"({low} AND {high})"
