"""What the commune page knows about one commune, each read once per data version (the one result cache): the codes
that designate it, its area (the density indicator's), the datasets that have rows for it and the reuses about it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import indicators
import queries
from catalogue.folding import fold
from catalogue.schema import Schema
from indicators.data import cache_key, indicator_frame
from queries.cache import cached
from queries.dataset.state import DatasetView, Filter
from reuses import store
from reuses.store import Reuse
from ui.dataset import data as dataset_data


@dataclass(frozen=True)
class DatasetRows:
    """A dataset with rows for the commune: how many, in which commune-code column, and the dataset page's link
    parameters that show exactly those rows (the page's own URL contract: `f=<column>:eq:<code>`, one per code)."""

    dataset_id: str
    title: str
    column: str
    column_label: str
    rows: int
    params: dict[str, str | list[str]]


@cached()
def _codes(version: str, code: str) -> tuple[str, ...]:
    try:
        found = queries.run("commune_codes", code=code)
    except queries.QueryError:  # no census history published: the commune's own code only
        return (code,)
    return tuple(str(c) for c in found["code"])


def codes(code: str) -> tuple[str, ...]:
    """The commune's own INSEE code first, then the codes of the communes merged into it."""
    return _codes(cache_key(), code)


def area_km2(code: str) -> float | None:
    """The commune's area (km²) as the density indicator computes it — the denominator of its row: the geodesic area
    of the warehouse's outline (`territoire_area_km2`, queries/connection.py). One area for the page and the board."""
    density = indicators.get("densite")
    if density is None:
        return None
    frame, _ = indicator_frame(density, "commune")
    rows = frame[(frame["level"] == "commune") & (frame["code"] == code) & frame["denominator"].notna()]
    return float(rows["denominator"].iloc[-1]) if not rows.empty else None


def _typed(codes_: tuple[str, ...], column_type: str) -> list[str] | list[int]:
    """The codes as the column stores them (an integer column lost its leading zeros; 2A/2B never match one)."""
    if column_type == "integer":
        return [int(c) for c in codes_ if re.fullmatch(r"\d+", c)]
    return list(codes_)


@cached()
def _datasets_with_rows(version: str, codes_: tuple[str, ...]) -> tuple[DatasetRows, ...]:
    found = []
    for dataset_id in queries.published_ids():
        schema: Schema = dataset_data.schema(dataset_id)
        best: tuple[int, str, list[str]] | None = None
        # The commune-code columns come from the metadata (catalogue.schema: column name hints + profiled values),
        # never from a list of dataset ids; when a dataset has several (old and new code), the one naming the
        # commune in most rows is linked.
        for column in schema.commune_columns:
            values = _typed(codes_, schema.get(column).type)  # type: ignore[union-attr]
            if not values:
                continue
            counted = queries.run("commune_dataset_rows", codes=values,
                                  idents={"dataset": queries.table_name(dataset_id),
                                          "column": queries.ident(column, schema.names)})
            rows = int(counted["rows"].sum())
            if rows and (best is None or rows > best[0]):
                best = (rows, column, [str(c) for c in counted["code"]])
        if best is None:
            continue
        rows, column, present = best
        spec = dataset_data.spec(dataset_id)
        label = spec.columns[column].label if spec is not None and column in spec.columns else column
        view = DatasetView(dataset_id=dataset_id, tab="tableau",
                           filters=tuple(Filter(column, "eq", c, c) for c in present))
        found.append(DatasetRows(dataset_id, spec.title if spec is not None else dataset_id, column, label, rows,
                                 view.to_params()))
    return tuple(sorted(found, key=lambda d: fold(d.title)))


def datasets_with_rows(code: str) -> tuple[DatasetRows, ...]:
    """Every published dataset with at least one row for the commune (counted by DuckDB, one query per dataset
    and commune column, nothing loaded into pandas), sorted by title."""
    return _datasets_with_rows(cache_key(), codes(code))


def _phrase(text: str) -> str:
    """Folded words separated by single spaces: « Sarlat-la-Canéda » and « sarlat la caneda » compare equal."""
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split()) + " "


def reuses_about(name: str, dataset_ids: set[str]) -> tuple[list[Reuse], list[Reuse]]:
    """Published reuses that name the commune (title or description), and those of the datasets that have rows for
    it (the others). Read from the reuse store at each call: moderation shows at once."""
    published = store.list_published()
    needle = _phrase(name)
    naming = [r for r in published if needle in _phrase(f"{r.title} {r.description}")]
    named_ids = {r.id for r in naming}
    using = [r for r in published if r.id not in named_ids and dataset_ids & set(r.datasets)]
    return naming, using
