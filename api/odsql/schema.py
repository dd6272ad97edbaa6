"""The allow-list the translator checks every field name against: a dataset's fields with their ODS types."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

# Warehouse column types (meta.json) → Opendatasoft field types.
ODS_TYPES = {"integer": "int", "number": "double", "text": "text", "date": "date", "datetime": "datetime",
             "boolean": "boolean", "geometry": "geo_shape"}
NUMERIC = frozenset({"int", "double"})
TEMPORAL = frozenset({"date", "datetime"})
GEO = frozenset({"geo_point_2d", "geo_shape"})
# The field ODS portals name a dataset's point location; built from the longitude/latitude columns.
GEO_POINT_FIELD = "geo_point_2d"


@dataclass(frozen=True)
class FieldInfo:
    """One field: its ODS type and the column(s) it is read from (a geo_point_2d field reads two columns)."""

    name: str
    type: str
    column: str | None = None
    lon: str | None = None
    lat: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c in (self.column, self.lon, self.lat) if c)


@dataclass(frozen=True)
class DatasetSchema:
    """The fields a query may name, in the dataset's order; the columns they read are the SQL allow-list."""

    fields: tuple[FieldInfo, ...]

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("duplicate field names")

    @cached_property
    def by_name(self) -> dict[str, FieldInfo]:
        return {f.name: f for f in self.fields}

    @cached_property
    def columns(self) -> frozenset[str]:
        """Every physical column the fields read: the allow-list handed to queries.ident()."""
        return frozenset(c for f in self.fields for c in f.columns)

    def find(self, name: str) -> FieldInfo | None:
        """The field named `name` (ODSQL is case-insensitive: an exact match first, then a unique folded one)."""
        exact = self.by_name.get(name)
        if exact is not None:
            return exact
        folded = [f for f in self.fields if f.name.lower() == name.lower()]
        return folded[0] if len(folded) == 1 else None

    def of_type(self, types: Iterable[str]) -> list[FieldInfo]:
        wanted = set(types)
        return [f for f in self.fields if f.type in wanted]

    @classmethod
    def from_columns(cls, columns: Iterable[tuple[str, str]], geo: Mapping[str, Any] | None = None) -> DatasetSchema:
        """From (name, warehouse type) pairs and meta.json's `geo` block: a point dataset also gets a
        `geo_point_2d` field reading its longitude/latitude columns (unless a column already has that name)."""
        cols = list(columns)
        fields = [FieldInfo(name, ODS_TYPES.get(kind, "text"), column=name) for name, kind in cols]
        geo = geo or {}
        names = {name for name, _ in cols}
        if (geo.get("kind") == "point" and geo.get("lon") in names and geo.get("lat") in names
                and GEO_POINT_FIELD not in names):
            fields.append(FieldInfo(GEO_POINT_FIELD, "geo_point_2d", lon=str(geo["lon"]), lat=str(geo["lat"])))
        return cls(tuple(fields))

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> DatasetSchema:
        """From a dataset's meta.json (`queries.dataset_meta(id)`)."""
        columns = [(str(c["name"]), str(c.get("type", "text"))) for c in meta.get("columns", [])]
        return cls.from_columns(columns, meta.get("geo"))
