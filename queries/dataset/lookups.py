"""Reference lookups of the dataset page (commune and EPCI names, commune outlines), as named SQL files run by the
executor over the datasets that play each role (config.py `datasets`)."""

from __future__ import annotations

import queries


def commune_names() -> dict[str, str]:
    """INSEE code → commune name (current communes win over delegated ones sharing their code)."""
    frame = queries.run("commune_names", max_rows=20_000)
    return {str(r.code): str(r.name) for r in frame.itertuples()}


def epci_names() -> dict[str, str]:
    """SIREN → name of the EPCIs with a commune in the configured territory."""
    frame = queries.run("territory_epcis", max_rows=5_000)
    return {str(r.code): str(r.name) for r in frame.itertuples()}


def commune_shapes() -> dict[str, tuple[str, str]]:
    """INSEE code → (name, GeoJSON geometry text) of the configured territory's communes."""
    frame = queries.run("map_commune_shapes", max_rows=20_000)
    return {str(r.code): (str(r.name or r.code), str(r.geometry)) for r in frame.itertuples()}
