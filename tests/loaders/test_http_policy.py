"""The outgoing policy of loaders.http against real local servers: every refusal, the allow-list, the time and size caps.

Servers listen on 127.0.0.1 (and 127.0.0.2, another loopback address): a "public" server is one whose address
the test allow-lists (TERRITOIRE_HTTP_ALLOWED_HOSTS=127.0.0.2/32), an "internal" one is not allow-listed.
Host names that must resolve to chosen addresses go through a fake resolver installed at the DNS layer only
(`socket.getaddrinfo` for those names; every other lookup and every connection are real).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from urllib3.util import connection as urllib3_connection

import warehouse
from loaders import http
from loaders.http_guard import address_refusal
from loaders.sources.refresh import harvest_datagouv, refresh_all
from tests.loaders.server import (
    DG_SLUG,
    FakeServer,
    Request,
    Response,
    configure_env,
    publish_datagouv_dataset,
    serve_datagouv,
)

PAYLOAD = {"server": "public", "rows": list(range(200))}
BIG = json.dumps({"rows": ["x" * 100] * 50}).encode()  # about 5 kB
_REAL_GETADDRINFO = socket.getaddrinfo


def _policy(monkeypatch: pytest.MonkeyPatch, *, allowed: str = "", allow_http: bool = True, **extra: str) -> None:
    """Fast waits and exactly this policy (the suite's usual allow-list of 127.0.0.1 removed)."""
    env = {"TERRITOIRE_HTTP_BACKOFF": "0.01", "TERRITOIRE_HTTP_MIN_DELAY": "0", "TERRITOIRE_HTTP_READ_TIMEOUT": "2",
           "TERRITOIRE_HTTP_CONNECT_TIMEOUT": "2", "TERRITOIRE_HTTP_RETRIES": "1",
           "TERRITOIRE_HTTP_ALLOWED_HOSTS": allowed, "TERRITOIRE_HTTP_ALLOW_HTTP": "1" if allow_http else "0", **extra}
    for key, value in env.items():
        monkeypatch.setenv(key, value)


class FakeDns:
    """Answers chosen names with successive address lists (the last one repeats); asks the real resolver otherwise."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0,  # noqa: A002
                 flags: int = 0) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return _REAL_GETADDRINFO(host, port, family, type, proto, flags)
        answer = self.answers[name][min(self.calls.count(name), len(self.answers[name]) - 1)]
        self.calls.append(name)
        infos = []
        for ip in answer:
            if ipaddress.ip_address(ip).version == 6:
                infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, int(port), 0, 0)))
            else:
                infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port))))
        return infos


def _spy_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record the addresses sockets are opened to (the real function still opens them)."""
    opened: list[Any] = []
    real = urllib3_connection.create_connection

    def spy(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        opened.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3_connection, "create_connection", spy)
    return opened


@pytest.fixture
def internal() -> Iterator[FakeServer]:
    """A server on 127.0.0.1 standing for anything inside the machine's network."""
    with FakeServer() as s:
        s.route_json("/secret.json", {"server": "internal"})
        s.route("/file.csv", b"a;b\n1;2\n", content_type="text/csv")
        yield s


@pytest.fixture
def public(internal: FakeServer) -> Iterator[FakeServer]:
    """A server on 127.0.0.2, same port as `internal`; allow-listed by address in the tests that call it public."""
    with FakeServer("127.0.0.2", internal.port) as s:
        s.route_json("/data.json", PAYLOAD)
        yield s


CALLS: dict[str, Callable[[str, Path], Any]] = {
    "get_json": lambda url, _: http.get_json(url),
    "download": lambda url, d: http.download(url, d),
    "fetch_bytes": lambda url, _: http.fetch_bytes(url, max_bytes=1 << 20),
}


# ---------------------------------------------------------------------------------------------- addresses

@pytest.mark.parametrize("call", sorted(CALLS))
def test_loopback_refused_without_allow_list(internal: FakeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                             call: str) -> None:
    _policy(monkeypatch)
    with pytest.raises(http.Refused, match="loopback"):
        CALLS[call](internal.base_url + "/secret.json", tmp_path)
    assert internal.log == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("host", "reason"), [
    ("10.0.0.1", "privée"), ("172.16.5.4", "privée"), ("192.168.1.1", "privée"), ("169.254.169.254", "lien-local"),
    ("100.64.0.1", "réservée"), ("0.0.0.0", "non spécifiée"), ("224.0.0.1", "multicast"), ("240.0.0.1", "privée"),
    ("[::1]", "loopback"), ("[::]", "non spécifiée"), ("[fe80::1]", "lien-local"), ("[fc00::1]", "privée"),
    ("[ff02::1]", "multicast"), ("[::ffff:127.0.0.1]", "loopback"), ("[::ffff:169.254.169.254]", "lien-local"),
    ("[64:ff9b::a9fe:a9fe]", "lien-local"), ("[2002:7f00:1::1]", "loopback"),
    ("2130706433", "loopback"), ("0x7f.1", "loopback"), ("127.1", "loopback"), ("localhost", "loopback"),
])
def test_non_public_addresses_refused_before_connecting(internal: FakeServer, monkeypatch: pytest.MonkeyPatch,
                                                        host: str, reason: str) -> None:
    """Literal, IPv4-mapped, 6to4, NAT64 and numeric forms: the resolved address is checked, not the spelling."""
    _policy(monkeypatch)
    connects = _spy_connections(monkeypatch)
    with pytest.raises(http.Refused, match=f"Adresse refusée : .*{reason}"):
        http.get_json(f"http://{host}:{internal.port}/secret.json")
    assert connects == [] and internal.log == []


def test_private_name_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A public-looking name that resolves to a private address is refused, no connection attempted."""
    _policy(monkeypatch)
    monkeypatch.setattr(socket, "getaddrinfo", FakeDns({"intranet.example.fr": [["10.1.2.3"]]}))
    connects = _spy_connections(monkeypatch)
    with pytest.raises(http.Refused, match=r"intranet\.example\.fr désigne 10\.1\.2\.3 \(adresse privée\)"):
        http.fetch_bytes("http://intranet.example.fr/logo.png", max_bytes=1000)
    assert connects == []


def test_any_private_address_among_the_answers_is_refused(public: FakeServer, internal: FakeServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _policy(monkeypatch, allowed="127.0.0.2/32")
    monkeypatch.setattr(socket, "getaddrinfo", FakeDns({"mixed.example.fr": [["127.0.0.2", "127.0.0.1"]]}))
    with pytest.raises(http.Refused, match="127.0.0.1"):
        http.get_json(f"http://mixed.example.fr:{public.port}/data.json")
    assert public.log == [] and internal.log == []


def test_public_addresses_pass() -> None:
    for ip in ("93.184.216.34", "8.8.8.8", "2a00:1450:4007:80e::200e", "2001:4860:4860::8888"):
        assert address_refusal(ipaddress.ip_address(ip)) is None, ip


def test_dns_rebinding_connects_to_the_address_that_was_checked(public: FakeServer, internal: FakeServer,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The name resolves to the public address first, to 127.0.0.1 afterwards: a client that resolved a second
    time to connect would reach the internal server (same port). Ours resolves once and connects to what it checked."""
    _policy(monkeypatch, allowed="127.0.0.2/32")
    dns = FakeDns({"rebind.example.fr": [["127.0.0.2"], ["127.0.0.1"]]})
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    connects = _spy_connections(monkeypatch)
    assert http.get_json(f"http://rebind.example.fr:{public.port}/data.json") == PAYLOAD
    assert public.hits("/data.json") == 1 and internal.log == [] and dns.calls == ["rebind.example.fr"]
    assert connects == [("127.0.0.2", public.port)]
    # A new connection resolves again, gets the internal address and is refused.
    http.session().close()
    with pytest.raises(http.Refused, match="loopback"):
        http.get_json(f"http://rebind.example.fr:{public.port}/data.json")
    assert internal.log == []


# ---------------------------------------------------------------------------------------------- redirects

def _redirect(to: str) -> Callable[[Request], Response]:
    return lambda _req: Response(302, b"", headers={"Location": to})


def test_redirect_to_internal_address_refused(public: FakeServer, internal: FakeServer,
                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _policy(monkeypatch, allowed="127.0.0.2/32")
    public.route("/go", handler=_redirect(internal.base_url + "/secret.json"))
    public.route("/relative", handler=_redirect("/data.json"))
    assert http.get_json(public.base_url + "/relative") == PAYLOAD  # redirects are followed, each hop checked
    for call in CALLS.values():
        with pytest.raises(http.Refused, match="loopback"):
            call(public.base_url + "/go", tmp_path)
    assert public.hits("/go") == 3 and internal.log == [] and list(tmp_path.iterdir()) == []


def test_redirect_loop_is_bounded(public: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    _policy(monkeypatch, allowed="127.0.0.2/32")
    public.route("/loop", handler=_redirect("/loop"))
    with pytest.raises(http.Refused, match="Trop de redirections"):
        http.get_json(public.base_url + "/loop")
    assert public.hits("/loop") == 6  # the first request and 5 redirects


# ---------------------------------------------------------------------------------------------- scheme, allow-list

def test_http_refused_by_default(internal: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    _policy(monkeypatch, allowed="127.0.0.1", allow_http=False)
    monkeypatch.delenv("TERRITOIRE_HTTP_ALLOW_HTTP")
    for url in (internal.base_url + "/secret.json", "ftp://example.fr/x.csv", "file:///etc/passwd", "https:///x"):
        with pytest.raises(http.Refused):
            http.fetch_bytes(url, max_bytes=1000)
    assert internal.log == []


@pytest.mark.parametrize(("allowed", "host"), [("127.0.0.1", "127.0.0.1"), ("127.0.0.0/8", "127.0.0.1"),
                                               ("localhost", "localhost"), (" Example.org , LOCALHOST ", "localhost")])
def test_allow_list_admits_named_hosts_and_networks(internal: FakeServer, monkeypatch: pytest.MonkeyPatch,
                                                    allowed: str, host: str) -> None:
    _policy(monkeypatch, allowed=allowed)
    assert http.get_json(f"http://{host}:{internal.port}/secret.json") == {"server": "internal"}


def test_allow_list_names_are_exact(internal: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trusting the name `localhost` does not trust its address under another spelling."""
    _policy(monkeypatch, allowed="localhost")
    with pytest.raises(http.Refused):
        http.get_json(f"http://127.0.0.1:{internal.port}/secret.json")


# ---------------------------------------------------------------------------------------------- time and size

@pytest.mark.parametrize("call", sorted(CALLS))
def test_slow_drip_cut_at_the_total_time(internal: FakeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         call: str) -> None:
    """Each piece arrives well within the read timeout (0.4 s < 2 s): only the wall-clock limit can stop it."""
    _policy(monkeypatch, allowed="127.0.0.1", TERRITOIRE_HTTP_TOTAL_TIMEOUT="1")
    internal.route("/drip", BIG, content_type="application/json")
    internal.fault("/drip", "slow", seconds=0.4)  # 20 pieces: 8 s in all
    started = time.monotonic()
    with pytest.raises(http.TotalTimeout, match=r"Délai total dépassé \(1 s\)"):
        CALLS[call](internal.base_url + "/drip", tmp_path)
    assert time.monotonic() - started < 3.0  # the limit (1 s) plus the first call's setup, far from the 8 s drip
    assert internal.hits("/drip") == 1 and list(tmp_path.iterdir()) == []


def test_late_headers_cut_at_the_total_time(internal: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit also covers the wait for the answer's headers, not only the body."""
    _policy(monkeypatch, allowed="127.0.0.1", TERRITOIRE_HTTP_TOTAL_TIMEOUT="0.5", TERRITOIRE_HTTP_READ_TIMEOUT="5")
    internal.fault("/secret.json", "delay", seconds=3)
    started = time.monotonic()
    with pytest.raises(http.TotalTimeout):
        http.get_json(internal.base_url + "/secret.json")
    assert time.monotonic() - started < 2.5 and internal.hits("/secret.json") == 1


@pytest.mark.parametrize("fault", [None, "unsized"])
def test_oversized_json_refused(internal: FakeServer, monkeypatch: pytest.MonkeyPatch, fault: str | None) -> None:
    """Refused on the announced length, or while reading when the server announces none."""
    _policy(monkeypatch, allowed="127.0.0.1", TERRITOIRE_HTTP_MAX_JSON_BYTES="1000")
    internal.route("/big.json", BIG)
    if fault:
        internal.fault("/big.json", fault)
    with pytest.raises(http.InvalidResponse, match="Document JSON trop volumineux"):
        http.get_json(internal.base_url + "/big.json")
    assert internal.hits("/big.json") == 1
    internal.route_json("/small.json", {"ok": True})
    assert http.get_json(internal.base_url + "/small.json") == {"ok": True}


def test_fetch_bytes_caps_size_and_returns_content_type(internal: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    _policy(monkeypatch, allowed="127.0.0.1")
    internal.route("/image.png", b"\x89PNG" + b"0" * 5000, content_type="image/png")
    internal.fault("/image.png", "unsized")
    with pytest.raises(http.InvalidResponse, match="trop volumineux"):
        http.fetch_bytes(internal.base_url + "/image.png", max_bytes=1000, accept="image/*")
    body, ctype = http.fetch_bytes(internal.base_url + "/image.png", max_bytes=10_000, accept="image/*")
    assert (len(body), ctype) == (5004, "image/png") and internal.log[-1].headers["Accept"] == "image/*"


# ---------------------------------------------------------------------------------------------- TLS

@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[FakeServer]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    with FakeServer(tls=(cert, key)) as s:
        s.route_json("/data.json", PAYLOAD)
        yield s


def test_pinned_tls_connection_still_checks_the_certificate_name(tls_server: FakeServer, internal: FakeServer,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """https only: the socket goes to the checked address, the certificate is verified against the URL's name."""
    _policy(monkeypatch, allowed="localhost,127.0.0.1", allow_http=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_server.tls_cert))
    assert http.get_json(f"https://localhost:{tls_server.port}/data.json") == PAYLOAD
    with pytest.raises(http.HttpError, match="Connexion impossible"):  # the certificate names localhost only
        http.get_json(f"https://127.0.0.1:{tls_server.port}/data.json")
    tls_server.route("/down", handler=_redirect(internal.base_url + "/secret.json"))
    with pytest.raises(http.Refused, match="seul https"):  # a redirect cannot downgrade to http
        http.get_json(f"https://localhost:{tls_server.port}/down")
    assert internal.log == []
    # The watchdog cuts a TLS drip as well (it shuts the socket under the TLS layer).
    monkeypatch.setenv("TERRITOIRE_HTTP_TOTAL_TIMEOUT", "1")
    tls_server.route("/drip", BIG, content_type="application/json")
    tls_server.fault("/drip", "slow", seconds=0.4)
    started = time.monotonic()
    with pytest.raises(http.TotalTimeout):
        http.get_json(f"https://localhost:{tls_server.port}/drip")
    assert time.monotonic() - started < 3.0
    assert http.get_json(f"https://localhost:{tls_server.port}/drip") == json.loads(BIG)  # the pool was not poisoned


# ---------------------------------------------------------------------------------------------- harvester

METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


def test_datagouv_resource_pointing_at_metadata_service_is_refused(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A publisher's resource URL aimed at the cloud metadata service: the harvest fails, nothing is published."""
    with FakeServer() as srv:
        dataset = serve_datagouv(srv)
        configure_env(monkeypatch, tmp_path, srv)
        dataset["resources"][0]["url"] = METADATA_URL
        publish_datagouv_dataset(srv, dataset)
        [outcome] = harvest_datagouv([DG_SLUG])
    assert outcome.status == "failed"
    assert "Adresse refusée" in outcome.message and "169.254.169.254" in outcome.message
    assert warehouse.current_version(outcome.id) is None
    assert not (tmp_path / "data" / "warehouse" / outcome.id).exists()


def test_datagouv_refresh_to_internal_url_keeps_the_published_version(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeServer() as srv:
        dataset = serve_datagouv(srv)
        configure_env(monkeypatch, tmp_path, srv)
        [first] = harvest_datagouv([DG_SLUG])
        version = warehouse.current_version(first.id)
        assert first.status == "updated" and version
        dataset["resources"][0]["url"] = METADATA_URL
        dataset["resources"][0]["last_modified"] = "2026-06-01T00:00:00+00:00"
        publish_datagouv_dataset(srv, dataset)
        [again] = refresh_all()
    assert again.status == "failed" and "Adresse refusée" in again.message
    assert warehouse.current_version(first.id) == version
