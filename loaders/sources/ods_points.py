"""geo_point_2d fields of an Opendatasoft Parquet export, made readable by the loader.

ODS writes a geo_point_2d field into Parquet as a {lon, lat} struct, which the Parquet reader can only keep as text.
Most such fields repeat two numeric columns of the dataset (ODS derives geo_point_2d from latitude/longitude columns,
and this portal's own API adds one to every point dataset): such a copy is dropped, so a harvest gives back exactly the
columns of the source. Otherwise the point becomes two number columns, `longitude` and `latitude`, which the loader
turns into a point map (loaders.pipeline.LON_NAMES / LAT_NAMES).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from loaders.sql import ident, sql_str

POINT_TYPE = re.compile(r'^STRUCT\("?(lon|lat)"? DOUBLE, "?(lon|lat)"? DOUBLE\)$', re.IGNORECASE)
NUMERIC = re.compile(r"^(DOUBLE|FLOAT|REAL|DECIMAL.*)$")


def _copies(con: duckdb.DuckDBPyConnection, relation: str, point: str, numbers: list[str]) -> tuple[str, str] | None:
    """The (longitude, latitude) columns this point repeats on every row, if any (checked in one pass)."""
    if not numbers:
        return None
    checks = [f"coalesce(bool_and({ident(point)}.{part} IS NOT DISTINCT FROM CAST({ident(n)} AS DOUBLE)), false)"
              for n in numbers for part in ("lon", "lat")]
    row = con.execute(f"SELECT {', '.join(checks)} FROM {relation}").fetchone()  # noqa: S608 - quoted identifiers
    assert row is not None
    lons = [n for i, n in enumerate(numbers) if row[2 * i]]
    lats = [n for i, n in enumerate(numbers) if row[2 * i + 1]]
    lon = next((n for n in lons if n not in lats), None)
    lat = next((n for n in lats if n != lon), None)
    return (lon, lat) if lon and lat else None


def split_points(path: Path) -> list[str]:
    """Rewrite the Parquet file at `path` without {lon, lat} structs; returns what was done, in French, for the log."""
    con = duckdb.connect()
    try:
        con.execute("SET threads = 1")  # one writer: the same input gives the same bytes (unchanged data stays so)
        relation = f"read_parquet({sql_str(str(path))})"
        described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()  # noqa: S608 - quoted literal
        names = [str(d[0]) for d in described]
        points = [str(d[0]) for d in described if POINT_TYPE.match(str(d[1]).upper())]
        if not points:
            return []
        numbers = [str(d[0]) for d in described if NUMERIC.match(str(d[1]).upper())]
        taken = set(names)
        select: list[str] = []
        notes: list[str] = []
        for name in names:
            if name not in points:
                select.append(ident(name))
                continue
            copies = _copies(con, relation, name, numbers)
            if copies:
                notes.append(f"« {name} » reprend les colonnes {copies[0]} et {copies[1]} : non dupliqué")
                continue
            lon, lat = ("longitude", "latitude") if not {"longitude", "latitude"} & taken else \
                (f"{name}_lon", f"{name}_lat")
            taken |= {lon, lat}
            select += [f"{ident(name)}.lon AS {ident(lon)}", f"{ident(name)}.lat AS {ident(lat)}"]
            notes.append(f"« {name} » devient les colonnes {lon} et {lat}")
        tmp = path.with_name(path.name + ".points")
        con.execute(f"COPY (SELECT {', '.join(select)} FROM {relation}) TO {sql_str(str(tmp))} "  # noqa: S608
                    "(FORMAT parquet)")
        os.replace(tmp, path)
        return notes
    finally:
        con.close()
