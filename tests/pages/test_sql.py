"""AppTest of /sql through the router: a query from a link is shown, not run, until « Exécuter »; results, errors
and the CSV download (formulas defused) of a query run in the worker process."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.csv as pacsv
import pytest

from exports.results import csv_bytes
from queries import sandbox
from tests.conftest import open_page

pytestmark = pytest.mark.usefixtures("read_only_portal")


def result_frames(at: object) -> list[object]:
    """Data frames drawn outside the « Tables disponibles » expander (the query's result)."""
    tables = [e for e in at.expander if e.label == "Tables disponibles"]  # type: ignore[attr-defined]
    listed = {id(df) for exp in tables for df in exp.dataframe}
    return [df for df in at.dataframe if id(df) not in listed]  # type: ignore[attr-defined]


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
    (tables,) = [e for e in at.expander if e.label == "Tables disponibles"]  # type: ignore[attr-defined]
    assert "catalogue" in tables.dataframe[0].value["table_name"].tolist()


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
    (pointer,) = at.code  # type: ignore[attr-defined]
    assert pointer.value.startswith("LINE 1: SELEC nimporte quoi") and "^^^^^" in pointer.value


def test_a_truncated_result_says_so(monkeypatch: pytest.MonkeyPatch, read_only_portal: Path) -> None:
    import config

    monkeypatch.setenv("TERRITOIRE_SQL_MAX_ROWS", "10")
    config.get_settings.cache_clear()
    at = open_page("pages/sql.py", {"sql": "SELECT * FROM range(50)"})
    at.button(key="sql_run").click().run()  # type: ignore[attr-defined]
    assert any("résultat tronqué" in c.value for c in at.caption)  # type: ignore[attr-defined]
    (frame,) = result_frames(at)
    assert len(frame.value) == 10  # type: ignore[attr-defined]


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
