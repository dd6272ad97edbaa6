"""AppTest of /sql through the router: a query from a link is shown, not run, until « Exécuter »; results, errors
and the CSV download (formulas defused) of a query run in the worker process."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from exports.results import csv_bytes
from queries import sandbox, sandbox_examples
from tests.conftest import open_page
from tests.exports.test_exports import publish

pytestmark = pytest.mark.usefixtures("read_only_portal")
COLUMN_LIST = ["Colonne", "Type"]  # the columns of the chosen table, drawn under the editor


def result_frames(at: object) -> list[object]:
    """The query's result table (not the chosen table's list of columns)."""
    return [df for df in at.dataframe if list(df.value.columns) != COLUMN_LIST]  # type: ignore[attr-defined]


@pytest.fixture
def generous_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """What these tests check is that a query runs, not how fast on a busy machine (the limit counts the worker's
    start, which takes seconds when the CPU is shared)."""
    import config

    monkeypatch.setenv("TERRITOIRE_SQL_TIMEOUT", "30")
    config.get_settings.cache_clear()


def test_a_query_from_a_link_is_shown_but_not_run_until_the_visitor_presses_run() -> None:
    at = open_page("pages/sql.py", {"sql": "SELECT 42 AS reponse"})
    assert at.text_area(key="sql_text").value == "SELECT 42 AS reponse"  # type: ignore[attr-defined]
    assert any("n'est exécutée que lorsque vous cliquez" in i.value for i in at.info)  # type: ignore[attr-defined]
    assert not result_frames(at)
    at.button(key="sql_run").click().run()  # type: ignore[attr-defined]
    assert not at.exception  # type: ignore[attr-defined]
    (frame,) = result_frames(at)
    assert frame.value["reponse"].tolist() == [42]  # type: ignore[attr-defined]
    assert not at.info  # type: ignore[attr-defined]
    assert at.query_params["sql"] == "SELECT 42 AS reponse"  # type: ignore[attr-defined]
    assert any("1 ligne(s)" in c.value for c in at.caption)  # type: ignore[attr-defined]


def test_the_page_opens_with_the_example_without_running_it() -> None:
    at = open_page("pages/sql.py", {})
    assert "FROM catalogue" in at.text_area(key="sql_text").value  # type: ignore[attr-defined]
    assert not result_frames(at) and not at.info  # type: ignore[attr-defined]
    names = at.selectbox(key="sql_table").options  # type: ignore[attr-defined]
    assert any(n.startswith("ds_ips_colleges — ") for n in names) and any(n.startswith("catalogue — ") for n in names)
    assert names[0].startswith("ds_")  # datasets first


@pytest.mark.usefixtures("generous_time_limit")
def test_tables_and_columns_are_listed_as_they_must_be_typed_and_load_into_the_editor() -> None:
    at = open_page("pages/sql.py", {})
    at.selectbox(key="sql_table").set_value("ds_ips_colleges").run()  # type: ignore[attr-defined]
    assert "ds_ips_colleges" in [c.value for c in at.code]  # type: ignore[attr-defined]  # its own copyable block
    (columns,) = [df for df in at.dataframe if list(df.value.columns) == COLUMN_LIST]  # type: ignore[attr-defined]
    listed = dict(zip(columns.value["Colonne"], columns.value["Type"], strict=True))
    assert listed["ips"] == "DOUBLE (nombre)" and listed["code_insee_de_la_commune"] == "VARCHAR (texte)"
    assert len(listed) == 12  # every column, none cut off
    at.button(key="sql_load_table").click().run()  # type: ignore[attr-defined]
    text = at.text_area(key="sql_text").value  # type: ignore[attr-defined]
    assert text.startswith("SELECT rentree_scolaire, academie,") and "\nFROM ds_ips_colleges\nLIMIT 100" in text
    at.button(key="sql_run").click().run()  # type: ignore[attr-defined]
    assert not at.error, [e.value for e in at.error]  # type: ignore[attr-defined]
    (frame,) = result_frames(at)
    assert list(frame.value.columns) == list(listed) and len(frame.value) == 46  # type: ignore[attr-defined]


@pytest.mark.usefixtures("generous_time_limit")
def test_every_listed_name_runs_as_written() -> None:
    """Each table and column name, exactly as the list shows it, is accepted by the sandbox (in a few queries of
    empty cross-joined selections, under the editor's length limit)."""
    tables = sandbox.sandbox_tables()
    assert {"ds_ips_colleges", "ds_communes", "catalogue"} <= {t.typed for t in tables}
    parts = [f"(SELECT {', '.join(c for c, _ in t.columns)} FROM {t.typed} LIMIT 0) AS t{i}"
             for i, t in enumerate(tables)]
    for start in range(0, len(parts), 12):
        sql = "SELECT 1 FROM " + ", ".join(parts[start:start + 12])
        assert len(sql) < sandbox.MAX_SQL_CHARS
        assert sandbox.run_user_sql(sql).table.num_rows == 0


@pytest.mark.usefixtures("generous_time_limit")
def test_awkward_column_names_are_listed_quoted_as_duckdb_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import config

    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TERRITOIRE_CATALOGUE_DIR", str(tmp_path / "catalogue"))
    (tmp_path / "catalogue").mkdir()
    config.get_settings.cache_clear()
    publish("noms-difficiles", pa.table({"order": [1], "Prix TTC": [2.5], "année": [2024], "left": ["g"],
                                         "ok": ["oui"], 'dit "x"': ["y"]}))
    (table,) = [t for t in sandbox.sandbox_tables() if t.name == "ds_noms_difficiles"]
    names = [c for c, _ in table.columns]
    assert names == ['"order"', '"Prix TTC"', '"année"', '"left"', "ok", '"dit ""x"""']
    row = sandbox.run_user_sql(f"SELECT {', '.join(names)} FROM {table.typed}").table.to_pylist()
    assert row == [{"order": 1, "Prix TTC": 2.5, "année": 2024, "left": "g", "ok": "oui", 'dit "x"': "y"}]


@pytest.mark.usefixtures("generous_time_limit")
def test_each_example_loads_in_one_click_and_runs() -> None:
    found = sandbox_examples.examples()
    assert [e.key for e in found] == [key for key, _ in sandbox_examples.EXAMPLES]
    join, count, year = (e.sql for e in found)
    assert "JOIN ds_communes AS c ON c.code_insee = i.code_insee_de_la_commune" in join and "ds_ips_colleges" in join
    assert "count(*)" in count and "GROUP BY" in count
    assert "WHERE p.millesime = 2023" in year
    at = open_page("pages/sql.py", {})
    for example in found:
        at.button(key=f"sql_example_{example.key}").click().run()  # type: ignore[attr-defined]
        assert at.text_area(key="sql_text").value == example.sql  # type: ignore[attr-defined]
        assert not result_frames(at)  # loaded, not run
        at.button(key="sql_run").click().run()  # type: ignore[attr-defined]
        assert not at.error, (example.key, [e.value for e in at.error])  # type: ignore[attr-defined]
        (frame,) = result_frames(at)
        assert len(frame.value) > 0, example.key  # type: ignore[attr-defined]
    # The join pairs every collège with its commune (codes of the same vintage in both datasets).
    rows = sandbox.run_user_sql(join).table.to_pylist()
    assert len(rows) == 46 and all(r["commune"] and r["population_municipale"] for r in rows)


@pytest.mark.parametrize(("sql", "message"), [
    ("SELECT * FROM read_csv('/etc/passwd')", "Accès refusé"),
    ("DROP TABLE catalogue", "Seule une requête de lecture"),
    ("SELECT 1; SELECT 2", "Seule une requête de lecture"),
    ("SELEC nimporte quoi", "Erreur de syntaxe près de « SELEC »"),
    ("SELECT * FROM tables_du_voisin", "La table « tables\\_du\\_voisin »"),
    ("SELECT altitude FROM catalogue", "La colonne « altitude »"),
])
def test_a_refused_query_is_a_french_message_not_an_exception(sql: str, message: str) -> None:
    at = open_page("pages/sql.py", {"sql": sql})
    at.button(key="sql_run").click().run()  # type: ignore[attr-defined]
    assert not at.exception  # type: ignore[attr-defined]
    assert any(message in e.value for e in at.error), [e.value for e in at.error]  # type: ignore[attr-defined]
    assert not any(english in e.value for e in at.error for english in ("Error", "does not exist", "not found"))
    assert not result_frames(at)


def test_a_refused_query_points_at_the_faulty_place() -> None:
    at = open_page("pages/sql.py", {"sql": "SELEC nimporte quoi"})
    at.button(key="sql_run").click().run()  # type: ignore[attr-defined]
    (pointer,) = [c for c in at.code if c.value.startswith("LINE")]  # type: ignore[attr-defined]
    assert pointer.value.startswith("LINE 1: SELEC nimporte quoi") and "^^^^^" in pointer.value


def test_a_dataset_id_with_dashes_gets_the_name_to_type() -> None:
    at = open_page("pages/sql.py", {"sql": "SELECT ips FROM ds_ips-colleges WHERE ips > 110"})
    at.button(key="sql_run").click().run()  # type: ignore[attr-defined]
    assert any("Erreur de syntaxe" in e.value for e in at.error)  # type: ignore[attr-defined]
    (hint,) = at.info  # type: ignore[attr-defined]
    assert "écrivez `ds_ips_colleges` et non `ds_ips-colleges`" in hint.value


def test_a_truncated_result_says_so(monkeypatch: pytest.MonkeyPatch, read_only_portal: Path) -> None:
    import config

    monkeypatch.setenv("TERRITOIRE_SQL_MAX_ROWS", "10")
    config.get_settings.cache_clear()
    at = open_page("pages/sql.py", {"sql": "SELECT * FROM range(50)"})
    at.button(key="sql_run").click().run()  # type: ignore[attr-defined]
    assert any("résultat tronqué" in c.value for c in at.caption)  # type: ignore[attr-defined]
    (frame,) = result_frames(at)
    assert len(frame.value) == 10  # type: ignore[attr-defined]


@pytest.mark.usefixtures("generous_time_limit")
def test_the_downloaded_csv_defuses_spreadsheet_formulas() -> None:
    result = sandbox.run_user_sql(
        "SELECT '=HYPERLINK(\"http://evil\")' AS a, '+33 5 53' AS b, '@SUM(A1)' AS c, -5 AS n, 'ok' AS d, "
        "[1, 2] AS l")
    data = csv_bytes(result.table)
    assert data.startswith(b"\xef\xbb\xbf")
    row = pacsv.read_csv(io.BytesIO(data[3:]), parse_options=pacsv.ParseOptions(delimiter=";"),
                         convert_options=pacsv.ConvertOptions(strings_can_be_null=False)).to_pylist()[0]
    assert row == {"a": "'=HYPERLINK(\"http://evil\")", "b": "'+33 5 53", "c": "'@SUM(A1)", "n": -5, "d": "ok",
                   "l": "[1, 2]"}


@pytest.mark.browser
def test_a_running_query_shows_that_it_runs(live_server, page) -> None:  # noqa: ANN001
    """In a real browser: an example loads with one click, and while a query runs the page says so (a spinner, in
    French only), then shows the result or the French refusal."""
    from playwright.sync_api import expect

    from tests.conftest import wait_for_app

    page.goto(f"{live_server.url}/sql")
    wait_for_app(page)
    page.locator(".st-key-sql_example_sandbox_example_count button").click()
    editor = page.locator(".st-key-sql_text textarea")
    expect(editor).to_have_value(re.compile(r"GROUP BY facility_type"))
    # A query that takes a second or more on one thread (the spinner appears after half a second).
    editor.fill("SELECT count(*) AS n FROM range(400000000) AS t(i) WHERE i % 7 = 3")
    page.keyboard.press("Control+Enter")  # the text area's value is sent before the button is pressed
    page.locator(".st-key-sql_run button").click()
    running = page.get_by_text(re.compile(r"^Requête en cours d'exécution \(au plus 5 s\)…$"))
    expect(running).to_be_visible(timeout=10_000)
    assert "seconds" not in page.locator('[data-testid="stMain"]').inner_text()
    outcome = page.get_by_text(re.compile(r"^1 ligne\(s\)$|a dépassé la limite"))
    expect(outcome.first).to_be_visible(timeout=30_000)
    expect(running).to_have_count(0)
