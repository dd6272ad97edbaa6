"""The format of a source file, from its magic bytes then its extension."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from loaders import LoadError

EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".tab": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xlsx",
    ".ods": "ods", ".json": "json", ".geojson": "geojson", ".gpkg": "gpkg", ".parquet": "parquet", ".shp": "shapefile",
}


def detect_format(path: Path) -> str:
    """csv | xlsx | ods | json | geojson | shapefile | gpkg | parquet, from magic bytes then the extension."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"SQLite format 3"):
        return "gpkg"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile as exc:
            raise LoadError(f"{path.name} : archive ZIP illisible ({exc}).") from exc
        if "mimetype" in names and b"opendocument.spreadsheet" in head:
            return "ods"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        if any(n.lower().endswith(".shp") for n in names):
            return "shapefile"
        raise LoadError(f"{path.name} : archive ZIP sans classeur ni Shapefile, format non pris en charge.")
    ext = EXTENSIONS.get(path.suffix.lower())
    if ext == "json" or (ext is None and head.lstrip()[:1] in (b"{", b"[")):
        return "geojson" if re.search(rb'"type"\s*:\s*"FeatureCollection"', head) else "json"
    return ext or "csv"
