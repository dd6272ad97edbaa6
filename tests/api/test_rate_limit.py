"""The Explore API's per-client rate limit over real HTTP: a server allowing a few calls per minute answers the
client past them with ODS's 429 (the spec's quota body) and Retry-After, while another client (another socket
address, or another address given by a configured trusted proxy) is still served; and the limiter's arithmetic on a
controlled clock."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import urllib3

from api.ratelimit import RateLimiter
from tests.api.conftest import API, spec_schema
from tests.conftest import LiveServer

RATE = 4
RECORDS = "/catalog/datasets/colleges/records"


@pytest.fixture(scope="module")
def limited(warehouse_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A few calls per minute; a trusted proxy's header is configured, used only by the calls that carry it (the
    others fall back to their socket address)."""
    data_dir = tmp_path_factory.mktemp("api-rate") / "data"
    shutil.copytree(warehouse_dir, data_dir)
    live = LiveServer(data_dir, {"TERRITOIRE_API_RATE": str(RATE), "TERRITOIRE_TRUSTED_PROXY_HEADER": "X-Real-IP",
                                 "TERRITOIRE_TRUSTED_PROXY_COUNT": "1"})
    yield live
    live.stop()


def call(server: LiveServer, source: str, path: str = RECORDS,
         headers: dict[str, str] | None = None) -> urllib3.BaseHTTPResponse:
    """One GET from a given local address (127.0.0.x: every one of them reaches the server on Linux)."""
    with urllib3.HTTPConnectionPool("127.0.0.1", server.port, source_address=(source, 0), retries=False,
                                    timeout=60) as pool:
        return pool.request("GET", f"{API}{path}?limit=1", headers=headers or {})


def test_a_client_past_its_rate_gets_a_429_and_others_are_served(limited: LiveServer) -> None:
    answers = [call(limited, "127.0.0.2") for _ in range(RATE)]
    assert [a.status for a in answers] == [200] * RATE, [a.data[:200] for a in answers]
    refused = call(limited, "127.0.0.2", "/catalog/datasets")  # the limit counts every API route together
    assert refused.status == 429, refused.data[:300]
    assert refused.headers["access-control-allow-origin"] == "*"
    assert 1 <= int(refused.headers["retry-after"]) <= 60 // RATE
    body = json.loads(refused.data)
    jsonschema.validate(body, spec_schema("/catalog/datasets", "429"))
    assert body["call_limit"] == RATE and body["limit_time_unit"] == "minute"
    # A header the server was not told to trust changes nothing: the client is still its socket address.
    spoofed = call(limited, "127.0.0.2", headers={"X-Forwarded-For": "198.51.100.7"})
    assert spoofed.status == 429
    assert call(limited, "127.0.0.3").status == 200  # another client is unaffected


def test_behind_a_trusted_proxy_the_client_is_the_address_it_gives(limited: LiveServer) -> None:
    # The proxy (here 127.0.0.4) appends the address it received the call from: only that right-most entry is trusted.
    first = {"X-Real-IP": "10.9.9.9, 203.0.113.5"}
    assert [call(limited, "127.0.0.4", headers=first).status for _ in range(RATE)] == [200] * RATE
    assert call(limited, "127.0.0.4", headers=first).status == 429
    assert call(limited, "127.0.0.4", headers={"X-Real-IP": "203.0.113.5"}).status == 429
    # Same proxy socket, another client: served; a forged left-most entry does not escape the limit.
    assert call(limited, "127.0.0.4", headers={"X-Real-IP": "203.0.113.6"}).status == 200
    assert call(limited, "127.0.0.4", headers={"X-Real-IP": "1.2.3.4, 203.0.113.5"}).status == 429


def test_the_limiter_allows_a_minute_of_calls_at_once_then_one_per_interval() -> None:
    now = [1000.0]
    limiter = RateLimiter(6, clock=lambda: now[0])  # one call every 10 s once the burst is spent
    assert [limiter.acquire("a") for _ in range(6)] == [0.0] * 6
    assert limiter.acquire("a") == pytest.approx(10.0)
    assert limiter.acquire("b") == 0.0
    now[0] += 9.0
    assert limiter.acquire("a") == pytest.approx(1.0)  # refused calls are not counted
    now[0] += 1.0
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") == pytest.approx(10.0)
    now[0] += 60.0  # a quiet minute gives the whole allowance back
    assert [limiter.acquire("a") for _ in range(6)] == [0.0] * 6
    assert limiter.acquire("a") > 0
