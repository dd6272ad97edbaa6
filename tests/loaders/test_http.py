"""loaders.http against a real local server: retries, Retry-After, truncation, conditional GET, politeness."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loaders import http
from tests.loaders.server import FIXTURES, LOCAL_POLICY, FakeServer

BODY = ("code_insee;nom\n" + "".join(f"24{i:03d};Commune {i}\n" for i in range(1, 400))).encode()


@pytest.fixture(autouse=True)
def fast_http(monkeypatch: pytest.MonkeyPatch) -> None:
    # Short waits keep the suite quick; the code paths are the production ones.
    monkeypatch.setenv("TERRITOIRE_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("TERRITOIRE_HTTP_MIN_DELAY", "0")
    monkeypatch.setenv("TERRITOIRE_HTTP_READ_TIMEOUT", "1")
    monkeypatch.setenv("TERRITOIRE_HTTP_RETRIES", "3")
    monkeypatch.setenv("TERRITOIRE_HTTP_MAX_RETRY_AFTER", "5")
    for key, value in LOCAL_POLICY.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def srv() -> Iterator[FakeServer]:
    with FakeServer() as s:
        s.route("/file.csv", BODY, content_type="text/csv", last_modified=1_700_000_000)
        s.route_json("/api.json", {"ok": True})
        yield s


def test_user_agent_names_the_portal(srv: FakeServer) -> None:
    http.get_json(srv.base_url + "/api.json")
    ua = srv.log[-1].headers["User-Agent"]
    assert ua.startswith("Territoire/") and "(+http" in ua


def test_download_hashes_and_sizes(srv: FakeServer, tmp_path: Path) -> None:
    d = http.download(srv.base_url + "/file.csv", tmp_path)
    assert d.path is not None and d.path.read_bytes() == BODY
    assert d.sha256 == hashlib.sha256(BODY).hexdigest() and d.size == len(BODY)
    assert d.path.suffix == ".csv" and d.etag and d.last_modified


def test_conditional_get_returns_not_modified(srv: FakeServer, tmp_path: Path) -> None:
    first = http.download(srv.base_url + "/file.csv", tmp_path)
    again = http.download(srv.base_url + "/file.csv", tmp_path, etag=first.etag)
    assert again.not_modified and again.path is None
    since = http.download(srv.base_url + "/file.csv", tmp_path, last_modified=first.last_modified)
    assert since.not_modified
    assert srv.hits("/file.csv", status=304) == 2
    # Changed content: a new ETag, a full download.
    srv.route("/file.csv", BODY + b"24999;Nouvelle\n", content_type="text/csv")
    changed = http.download(srv.base_url + "/file.csv", tmp_path, etag=first.etag)
    assert not changed.not_modified and changed.etag != first.etag


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_retried_then_succeeds(srv: FakeServer, tmp_path: Path, status: int) -> None:
    srv.fault("/file.csv", "status", times=2, status=status)
    d = http.download(srv.base_url + "/file.csv", tmp_path)
    assert d.size == len(BODY)
    assert srv.hits("/file.csv") == 3


def test_5xx_forever_is_a_french_error(srv: FakeServer) -> None:
    srv.fault("/api.json", "status", times=50, status=503)
    with pytest.raises(http.HttpError) as exc:
        http.get_json(srv.base_url + "/api.json")
    assert "erreur" in str(exc.value) or "essai" in str(exc.value)
    assert srv.hits("/api.json") == 4  # 1 + 3 retries


def test_429_honours_retry_after(srv: FakeServer) -> None:
    body = (FIXTURES / "opendatasoft_explore_v2.1" / "error_quota_exceeded.json").read_bytes()
    srv.fault("/api.json", "status", times=1, status=429, body=body, headers={"Retry-After": "1"})
    start = time.monotonic()
    assert http.get_json(srv.base_url + "/api.json") == {"ok": True}
    assert time.monotonic() - start >= 0.9  # waited as told, not the tiny test backoff


def test_429_with_long_retry_after_fails_fast_with_quota_message(srv: FakeServer) -> None:
    body = (FIXTURES / "opendatasoft_explore_v2.1" / "error_quota_exceeded.json").read_bytes()
    srv.fault("/api.json", "status", times=10, status=429, body=body, headers={"Retry-After": "3600"})
    start = time.monotonic()
    with pytest.raises(http.RateLimited) as exc:
        http.get_json(srv.base_url + "/api.json")
    assert time.monotonic() - start < 5
    assert "Quota" in str(exc.value) and "Too many requests" in str(exc.value)
    assert exc.value.retry_after == 3600


def test_odsql_error_body_is_explained(srv: FakeServer) -> None:
    body = (FIXTURES / "opendatasoft_explore_v2.1" / "error_invalid_odsql.json").read_bytes()
    srv.fault("/api.json", "status", times=1, status=400, body=body)
    with pytest.raises(http.RemoteQueryError) as exc:
        http.get_json(srv.base_url + "/api.json")
    assert "ODSQL query is malformed" in str(exc.value) and "refusée" in str(exc.value)
    assert srv.hits("/api.json") == 1  # a 400 is not retried


def test_connection_reset_retried(srv: FakeServer, tmp_path: Path) -> None:
    srv.fault("/file.csv", "reset", times=2)
    assert http.download(srv.base_url + "/file.csv", tmp_path).size == len(BODY)
    srv.fault("/api.json", "reset", times=2)
    assert http.get_json(srv.base_url + "/api.json") == {"ok": True}


def test_read_timeout_retried(srv: FakeServer, tmp_path: Path) -> None:
    srv.fault("/file.csv", "delay", times=1, seconds=1.5)
    assert http.download(srv.base_url + "/file.csv", tmp_path).size == len(BODY)
    assert srv.hits("/file.csv") == 2


def test_body_stalling_mid_stream_is_retried(srv: FakeServer, tmp_path: Path) -> None:
    # Headers arrive, then the body stalls longer than the read timeout: urllib3 cannot retry that, we do.
    srv.fault("/file.csv", "slow", times=1, seconds=1.5)
    d = http.download(srv.base_url + "/file.csv", tmp_path)
    assert d.path is not None and d.path.read_bytes() == BODY
    assert srv.hits("/file.csv") == 2 and list(tmp_path.iterdir()) == [d.path]


def test_timeout_forever_is_an_error(srv: FakeServer) -> None:
    srv.fault("/api.json", "delay", times=10, seconds=1.3)
    with pytest.raises(http.HttpError) as exc:
        http.get_json(srv.base_url + "/api.json")
    assert "Délai" in str(exc.value) or "Connexion" in str(exc.value) or "essai" in str(exc.value)


def test_truncated_body_retried_and_never_left_on_disk(srv: FakeServer, tmp_path: Path) -> None:
    srv.fault("/file.csv", "truncate", times=1)
    d = http.download(srv.base_url + "/file.csv", tmp_path)
    assert d.path is not None and d.path.read_bytes() == BODY
    assert list(tmp_path.iterdir()) == [d.path]


def test_truncated_forever_is_an_error_without_temp_file(srv: FakeServer, tmp_path: Path) -> None:
    srv.fault("/file.csv", "truncate", times=10)
    with pytest.raises(http.InvalidResponse) as exc:
        http.download(srv.base_url + "/file.csv", tmp_path)
    assert "incomplet" in str(exc.value)
    assert list(tmp_path.iterdir()) == []


def test_invalid_json_retried_then_explained(srv: FakeServer) -> None:
    srv.fault("/api.json", "invalid_json", times=1)
    assert http.get_json(srv.base_url + "/api.json") == {"ok": True}
    srv.fault("/api.json", "invalid_json", times=10)
    with pytest.raises(http.InvalidResponse) as exc:
        http.get_json(srv.base_url + "/api.json")
    assert "JSON invalide" in str(exc.value)


def test_404_not_retried(srv: FakeServer, tmp_path: Path) -> None:
    with pytest.raises(http.NotFound):
        http.download(srv.base_url + "/missing.csv", tmp_path)
    assert srv.hits("/missing.csv") == 1


def test_polite_delay_between_requests_to_same_host(srv: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_HTTP_MIN_DELAY", "0.3")
    start = time.monotonic()
    for _ in range(3):
        http.get_json(srv.base_url + "/api.json")
    assert time.monotonic() - start >= 0.55


def test_retry_after_http_date() -> None:
    future = time.time() + 30
    import email.utils

    secs = http.parse_retry_after(email.utils.formatdate(future, usegmt=True))
    assert secs is not None and 25 < secs <= 30
    assert http.parse_retry_after("12") == 12.0
    assert http.parse_retry_after("n'importe quoi") is None
    assert json.dumps({"a": 1})
