"""The guarded executor: bound values, allow-listed identifiers, time limits, row caps, no file or network access."""

from __future__ import annotations

from pathlib import Path

import pytest

import queries


def test_named_query_runs_on_the_built_catalogue(portal: Path) -> None:
    summary = queries.run("catalogue_summary")
    assert int(summary.loc[0, "datasets"]) >= 12
    latest = queries.run("latest_datasets", limit=3)
    assert len(latest) == 3


def test_every_sql_file_has_a_header_and_runs(portal: Path) -> None:
    for path in sorted(queries.SQL_DIR.rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith(f"-- {path.stem}:"), f"{path.name} must open with '-- {path.stem}: purpose'"


def test_values_are_bound_not_interpolated(portal: Path) -> None:
    # An injection attempt as a value is just a string that matches nothing.
    out = queries.run("latest_datasets", limit=5)
    assert len(out) == 5
    with pytest.raises(queries.QueryError):
        queries.run("latest_datasets", limit="5; DROP TABLE catalogue")
    assert int(queries.run("catalogue_summary").loc[0, "datasets"]) >= 12


def test_unknown_query_names_and_paths_are_refused(portal: Path) -> None:
    for name in ("../../etc/passwd", "nope", "catalogue_summary.sql", "CATALOGUE_SUMMARY"):
        with pytest.raises(queries.QueryError):
            queries.run(name)


def test_identifiers_come_from_allow_lists(portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert queries.ident("pmun", ["pmun", "ptot"]) == '"pmun"'
    with pytest.raises(queries.QueryError):
        queries.ident('pmun" FROM catalogue; --', ["pmun"])
    with pytest.raises(queries.QueryError):
        queries.table_name("nope; DROP")
    # A plain str is not accepted where an identifier goes, only a SafeIdent made by ident()/table_name().
    monkeypatch.setattr(queries, "load_sql", lambda name: "SELECT count(*) AS n FROM {table}")
    with pytest.raises(queries.QueryError):
        queries.render_sql("any", {"table": "catalogue; DROP TABLE x"})  # type: ignore[dict-item]
    with pytest.raises(queries.QueryError):
        queries.render_sql("any", {})
    sql = queries.render_sql("any", {"table": queries.table_name("communes")})
    assert sql == 'SELECT count(*) AS n FROM "ds_communes"'



def test_files_outside_the_warehouse_and_writes_are_refused(portal: Path) -> None:
    wh = queries.warehouse()
    for sql in ("SELECT * FROM read_csv('/etc/passwd')",
                f"SELECT * FROM read_text('{portal}/private/anything')",
                f"COPY (SELECT 1) TO '{portal}/warehouse/evil.csv'",
                "INSTALL httpfs", "SET enable_external_access=true", "ATTACH '/tmp/x.db'"):
        with pytest.raises(queries.QueryError):
            wh.execute(sql)
    assert not (portal / "warehouse" / "evil.csv").exists()
    settings = queries.environment_offline_check()
    assert settings["enable_external_access"] == "false"
    assert settings["autoinstall_known_extensions"] == "false"
    assert settings["autoload_known_extensions"] == "false"


def test_long_queries_are_interrupted(portal: Path) -> None:
    wh = queries.warehouse()
    with pytest.raises(queries.QueryTimeout):
        wh.execute("SELECT count(*) FROM range(100000000000) a", timeout_s=0.3)
    # The connection stays usable afterwards.
    assert int(wh.execute("SELECT 42 AS x").frame.loc[0, "x"]) == 42


def test_row_cap_applies_and_is_reported(portal: Path) -> None:
    res = queries.warehouse().execute("SELECT * FROM range(1000)", max_rows=10)
    assert len(res.frame) == 10 and res.truncated
    res = queries.warehouse().execute("SELECT * FROM range(10)", max_rows=10)
    assert len(res.frame) == 10 and not res.truncated


def test_each_published_dataset_is_a_view_with_its_rows(portal: Path) -> None:
    wh = queries.warehouse()
    for ds_id in queries.published_ids():
        meta = queries.dataset_meta(ds_id)
        n = wh.execute(f"SELECT count(*) AS n FROM {queries.table_name(ds_id)}").frame.loc[0, "n"]
        assert int(n) == meta["rows"], ds_id


def test_shared_views_are_built_on_the_dataset_views(portal: Path) -> None:
    wh = queries.warehouse()
    members = wh.execute("SELECT level, count(*) AS n FROM territory_members GROUP BY level ORDER BY level").frame
    assert dict(zip(members["level"], members["n"], strict=True)) == {"commune": 503, "departement": 503, "epci": 503}
    merged = wh.execute("SELECT commune FROM commune_crosswalk WHERE old_code = '24181'").frame
    assert merged["commune"].tolist() == ["24534"]  # Flaugeac → Sigoulès-et-Flaugeac
