"""Spreadsheets (XLSX, XLS, ODS, and HTML tables saved as .xls): the sheet holding data, its header found under any
title block, a second header row merged into it, and total, subtotal and footnote rows skipped and reported."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from loaders import LoadError
from loaders.detect.dialect import header_index, rstrip_empty, title_rows_warning
from loaders.detect.table_shape import clean, is_second_header, merge_headers, row_kind
from loaders.readers.arrow_table import cell_text, stage_arrow, text_table
from loaders.readers.staged import Staged, skipped_warning, total_rows_kept

Rows = list[list[Any]]


def _workbook(path: Path, fmt: str) -> dict[str, Rows]:
    """Every sheet's rows (cells as Python values), in the workbook's order."""
    if fmt == "html":
        return _html_tables(path)
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        return {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for corrupt workbooks
        raise LoadError(f"{path.name} : classeur illisible ({exc}).") from exc


def _html_tables(path: Path) -> dict[str, Rows]:
    """The <table> elements of an HTML page (an « .xls » exported by many French portals), one sheet each;
    a cell spanning several columns is repeated over them, as a merged spreadsheet cell reads."""
    import lxml.html

    raw = path.read_bytes()
    try:
        # UTF-8 text is given decoded: without a <meta charset>, lxml would read the bytes as latin-1
        doc = lxml.html.fromstring(raw.decode("utf-8-sig") if _is_utf8(raw) else raw)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise LoadError(f"{path.name} : page HTML illisible ({exc}).") from exc
    tables: dict[str, Rows] = {}
    for n, table in enumerate(doc.iter("table"), start=1):
        rows: Rows = []
        for tr in table.iter("tr"):
            row: list[Any] = []
            for cell in tr:
                if cell.tag not in ("td", "th"):
                    continue
                text = " ".join(cell.text_content().split())
                span = cell.get("colspan", "1")
                row += [text] + [""] * (min(int(span), 100) - 1 if span.isdigit() and int(span) > 1 else 0)
            rows.append(row)
        tables[f"tableau {n}"] = rows
    if not tables:
        raise LoadError(f"{path.name} : page HTML sans tableau (<table>).")
    return tables


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _table_width(rows: Rows) -> int:
    widths = Counter(len(rstrip_empty([cell_text(v) or "" for v in r])) for r in rows if any(cell_text(v) for v in r))
    return max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0] if widths else 0


def _choose_sheet(path: Path, sheets: dict[str, Rows], wanted: Any, warnings: list[str]) -> str:
    names = list(sheets)
    if wanted is not None:
        if isinstance(wanted, int) or str(wanted).isdigit():
            idx = int(wanted)
            if not 0 <= idx < len(names):
                raise LoadError(f"Feuille n° {idx} absente (feuilles : {', '.join(names)}).")
            return names[idx]
        if str(wanted) in sheets:
            return str(wanted)
        raise LoadError(f"Feuille « {wanted} » absente (feuilles : {', '.join(names)}).")
    filled = [n for n in names if any(any(cell_text(v) for v in row) for row in sheets[n])]
    if not filled:
        raise LoadError(f"{path.name} : classeur vide.")
    # the first sheet laid out as a table (at least two columns): notes sheets (« À savoir », « Documentation »)
    # are one wide column of text
    tables = [n for n in filled if _table_width(sheets[n]) >= 2]
    sheet = (tables or filled)[0]
    if len(filled) > 1:
        warnings.append(f"Le classeur contient {len(filled)} feuilles avec des données ; « {sheet} » a été "
                        f"chargée (option « sheet » pour en choisir une autre : {', '.join(filled)}).")
    return sheet


MARGIN_SHARE = 0.1


def _width(header: list[str], data: Rows, warnings: list[str]) -> int:
    """Columns of the table: the header's, plus unnamed columns beyond it unless they are notes in the margin
    (filled on under a tenth of the rows, past a column left empty: « Fusions de communes = … » in Q)."""
    named = len(rstrip_empty(header))
    ncols = max([named] + [len(rstrip_empty([v or "" for v in r])) for r in data] or [1])
    if ncols <= named + 1 or any(len(r) > named and (r[named] or "").strip() for r in data):
        return ncols
    filled = sum(any((v or "").strip() for v in r[named:]) for r in data)
    if filled > MARGIN_SHARE * len(data):
        return ncols
    warnings.append(f"{ncols - named} colonne(s) sans en-tête après une colonne vide, remplies sur {filled} ligne(s) "
                    "seulement : notes en marge du tableau, ignorées.")
    return named


def _parent_row(above: tuple[int, list[str]], header: tuple[int, list[str]]) -> bool:
    """The row right above the header holds the parents of a two-level header (merged cells: `Ensemble` over
    age classes, `Départements` over the code and the name), not a title: two labels or more over the columns."""
    if above[0] != header[0] - 1 or sum(bool(c.strip()) for c in above[1]) < 2:
        return False
    return is_second_header(above[1], header[1], [])


def stage_spreadsheet(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: dict[str, Any]) -> Staged:
    """XLSX/XLS/ODS via python-calamine (HTML via lxml): choose the sheet, find the header under any title block,
    merge a second header row, skip totals and footnotes. Line numbers in reports are 1-based sheet rows."""
    sheets = _workbook(path, fmt)
    warnings: list[str] = []
    sheet = _choose_sheet(path, sheets, options.get("sheet"), warnings)
    rows = [[cell_text(v) for v in row] for row in sheets[sheet]]
    text_rows = [(i, [v or "" for v in row]) for i, row in enumerate(rows) if any(row)]
    if not text_rows:
        raise LoadError(f"Feuille « {sheet} » vide.")
    widths = Counter(len(rstrip_empty(r)) for _, r in text_rows)
    width = max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0]
    forced = options.get("header_row")
    hidx = header_index(text_rows, width, forced)
    if forced is None and hidx and _parent_row(text_rows[hidx - 1], text_rows[hidx]):
        hidx -= 1  # the header found is the leaf row of a two-level header: its parent row is the header
    header_line, header = text_rows[hidx]
    skipped: list[tuple[int, str]] = [(i + 1, "titre" if any(rows[i]) else "ligne vide") for i in range(header_line)]
    rest = text_rows[hidx + 1:]
    if forced is None and rest and is_second_header(header, rest[0][1], [r for _, r in rest[1:6]]):
        header = merge_headers(header, rest[0][1])
        skipped.append((rest[0][0] + 1, "seconde ligne d'en-tête"))
        rest = rest[1:]
    last = rest[-1][0] if rest else header_line
    skipped += [(i + 1, "ligne vide") for i in range(header_line + 1, last) if not any(rows[i])]
    kinds = [(line, row_kind(row, width, header)) for line, row in rest]
    keep = total_rows_kept(kinds, [r[:2] for _, r in rest])
    data = []
    for (line, why), keep_it in zip(kinds, keep, strict=True):
        if why is None or keep_it:
            data.append(rows[line])
        else:
            skipped.append((line + 1, why))
    ncols = _width(header, data, warnings)
    header = (header + [""] * ncols)[:ncols]
    if hidx:
        warnings.append(title_rows_warning(header_line))
    skipped.sort()
    if any(line > header_line for line, _ in skipped):
        warnings.append(skipped_warning([s for s in skipped if s[0] > header_line], "ligne"))
    dialect = {"format": fmt, "encoding": None, "delimiter": None, "decimal": ".", "header_row": header_line,
               "sheet": sheet, "sheets": list(sheets)}
    staged = stage_arrow(con, text_table(data, ncols), [" ".join(clean(h).split()) for h in header], {}, options, dialect, warnings)
    staged.skipped = [{"line": line, "reason": why} for line, why in skipped]
    return staged
