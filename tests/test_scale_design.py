"""Design of large datasets (not timings): only pages of rows and bounded map payloads reach Python; cache and limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import config
import queries
from bench import generate

TABLE_ROWS = 200_000
POINTS = 1_000_000  # the real map target size: generating and publishing it takes a few seconds
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A warehouse holding only the generated datasets, published by the real loader (bench/generate.py)."""
    data_dir = tmp_path_factory.mktemp("scale") / "data"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in generate.bench_env(data_dir).items():
            mp.setenv(key, value)
        config.get_settings.cache_clear()
        generate.build(TABLE_ROWS, POINTS, data_dir)
        yield data_dir
    config.get_settings.cache_clear()


@pytest.fixture
def bench_env(bench_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Per test: point the settings at the module's bench warehouse again (the autouse fixture clears them)."""
    for key, value in generate.bench_env(bench_data).items():
        monkeypatch.setenv(key, value)
    config.get_settings.cache_clear()
    from queries import cache

    cache.clear()  # the one result cache (queries.cache, used by ui.dataset.data)
    return bench_data


class ExecuteSpy:
    """Wraps `Warehouse.execute` (the only executor) and records the size of every result handed to Python."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, int, list[str]]] = []
        self.streams = 0
        original = queries.Warehouse.execute
        original_stream = queries.Warehouse.stream
        spy = self

        def execute(wh: queries.Warehouse, sql: str, *args: Any, **kwargs: Any) -> queries.Result:
            result = original(wh, sql, *args, **kwargs)
            spy.calls.append((sql, len(result.frame), list(result.frame.columns)))
            return result

        def stream(wh: queries.Warehouse, *args: Any, **kwargs: Any) -> Any:
            spy.streams += 1
            return original_stream(wh, *args, **kwargs)

        monkeypatch.setattr(queries.Warehouse, "execute", execute)
        monkeypatch.setattr(queries.Warehouse, "stream", stream)


def test_generated_data_is_marked_and_kept_out_of_the_real_catalogue(bench_env: Path) -> None:
    catalogue_dir = generate.bench_catalogue_dir(bench_env)
    assert catalogue_dir.is_relative_to(bench_env)
    for ds_id in (generate.TABLE_ID, generate.POINTS_ID):
        assert not (ROOT / "catalogue" / "datasets" / f"{ds_id}.toml").exists()
        text = (catalogue_dir / f"{ds_id}.toml").read_text(encoding="utf-8")
        assert "generated = true" in text
        assert "[Généré pour les tests de performance]" in text
    from catalogue.manifest import load_manifest

    # Generated entries are never listed unless asked for; the referential copies (outlines, lists) are.
    from config import get_settings

    listed = {spec.id for spec in load_manifest(catalogue_dir)}
    assert listed == {get_settings().dataset(role) for role in generate.REFERENTIAL_ROLES}
    meta = queries.dataset_meta(generate.TABLE_ID)
    assert meta["rows"] == TABLE_ROWS
    # Same columns as the real dataset, codes still valid INSEE commune codes of the Dordogne.
    real = ROOT / "data" / "dordogne" / "population" / "population_communes_24_long.csv"
    assert [c["name"] for c in meta["columns"]] == real.read_text(encoding="utf-8").splitlines()[0].split(",")
    bad = queries.warehouse().execute(
        f"SELECT count(*) FROM {queries.table_name(generate.TABLE_ID)} "
        "WHERE NOT regexp_matches(code_insee_cog2026, '^24[0-9]{3}$') OR ptot <> pmun + pcap", {}, max_rows=1)
    assert int(bad.frame.iloc[0, 0]) == 0
    points = queries.dataset_meta(generate.POINTS_ID)
    assert points["rows"] == POINTS and points["geo"]["kind"] == "point"


def test_table_view_queries_return_one_page_not_the_dataset(bench_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The builder's count/page/facet/chart queries: DuckDB does the work, Python receives a page or an aggregate."""
    from catalogue.schema import Schema
    from queries.dataset import sql, state

    spy = ExecuteSpy(monkeypatch)
    schema = Schema.from_meta(generate.TABLE_ID, queries.dataset_meta(generate.TABLE_ID))
    view = state.DatasetView(dataset_id=generate.TABLE_ID, tab="tableau", sort="pmun", desc=True, page=3,
                             filters=(state.Filter("millesime", "gte", 2019, "2019"),))
    n = int(sql.run(sql.count_query(view, schema)).iloc[0, 0])
    page = sql.run(sql.rows_query(view, schema))
    sql.run(sql.facet_query(view, schema, "nom_origine"))
    sql.run(sql.chart_query(view, schema, state.ChartSpec(kind="bar", x="millesime", y="pmun", agg="sum")).query)
    assert n > 10 * view.size and len(page) == view.size
    assert spy.calls and max(rows for _, rows, _ in spy.calls) <= 100  # facets: top 100; everything else smaller
    assert spy.streams == 0


def test_dataset_page_table_tab_materialises_at_most_a_page(bench_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Open the real dataset page on the 200k-row dataset (table tab, then filtered and sorted): no result frame of
    the dataset's rows is larger than the page, and no frame at all comes near the dataset's size."""
    from streamlit.testing.v1 import AppTest

    import ui.reuses  # noqa: F401 - import the reuses package before AppTest puts pages/ (holding reuses.py) on sys.path

    spy = ExecuteSpy(monkeypatch)
    columns = {c["name"] for c in queries.dataset_meta(generate.TABLE_ID)["columns"]}
    for params in ({"id": generate.TABLE_ID, "tab": "tableau"},
                   {"id": generate.TABLE_ID, "tab": "tableau", "f": "millesime:gte:2020", "sort": "-pmun"}):
        # Through the router (the page links to other registered pages), then to the page with its deep link.
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        for key, value in params.items():
            at.query_params[key] = value
        at.switch_page("pages/dataset.py").run()
        assert not at.exception, [e.message for e in at.exception]
        shown = [df.value for df in at.dataframe]
        assert any(len(v) > 0 for v in shown), "the table tab shows no rows"
    assert spy.calls, "the page ran no query through the executor"
    page_sizes = [rows for _, rows, cols in spy.calls if columns <= set(cols)]
    from queries.dataset import state

    assert state.DEFAULT_PAGE_SIZE in page_sizes, f"no page of rows was fetched: {page_sizes}"
    assert max(page_sizes) <= max(state.PAGE_SIZES)
    assert max(rows for _, rows, _ in spy.calls) <= 1_000 < TABLE_ROWS
    assert spy.streams == 0


def test_map_path_sends_bounded_payloads_for_a_million_points(bench_env: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """binning.point_map, as the map tab calls it: a grid of counts at the opening view (every point counted,
    nothing dropped), individual points when zoomed on the countryside, a finer grid on the densest town."""
    from bench.scale import OPENING_VIEW, PageQueries, deck_payload
    from queries import binning

    spy = ExecuteSpy(monkeypatch)
    page = PageQueries(generate.POINTS_ID)
    opening = page.point_map(OPENING_VIEW[2], OPENING_VIEW[1])
    assert opening.kind == "grid" and opening.in_view == POINTS
    assert int(opening.frame["n"].sum()) == POINTS and len(opening.frame) < binning.MAX_CELLS
    assert len(deck_payload(opening, page.schema)) <= 2_000_000
    assert max(rows for _, rows, _ in spy.calls) <= max(binning.MAX_CELLS, binning.MAX_POINTS)
    rural = page.point_map(14, 45.5026, 0.7486)  # zoomed on the countryside: individual points
    assert rural.kind == "points" and 0 < len(rural.frame) == rural.in_view <= binning.MAX_POINTS
    town = page.point_map(12, 45.1917, 0.712)  # the densest town: too many points, a grid of the view
    assert town.kind == "grid" and 0 < int(town.frame["n"].sum()) == town.in_view < POINTS
    assert len(deck_payload(town, page.schema)) <= 2_000_000
    assert max(rows for _, rows, _ in spy.calls) <= max(binning.MAX_CELLS, binning.MAX_POINTS)


def test_dataset_page_map_tab_stays_under_the_caps(bench_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real page, tab=carte on a million points: what it sends is a bounded grid, never the points."""
    from streamlit.testing.v1 import AppTest

    import ui.reuses  # noqa: F401 - import the reuses package before AppTest puts pages/ (holding reuses.py) on sys.path
    from queries import binning

    spy = ExecuteSpy(monkeypatch)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.query_params["id"], at.query_params["tab"] = generate.POINTS_ID, "carte"
    at.switch_page("pages/dataset.py").run()
    assert not at.exception, [e.message for e in at.exception]
    decks = at.get("deck_gl_json_chart")
    assert len(decks) == 1 and len(decks[0].proto.json.encode()) <= 2_000_000
    layers = {layer["id"]: layer["data"] for layer in json.loads(decks[0].proto.json)["layers"]}
    assert "points" not in layers and 0 < len(layers["grid"]) < binning.MAX_CELLS
    assert sum(cell["n"] for cell in layers["grid"]) == POINTS
    assert max(rows for _, rows, _ in spy.calls) <= max(binning.MAX_CELLS, binning.MAX_POINTS)


def test_page_results_are_cached_per_data_version(bench_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's one cache (ui.dataset.data.frame, queries.cache bounded in bytes) answers a repeated map
    query, hands out copies, and is bypassed when the warehouse version changes."""
    from bench.scale import OPENING_VIEW, PageQueries
    from queries import binning
    from ui.dataset import data

    spy = ExecuteSpy(monkeypatch)
    page = PageQueries(generate.POINTS_ID)

    def opening() -> Any:
        return binning.point_map(page.base, page.schema, data.frame, total=POINTS, zoom=OPENING_VIEW[2],
                                 lat=OPENING_VIEW[1])

    first = opening()
    ran = len(spy.calls)
    again = opening()
    assert len(spy.calls) == ran, "the second identical view must be answered by the cache"
    assert again.frame.equals(first.frame)
    again.frame.loc[0, "n"] = -1  # a caller changing its copy does not change the cached result
    assert opening().frame.loc[0, "n"] != -1
    # A new version of any dataset changes data_version(): the cache is bypassed.
    registry = bench_env / "warehouse" / "registry.json"
    payload = json.loads(registry.read_text())
    payload["updated_at"] = "touched"
    registry.write_text(json.dumps(payload))
    opening()
    assert len(spy.calls) > ran


def test_duckdb_limits_come_from_configuration(bench_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_DUCKDB_MEMORY", "300MB")
    monkeypatch.setenv("TERRITOIRE_DUCKDB_THREADS", "1")
    config.get_settings.cache_clear()
    row = queries.warehouse().execute(
        "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t", {}, max_rows=1).frame.iloc[0]
    assert str(row["m"]) in ("286.1 MiB", "300.0 MB") and int(row["t"]) == 1
