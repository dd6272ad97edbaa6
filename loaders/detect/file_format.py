"""The format of a source file, from its magic bytes then its extension."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from loaders import LoadError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (BIFF) and other Office compound files
FORMAT_LABELS = {"csv": "texte délimité (CSV)", "html": "page HTML (tableau)", "xlsx": "classeur Excel",
                 "ods": "classeur OpenDocument", "json": "JSON", "geojson": "GeoJSON", "parquet": "Parquet",
                 "shapefile": "Shapefile", "gpkg": "GeoPackage"}
EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".tab": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xlsx",
    ".ods": "ods", ".html": "html", ".htm": "html", ".json": "json", ".geojson": "geojson", ".gpkg": "gpkg", ".parquet": "parquet", ".shp": "shapefile",
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
    if head.startswith(OLE_MAGIC):
        return "xlsx"  # calamine reads BIFF .xls as well
    ext = EXTENSIONS.get(path.suffix.lower())
    if ext in ("xlsx", "ods", "html", None):
        # an .xls that is really an HTML table or delimited text, as many French portals export them
        low = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if low.startswith(b"<") and re.search(rb"<(table|html|!doctype html)", low):
            return "html"
        if ext in ("xlsx", "ods") and b"\x00" not in head:
            return "csv"
    if ext == "json" or (ext is None and head.lstrip()[:1] in (b"{", b"[")):
        return "geojson" if re.search(rb'"type"\s*:\s*"FeatureCollection"', head) else "json"
    return ext or "csv"


def extension_note(path: Path, fmt: str) -> str | None:
    """A French warning when the content is not what the file's extension says (an .xls that is text...)."""
    ext = EXTENSIONS.get(path.suffix.lower())
    if ext is None or ext == fmt or {ext, fmt} <= {"json", "geojson"} or (ext == "csv" and fmt == "csv"):
        return None
    return (f"Le fichier « {path.suffix} » est en réalité un fichier {FORMAT_LABELS.get(fmt, fmt)} : "
            "lu comme tel.")
