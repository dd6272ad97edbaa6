"""serve.py: the real server answers every request on a keep-alive connection without Nagle's 40 ms stall."""

from __future__ import annotations

import statistics
import time

import requests

from tests.conftest import LiveServer


def test_keep_alive_requests_are_not_held_by_nagle(live_server: LiveServer) -> None:
    # Before serve.py set TCP_NODELAY on Streamlit's listening socket, every request after the first on one
    # connection waited for the client's delayed ACK: 40–44 ms for /_stcore/health (~1 ms on a new connection).
    times = []
    with requests.Session() as http:
        for path in ["/_stcore/health"] * 8 + ["/api/explore/v2.1/catalog/datasets?limit=1"] * 4:
            t0 = time.perf_counter()
            assert http.get(live_server.url + path, timeout=30).status_code == 200
            times.append((time.perf_counter() - t0) * 1000)
    health, api = times[1:8], times[9:]  # the first of each: a new connection, a first query
    assert statistics.median(health) < 25, health
    assert statistics.median(api) < 38, api
