"""SQL of a dataset view: allow-listed identifiers, every user value bound (`$p0`, `$p1`…), run by the one executor."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

import queries
from catalogue.folding import fold_sql
from catalogue.schema import Schema
from config import get_settings
from queries import SafeIdent
from queries.dataset.state import ChartSpec, DatasetView, Filter

AGG_SQL = {"sum": "sum", "mean": "avg", "median": "median", "min": "min", "max": "max"}
CHART_CATEGORY_CAP = 50  # bars / pie: more categories than this is unreadable
CHART_LINE_CAP = 1_000
CHART_SERIES_CAP = 12
SCATTER_CAP = 5_000
ROW_NUMBER = "file_row_number"  # column DuckDB adds with read_parquet(..., file_row_number=true)
HISTOGRAM_BINS = 20


@dataclass(frozen=True)
class Query:
    """A statement with identifiers from the allow-list and every user value bound as `$p0`, `$p1`, ..."""

    sql: str
    params: dict[str, Any]

    def display_sql(self) -> str:
        """The SQL with values written as literals: for reading and copying only, never executed by the page."""
        def literal(m: re.Match[str]) -> str:
            return sql_literal(self.params[m.group(1)]) if m.group(1) in self.params else m.group(0)

        return re.sub(r"\$([A-Za-z_][A-Za-z0-9_]*)\b", literal, self.sql)


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


class Binder:
    """Hands out `$p<n>` names for values; the SQL text only ever contains these names."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return "$" + name


def ident(schema: Schema, name: str) -> SafeIdent:
    """A column of the dataset, quoted after checking it against the schema (the allow-list)."""
    return queries.ident(name, schema.names)


def view_table(schema: Schema) -> SafeIdent:
    """The dataset's view (the registry is the allow-list)."""
    return queries.table_name(schema.dataset_id)


def row_ordered(schema: Schema) -> bool:
    """Sorted pages break ties on the row's position in the file, unless a column already has that name."""
    return ROW_NUMBER not in schema.names


def sort_table(view: DatasetView, schema: Schema) -> SafeIdent:
    """The view to read sorted rows from: the one with `file_row_number` when the view is sorted."""
    if view.sort and row_ordered(schema):
        return queries.ordered_table_name(schema.dataset_id)
    return view_table(schema)


def _contains(expr: str, param: str) -> str:
    """Accent- and case-insensitive substring test (catalogue.folding on both sides). contains() rather than
    LIKE '%x%' ESCAPE: no wildcard to escape in the user's words, and DuckDB's LIKE with ESCAPE takes a slow path
    (bench/scale.py measured it)."""
    return f"contains({fold_sql(expr)}, {fold_sql(param)})"


def where_clause(view: DatasetView, schema: Schema, bind: Binder, exclude: str | None = None) -> str:
    """WHERE clause of the view's filters and search (AND between columns, OR between equal values of a column)."""
    clauses: list[str] = []
    by_col: dict[str, list[Filter]] = {}
    for f in view.filters:
        if f.column != exclude:
            by_col.setdefault(f.column, []).append(f)
    for name, flts in by_col.items():
        column = ident(schema, name)
        eqs = [f for f in flts if f.op == "eq"]
        if eqs:
            clauses.append(f"{column} IN ({', '.join(bind(f.value) for f in eqs)})")
        epcis = [f for f in flts if f.op == "epci"]
        if epcis:
            clauses.append(_epci_clause(column, epcis, bind))
        deps = [f for f in flts if f.op == "dep"]
        if deps:  # a commune code starts with its département's code (24xxx, 2Axxx, 971xx)
            clauses.append("(" + " OR ".join(f"starts_with(CAST({column} AS VARCHAR), {bind(f.value)})"
                                             for f in deps) + ")")
        for f in flts:
            if f.op == "ne":
                clauses.append(f"({column} IS DISTINCT FROM {bind(f.value)})")
            elif f.op == "gte":
                clauses.append(f"{column} >= {bind(f.value)}")
            elif f.op == "lte":
                clauses.append(f"{column} <= {bind(f.value)}")
            elif f.op == "contains":
                clauses.append(_contains(column, bind(f.value)))
            elif f.op == "null":
                clauses.append(f"{column} IS NULL")
            elif f.op == "notnull":
                clauses.append(f"{column} IS NOT NULL")
    if view.q:
        text_cols = [ident(schema, c.name) for c in schema.plain_columns if c.textual]
        if text_cols:
            words = bind(view.q)
            ors = " OR ".join(_contains(c, words) for c in text_cols)
            clauses.append(f"({ors})")
        else:
            clauses.append("FALSE")
    return ("WHERE " + "\n  AND ".join(clauses)) if clauses else ""


def _epci_clause(column: SafeIdent, flts: list[Filter], bind: Binder) -> str:
    """Codes of the EPCIs' member communes, from the dataset playing the `epci_communes` role (its columns are
    checked first)."""
    dataset_id = get_settings().dataset("epci_communes")
    names = [c.get("name") for c in queries.dataset_meta(dataset_id).get("columns") or []]
    code, siren = queries.ident("code_insee", names), queries.ident("epci_siren", names)
    values = ", ".join(bind(f.value) for f in flts)
    # Identifiers are SafeIdents and values `$p` names: nothing from the user is spliced into the text.
    return (f"CAST({column} AS VARCHAR) IN (SELECT CAST({code} AS VARCHAR) FROM {queries.table_name(dataset_id)} "  # noqa: S608
            f"WHERE CAST({siren} AS VARCHAR) IN ({values}))")


def order_clause(view: DatasetView, schema: Schema) -> str:
    if not view.sort:
        return ""
    first = f"{ident(schema, view.sort)} {'DESC' if view.desc else 'ASC'} NULLS LAST"
    # Ties are broken so that LIMIT/OFFSET pages never overlap nor skip a row: on the row's position in the Parquet
    # file (a total order, and half the cost of comparing every other column), else on every other column.
    if row_ordered(schema):
        return f"ORDER BY {first}, {ROW_NUMBER}"
    rest = [ident(schema, c.name) for c in schema.plain_columns if c.name != view.sort]
    return "ORDER BY " + ", ".join([first, *rest])


def select_sql(columns: Iterable[str], table: str, *clauses: str) -> str:
    """Assemble a SELECT from allow-listed, quoted identifiers and clauses holding only `$p` placeholders."""
    body = "\n".join(c for c in clauses if c)
    return f"SELECT {', '.join(columns)}\nFROM {table}" + (f"\n{body}" if body else "")


def rows_query(view: DatasetView, schema: Schema, *, page: int | None = None) -> Query:
    """One page of rows (LIMIT/OFFSET), every column but the geometry, in the view's order."""
    bind = Binder()
    cols = [ident(schema, c.name) for c in schema.plain_columns] or ["*"]
    where = where_clause(view, schema, bind)
    order = order_clause(view, schema)
    page = view.page if page is None else page
    tail = f"LIMIT {bind(view.size)} OFFSET {bind((page - 1) * view.size)}"
    return Query(select_sql(cols, sort_table(view, schema), where, order, tail), bind.params)


def count_query(view: DatasetView, schema: Schema) -> Query:
    bind = Binder()
    return Query(select_sql(["count(*) AS n"], view_table(schema), where_clause(view, schema, bind)), bind.params)


def export_query(view: DatasetView | None, schema: Schema) -> Query:
    """Every row of the dataset (view None) or exactly the rows of the view's filters, all columns, in order."""
    bind = Binder()
    cols = [ident(schema, c.name) for c in schema.columns] or ["*"]
    if view is None:
        return Query(select_sql(cols, view_table(schema)), {})
    return Query(select_sql(cols, sort_table(view, schema), where_clause(view, schema, bind), order_clause(view, schema)), bind.params)


def facet_query(view: DatasetView, schema: Schema, column: str, limit: int = 100) -> Query:
    """Most frequent values of a column with their counts, under the other columns' filters (disjunctive facet)."""
    bind = Binder()
    col = ident(schema, column)
    where = where_clause(view, schema, bind, exclude=column)
    tail = f"GROUP BY 1\nORDER BY n DESC, value NULLS LAST\nLIMIT {bind(limit)}"
    return Query(select_sql([f"{col} AS value", "count(*) AS n"], view_table(schema), where, tail), bind.params)


def range_query(schema: Schema, column: str) -> Query:
    col = ident(schema, column)
    return Query(select_sql([f"min({col}) AS lo", f"max({col}) AS hi"], view_table(schema)), {})


def histogram_query(schema: Schema, column: str, view: DatasetView | None = None,
                    bins: int = HISTOGRAM_BINS) -> Query:
    """Equal-width bins of a numeric column computed by DuckDB (bounds from the data under the view's filters)."""
    bind = Binder()
    col = ident(schema, column)
    where = where_clause(view, schema, bind) if view is not None else ""
    nbins = bind(bins)
    cond = f"{col} IS NOT NULL" if not where else ""
    filtered = select_sql([f"CAST({col} AS DOUBLE) AS v"], view_table(schema), where or f"WHERE {cond}")
    sql = (
        f"WITH base AS (\n{filtered}\n),\n"  # noqa: S608 - SafeIdents and $p names only
        "bounds AS (SELECT min(v) AS lo, max(v) AS hi FROM base WHERE v IS NOT NULL AND isfinite(v)),\n"
        f"binned AS (SELECT CASE WHEN hi = lo THEN 0 ELSE least(CAST(floor((v - lo) / (hi - lo) * {nbins}) AS INTEGER),"
        f" {nbins} - 1) END AS bin, lo, hi FROM base, bounds WHERE v IS NOT NULL AND isfinite(v))\n"
        f"SELECT bin, min(lo) + bin * (min(hi) - min(lo)) / {nbins} AS bin_start,\n"
        f"       min(lo) + (bin + 1) * (min(hi) - min(lo)) / {nbins} AS bin_end, count(*) AS n\n"
        "FROM binned GROUP BY bin ORDER BY bin"
    )
    return Query(sql, bind.params)


def profile_query(schema: Schema) -> Query:
    """Nulls, distinct values, min and max of every column in one scan (used when meta.json has no profile)."""
    parts = []
    for i, c in enumerate(schema.plain_columns):
        col = ident(schema, c.name)
        parts += [f"count(*) - count({col}) AS n{i}", f"approx_count_distinct({col}) AS d{i}",
                  f"CAST(min({col}) AS VARCHAR) AS lo{i}", f"CAST(max({col}) AS VARCHAR) AS hi{i}"]
    return Query(select_sql(parts or ["count(*) AS n"], view_table(schema)), {})


@dataclass(frozen=True)
class ChartQuery:
    query: Query
    spec: ChartSpec
    category_cap: int


def chart_query(view: DatasetView, schema: Schema, spec: ChartSpec) -> ChartQuery:
    """Aggregated points of a chart, computed by DuckDB and capped (top categories, top series)."""
    bind = Binder()
    where = where_clause(view, schema, bind)
    table = view_table(schema)
    if spec.kind == "histogram":
        assert spec.x is not None
        return ChartQuery(histogram_query(schema, spec.x, view), spec, HISTOGRAM_BINS)
    if spec.kind == "scatter":
        assert spec.x is not None and spec.y is not None
        cols = [f"{ident(schema, spec.x)} AS x", f"{ident(schema, spec.y)} AS y"]
        cols.append(f"{ident(schema, spec.series)} AS series" if spec.series else "NULL AS series")
        notnull = f"{ident(schema, spec.x)} IS NOT NULL AND {ident(schema, spec.y)} IS NOT NULL"
        cond = (where + f"\n  AND {notnull}") if where else f"WHERE {notnull}"
        return ChartQuery(Query(select_sql(cols, table, cond, f"LIMIT {bind(SCATTER_CAP)}"), bind.params), spec,
                          SCATTER_CAP)
    if spec.kind == "box":
        assert spec.y is not None
        y = f"CAST({ident(schema, spec.y)} AS DOUBLE)"
        x = ident(schema, spec.x) if spec.x else "NULL"
        cols = [f"{x} AS x", f"count({y}) AS n", f"min({y}) AS min", f"quantile_cont({y}, 0.25) AS q1",
                f"median({y}) AS median", f"quantile_cont({y}, 0.75) AS q3", f"max({y}) AS max", f"avg({y}) AS mean"]
        tail = f"GROUP BY 1\nORDER BY n DESC, x NULLS LAST\nLIMIT {bind(CHART_CATEGORY_CAP)}"
        return ChartQuery(Query(select_sql(cols, table, where, tail), bind.params), spec, CHART_CATEGORY_CAP)
    assert spec.x is not None
    x = ident(schema, spec.x)
    series = ident(schema, spec.series) if spec.series else "NULL"
    if spec.agg == "count" or not spec.y:
        value = "count(*)"
    else:
        value = f"{AGG_SQL[spec.agg]}({ident(schema, spec.y)})"
    cap = CHART_LINE_CAP if spec.kind in ("line", "area") else CHART_CATEGORY_CAP
    agg_sql = select_sql([f"{x} AS x", f"{series} AS series", f"{value} AS value"], table, where, "GROUP BY ALL")
    sql = (
        f"WITH agg AS (\n{agg_sql}\n),\n"  # noqa: S608 - SafeIdents and $p names only
        "xr AS (SELECT x, row_number() OVER (ORDER BY sum(value) DESC NULLS LAST, x NULLS LAST) AS rx,\n"
        "       count(*) OVER () AS n_x FROM agg GROUP BY x),\n"
        "sr AS (SELECT series, row_number() OVER (ORDER BY sum(value) DESC NULLS LAST, series NULLS LAST) AS rs,\n"
        "       count(*) OVER () AS n_series FROM agg GROUP BY series)\n"
        "SELECT agg.x, agg.series, agg.value, xr.n_x, sr.n_series\n"
        "FROM agg JOIN xr ON agg.x IS NOT DISTINCT FROM xr.x JOIN sr ON agg.series IS NOT DISTINCT FROM sr.series\n"
        f"WHERE xr.rx <= {bind(cap)} AND sr.rs <= {bind(CHART_SERIES_CAP)}\n"
        "ORDER BY agg.x NULLS LAST, agg.series NULLS LAST"
    )
    return ChartQuery(Query(sql, bind.params), spec, cap)



def run(query: Query, max_rows: int | None = None) -> pd.DataFrame:
    """Execute a built query through the guarded executor."""
    return queries.run_sql_text(query.sql, query.params, max_rows=max_rows)
