"""ODSQL text → typed tree (ast.py), with lark's LALR parser over grammar.lark; every failure is an ODSQLError."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError
from lark.visitors import Transformer_NonRecursive

from api.odsql import ast
from api.odsql.errors import ODSQLError

GRAMMAR = Path(__file__).with_name("grammar.lark")
MAX_CLAUSE_LENGTH = 20_000  # characters of one parameter
MAX_DEPTH = 40  # nesting of the tree (parentheses, operators, function calls)
MAX_LIST_ITEMS = 1_000  # values of one IN list, arguments of one call, items of one clause
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|`[^`]+`")
_DATE = re.compile(
    r"(?P<y>\d{4})(?:[-/](?P<mo>\d{1,2})(?:[-/](?P<d>\d{1,2})"
    r"(?:[T ](?P<h>\d{1,2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,6})\d*)?)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?)?)?"
)
_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)")


def _node(cls: type[ast.Node], meta: Any, *args: Any, **kw: Any) -> ast.Node:
    """A node with its position and depth; too deep a tree stops the parse here, before any recursion."""
    children = [a for a in args if isinstance(a, ast.Node)]
    for value in list(args) + list(kw.values()):
        if isinstance(value, tuple):
            children += [v for v in value if isinstance(v, ast.Node)]
            children += [v[1] for v in value if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], ast.Node)]
    depth = 1 + max((c.depth for c in children), default=0)
    known = meta is not None and not getattr(meta, "empty", True)
    pos, end = (meta.start_pos, meta.end_pos) if known else (-1, -1)
    if depth > MAX_DEPTH:
        raise ODSQLError(f"expression nested too deeply (more than {MAX_DEPTH} levels)", position=pos)
    return cls(*args, pos=pos, end=end, depth=depth, **kw)


def _chain(cls: type[ast.And] | type[ast.Or], meta: Any, left: ast.Node, right: ast.Node) -> ast.Node:
    """`a or b or c` arrives left-nested: flattened into one Or whose depth is that of its deepest operand + 1
    (computed from the left part's, so a long chain costs linear time)."""
    if isinstance(left, cls):
        operands, depth = left.items + (right,), max(left.depth, right.depth + 1)
    else:
        operands, depth = (left, right), max(left.depth, right.depth) + 1
    if len(operands) > MAX_LIST_ITEMS:
        raise ODSQLError(f"too many conditions joined by AND/OR (at most {MAX_LIST_ITEMS})", position=meta.start_pos)
    if depth > MAX_DEPTH:
        raise ODSQLError(f"expression nested too deeply (more than {MAX_DEPTH} levels)", position=meta.start_pos)
    return cls(operands, pos=meta.start_pos, end=meta.end_pos, depth=depth)


def _string_value(raw: str) -> str:
    """The text of a quoted literal: quotes removed, backslash escapes (`\\'`, `\\"`, `\\\\`) resolved."""
    return re.sub(r"\\(.)", r"\1", raw[1:-1], flags=re.DOTALL)


def parse_date(text: str, pos: int = -1) -> ast.DateLiteral:
    """`2017`, `2018/04/01`, `2017-04-03T08:02`, `2020-01-01T10:00:00Z` → the literal and its precision."""
    m = _DATE.fullmatch(text.strip())
    if not m:
        raise ODSQLError(f"invalid date literal '{text}' (expected an ISO 8601 date or YYYY/MM/DD)", position=pos)
    parts = m.groupdict()
    precision = next(p for k, p in (("f", "microsecond"), ("s", "second"), ("mi", "minute"), ("h", "hour"),
                                    ("d", "day"), ("mo", "month"), ("y", "year")) if parts[k] is not None)
    if precision == "hour" and parts["tz"] is None and "T" not in text and " " not in text.strip():
        precision = "day"
    try:
        value = dt.datetime(int(parts["y"]), int(parts["mo"] or 1), int(parts["d"] or 1), int(parts["h"] or 0),
                            int(parts["mi"] or 0), int(parts["s"] or 0), int((parts["f"] or "0").ljust(6, "0")))
        if parts["tz"]:
            tz = parts["tz"]
            offset = dt.timedelta(0) if tz == "Z" else (
                (1 if tz[0] == "+" else -1) * dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[-2:])))
            # Stored datetimes are UTC without a zone: an explicit offset is converted to UTC.
            value = (value - offset)
    except (ValueError, OverflowError) as exc:
        raise ODSQLError(f"invalid date literal '{text}' ({exc})", position=pos) from exc
    return ast.DateLiteral(value, precision, text, pos=pos)


@v_args(meta=True)
class _Builder(Transformer_NonRecursive):
    """Builds ast nodes from lark's tree without recursion (a deeply nested clause cannot exhaust the stack)."""

    # -- clauses --
    def select_clause(self, meta: Any, items: list[ast.Node]) -> list[ast.Node]:
        return items

    group_by_clause = select_clause
    order_by_clause = select_clause

    def where_clause(self, meta: Any, items: list[ast.Node]) -> ast.Node:
        return items[0]

    def select_all(self, meta: Any, items: list[Token]) -> ast.Node:
        return _node(ast.SelectAll, meta)

    def select_pattern(self, meta: Any, items: list[Token]) -> ast.Node:
        text = str(items[0])
        inner = text[text.index("(") + 1:text.rindex(")")].strip()
        if not re.fullmatch(r"[A-Za-z0-9_]+\*?|\*|`[^`]+`", inner):
            raise ODSQLError(f"invalid field pattern '{inner}' in {text.split('(')[0].strip().lower()}()",
                             position=items[0].start_pos)
        return _node(ast.SelectPattern, meta, text.lower().startswith("include"), inner.strip("`"))

    def select_expr(self, meta: Any, items: list[Any]) -> ast.Node:
        return self._item(meta, items)

    def group_item(self, meta: Any, items: list[Any]) -> ast.Node:
        return self._item(meta, items)

    def _item(self, meta: Any, items: list[Any]) -> ast.Node:
        # The text (the result's name when there is no label) is cut from the source once the parse is over.
        return _node(ast.Item, meta, items[0], items[1] if len(items) > 1 else None, "")

    def label(self, meta: Any, items: list[Token]) -> str:
        return str(items[0]).strip("`")

    def order_item(self, meta: Any, items: list[Any]) -> ast.Node:
        descending = len(items) > 1 and str(items[1]).lower() == "desc"
        return _node(ast.OrderItem, meta, items[0], descending)

    # -- boolean --
    def or_(self, meta: Any, items: list[ast.Node]) -> ast.Node:
        return _chain(ast.Or, meta, items[0], items[1])

    def and_(self, meta: Any, items: list[ast.Node]) -> ast.Node:
        return _chain(ast.And, meta, items[0], items[1])

    def not_(self, meta: Any, items: list[ast.Node]) -> ast.Node:
        return _node(ast.Not, meta, items[0])

    def compare(self, meta: Any, items: list[Any]) -> ast.Node:
        op = {":": "=", "<>": "!="}.get(str(items[1]), str(items[1]))
        return _node(ast.Compare, meta, op, items[0], items[2])

    def is_null(self, meta: Any, items: list[Any]) -> ast.Node:
        return _node(ast.IsNull, meta, items[0], False)

    def is_not_null(self, meta: Any, items: list[Any]) -> ast.Node:
        return _node(ast.IsNull, meta, items[0], True)

    def is_bool(self, meta: Any, items: list[Any]) -> ast.Node:
        return _node(ast.IsBool, meta, items[0], str(items[1]).lower() == "true", False)

    def is_not_bool(self, meta: Any, items: list[Any]) -> ast.Node:
        return _node(ast.IsBool, meta, items[0], str(items[1]).lower() == "true", True)

    def like(self, meta: Any, items: list[Any]) -> ast.Node:
        return _node(ast.Like, meta, items[0], items[1], False)

    def not_like(self, meta: Any, items: list[Any]) -> ast.Node:
        return _node(ast.Like, meta, items[0], items[1], True)

    def in_list(self, meta: Any, items: list[Any], negated: bool = False) -> ast.Node:
        if len(items) - 1 > MAX_LIST_ITEMS:
            raise ODSQLError(f"too many values in an IN list (at most {MAX_LIST_ITEMS})", position=meta.start_pos)
        return _node(ast.InList, meta, items[0], tuple(items[1:]), negated)

    def not_in_list(self, meta: Any, items: list[Any]) -> ast.Node:
        return self.in_list(meta, items, negated=True)

    def in_range(self, meta: Any, items: list[Any]) -> ast.Node:
        operand, opening, low, _sep, high, closing = items
        return _node(ast.InRange, meta, operand, low, high, str(opening) == "[", str(closing) == "]")

    def in_field(self, meta: Any, items: list[Any]) -> ast.Node:
        return _node(ast.InField, meta, items[0], items[1])

    # -- arithmetic and calls --
    def arith(self, meta: Any, items: list[Any]) -> ast.Node:
        return _node(ast.Arith, meta, str(items[1]), items[0], items[2])

    def sign(self, meta: Any, items: list[Any]) -> ast.Node:
        return items[1] if str(items[0]) == "+" else _node(ast.Negative, meta, items[1])

    def func_call(self, meta: Any, items: list[Any]) -> ast.Node:
        name = str(items[0]).lower()
        given = [i for i in items[1:] if i is not None]
        if len(given) > MAX_LIST_ITEMS:
            raise ODSQLError(f"too many arguments to {name}()", position=meta.start_pos)
        args = tuple(a for a in given if not isinstance(a, tuple))
        named = tuple(a for a in given if isinstance(a, tuple))
        distinct = any(isinstance(a, _Distinct) for a in args)
        args = tuple(a.expr if isinstance(a, _Distinct) else a for a in args)
        return _node(ast.Func, meta, name, args, named, distinct)

    def star_arg(self, meta: Any, items: list[Any]) -> ast.Node:
        return _node(ast.Star, meta)

    def named_arg(self, meta: Any, items: list[Any]) -> tuple[str, ast.Node]:
        return (str(items[0]).lower(), items[1])

    def distinct_arg(self, meta: Any, items: list[Any]) -> Any:
        return _Distinct(items[0])

    def field_ref(self, meta: Any, items: list[Token]) -> ast.Node:
        return _node(ast.Field, meta, str(items[0]).strip("`"))

    # -- literals --
    def string(self, meta: Any, items: list[Token]) -> ast.Node:
        return _node(ast.Literal, meta, _string_value(str(items[0])), "string")

    def number(self, meta: Any, items: list[Token]) -> ast.Node:
        return _node(ast.Literal, meta, _number(str(items[0]), items[0].start_pos), "number")

    def quantity(self, meta: Any, items: list[Token]) -> ast.Node:
        m = _QUANTITY.fullmatch(str(items[0]))
        assert m is not None  # the terminal's own pattern
        return _node(ast.Quantity, meta, float(_number(m.group(1), items[0].start_pos)), m.group(2))

    def boolean(self, meta: Any, items: list[Token]) -> ast.Node:
        return _node(ast.Literal, meta, str(items[0]).lower() == "true", "boolean")

    def null(self, meta: Any, items: list[Token]) -> ast.Node:
        return _node(ast.Literal, meta, None, "null")

    def date(self, meta: Any, items: list[Token]) -> ast.Node:
        raw = str(items[0])
        literal = parse_date(raw[raw.index(raw[-1]) + 1:-1], items[0].start_pos)
        return _node(ast.DateLiteral, meta, literal.value, literal.precision, literal.text)

    def geom(self, meta: Any, items: list[Token]) -> ast.Node:
        raw = str(items[0])
        return _node(ast.GeomLiteral, meta, raw[raw.index(raw[-1]) + 1:-1])


@dataclass(frozen=True)
class _Distinct:
    """`distinct x` inside count(…): folded into Func.distinct."""

    expr: ast.Node


def _number(text: str, pos: int) -> int | float:
    if re.fullmatch(r"\d+", text):
        value = int(text)
        return value if value < 2**63 else float(value)
    value = float(text)
    if not math.isfinite(value):
        raise ODSQLError(f"number out of range: {text[:30]}", position=pos)
    return value


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """One parser per process (lark parses without shared state, so concurrent parses are safe)."""
    return Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="contextual",
                start=["select_clause", "where_clause", "group_by_clause", "order_by_clause"],
                propagate_positions=True, maybe_placeholders=False)


def _describe(exc: UnexpectedInput, text: str) -> tuple[str, int]:
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return "unexpected end of the expression", len(text)
    if isinstance(exc, UnexpectedToken):
        return f"unexpected '{str(exc.token)[:40]}'", exc.token.start_pos or 0
    if isinstance(exc, UnexpectedCharacters):
        return f"unexpected character '{text[exc.pos_in_stream]}'", exc.pos_in_stream
    return "syntax error", getattr(exc, "pos_in_stream", 0) or 0


def _check_nesting(text: str, clause: str) -> None:
    """Refuse deep parentheses before parsing: lark would build (slowly) a tree that the depth check then refuses."""
    depth, quote = 0, ""
    escaped = False
    for pos, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch in "([":
            depth += 1
            if depth > MAX_DEPTH:
                raise ODSQLError(f"expression nested too deeply (more than {MAX_DEPTH} levels)", clause, pos)
        elif ch in ")]":
            depth -= 1


def _parse(text: str, start: str, clause: str) -> Any:
    if not isinstance(text, str):
        raise ODSQLError("the clause must be text", clause)
    if len(text) > MAX_CLAUSE_LENGTH:
        raise ODSQLError(f"clause too long ({len(text)} characters, at most {MAX_CLAUSE_LENGTH})", clause)
    if not text.strip():
        raise ODSQLError("empty expression", clause, 0)
    _check_nesting(text, clause)
    try:
        tree = _parser().parse(text, start=start)
    except UnexpectedInput as exc:
        detail, pos = _describe(exc, text)
        raise ODSQLError(detail, clause, pos) from None
    except LarkError as exc:
        raise ODSQLError("syntax error", clause) from exc
    try:
        return _Builder().transform(tree)
    except VisitError as exc:  # an ODSQLError raised while building comes wrapped
        if isinstance(exc.orig_exc, ODSQLError):
            raise exc.orig_exc.in_clause(clause) from None
        raise


def parse_where(text: str) -> ast.Node:
    """A `where` clause (a boolean expression)."""
    return _parse(text, "where_clause", "where")


def _named(items: list[ast.Node], text: str) -> list[ast.Node]:
    """Items carry their expression's source text: ODS names an unlabelled result after it (`count(*)`)."""
    return [replace(i, text=text[i.expr.pos:i.expr.end].strip()) if isinstance(i, ast.Item) else i for i in items]


def parse_select(text: str) -> list[ast.Node]:
    """A `select` clause: SelectAll, SelectPattern and Item nodes."""
    return _named(_parse(text, "select_clause", "select"), text)


def parse_group_by(text: str) -> list[ast.Item]:
    return _named(_parse(text, "group_by_clause", "group_by"), text)


def parse_order_by(text: str) -> list[ast.OrderItem]:
    return _parse(text, "order_by_clause", "order_by")


def parse_facet(text: str, clause: str = "refine") -> ast.FacetFilter:
    """`field:value` of refine/exclude; the value is everything after the first colon."""
    if not isinstance(text, str) or ":" not in text:
        raise ODSQLError("a facet filter is written <field>:<value>", clause, 0)
    if len(text) > MAX_CLAUSE_LENGTH:
        raise ODSQLError("facet filter too long", clause)
    name, value = text.split(":", 1)
    if not _FIELD_NAME.fullmatch(name.strip()):
        raise ODSQLError(f"invalid field name '{name.strip()[:40]}'", clause, 0)
    return ast.FacetFilter(name.strip().strip("`"), value.strip(), pos=0)
