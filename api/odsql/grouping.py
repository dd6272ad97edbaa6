"""range() in group_by: static ranges (`range(population, *, 10, 50, *)`) and ranges of equal widths
(`range(population, 5)`, `range(date, 1 day)`). Each group is named `[low, high[` (`*` for an open end); rows outside
a range without an open end belong to no group."""

from __future__ import annotations

import datetime as dt

from api.odsql import ast
from api.odsql.context import Context, Typed
from api.odsql.schema import NUMERIC, TEMPORAL

MAX_BOUNDS = 100
# Interval units of range(date, <n><unit>) (case-sensitive: m is minutes, M months).
_FIXED_UNITS = {"ms": "milliseconds", "millisecond": "milliseconds", "milliseconds": "milliseconds",
                "s": "seconds", "second": "seconds", "seconds": "seconds",
                "m": "minutes", "minute": "minutes", "minutes": "minutes",
                "h": "hours", "hour": "hours", "hours": "hours",
                "d": "days", "day": "days", "days": "days"}
_CALENDAR_UNITS = {"w": "week", "week": "week", "weeks": "week", "M": "month", "month": "month", "months": "month",
                   "q": "quarter", "quarter": "quarter", "quarters": "quarter",
                   "y": "year", "year": "year", "years": "year"}


def _label(bound: object) -> str:
    if isinstance(bound, dt.datetime):
        return bound.strftime("%Y-%m-%dT%H:%M:%S.") + f"{bound.microsecond // 1000:03d}Z"
    if isinstance(bound, float) and bound.is_integer():
        return str(int(bound))
    return str(bound)


def _bound(ctx: Context, node: ast.Node, temporal: bool) -> object:
    """One bound of a static range: a number for a numeric field, a date literal for a date field."""
    negative = isinstance(node, ast.Negative)
    inner = node.operand if negative else node
    if temporal:
        if not isinstance(node, ast.DateLiteral):
            raise ctx.error(node, "range() of a date field expects date literals, e.g. date'2020-01-01'")
        return node.value
    if not (isinstance(inner, ast.Literal) and inner.kind == "number"):
        raise ctx.error(node, "range() of a numeric field expects numbers")
    return -inner.value if negative else inner.value


def range_(ctx: Context, node: ast.Func) -> Typed:
    if len(node.args) < 2 or not isinstance(node.args[0], ast.Field):
        raise ctx.error(node, "range() expects a field, then bounds or a width")
    x = ctx.value(node.args[0])
    if x.type not in NUMERIC | TEMPORAL:
        raise ctx.error(node.args[0], f"range() expects a numeric or date field, got {x.type}")
    rest = node.args[1:]
    if len(rest) == 1 and not isinstance(rest[0], (ast.Star, ast.DateLiteral)):
        return _equal_widths(ctx, node, x, rest[0])
    return _static(ctx, node, x, rest)


def _static(ctx: Context, node: ast.Func, x: Typed, rest: tuple[ast.Node, ...]) -> Typed:
    open_low = isinstance(rest[0], ast.Star)
    open_high = isinstance(rest[-1], ast.Star) and len(rest) > 1
    inner = rest[int(open_low):len(rest) - int(open_high)]
    if not inner or any(isinstance(b, ast.Star) for b in inner):
        raise ctx.error(node, "range(): '*' may only open the first or close the last range, around bounds")
    if len(inner) > MAX_BOUNDS:
        raise ctx.error(node, f"range(): at most {MAX_BOUNDS} bounds")
    temporal = x.type in TEMPORAL
    bounds = [_bound(ctx, b, temporal) for b in inner]
    if any(b >= c for b, c in zip(bounds, bounds[1:], strict=False)):  # type: ignore[operator]
        raise ctx.error(node, "range(): bounds must be increasing")
    labels = [_label(b) for b in bounds]
    params = [ctx.bind(b) for b in bounds]
    whens, order = [], []
    if open_low:
        whens.append(f"WHEN {x.sql} < {params[0]} THEN {ctx.bind(f'[*, {labels[0]}[')}")
        order.append(f"WHEN {x.sql} < {params[0]} THEN 0")
    for i in range(len(bounds) - 1):
        whens.append(f"WHEN {x.sql} < {params[i + 1]} THEN {ctx.bind(f'[{labels[i]}, {labels[i + 1]}[')}")
        order.append(f"WHEN {x.sql} < {params[i + 1]} THEN {i + 1}")
    if open_high:
        whens.append(f"WHEN {x.sql} >= {params[-1]} THEN {ctx.bind(f'[{labels[-1]}, *[')}")
        order.append(f"WHEN {x.sql} >= {params[-1]} THEN {len(bounds)}")
    if not open_low:
        ctx.extra_where.append(f"({x.sql} >= {params[0]})")
    if not open_high:
        ctx.extra_where.append(f"({x.sql} < {params[-1]})")
    if len(bounds) == 1 and not (open_low or open_high):
        raise ctx.error(node, "range(): give at least two bounds, or '*' for an open end")
    return Typed(f"(CASE {' '.join(whens)} END)", "text", sort=f"(CASE {' '.join(order)} END)")


def _equal_widths(ctx: Context, node: ast.Func, x: Typed, width: ast.Node) -> Typed:
    if x.type in TEMPORAL:
        if not isinstance(width, ast.Quantity) or not float(width.value).is_integer() or width.value <= 0:
            raise ctx.error(width, "range() of a date field expects an interval such as 1 day, 2h, 1 month")
        n = int(width.value)
        if width.unit in _CALENDAR_UNITS:
            if n != 1:
                raise ctx.error(width, f"range(): an interval of more than one {_CALENDAR_UNITS[width.unit]} is "
                                       "not supported")
            part = _CALENDAR_UNITS[width.unit]
            key = f"date_trunc('{part}', CAST({x.sql} AS TIMESTAMP))"
        elif width.unit in _FIXED_UNITS:
            interval = f"to_{_FIXED_UNITS[width.unit]}({ctx.bind(n)})"
            key = f"time_bucket({interval}, CAST({x.sql} AS TIMESTAMP))"
        else:
            raise ctx.error(width, f"range(): unknown interval unit '{width.unit}'")
        return Typed(key, "datetime")
    if isinstance(width, ast.Quantity):
        raise ctx.error(width, "range() of a numeric field expects a plain number as its width")
    step = _bound(ctx, width, False)
    if not (isinstance(step, (int, float)) and step > 0):
        raise ctx.error(width, "range(): the width must be a positive number")
    w = ctx.bind(step)
    low = f"(floor({x.sql} / {w}) * {w})"
    if x.type == "int" and isinstance(step, int):
        low = f"CAST({low} AS BIGINT)"
    label = f"('[' || CAST({low} AS VARCHAR) || ', ' || CAST({low} + {w} AS VARCHAR) || '[')"
    return Typed(label, "text", sort=low)
