"""The indicator board as one A4 PDF page (fpdf2): every figure with its unit, period, source dataset and licence.

Pure layout: the caller (ui.indicator_cards) hands over the texts already written in French, so this module knows
nothing of indicators or territories. The font is DejaVu Sans Condensed, vendored in static/fonts/ (the PDF core
fonts are Latin-1 only: no « € », « œ » or narrow no-break space, the French thousands separator).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT = "DejaVuSansCondensed"
# Font sizes tried in turn until the board fits on one page: a commune board with every theme fits at the first ones.
SIZES: tuple[float, ...] = (8.0, 7.5, 7.0, 6.5, 6.0, 5.5, 5.0, 4.5)
MARGIN = 10.0  # mm
# Column widths in mm (A4 is 210 mm wide, 190 inside the margins): indicator, value, period, change and
# comparisons, source numbers.
COLUMNS: tuple[float, ...] = (52.0, 25.0, 25.0, 74.0, 14.0)
HEADINGS: tuple[str, ...] = ("Indicateur", "Valeur", "Période", "Évolution et comparaisons", "Sources")
GREY = (90, 90, 90)


@dataclass(frozen=True)
class Figure:
    """One figure of the board, as printed: « Population municipale », « 27 110 hab. », « Millésime 2023 »…"""

    label: str
    value: str
    period: str
    detail: str  # the change and the comparisons (other territories' values with their periods)
    sources: tuple[str, ...]  # « Populations légales (population-communes) — Licence Ouverte 2.0 », one per dataset


@dataclass(frozen=True)
class Section:
    """A group of figures under a heading (« Bergerac », « Contexte départemental »), with an optional note."""

    title: str
    figures: tuple[Figure, ...]
    note: str = ""


@dataclass(frozen=True)
class Board:
    """The page: title, territory line, when and where it was generated, the sections, the portal's name."""

    title: str
    territory: str
    generated: str  # « 7 décembre 2026 à 18 h 40 »
    url: str
    sections: tuple[Section, ...]
    portal: str


def _numbers(sections: Sequence[Section]) -> dict[str, int]:
    """Each distinct source numbered in order of first use: rows cite « 1, 3 », the list at the bottom spells them."""
    found: dict[str, int] = {}
    for section in sections:
        for fig in section.figures:
            for source in fig.sources:
                found.setdefault(source, len(found) + 1)
    return found


def _render(board: Board, size: float) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    pdf.add_font(FONT, "", str(FONT_DIR / f"{FONT}.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / f"{FONT}-Bold.ttf"))
    pdf.set_title(board.title)
    pdf.set_author(board.portal)
    pdf.set_creator(board.portal)
    pdf.set_lang("fr-FR")
    pdf.add_page()
    line = size * 0.42  # mm per line at this size (1 pt = 0.353 mm, plus leading)

    pdf.set_font(FONT, "B", size + 6)
    pdf.multi_cell(0, (size + 6) * 0.45, board.title, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(FONT, "", size + 1.5)
    pdf.multi_cell(0, (size + 1.5) * 0.45, board.territory, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(FONT, "", size)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, line, f"Généré le {board.generated} par {board.portal} — version en ligne : {board.url}",
                   new_x="LMARGIN", new_y="NEXT", link=board.url, align="L")
    pdf.set_text_color(0, 0, 0)

    numbers = _numbers(board.sections)
    headings = FontFace(emphasis="BOLD", fill_color=(232, 236, 240))
    for section in board.sections:
        if not section.figures:
            continue
        pdf.ln(line * 0.6)
        pdf.set_font(FONT, "B", size + 1.5)
        pdf.multi_cell(0, (size + 1.5) * 0.45, section.title, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_font(FONT, "", size)
        if section.note:
            pdf.multi_cell(0, line, section.note, new_x="LMARGIN", new_y="NEXT", align="L")
        with pdf.table(col_widths=COLUMNS, width=sum(COLUMNS), align="LEFT", line_height=line, padding=(0.4, 0.8),
                       text_align=("LEFT", "RIGHT", "LEFT", "LEFT", "CENTER"), headings_style=headings,
                       borders_layout="HORIZONTAL_LINES", v_align="TOP") as table:
            table.row(HEADINGS)
            for fig in section.figures:
                table.row((fig.label, fig.value, fig.period, fig.detail,
                           ", ".join(str(numbers[s]) for s in fig.sources)))

    pdf.ln(line * 0.6)
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, line, "Sources (jeux de données du portail) et licences", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(FONT, "", size - 0.5)
    for source, number in numbers.items():
        pdf.multi_cell(0, line, f"{number}. {source}", new_x="LMARGIN", new_y="NEXT", align="L")
    return pdf


def board_pdf(board: Board) -> bytes:
    """The board on one A4 page: the largest font size at which everything fits (the smallest one otherwise).

    Laying out a table is the costly part (about 0.3 s for 30 rows on 2 cores): the sizes are bisected, so at most
    four layouts are made, not one per size."""
    pdf = _render(board, SIZES[0])
    if pdf.pages_count <= 1:
        return bytes(pdf.output())
    best = None
    low, high = 1, len(SIZES) - 1  # SIZES[0] overflowed; fitting is monotonic in the size
    while low <= high:
        middle = (low + high) // 2
        pdf = _render(board, SIZES[middle])
        if pdf.pages_count <= 1:
            best, high = pdf, middle - 1
        else:
            low = middle + 1
    return bytes((best or pdf).output())  # nothing fits: the smallest size, the last one tried
