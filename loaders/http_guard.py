"""The outgoing policy of `loaders.http`: which addresses a request may reach, and a wall-clock limit per call.

- the host is resolved when the connection opens and refused if any of its addresses is not a public one
  (private, loopback, link-local, multicast, reserved, unspecified, or an IPv4 hidden in an IPv6 form);
  the socket then connects to an address that was checked, so a second DNS answer (rebinding) is never used;
  TERRITOIRE_HTTP_ALLOWED_HOSTS names the hosts or networks a deployment trusts (an internal portal);
- a deadline per call (TERRITOIRE_HTTP_TOTAL_TIMEOUT): a watchdog shuts the sockets when it passes, so a
  server dripping one byte at a time is cut whatever the per-read timeout.
No library did this with our requests/urllib3 2.x: `advocate` (last release 2020) targets urllib3 1.x;
`requests-hardened` checks only the first resolved address and allows loopback as a whole or nothing (no
host/network allow-list); neither bounds the total time. Hence this small urllib3 connection subclass that
resolves, checks and connects in one place.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from loaders.http_errors import Refused, TotalTimeout
from loaders.settings import HttpSettings, http_settings

_local = threading.local()

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _embedded_ipv4(ip: _Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 one carries (mapped ::ffff:a.b.c.d, 6to4, Teredo, NAT64): each is checked too."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if any(ip in net for net in _NAT64):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


def address_refusal(ip: _Address) -> str | None:
    """Why an address may not be contacted (French), or None for a public unicast address."""
    for candidate in (*_embedded_ipv4(ip), ip):  # the IPv4 an IPv6 form hides names the real target
        if candidate.is_unspecified:
            return "adresse non spécifiée"
        if candidate.is_loopback:
            return "boucle locale (loopback)"
        if candidate.is_link_local:
            return "adresse lien-local (métadonnées d'hébergeur)"
        if candidate.is_multicast:
            return "adresse multicast"
        if candidate.is_private or (isinstance(candidate, ipaddress.IPv6Address) and candidate.is_site_local):
            return "adresse privée"
        if candidate.is_reserved or not candidate.is_global:
            return "adresse réservée, non routable sur Internet"
    return None


def _host_trusted(host: str, settings: HttpSettings) -> bool:
    return host.lower().rstrip(".").strip("[]") in settings.allowed_hosts


def _address_allowed(ip: _Address, settings: HttpSettings) -> bool:
    return any(ip.version == net.version and ip in net for net in settings.allowed_networks)


def check_url(url: str, settings: HttpSettings | None = None) -> None:
    """Refuse, before any connection, a URL that is not http(s) with a host, or plain http when not allowed.

    Addresses are checked when the connection opens (`_GuardedConnection`), after resolution, whatever the
    spelling of the host (decimal, hexadecimal, IPv6 forms)."""
    settings = settings or http_settings()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"Adresse refusée : seules les URL http(s) complètes sont acceptées ({url[:200]}).", url=url)
    if scheme == "http" and not settings.allow_http:
        raise Refused(f"Adresse refusée : seul https est accepté (http désactivé, TERRITOIRE_HTTP_ALLOW_HTTP) : "
                      f"{url[:200]}", url=url)


def check_address(host: str, ip: _Address, url: str = "", settings: HttpSettings | None = None) -> None:
    """Refuse one resolved address of `host` unless the host or the address is allow-listed."""
    settings = settings or http_settings()
    if _host_trusted(host, settings) or _address_allowed(ip, settings):
        return
    reason = address_refusal(ip)
    if reason is not None:
        target = str(ip) if host.strip("[]") == str(ip) else f"{host} désigne {ip}"
        raise Refused(f"Adresse refusée : {target} ({reason}) ; le portail ne contacte que des serveurs publics "
                      f"(voir TERRITOIRE_HTTP_ALLOWED_HOSTS).", url=url or host)


class _Deadline:
    """The wall-clock limit of one call: at expiry, the sockets of the connections it watches are shut down."""

    def __init__(self, seconds: float, url: str) -> None:
        self.seconds = seconds
        self.url = url
        self.expired = False
        self._connections: list[HTTPConnection] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def error(self) -> TotalTimeout:
        return TotalTimeout(f"Délai total dépassé ({self.seconds:g} s) en téléchargeant {self.url} ; "
                            f"le téléchargement est abandonné.", url=self.url)

    def watch(self, conn: HTTPConnection) -> None:
        with self._lock:
            if self.expired:
                raise self.error()
            if conn not in self._connections:
                self._connections.append(conn)

    def check(self) -> None:
        if self.expired:
            raise self.error()

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for conn in self._connections:
                sock = conn.sock
                if sock is not None:
                    try:  # the plain socket's shutdown (an SSLSocket's would drop its state under the reader)
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)
                    except OSError:
                        pass


@contextmanager
def time_limit(url: str, settings: HttpSettings) -> Iterator[_Deadline]:
    """Run one call under a total time limit; any failure after the expiry is reported as TotalTimeout."""
    deadline = _Deadline(settings.total_timeout, url)
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    deadline.start()
    try:
        yield deadline
    except TotalTimeout:
        raise
    except Exception as exc:
        if deadline.expired:
            raise deadline.error() from exc
        raise
    finally:
        deadline.cancel()
        _local.deadline = previous


class _GuardedConnection(HTTPConnection):
    """An urllib3 connection that resolves its host once, checks every address, and connects to a checked one."""

    def _new_conn(self) -> socket.socket:
        settings = http_settings()
        host = self._dns_host
        try:
            infos = socket.getaddrinfo(host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        addresses = [(info[4][0], ipaddress.ip_address(str(info[4][0]).split("%")[0])) for info in infos]
        for _, ip in addresses:
            check_address(self.host, ip, settings=settings)
        last: OSError | None = None
        for literal, _ in addresses:
            try:
                # A literal address: create_connection does no further DNS lookup, so what was checked is used.
                return urllib3_connection.create_connection(
                    (literal, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except OSError as exc:  # refused or timed out on this address: try the next checked one
                last = exc
        if isinstance(last, TimeoutError):
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})")
        raise NewConnectionError(self, f"Failed to establish a new connection: {last}")

    def connect(self) -> None:
        _watch(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _watch(self)
        super().request(*args, **kwargs)


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    """TLS on top of the guarded socket: certificate and SNI still use the host name, not the address."""


def _watch(conn: HTTPConnection) -> None:
    deadline: _Deadline | None = getattr(_local, "deadline", None)
    if deadline is not None:
        deadline.watch(conn)


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """requests adapter whose pools open guarded connections only."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
