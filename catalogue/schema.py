"""Schema analysis, written once: the role of each column of a published dataset (commune or EPCI code, time, label,
measure, category, geometry) and what the dataset can show (a map, a time series), from its meta.json and the
manifest's column labels. Pure functions: the catalogue's flags and the dataset page's choices both come from here."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Year-like columns: a dataset that has one is a time series (charts draw it along this axis).
TIME_NAMES = ("annee", "millesime", "session", "rentree_scolaire", "year", "annee_en_vigueur")
# INSEE commune codes: a column whose name is (or starts with) one of these and whose values look like codes.
COMMUNE_CODE_HINTS = ("code_insee", "insee_com", "code_commune", "codgeo", "com_av", "com_ap", "commune_parente")
COMMUNE_CODE_RE = re.compile(r"^(2[AB]|\d{2})\d{3}$")
# EPCI SIREN codes (9 digits), by name.
EPCI_CODE_HINTS = ("epci_siren", "siren_epci", "code_epci", "epci_code")
EPCI_CODE_RE = re.compile(r"^\d{9}$")
LABEL_HINTS = ("nom", "appellation", "libelle", "titre", "title", "denomination", "name", "zone", "label")
MEASURE_HINTS = ("population", "valeur_num", "valeur", "pmun", "ptot", "nombre", "effectif", "frequentation", "total",
                 "ips", "montant", "nb_")
NOT_MEASURE = re.compile(r"^(code|id|siren|siret|uai|numero|epsg|lat|lon|longitude|latitude|coordonnee|centroid|x$|y$"
                         r"|rang|commune|arrondissement|departement|region|mod$|tncc|house|tel$|cp|postcode|geo_qual"
                         r"|ref_|an_)|(_code|_id|siren|latitude|longitude|_x|_y|_lon|_lat)$")
# Text columns that identify or locate a record rather than group records (never suggested as categories).
NOT_CATEGORY = re.compile(r"code|siren|siret|uai|numero|^id|_id$|boite|postal|adresse|street|rue|tel|mail|url|site"
                          r"|commentaire|complement|lieu_dit|position|coordonnee")


@dataclass(frozen=True)
class Column:
    """One column of a published dataset, as meta.json and the manifest describe it."""

    name: str
    type: str  # integer number text date datetime boolean geometry
    label: str
    unit: str = ""
    description: str = ""
    source_name: str = ""

    @property
    def numeric(self) -> bool:
        return self.type in ("integer", "number")

    @property
    def temporal(self) -> bool:
        return self.type in ("date", "datetime")

    @property
    def textual(self) -> bool:
        return self.type == "text"

    @property
    def rangeable(self) -> bool:
        return self.numeric or self.temporal

    def parse(self, raw: str) -> Any:
        """The Python value of `raw` (text from a link or a widget) for this column's type; ValueError if it does
        not fit."""
        text = raw.strip()
        if self.type == "integer":
            if not re.fullmatch(r"-?\d{1,18}", text):
                raise ValueError(raw)
            return int(text)
        if self.type == "number":
            if not re.fullmatch(r"-?\d{1,15}([.,]\d{1,12})?([eE][-+]?\d{1,3})?", text):
                raise ValueError(raw)
            value = float(text.replace(",", "."))
            if not math.isfinite(value):
                raise ValueError(raw)
            return value
        if self.type == "date":
            return dt.date.fromisoformat(text[:10])
        if self.type == "datetime":
            return dt.datetime.fromisoformat(text)
        if self.type == "boolean":
            if text.lower() in ("true", "1", "oui", "vrai"):
                return True
            if text.lower() in ("false", "0", "non", "faux"):
                return False
            raise ValueError(raw)
        if self.type == "geometry":
            raise ValueError(raw)
        return raw


@dataclass(frozen=True)
class Schema:
    """A dataset's columns (the allow-list of every query built on it), profile, geo info and row count."""

    dataset_id: str
    columns: tuple[Column, ...]
    rows: int
    profile: Mapping[str, Any] = field(default_factory=dict)
    geo: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_meta(cls, dataset_id: str, meta: Mapping[str, Any], docs: Mapping[str, Any] | None = None) -> Schema:
        """Columns from meta.json; labels, units and descriptions from the manifest's `[columns.*]` when present."""
        docs = docs or {}
        cols = []
        for c in meta.get("columns") or []:
            name = str(c.get("name", ""))
            if not name:
                continue
            doc = docs.get(name)
            ctype = "geometry" if name == "geometry" else str(c.get("type") or "text")
            cols.append(Column(
                name=name, type=ctype, label=getattr(doc, "label", "") or name, unit=getattr(doc, "unit", "") or "",
                description=getattr(doc, "description", "") or "", source_name=str(c.get("source_name") or ""),
            ))
        return cls(dataset_id=dataset_id, columns=tuple(cols), rows=int(meta.get("rows") or 0),
                   profile=dict(meta.get("profile") or {}), geo=dict(meta.get("geo") or {}))

    # -- columns -----------------------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def get(self, name: str | None) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    @property
    def plain_columns(self) -> list[Column]:
        """Every column except the GeoJSON geometry (too large for tables, facets and sorting)."""
        return [c for c in self.columns if c.type != "geometry"]

    def distinct(self, name: str) -> int | None:
        value = (self.profile.get(name) or {}).get("distinct")
        return int(value) if isinstance(value, (int, float)) else None

    def _values_match(self, name: str, pattern: re.Pattern[str]) -> bool:
        """The profile's sample values (top values, min, max) all match; true when the profile has none."""
        prof = self.profile.get(name) or {}
        samples = [str(t.get("value")) for t in prof.get("top") or [] if t.get("value") not in (None, "")]
        samples += [str(prof[k]) for k in ("min", "max") if prof.get(k) not in (None, "")]
        return all(pattern.match(s) for s in samples)

    # -- roles -------------------------------------------------------------------------------------------------
    def is_commune_code(self, name: str) -> bool:
        """A column of INSEE commune codes: a known name, text-like, and its profile values look like codes."""
        col = self.get(name)
        if col is None or col.type not in ("text", "integer"):
            return False
        if not any(name == h or name.startswith(h) for h in COMMUNE_CODE_HINTS):
            return False
        return self._values_match(name, COMMUNE_CODE_RE)

    @property
    def commune_columns(self) -> list[str]:
        return [c.name for c in self.columns if self.is_commune_code(c.name)]

    @property
    def epci_columns(self) -> list[str]:
        """Columns of EPCI SIREN codes (a known name, 9-digit values)."""
        return [c.name for c in self.columns if c.type in ("text", "integer")
                and any(c.name == h or c.name.startswith(h) for h in EPCI_CODE_HINTS)
                and self._values_match(c.name, EPCI_CODE_RE)]

    @property
    def time_column(self) -> str | None:
        """The year-like column a time series runs along (the first of TIME_NAMES present), or None."""
        for hint in TIME_NAMES:
            col = self.get(hint)
            if col is not None and col.type in ("integer", "text", "number"):
                return hint
        return None

    @property
    def label_columns(self) -> list[str]:
        """Columns that name a record (for tooltips): names first, then other text columns."""
        text = [c.name for c in self.plain_columns if c.textual]
        named = [n for n in text if any(h in n for h in LABEL_HINTS)]
        rest = [n for n in text if n not in named]
        return (named + rest)[:4]

    @property
    def measure_columns(self) -> list[str]:
        """Numeric columns worth summing or mapping (not codes, coordinates or years)."""
        out = [c.name for c in self.plain_columns
               if c.numeric and c.name not in TIME_NAMES and not NOT_MEASURE.search(c.name)]
        return sorted(out, key=lambda n: (0 if any(h in n for h in MEASURE_HINTS) else 1, out.index(n)))

    def groups_records(self, col: Column, max_distinct: int) -> bool:
        """A text column with a few repeated values that are mostly filled: a natural category."""
        if not col.textual or self.is_commune_code(col.name) or NOT_CATEGORY.search(col.name):
            return False
        n = self.distinct(col.name)
        if n is None or n < 2 or n > max_distinct:
            return False
        nulls = (self.profile.get(col.name) or {}).get("nulls") or 0
        rows = max(self.rows, 1)
        if nulls > rows / 2:
            return False
        return not (rows >= 10 and n > (rows - nulls) * 0.8)

    @property
    def main_category(self) -> str | None:
        """The text column that best splits the dataset (a handful of distinct values, not an identifier)."""
        best: tuple[float, str] | None = None
        for c in self.plain_columns:
            if not self.groups_records(c, 50):
                continue
            score = abs(math.log(self.distinct(c.name) or 1) - math.log(8))
            if best is None or score < best[0]:
                best = (score, c.name)
        return best[1] if best else None

    def facet_columns(self, limit: int = 6) -> list[str]:
        """Text columns offered as value filters by default (few distinct values, not identifiers)."""
        scored = [(self.distinct(c.name) or 0, c.name) for c in self.plain_columns if self.groups_records(c, 60)]
        return [name for _, name in sorted(scored)[:limit]]

    # -- geography ---------------------------------------------------------------------------------------------
    @property
    def lon_lat(self) -> tuple[str, str] | None:
        lon = str(self.geo.get("lon") or "longitude")
        lat = str(self.geo.get("lat") or "latitude")
        lon_col, lat_col = self.get(lon), self.get(lat)
        if lon_col and lat_col and lon_col.numeric and lat_col.numeric:
            return lon, lat
        return None

    @property
    def geometry_column(self) -> str:
        return str(self.geo.get("geometry") or "geometry")

    @property
    def has_geometry(self) -> bool:
        col = self.get(self.geometry_column)
        return col is not None and col.type == "geometry"

    @property
    def map_modes(self) -> list[str]:
        """The map views this dataset supports, best first (points, polygons, commune choropleth)."""
        modes = []
        kind = self.geo.get("kind") or "none"
        if self.lon_lat and kind in ("point", "none"):
            modes.append("points")
        if self.has_geometry and kind == "polygon":
            modes.append("polygons")
        if self.commune_columns:
            modes.append("choropleth")
        return modes

    # -- what the dataset can show (the catalogue's « Avec une carte » and « Série temporelle ») -----------------
    @property
    def has_map(self) -> bool:
        return bool(self.map_modes)

    @property
    def has_time_series(self) -> bool:
        return self.time_column is not None
