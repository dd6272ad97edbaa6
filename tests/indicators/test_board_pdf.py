"""The board's A4 PDF builder (exports.board_pdf, fpdf2) read back with pypdf, and the base-100 indexing of the chart."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from exports.board_pdf import SIZES, Board, Figure, Section, board_pdf
from indicators.board import base100

NNBSP = "\u202f"
FRENCH = f"« Œuvre » : cœur, 1{NNBSP}234,5{NNBSP}€/hab., −0,3{NNBSP}pt, ‰, Périgueux, l’aîné — où ?"


def figures(count: int) -> tuple[Figure, ...]:
    return tuple(Figure(label=f"Indicateur numéro {i} — unité de mesure assez longue", value=f"{i}{NNBSP}234{NNBSP}hab.",
                        period="Millésime 2023",
                        detail="Évolution : +1,0 % depuis 2022 · CA Bergeracoise : 61 915 hab. (2023) · Dordogne : "
                               "417 614 hab. (2023)",
                        sources=(f"Source {i % 7} (jeu « source-{i % 7} ») — licence : Licence Ouverte 2.0",))
                 for i in range(count))


def read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def test_every_french_character_survives_with_the_vendored_font() -> None:
    board = Board(title=f"Tableau de bord — {FRENCH}", territory="Bergerac (commune 24037)", generated="7 décembre 2026",
                  url="https://donnees.exemple.fr/indicateurs", portal="Territoire",
                  sections=(Section("Chiffres", (Figure(FRENCH, f"27{NNBSP}110{NNBSP}€", "2023", FRENCH, ("Src",)),)),))
    page = read(board_pdf(board)).pages[0]
    text = re.sub(r"[ \n]+", " ", page.extract_text())  # lines joined; the narrow no-break spaces stay
    assert FRENCH in text  # « » œ Œ € ‰ − and the narrow no-break space, each extracted back as written
    fonts = {str(font["/BaseFont"]) for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("DejaVuSansCondensed" in name for name in fonts), fonts  # embedded, not a core font


def test_a_long_board_shrinks_onto_one_a4_page() -> None:
    board = Board(title="Tableau de bord — Bergerac", territory="Bergerac", generated="7 décembre 2026", url="x",
                  portal="Territoire", sections=(Section("Chiffres de Bergerac", figures(30)),
                                                 Section("Contexte départemental", figures(12), note="Valeurs de la Dordogne.")))
    reader = read(board_pdf(board))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Indicateur numéro 29" in text and "Indicateur numéro 11" in text
    assert "7. Source 6 (jeu « source-6 ») — licence : Licence Ouverte 2.0" in text  # each source listed once
    short = Board(title="T", territory="B", generated="d", url="x", portal="P",
                  sections=(Section("Chiffres", figures(3)),))
    small = read(board_pdf(short)).pages[0]
    # a short board keeps the largest size (its value cells are drawn at SIZES[0] points)
    assert f"/F1 {SIZES[0]:.2f} Tf" in small.get_contents().get_data().decode("latin-1")


def series(rows: list[tuple[str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["line", "year", "value"]).assign(period=lambda f: f["year"].astype(str))


def test_base100_uses_the_first_year_every_line_shares() -> None:
    indexed = base100(series([("Bergerac", 2016, 27269), ("Bergerac", 2019, 26693), ("Bergerac", 2023, 27110),
                              ("Dordogne", 2019, 413223), ("Dordogne", 2023, 417614)]))
    assert indexed.base_year == 2019 and not indexed.left_out
    got = indexed.rows.set_index(["line", "year"])["index"]
    assert got[("Bergerac", 2019)] == 100 and got[("Dordogne", 2019)] == 100
    assert got[("Bergerac", 2016)] == pytest.approx(100 * 27269 / 26693)
    assert got[("Dordogne", 2023)] == pytest.approx(100 * 417614 / 413223)


def test_base100_without_a_common_year_or_with_a_zero_base() -> None:
    indexed = base100(series([("avant", 2021, 93.0), ("depuis", 2022, 95.0), ("depuis", 2024, 96.9)]))
    assert indexed.base_year is None  # a series break: each line on its own first year
    assert indexed.rows.groupby("line")["base_year"].first().to_dict() == {"avant": 2021, "depuis": 2022}
    zero = base100(series([("Commune", 2022, 0.0), ("Commune", 2023, 1.0), ("EPCI", 2022, 2.0), ("EPCI", 2023, 3.0)]))
    assert zero.left_out == ("Commune",) and set(zero.rows["line"]) == {"EPCI"}  # cannot divide by 0: left out, said
