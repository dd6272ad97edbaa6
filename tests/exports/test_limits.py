"""Export limits on a real generated dataset: a concurrency cap with a French refusal, a time limit that interrupts
the export and removes its partial file, and interactive queries that keep answering meanwhile."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

import config
import exports
import queries
from exports.limits import ExportBusy, ExportTimeout
from tests.exports.test_exports import empty_warehouse, publish, schema_of  # noqa: F401 - fixture used below

ROWS = 300_000


def generate(dataset_id: str, rows: int) -> str:
    """A modest generated dataset, published with the loaders' own publisher."""
    publish(dataset_id, pa.table({"n": pa.array(range(rows), pa.int64()),
                                  "libelle": pa.array([f"ligne {i}" for i in range(rows)]),
                                  "valeur": pa.array([i * 0.5 for i in range(rows)])}))
    return dataset_id


@pytest.fixture
def big(empty_warehouse: Path) -> str:  # noqa: F811
    """Slow enough to export as XLSX (tens of seconds) that a 1 s limit always cuts it."""
    return generate("grand", ROWS)


def _limits(monkeypatch: pytest.MonkeyPatch, timeout: float, concurrent: int) -> None:
    monkeypatch.setenv("TERRITOIRE_EXPORT_TIMEOUT", str(timeout))
    monkeypatch.setenv("TERRITOIRE_EXPORT_MAX_CONCURRENT", str(concurrent))
    config.get_settings.cache_clear()


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("*")) if directory.exists() else []


def test_past_the_time_limit_the_export_stops_and_leaves_no_file(big: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _limits(monkeypatch, timeout=1.0, concurrent=2)
    directory = tmp_path / "exports"
    started = time.monotonic()
    with pytest.raises(ExportTimeout) as caught:
        exports.export_dataset(schema_of(big), "xlsx", directory=directory)
    elapsed = time.monotonic() - started
    assert "a dépassé le temps maximal (1 s) et a été interrompu" in str(caught.value)
    assert isinstance(caught.value, exports.ExportError)  # the page shows every ExportError as is
    assert elapsed < 5, elapsed  # a slice of rows past the limit at most, not the whole export
    assert _leftovers(directory) == []  # the partial file is gone
    # The slot was given back: the next export (fast format, generous limit) runs.
    _limits(monkeypatch, timeout=60, concurrent=2)
    result = exports.export_dataset(schema_of(big), "parquet", directory=directory)
    assert result.rows == ROWS


def test_a_long_query_is_interrupted_inside_duckdb(big: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A limit shorter than the query itself: the timer interrupts DuckDB before the first batch arrives."""
    _limits(monkeypatch, timeout=0.001, concurrent=2)
    with pytest.raises(ExportTimeout):
        exports.export_dataset(schema_of(big), "csv", directory=tmp_path / "exports")
    assert _leftovers(tmp_path / "exports") == []
    assert int(queries.run_sql_text(f"SELECT count(*) AS n FROM {queries.table_name(big)}").loc[0, "n"]) == ROWS


def test_past_the_concurrency_cap_an_export_is_refused_in_french(empty_warehouse: Path, tmp_path: Path,  # noqa: F811
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    rows = 40_000  # a few seconds of XLSX: long enough to be caught running
    big = generate("moyen", rows)
    _limits(monkeypatch, timeout=120, concurrent=1)
    directory = tmp_path / "exports"
    outcome: dict[str, object] = {}

    def long_export() -> None:
        try:
            outcome["result"] = exports.export_dataset(schema_of(big), "xlsx", directory=directory)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            outcome["error"] = exc

    worker = threading.Thread(target=long_export)
    worker.start()
    deadline = time.monotonic() + 30
    while not list(directory.glob("*.part")) and time.monotonic() < deadline:  # the first export is writing
        time.sleep(0.02)
    assert list(directory.glob("*.part")), "the first export did not start"

    with pytest.raises(ExportBusy) as caught:
        exports.export_dataset(schema_of(big), "csv", directory=directory)
    assert str(caught.value).startswith("Trop d'exports en cours")
    # Interactive queries are not exports: they keep answering while the export holds its slot.
    started = time.monotonic()
    n = queries.run_sql_text(f"SELECT count(*) AS n FROM {queries.table_name(big)} WHERE n % 7 = 0").loc[0, "n"]
    assert int(n) == len(range(0, rows, 7))
    assert time.monotonic() - started < 5

    worker.join(timeout=120)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].rows == rows  # type: ignore[attr-defined]
    again = exports.export_dataset(schema_of(big), "csv", directory=directory)  # the slot is free again
    assert again.rows == rows


def test_the_export_tab_says_in_french_why_a_file_cannot_be_made(portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from exports.limits import export_slot
    from tests.conftest import open_page

    _limits(monkeypatch, timeout=60, concurrent=1)
    at = open_page("pages/dataset.py", {"id": "colleges", "tab": "export"})
    prepare = at.button(key="dataset_export_prepare")
    assert prepare.label.startswith("Préparer colleges_")
    with export_slot():  # another visitor's export holds the only slot
        at = prepare.click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [exports.limits.BUSY_MESSAGE]
    assert not [b for b in at.get("download_button") if b.proto.label.startswith("Télécharger colleges")]

    _limits(monkeypatch, timeout=0.001, concurrent=1)
    at = at.button(key="dataset_export_prepare").click().run()
    assert not at.exception
    assert "a dépassé le temps maximal" in at.error[0].value
    assert _leftovers(portal / "tmp" / "exports") == []

    _limits(monkeypatch, timeout=60, concurrent=1)
    at = at.button(key="dataset_export_prepare").click().run()
    assert not at.exception and not at.error
    labels = [b.proto.label for b in at.get("download_button")]
    assert any(label.startswith("Télécharger colleges_") and label.endswith(".csv") for label in labels), labels
