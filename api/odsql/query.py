"""A whole Explore API request (select, where, group_by, order_by, refine, exclude, limit, offset) → one SELECT for
the rows and one for `total_count`, over a dataset's view, ready for queries.Warehouse.execute (values bound)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.odsql import ast, translate
from api.odsql.context import Binder, Context, Typed, field_sql
from api.odsql.errors import InvalidParameterError, ODSQLError
from api.odsql.facets import facet_condition
from api.odsql.parser import MAX_LIST_ITEMS, parse_facet, parse_group_by, parse_order_by, parse_select, parse_where
from api.odsql.schema import DatasetSchema
from queries import SafeIdent
from queries.dataset.odsql_url import RECORDS_MAX_LIMIT, RECORDS_MAX_WINDOW

# ODS: records limit ≤ RECORDS_MAX_LIMIT (100) and offset + limit ≤ RECORDS_MAX_WINDOW (10 000) without group_by;
# both are defined beside the dataset page's API links (queries/dataset/odsql_url.py), which must respect them too.
GROUPS_MAX_LIMIT = 20_000  # with group_by: limit ≤ 20 000 (-1: all of them), offset + limit ≤ 20 000
LANGS = ("en", "fr", "nl", "pt", "it", "ar", "de", "es", "ca", "eu", "sv")
_PARAM = re.compile(r"\$(p\d+)\b")


@dataclass(frozen=True)
class Column:
    """One column of the result: `label` is the key ODS returns, `name` the column of the SQL result (c0, c1…: no
    text from the request is ever written into the SQL), `type` its ODS field type."""

    label: str
    name: str
    type: str


@dataclass(frozen=True)
class ODSQLQuery:
    sql: str
    params: dict[str, Any]
    count_sql: str
    count_params: dict[str, Any]
    columns: tuple[Column, ...]
    grouped: bool
    timezone: str = "UTC"  # datetime columns hold wall-clock times in this zone (context.field_sql, now())
    limit: int = -1  # the page's LIMIT (-1: none) and OFFSET, for the total a page that is not full already gives
    offset: int = 0


Output = tuple[str, Typed, ast.Node | None]  # label, translated expression, the item it comes from


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [v for v in value if isinstance(v, str) and v.strip()]


def check_page(limit: int, offset: int, grouped: bool, export: bool = False) -> None:
    """ODS's paging rules; InvalidRESTParameterError (400) otherwise."""
    if offset < 0:
        raise InvalidParameterError(f"Invalid value for offset API parameter: {offset} was found but offset >= 0 "
                                    "is expected.", "offset")
    if export:
        if limit < -1:
            raise InvalidParameterError(f"Invalid value for limit API parameter: {limit} was found but limit >= -1 "
                                        "is expected.", "limit")
        return
    high, window = (GROUPS_MAX_LIMIT, GROUPS_MAX_LIMIT) if grouped else (RECORDS_MAX_LIMIT, RECORDS_MAX_WINDOW)
    low = -1 if grouped else 0
    if not low <= limit <= high:
        raise InvalidParameterError(f"Invalid value for limit API parameter: {limit} was found but {low} <= limit "
                                    f"<= {high} is expected.", "limit")
    if offset + max(limit, 0) > window:
        raise InvalidParameterError(f"Invalid value for offset API parameter: offset + limit must be at most "
                                    f"{window} (found {offset + max(limit, 0)}); use the exports endpoint to get "
                                    "more.", "offset")


def check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise InvalidParameterError(f"Invalid value for lang API parameter: {lang[:20]}", "lang")


def wall_clock(timezone: str, now: dt.datetime | None = None) -> dt.datetime:
    """The current time in `timezone` without tzinfo (what now() returns and date literals are compared with)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidParameterError(f"Invalid value for timezone API parameter: {timezone[:60]}", "timezone") from exc
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).replace(tzinfo=None)


def _select_outputs(ctx: Context, items: list[ast.Node], typed_exprs: list[tuple[ast.Item, Typed]]) -> list[Output]:
    """(label, typed SQL, source item) of a select without grouping: `*`, include/exclude, expressions."""
    names = [f.name for f in ctx.schema.fields]
    has_star = any(isinstance(i, ast.SelectAll) for i in items)
    patterns = [i for i in items if isinstance(i, ast.SelectPattern)]
    includes = [p for p in patterns if p.include]
    exprs = [i for i in items if isinstance(i, ast.Item)]
    chosen = list(names) if has_star or (not includes and not exprs) else []
    for pattern in includes:
        chosen += [n for n in names if _matches(n, pattern.pattern) and n not in chosen]
    for pattern in (p for p in patterns if not p.include):
        chosen = [n for n in chosen if not _matches(n, pattern.pattern)]
    outputs = [(n, field_sql(ctx, ctx.schema.by_name[n]), None) for n in names if n in chosen]
    for item, typed in typed_exprs:
        if typed.type == "null":
            typed = Typed(typed.sql, "text")
        label = _label(item)
        if isinstance(item.expr, ast.Field) and item.alias is None:
            info = ctx.schema.find(item.expr.name)
            label = info.name if info else label
            if label in chosen:
                continue
        outputs.append((label, typed, item))
    return outputs


def _matches(name: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    return name == pattern


def _unique(ctx: Context, outputs: Iterable[Output]) -> None:
    seen: set[str] = set()
    for label, _typed, node in outputs:
        if label in seen:
            raise ctx.error(node, f"duplicate label '{label}' in select and group_by: use AS to rename")
        seen.add(label)


def build_query(table: SafeIdent, schema: DatasetSchema, *, select: str | None = None,
                where: str | Sequence[str] | None = None, group_by: str | None = None,
                order_by: str | None = None, refine: str | Sequence[str] | None = None,
                exclude: str | Sequence[str] | None = None, limit: int = 10, offset: int = 0, lang: str = "fr",
                timezone: str = "UTC", now: dt.datetime | None = None, export: bool = False,
                tiebreak: SafeIdent | None = None) -> ODSQLQuery:
    """The SQL of one request. `table` is an allow-listed, quoted view (queries.table_name / ordered_table_name);
    `tiebreak`, a quoted column of that view (`queries.ident("file_row_number", …)`) that makes record pages a total
    order; `export` lifts the records limits (exports stream every row; limit=-1 means all)."""
    if not isinstance(table, SafeIdent) or (tiebreak is not None and not isinstance(tiebreak, SafeIdent)):
        raise TypeError("table and tiebreak must be allow-listed identifiers (queries.table_name(), queries.ident())")
    check_lang(lang)
    bind = Binder()
    ctx = Context(schema=schema, bind=bind, now=wall_clock(timezone, now), lang=lang, timezone=timezone,
                  evaluate=translate.value, condition=translate.predicate)
    conditions = _conditions(ctx, where, refine, exclude)
    groups = _groups(ctx, group_by)
    conditions += ctx.extra_where
    outputs, grouped = _outputs(ctx, select, groups)
    columns = tuple(Column(label, f"c{i}", typed.type if typed.type != "null" else "text")
                    for i, (label, typed, _n) in enumerate(outputs))
    ctx.clause = "order_by"
    ctx.labels = {label: Typed(f"c{i}", typed.type, typed.aggregate) for i, (label, typed, _n) in enumerate(outputs)}
    order_terms = [f"{_order_expr(ctx, item, groups, grouped)} {'DESC' if item.descending else 'ASC'} NULLS LAST"
                   for item in (parse_order_by(order_by) if order_by and order_by.strip() else [])]
    if grouped:
        order_terms += [f"{t.sort or t.sql} ASC NULLS LAST" for _l, t, _n in groups]
    elif tiebreak:
        order_terms.append(f"{tiebreak} ASC")
    check_page(limit, offset, grouped, export)

    select_sql = ", ".join(f"{typed.sql} AS {col.name}" for (_l, typed, _n), col in zip(outputs, columns,
                                                                                          strict=True))
    where_sql = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    # A range's sort key depends on its label only: grouping by both keeps the groups and lets ORDER BY use it.
    keys = [t.sql for _l, t, _n in groups] + [t.sort for _l, t, _n in groups if t.sort]
    group_sql = f" GROUP BY {', '.join(keys)}" if groups else ""
    order_sql = f" ORDER BY {', '.join(order_terms)}" if order_terms else ""
    page_sql, page_limit = "", -1
    if limit >= 0 or (grouped and not export):
        page_limit = limit if limit >= 0 else GROUPS_MAX_LIMIT
        page_sql = f" LIMIT {bind(page_limit)} OFFSET {bind(offset)}"
    elif offset:
        page_sql = f" OFFSET {bind(offset)}"
    sql = f"SELECT {select_sql} FROM {table}{where_sql}{group_sql}{order_sql}{page_sql}"  # noqa: S608
    if groups:
        count_sql = f"SELECT count(*) AS total_count FROM (SELECT 1 FROM {table}{where_sql}{group_sql}) AS g"  # noqa: S608
    elif grouped:  # aggregates over the whole selection: one row
        count_sql = "SELECT 1 AS total_count"
    else:
        count_sql = f"SELECT count(*) AS total_count FROM {table}{where_sql}"  # noqa: S608
    # DuckDB refuses parameters a statement does not name (a value may have been bound for a discarded item).
    used, count_used = set(_PARAM.findall(sql)), set(_PARAM.findall(count_sql))
    return ODSQLQuery(sql=sql, params={k: v for k, v in bind.params.items() if k in used}, count_sql=count_sql,
                      count_params={k: v for k, v in bind.params.items() if k in count_used},
                      columns=columns, grouped=grouped, timezone=timezone, limit=page_limit, offset=offset)


def _conditions(ctx: Context, where: str | Sequence[str] | None, refine: str | Sequence[str] | None,
                exclude: str | Sequence[str] | None) -> list[str]:
    """One condition per `where` parameter (ODS combines them with AND), then the facet filters."""
    conditions = []
    for text in _as_list(where):
        ctx.clause = "where"
        conditions.append(translate.predicate(ctx, parse_where(text)))
    for clause, values in (("refine", refine), ("exclude", exclude)):
        facets = _as_list(values)
        if len(facets) > MAX_LIST_ITEMS:
            raise ODSQLError(f"too many {clause} parameters", clause)
        for text in facets:
            ctx.clause = clause
            condition = facet_condition(ctx, parse_facet(text, clause))
            # Excluding a value keeps the rows that have none.
            conditions.append(condition if clause == "refine" else f"(({condition}) IS NOT TRUE)")
    return conditions


def _label(item: ast.Item) -> str:
    return item.alias or (item.expr.name if isinstance(item.expr, ast.Field) else item.text)


def _groups(ctx: Context, group_by: str | None) -> list[Output]:
    ctx.clause = "group_by"
    groups: list[Output] = []
    for item in parse_group_by(group_by) if group_by and group_by.strip() else []:
        typed = translate.value(ctx, item.expr)
        if typed.aggregate:
            raise ctx.error(item, "aggregate functions are not allowed in group_by")
        if typed.type == "geo_point_2d" and isinstance(item.expr, ast.Field):
            raise ctx.error(item, "grouping by a geo_point_2d field is not supported: use geo_cluster()")
        groups.append((_label(item), typed, item))
    return groups


def _outputs(ctx: Context, select: str | None, groups: list[Output]) -> tuple[list[Output], bool]:
    """The result's columns, and whether the query aggregates (a group_by, or aggregates in select)."""
    ctx.clause = "select"
    items = parse_select(select) if select and select.strip() else [ast.SelectAll()]
    typed_exprs = [(i, translate.value(ctx, i.expr)) for i in items if isinstance(i, ast.Item)]
    grouped = bool(groups) or any(t.aggregate for _i, t in typed_exprs)
    if not grouped:
        ctx.random_basis = ", ".join(field_sql(ctx, f).sql for f in ctx.schema.fields) or "1"
        outputs = _select_outputs(ctx, items, typed_exprs)
    else:
        for item in items:
            if isinstance(item, ast.SelectPattern):
                raise ctx.error(item, "include()/exclude() cannot be used with group_by or aggregations")
        outputs = list(groups)  # the group keys come first, then the aggregates
        for item, typed in typed_exprs:
            if not typed.aggregate:
                match = next((g for g in groups if g[2] is not None and g[2].expr == item.expr), None)
                if match is None:
                    raise ctx.error(item, f"'{item.text}' must be in group_by or inside an aggregate function")
                if _label(item) == match[0]:
                    continue
            outputs.append((_label(item), typed, item))
        ctx.random_basis = ", ".join(t.sql for _l, t, _n in groups) or "1"
    if not outputs:
        raise ODSQLError("the select clause selects no field", "select")
    _unique(ctx, outputs)
    return outputs, grouped


def _reads_data(node: ast.Node) -> bool:
    """Whether an expression depends on the rows (a field, an aggregate such as count(*), random())."""
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Field) or (isinstance(item, ast.Func) and item.name in ("count", "random")):
            return True
        if isinstance(item, ast.Node):
            stack += [getattr(item, f.name) for f in fields(item)]
        elif isinstance(item, tuple):
            stack += list(item)
    return False


def _order_expr(ctx: Context, item: ast.OrderItem, groups: list[Output], grouped: bool) -> str:
    """An order_by term: a result label (c0…), a group key, an aggregate, a field or an expression."""
    expr = item.expr
    if isinstance(expr, ast.Field) and expr.name in ctx.labels:
        return ctx.labels[expr.name].sql
    for label, typed, node in groups:
        if node is not None and node.expr == expr:
            return ctx.labels[label].sql if typed.sort is None else typed.sort
    if not _reads_data(expr):
        raise ctx.error(item, "order_by expects fields, labels, aggregates or random(): a constant orders nothing")
    typed = translate.value(ctx, expr)
    if grouped and not typed.aggregate and not (isinstance(expr, ast.Func) and expr.name == "random"):
        raise ctx.error(item, "with group_by, order_by accepts group keys, labels and aggregate functions")
    if not grouped and typed.aggregate:
        raise ctx.error(item, "aggregate functions in order_by need a group_by or an aggregated select")
    return typed.sql
