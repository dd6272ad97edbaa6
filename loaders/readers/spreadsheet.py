"""Spreadsheets (XLSX, ODS): the sheet holding data, its header found under any title block."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from loaders import LoadError
from loaders.detect.dialect import header_index, rstrip_empty, title_rows_warning
from loaders.readers.arrow_table import cell_text, stage_arrow, text_table
from loaders.readers.staged import Staged


def stage_spreadsheet(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: dict[str, Any]) -> Staged:
    """XLSX/ODS via python-calamine: choose the sheet, find the header under any title block."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for corrupt workbooks
        raise LoadError(f"{path.name} : classeur illisible ({exc}).") from exc
    names = list(wb.sheet_names)
    sheets = {n: wb.get_sheet_by_name(n).to_python() for n in names}
    warnings: list[str] = []
    wanted = options.get("sheet")
    if wanted is not None:
        if isinstance(wanted, int) or str(wanted).isdigit():
            idx = int(wanted)
            if not 0 <= idx < len(names):
                raise LoadError(f"Feuille n° {idx} absente (feuilles : {', '.join(names)}).")
            sheet = names[idx]
        elif str(wanted) in sheets:
            sheet = str(wanted)
        else:
            raise LoadError(f"Feuille « {wanted} » absente (feuilles : {', '.join(names)}).")
    else:
        filled = [n for n in names if any(any(cell_text(v) for v in row) for row in sheets[n])]
        if not filled:
            raise LoadError(f"{path.name} : classeur vide.")
        sheet = filled[0]
        if len(filled) > 1:
            warnings.append(f"Le classeur contient {len(filled)} feuilles avec des données ; « {sheet} » a été "
                            f"chargée (option « sheet » pour en choisir une autre : {', '.join(filled)}).")
    rows = [[cell_text(v) for v in row] for row in sheets[sheet]]
    text_rows = [(i, [v or "" for v in row]) for i, row in enumerate(rows) if any(row)]
    if not text_rows:
        raise LoadError(f"Feuille « {sheet} » vide.")
    widths = Counter(len(rstrip_empty(r)) for _, r in text_rows)
    width = max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0]
    hidx = header_index(text_rows, width, options.get("header_row"))
    header_line, header = text_rows[hidx]
    data = [rows[i] for i, _ in text_rows[hidx + 1:]]
    ncols = max([len(rstrip_empty(header))] + [len(rstrip_empty([v or "" for v in r])) for r in data] or [1])
    header = (header + [""] * ncols)[:ncols]
    if hidx:
        warnings.append(title_rows_warning(header_line))
    dialect = {"format": fmt, "encoding": None, "delimiter": None, "decimal": ".", "header_row": header_line,
               "sheet": sheet}
    return stage_arrow(con, text_table(data, ncols), [h.strip() for h in header], {}, options, dialect, warnings)
