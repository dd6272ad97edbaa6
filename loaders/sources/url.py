"""Remote files by URL (CSV, XLSX, GeoJSON, Parquet, ZIP...): conditional download, manifest entry for `add URL`."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from catalogue import vocab
from catalogue.manifest import DatasetSpec
from loaders import http

KNOWN_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".ods", ".json", ".geojson", ".parquet", ".zip",
                  ".gpkg", ".fgb")
CONTENT_TYPES = {
    "text/csv": ".csv", "application/csv": ".csv", "text/tab-separated-values": ".tsv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls", "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/geo+json": ".geojson", "application/vnd.geo+json": ".geojson", "application/json": ".json",
    "application/zip": ".zip", "application/x-zip-compressed": ".zip",
    "application/vnd.apache.parquet": ".parquet", "application/x-parquet": ".parquet",
}


@dataclass
class Fetched:
    """What a source fetcher found: nothing new (`unchanged`), or a complete file to load."""

    unchanged: bool
    message: str
    path: Path | None = None
    source_info: dict[str, Any] = field(default_factory=dict)  # merged into meta.json `source`
    remote: dict[str, Any] = field(default_factory=dict)  # remembered in the state file after a success
    expected_rows: int | None = None  # what the portal announces, checked after loading


def is_url(value: str) -> bool:
    return bool(re.match(r"^https?://", value.strip(), re.I))


def _sniff_suffix(path: Path, content_type: str) -> str:
    """A usable extension for the core readers when the URL has none (e.g. `/datasets/r/<id>`)."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PAR1"):
        return ".parquet"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile:
            return ".zip"
        if "[Content_Types].xml" in names:
            return ".xlsx"
        if "mimetype" in names and "content.xml" in names:
            return ".ods"
        return ".zip"
    ctype = content_type.split(";")[0].strip().lower()
    return CONTENT_TYPES.get(ctype, ".csv" if ctype.startswith("text/") else "")


def fix_suffix(path: Path, content_type: str) -> Path:
    if path.suffix.lower() in KNOWN_SUFFIXES:
        return path
    suffix = _sniff_suffix(path, content_type)
    if not suffix:
        return path
    target = path.with_name(path.name + suffix)
    path.rename(target)
    return target


# Inside a ZIP, the first member found in this order is loaded (unless `zip_member` names one).
ZIP_MEMBER_PRIORITY = (".parquet", ".csv", ".tsv", ".txt", ".xlsx", ".xls", ".ods", ".geojson", ".json", ".gpkg")


def unpack_zip(path: Path, member: str | None = None, max_bytes: int | None = None) -> tuple[Path, str | None]:
    """Extract the data file of a ZIP archive next to it; workbooks and zipped Shapefiles are left whole.

    The core readers read xlsx/ods/Shapefile archives themselves, not a CSV inside a ZIP.
    """
    if path.suffix.lower() != ".zip" or not zipfile.is_zipfile(path):
        return path, None
    with zipfile.ZipFile(path) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir() and not Path(i.filename).name.startswith((".", "__"))]
        names = [i.filename for i in infos]
        if "[Content_Types].xml" in names or any(n.lower().endswith(".shp") for n in names):
            return path, None
        if member:
            chosen = next((i for i in infos if i.filename == member or Path(i.filename).name == member), None)
            if chosen is None:
                raise ValueError(f"L'archive ne contient pas « {member} » (contenu : {', '.join(names[:10])}).")
        else:
            ranked = sorted((i for i in infos if Path(i.filename).suffix.lower() in ZIP_MEMBER_PRIORITY),
                            key=lambda i: ZIP_MEMBER_PRIORITY.index(Path(i.filename).suffix.lower()))
            if not ranked:
                raise ValueError(f"Aucun fichier de données reconnu dans l'archive ({', '.join(names[:10])}).")
            chosen = ranked[0]
        if max_bytes is not None and chosen.file_size > max_bytes:
            raise ValueError(f"« {chosen.filename} » est trop volumineux une fois décompressé ({chosen.file_size} octets).")
        # Only the base name is used: a member called ../../x cannot escape the download directory.
        target = path.with_name(f"{path.stem}-{Path(chosen.filename).name}")
        with zf.open(chosen) as src, open(target, "wb") as dst:
            while chunk := src.read(1 << 16):
                dst.write(chunk)
    path.unlink(missing_ok=True)
    return target, chosen.filename


def fetch_url(url: str, entry: dict[str, Any], workdir: Path, *, force: bool = False,
              params: dict[str, Any] | list[tuple[str, Any]] | None = None, suffix: str = "",
              extra_info: dict[str, Any] | None = None, zip_member: str | None = None) -> Fetched:
    """Conditional download of one file (ETag / Last-Modified remembered from the last success)."""
    etag = None if force else entry.get("etag")
    last_modified = None if force else entry.get("last_modified")
    d = http.download(url, workdir, params=params, etag=etag, last_modified=last_modified, suffix=suffix)
    if d.not_modified:
        return Fetched(True, "inchangé (HTTP 304, rien téléchargé)",
                       remote={"etag": d.etag, "last_modified": d.last_modified})
    assert d.path is not None
    path = fix_suffix(d.path, d.content_type)
    info = {**d.source_info(), **(extra_info or {})}
    try:
        path, member = unpack_zip(path, zip_member, http.http_settings().max_bytes)
    except (ValueError, zipfile.BadZipFile):
        path.unlink(missing_ok=True)
        raise
    if member:
        info["archive_member"] = member
    remote = {"etag": d.etag, "last_modified": d.last_modified, "sha256": d.sha256, "size": d.size}
    return Fetched(False, f"téléchargé ({d.size} octets)", path=path, source_info=info, remote=remote)


def fetch(spec: DatasetSpec, entry: dict[str, Any], workdir: Path, force: bool = False) -> Fetched:
    """Refresh fetcher for `kind = "url"` sources."""
    if not spec.source.url:
        raise ValueError(f"Le jeu « {spec.id} » n'a pas d'URL source.")
    return fetch_url(spec.source.url, entry, workdir, force=force, zip_member=spec.source.options.get("zip_member"))


def url_manifest(url: str, dataset_id: str, *, title: str | None = None, publisher: str | None = None,
                 license_id: str = "notspecified", frequency: str = "unknown", description: str = "",
                 page: str | None = None, themes: list[str] | None = None, keywords: list[str] | None = None,
                 options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A manifest entry (dict for catalogue.manifest.write_spec) for a plain remote file."""
    name = Path(urlsplit(url).path).name or urlsplit(url).netloc
    source: dict[str, Any] = {"kind": "url", "url": url}
    if page:
        source["page"] = page
    source.update({k: v for k, v in (options or {}).items() if v is not None})
    frequency = vocab.FREQUENCY_ALIASES.get(frequency, frequency)
    return {
        "id": dataset_id, "title": title or name, "description": description,
        "publisher": publisher or urlsplit(url).netloc,
        "license": {"id": license_id, "title": vocab.license_title(license_id), "url": vocab.license_url(license_id)},
        "themes": themes or ["others"], "keywords": keywords or [], "frequency": frequency,
        "modified": date.today().isoformat(),
        "provenance": f"Fichier distant {url}, ajouté avec `python -m loaders add` le {date.today().isoformat()}.",
        "source": source,
    }
