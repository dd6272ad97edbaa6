"""ODSQL functions → SQL: scalar functions, aggregates, the text predicates (search, suggest, startswith, like, a bare
string) and the grouping functions; the date and geo ones are in dates.py and geo.py."""

from __future__ import annotations

import re

from api.odsql import ast, dates, geo, grouping
from api.odsql.context import Context, Typed, compatible
from api.odsql.schema import NUMERIC, TEMPORAL
from catalogue.folding import fold, fold_sql

AGGREGATES = {"count", "sum", "avg", "min", "max", "median", "percentile", "envelope", "bbox"}
PREDICATES = {"search", "suggest", "startswith", "within_distance", "in_bbox", "intersects", "within", "disjoint"}
GROUPING = {"range", "geo_cluster"}
_DATE_PARTS = {"year", "month", "day", "hour", "minute", "second"}
# Where each function may appear (ODS documents it per function); absent = every clause.
_CLAUSES = {
    "json_format": {"select"}, "distance": {"select", "order_by"}, "random": {"order_by"},
    **{name: {"select", "order_by"} for name in AGGREGATES},
    **{name: {"where", "refine", "exclude"} for name in PREDICATES},
    **{name: {"group_by"} for name in GROUPING},
}
_WORD_SPLIT = "[^a-z0-9]+"
MAX_TERMS = 20


def _check_clause(ctx: Context, node: ast.Func) -> None:
    allowed = _CLAUSES.get(node.name)
    if allowed is not None and ctx.clause not in allowed:
        raise ctx.error(node, f"{node.name}() cannot be used in the {ctx.clause} clause "
                              f"(only in {', '.join(sorted(allowed))})")


def _one_arg(ctx: Context, node: ast.Func) -> Typed:
    if len(node.args) != 1 or node.named or node.distinct:
        raise ctx.error(node, f"{node.name}() expects one argument")
    return ctx.value(node.args[0])


def call(ctx: Context, node: ast.Func) -> Typed:
    """A function used as a value."""
    name = node.name
    if name in PREDICATES:
        raise ctx.error(node, f"{name}() is a condition: it can only be used in where")
    _check_clause(ctx, node)
    if node.named and name != "now":
        raise ctx.error(node, f"{name}() takes no named parameters")
    if node.distinct and name != "count":
        raise ctx.error(node, "DISTINCT is only accepted by count()")
    if name in AGGREGATES:
        return aggregate(ctx, node)
    if name in GROUPING:
        return grouping.range_(ctx, node) if name == "range" else geo.geo_cluster(ctx, node)
    if name in ("length", "lower", "upper"):
        arg = _one_arg(ctx, node)
        if arg.type not in ("text", "null"):
            raise ctx.error(node, f"{name}() expects a text, got {arg.type}")
        return Typed(f"{name}({arg.sql})", "int" if name == "length" else "text", arg.aggregate)
    if name in _DATE_PARTS:
        arg = _one_arg(ctx, node)
        if arg.type not in TEMPORAL | {"null"}:
            raise ctx.error(node, f"{name}() expects a date or a datetime, got {arg.type}")
        return Typed(f"{name}({arg.sql})", "int", arg.aggregate)
    if name == "date_format":
        return dates.date_format(ctx, node)
    if name == "now":
        return dates.now(ctx, node)
    if name == "ifnull":
        return _ifnull(ctx, node)
    if name == "json_format":
        return _json_format(ctx, node)
    if name == "distance":
        return geo.distance(ctx, node)
    if name == "random":
        return _random(ctx, node)
    raise ctx.error(node, f"Unknown function: {name}()")


def _ifnull(ctx: Context, node: ast.Func) -> Typed:
    if len(node.args) != 2:
        raise ctx.error(node, "ifnull() expects an expression and an alternative")
    first, second = ctx.value(node.args[0]), ctx.value(node.args[1])
    if not compatible(first.type, second.type):
        raise ctx.error(node, f"ifnull(): the alternative ({second.type}) must have the type of the expression "
                              f"({first.type})")
    typ = first.type if first.type != "null" else second.type
    return Typed(f"coalesce({first.sql}, {second.sql})", typ, first.aggregate or second.aggregate)


def _json_format(ctx: Context, node: ast.Func) -> Typed:
    if not 1 <= len(node.args) <= 2:
        raise ctx.error(node, "json_format() expects a text field and an optional fallback")
    text = ctx.value(node.args[0])
    if text.type != "text":
        raise ctx.error(node, f"json_format() expects a text, got {text.type}")
    fallback = ctx.value(node.args[1]).sql if len(node.args) == 2 else text.sql
    return Typed(f"(CASE WHEN json_valid({text.sql}) THEN CAST(json({text.sql}) AS VARCHAR) ELSE {fallback} END)",
                 "text", text.aggregate)


def _random(ctx: Context, node: ast.Func) -> Typed:
    if len(node.args) != 1 or not (isinstance(node.args[0], ast.Literal) and isinstance(node.args[0].value, int)
                                   and node.args[0].kind == "number"):
        raise ctx.error(node, "random() expects an integer seed")
    return Typed(f"hash({ctx.random_basis}, {ctx.bind(node.args[0].value)})", "int")


def aggregate(ctx: Context, node: ast.Func) -> Typed:
    name = node.name
    if ctx.in_aggregate:
        raise ctx.error(node, f"aggregate functions cannot be nested: {name}()")
    ctx.in_aggregate = True
    try:
        if name == "count":
            if len(node.args) != 1:
                raise ctx.error(node, "count() expects a field or *")
            if isinstance(node.args[0], ast.Star):
                if node.distinct:
                    raise ctx.error(node, "count(distinct *) is not supported: name a field")
                return Typed("count(*)", "int", aggregate=True)
            arg = ctx.value(node.args[0])
            return Typed(f"count({'DISTINCT ' if node.distinct else ''}{arg.sql})", "int", aggregate=True)
        if name == "envelope":
            return geo.envelope(ctx, node)
        if name == "bbox":
            return geo.bbox(ctx, node)
        if name == "percentile":
            if len(node.args) != 2:
                raise ctx.error(node, "percentile() expects a numeric field and a percentile between 0 and 100")
            arg = ctx.value(node.args[0])
            rank = node.args[1]
            if not (isinstance(rank, ast.Literal) and rank.kind == "number" and 0 <= rank.value <= 100):
                raise ctx.error(rank, "percentile() expects a percentile between 0 and 100")
            _numeric(ctx, node, arg)
            return Typed(f"quantile_cont({arg.sql}, {ctx.bind(float(rank.value) / 100)})", "double", aggregate=True)
        arg = _one_arg(ctx, node)
        if name in ("min", "max"):
            if arg.type not in NUMERIC | TEMPORAL | {"null"}:
                raise ctx.error(node, f"{name}() expects a numeric or date field, got {arg.type}")
            return Typed(f"{name}({arg.sql})", arg.type, aggregate=True)
        _numeric(ctx, node, arg)
        typ = "int" if name == "sum" and arg.type == "int" else "double"
        return Typed(f"{name}({arg.sql})", typ, aggregate=True)
    finally:
        ctx.in_aggregate = False


def _numeric(ctx: Context, node: ast.Func, arg: Typed) -> None:
    if arg.type not in NUMERIC | {"null"}:
        raise ctx.error(node, f"{node.name}() expects a numeric field, got {arg.type}")


# ---- conditions ------------------------------------------------------------------------------------------------
def predicate_call(ctx: Context, node: ast.Func) -> str:
    """A filter function used as a condition."""
    _check_clause(ctx, node)
    if node.named or node.distinct:
        raise ctx.error(node, f"{node.name}() takes no named parameters")
    if node.name in ("search", "suggest", "startswith"):
        if not node.args or not (isinstance(node.args[-1], ast.Literal) and node.args[-1].kind == "string"):
            raise ctx.error(node, f"{node.name}() expects fields (or *) and a string, e.g. {node.name}(*, \"text\")")
        fields = node.args[:-1]
        text = str(node.args[-1].value)
        if node.name == "startswith":
            return _startswith(ctx, node, fields, text)
        return full_text(ctx, node, fields, text, mode="fuzzy" if node.name == "search" else "prefix")
    if node.name == "within_distance":
        return geo.within_distance(ctx, node)
    if node.name == "in_bbox":
        return geo.in_bbox(ctx, node)
    return geo.spatial(ctx, node)


def _text_fields(ctx: Context, node: ast.Node, fields: tuple[ast.Node, ...] | None) -> list[str]:
    """The quoted text columns a search covers: the named ones, or every text field for `*` / none."""
    if not fields or any(isinstance(f, ast.Star) for f in fields):
        return [ctx.column(f.column or f.name) for f in ctx.schema.of_type({"text"})]
    columns = []
    for item in fields:
        if not isinstance(item, ast.Field):
            raise ctx.error(item, "search functions expect field names or *")
        info = ctx.field_info(item)
        if info.type != "text":
            raise ctx.error(item, f"search functions expect text fields, {info.name} is {info.type}")
        columns.append(ctx.column(info.column or info.name))
    return columns


def full_text(ctx: Context, node: ast.Node, fields: tuple[ast.Node, ...] | None, text: str, mode: str) -> str:
    """Case- and accent-insensitive word search over text fields (catalogue.folding on both sides), every term
    required. `fuzzy` (search()): a term matches a word within Levenshtein distance 1 (over 2 letters) or 2 (over 5),
    the last term the start of a word within that distance; `prefix` (suggest()): each term starts a word; `words` (a bare "string"): each term is
    a word, or starts one when it ends with `*`."""
    columns = _text_fields(ctx, node, fields)
    terms: list[tuple[str, bool]] = []  # (folded word, written with a trailing *)
    for raw in text.split():
        parts = [p for p in re.split(_WORD_SPLIT, fold(raw)) if p]
        terms += [(p, raw.endswith("*") and j == len(parts) - 1) for j, p in enumerate(parts)]
    if len(terms) > MAX_TERMS:
        raise ctx.error(node, f"too many words in a search (at most {MAX_TERMS})")
    if not terms:
        return "TRUE"
    if not columns:
        return "FALSE"
    joined = "concat_ws(' ', " + ", ".join(columns) + ")"
    words = f"string_split_regex({fold_sql(joined)}, {ctx.bind(_WORD_SPLIT)})"
    tests = []
    for i, (term, star) in enumerate(terms):
        last = i == len(terms) - 1
        fuzz = (2 if len(term) > 5 else 1) if mode == "fuzzy" and len(term) > 2 else 0
        if fuzz and last:  # the last term of search() is a fuzzy prefix
            test = f"levenshtein(w[1:{len(term)}], {ctx.bind(term)}) <= {fuzz}"
        elif star or mode == "prefix" or (mode == "fuzzy" and last):
            test = f"starts_with(w, {ctx.bind(term)})"
        elif fuzz:
            test = f"levenshtein(w, {ctx.bind(term)}) <= {fuzz}"
        else:
            test = f"w = {ctx.bind(term)}"
        tests.append(f"len(list_filter({words}, lambda w: {test})) > 0")
    return "(" + " AND ".join(tests) + ")"


def _startswith(ctx: Context, node: ast.Func, fields: tuple[ast.Node, ...], text: str) -> str:
    """Case-sensitive prefix of the whole value of any of the fields."""
    columns = _text_fields(ctx, node, fields)
    if not columns:
        return "FALSE"
    prefix = ctx.bind(text)
    return "(" + " OR ".join(f"starts_with({c}, {prefix})" for c in columns) + ")"


def like(ctx: Context, node: ast.Like) -> str:
    """`field like "paris"`: the text contains it, case- and accent-insensitive; `*` matches any characters."""
    operand = ctx.value(node.operand)
    if operand.type != "text":
        raise ctx.error(node, f"LIKE expects a text, got {operand.type}")
    if not (isinstance(node.pattern, ast.Literal) and node.pattern.kind == "string"):
        raise ctx.error(node.pattern, "LIKE expects a string pattern")
    text = fold(str(node.pattern.value))
    # DuckDB's LIKE … ESCAPE takes a slow path (~10× on 10 million rows): without a `*`, the test is contains();
    # with one, LIKE, and ESCAPE only when the text holds a character LIKE would read as a wildcard.
    if "*" not in text:
        test = f"contains({fold_sql(operand.sql)}, {ctx.bind(text)})"
    elif not re.search(r"[\\%_]", text):
        test = f"({fold_sql(operand.sql)} LIKE {ctx.bind('%' + text.replace('*', '%') + '%')})"
    else:
        escaped = re.sub(r"([\\%_])", r"\\\1", text).replace("*", "%")
        test = f"({fold_sql(operand.sql)} LIKE {ctx.bind('%' + escaped + '%')} ESCAPE {ctx.bind(chr(92))})"
    return f"(NOT coalesce({test}, FALSE))" if node.negated else test
