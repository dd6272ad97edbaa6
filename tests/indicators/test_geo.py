"""Distances and map classes."""

from __future__ import annotations

import pytest

from geo import classify, haversine_km, quantile_edges


def test_haversine_known_distance() -> None:
    # Périgueux cathedral → Bergerac church: about 41.5 km as the crow flies
    assert haversine_km(0.7226, 45.1843, 0.4823, 44.8515) == pytest.approx(41.5, abs=1.0)
    assert haversine_km(1.0, 45.0, 1.0, 45.0) == 0


def test_quantile_edges_and_classes() -> None:
    values = list(range(1, 101))
    edges = quantile_edges(values, 5)
    assert len(edges) == 6 and edges[0] == 1 and edges[-1] == 100
    counts = [0] * 5
    for v in values:
        counts[classify(v, edges)] += 1
    assert counts == [20, 20, 20, 20, 20]
    # ties collapse classes instead of producing empty ones
    tied = [0.0] * 90 + [1.0, 2.0, 3.0]
    assert quantile_edges(tied, 5) == [0.0, 3.0]
    assert classify(None, edges) is None and classify(5, []) is None
