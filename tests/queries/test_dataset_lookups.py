"""Reference lookups of the dataset page (named SQL over the datasets playing each role) and version listing."""

from __future__ import annotations

from pathlib import Path

import warehouse
from queries.dataset import lookups


def test_versions_and_commune_lookups(portal: Path) -> None:
    versions = warehouse.list_versions("colleges")
    assert versions and versions[0]["rows"] == 52 and "changes" in versions[0]
    assert warehouse.list_versions("../etc") == []
    names = lookups.commune_names()
    assert names.get("24322") == "Périgueux"
    assert len(lookups.commune_shapes()) == 503
    assert lookups.epci_names()
