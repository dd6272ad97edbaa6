"""Dataset page as an analyst reads it (AppTest): empty cells for missing values, range sliders whose bounds hold the
data's minimum and maximum exactly, provenance in words with the technical details folded; the date helpers."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import queries
import warehouse
from tests.conftest import wait_for_app
from tests.pages.test_dataset import counts, open_dataset, params
from ui import format as fmt
from ui.dataset.common import md_escape
from ui.dataset.filters import slider_grid


def ips_values() -> list[float]:
    frame = queries.run_sql_text(f"SELECT ips FROM {queries.table_name('ips-colleges')}", {})
    return [float(x) for x in frame["ips"]]


def add_range_filter(at: AppTest, column: str) -> AppTest:
    at.selectbox(key="dataset_addcol").set_value(column).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_missing_values_are_empty_cells_not_none(portal: Path) -> None:
    at = open_dataset({"id": "colleges", "tab": "tableau"})
    (table,) = [df for df in at.dataframe if "numero_uai" in df.value.columns]
    assert table.value.isna().any().any()  # the page really has missing values to show
    assert table.proto.placeholder == ""  # drawn as empty cells (Streamlit's default text is « None »)


def test_a_range_slider_holds_the_data_minimum_and_maximum_and_drops_no_row_at_its_bounds(portal: Path) -> None:
    values = ips_values()
    lo, hi = min(values), max(values)
    assert (lo, hi) == (90.1, 122.0)  # the step of the old slider (0.3 from 90.1) could not reach 122.0
    at = add_range_filter(open_dataset({"id": "ips-colleges", "tab": "tableau"}), "ips")
    slider = at.slider(key="dataset_fr_ips")
    assert slider.min <= lo and slider.max >= hi
    assert (slider.min, slider.max, slider.step) == (90.1, 122.0, 0.1) and slider.proto.format == "%.1f"
    assert tuple(slider.value) == (slider.min, slider.max)
    assert counts(at)[0] == len(values) and "f" not in params(at)
    # The browser computes min + k × step in floating point: the maximum it sends is still the maximum.
    at.slider(key="dataset_fr_ips").set_value((math.nextafter(90.1, 91), math.nextafter(122.0, 0))).run()
    assert counts(at)[0] == len(values) and "f" not in params(at)
    # Moving the lower handle filters on it alone; the row at the maximum stays.
    at.slider(key="dataset_fr_ips").set_value((100.0, 122.0)).run()
    assert params(at)["f"] == ["ips:gte:100"]
    assert counts(at)[0] == sum(v >= 100.0 for v in values)
    at.slider(key="dataset_fr_ips").set_value((90.1, 110.5)).run()
    assert params(at)["f"] == ["ips:lte:110.5"]
    assert counts(at)[0] == sum(v <= 110.5 for v in values)


@pytest.mark.parametrize(("lo", "hi"), [(90.1, 122.0), (69.8, 124.9), (0.0, 5547100.0), (-1.2, 2.5),
                                        (0.12033696167298372, 1.3289859095172014), (100.3, 100.7), (24.2, 36.5)])
def test_slider_grid_covers_the_data_and_every_step_lands_on_it(lo: float, hi: float) -> None:
    low, high, step, decimals = slider_grid(lo, hi)
    assert low <= lo and high >= hi
    steps = (high - low) / step
    assert abs(steps - round(steps)) < 1e-6 and 10 <= round(steps) <= 1_000
    assert round(low, decimals) == low and round(high, decimals) == high
    assert high - hi < step and lo - low < step


def test_provenance_in_words_and_technical_details_folded(portal: Path) -> None:
    meta = warehouse.current_meta("ips-colleges")
    assert meta is not None
    at = open_dataset({"id": "ips-colleges", "tab": "informations"})
    (details,) = [e for e in at.expander if e.label.startswith("Détails techniques")]
    folded = " ".join(m.value for m in details.markdown)
    shown = " ".join(m.value for m in at.markdown if m.value not in folded)
    when = fmt.datetime_long(meta["loaded_at"])
    assert f"| Chargé le | {when} |" in shown and " à " in when and " h " in when
    assert "| Source | Fichier fourni avec le portail |" in shown
    for technical in (meta["source"]["path"], meta["source"]["sha256"], meta["loaded_at"], meta["version"]):
        assert technical not in shown and md_escape(technical) not in shown
        assert md_escape(technical) in folded


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-12-07T14:40:03+00:00", "7 décembre 2026 à 15 h 40"),  # winter: UTC+1
    ("2026-07-01T08:05:00+00:00", "1er juillet 2026 à 10 h 05"),  # summer: UTC+2, « 1er »
    ("2026-03-15T09:30:00", "15 mars 2026 à 9 h 30"),  # no offset: taken as written
    ("2026-08-31", "31 août 2026"), ("", "–"), (None, "–"), ("pas une date", "pas une date"),
])
def test_human_dates_in_french(value: str | None, expected: str) -> None:
    assert fmt.datetime_long(value) == expected


@pytest.mark.browser
def test_the_french_csv_downloaded_from_the_page_reads_103_5_in_python(live_server, page) -> None:  # noqa: ANN001
    """The analyst's « CSV pour tableurs français », produced and downloaded in a real browser, read with csv."""
    from playwright.sync_api import expect

    page.goto(live_server.url)  # a first visit: see warm_up() in tests/browser/test_dataset_browser.py
    wait_for_app(page)
    page.goto(f"{live_server.url}/jeu-de-donnees?id=ips-colleges&tab=export")
    wait_for_app(page)
    expect(page.get_by_text("CSV pour tableurs français (séparateur « ; », virgule décimale)")).to_be_visible()
    prepare = page.locator(".st-key-dataset_export_prepare button")
    expect(prepare).to_contain_text(".csv")
    prepare.click()
    button = page.locator(".st-key-dataset_export_download button")
    expect(button).to_contain_text(".csv", timeout=60_000)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    body = Path(info.value.path()).read_bytes()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(rows) == 46
    assert "103,5" in [r["ips"] for r in rows] and all("." not in r["ips"] for r in rows)
