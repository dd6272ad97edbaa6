"""A real local HTTP server (127.0.0.1, free port) replaying recorded API responses, with per-path fault injection."""

from __future__ import annotations

import email.utils
import hashlib
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api"
# The outgoing policy lets the suite reach its own servers through the allow-list (not a bypass): plain http
# and the loopback address 127.0.0.1, nothing else (tests/loaders/test_http_policy.py proves the refusals).
LOCAL_POLICY = {"TERRITOIRE_HTTP_ALLOW_HTTP": "1", "TERRITOIRE_HTTP_ALLOWED_HOSTS": "127.0.0.1"}
# Absolute portal URLs found in the recorded responses, rewritten to the local base.
RECORDED_HOSTS = ("https://www.data.gouv.fr", "https://static.data.gouv.fr", "https://demo.data.gouv.fr",
                  "https://documentation-resources.opendatasoft.com")


@dataclass
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    status: int = 0

    def param(self, name: str, default: str | None = None) -> str | None:
        values = [v for k, v in self.query if k == name]
        return values[0] if values else default

    def params(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    etag: bool = True  # send a strong ETag and answer If-None-Match with 304
    last_modified: float | None = None  # epoch seconds; answers If-Modified-Since with 304
    headers: dict[str, str] = field(default_factory=dict)
    handler: Callable[[Request], Response] | None = None  # dynamic routes (pagination, parameters)


@dataclass
class Fault:
    kind: str  # delay | reset | status | truncate | invalid_json | slow | unsized
    times: int = 1
    seconds: float = 0.0
    status: int = 500
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    """ThreadingHTTPServer in a daemon thread. Use as a context manager; `base_url` has no trailing slash."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: tuple[Path, Path] | None = None) -> None:
        """`tls` = (certificate, key) PEM files: the server speaks https."""
        self.routes: dict[str, Route] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.log: list[Request] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.tls_cert = tls[0] if tls else None
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.base_url = f"{'https' if tls else 'http'}://{host}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- content ---------------------------------------------------------------------------------
    def route(self, path: str, body: bytes | str | None = None, *, content_type: str = "application/json; charset=utf-8",
              etag: bool = True, last_modified: float | None = None, handler: Callable[[Request], Response] | None = None,
              headers: dict[str, str] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else (body or b"")
        with self._lock:
            self.routes[path] = Route(data, content_type, etag, last_modified, dict(headers or {}), handler)

    def route_json(self, path: str, obj: Any, **kw: Any) -> None:
        self.route(path, json.dumps(obj, ensure_ascii=False), **kw)

    def route_file(self, path: str, file: Path, content_type: str, **kw: Any) -> None:
        self.route(path, file.read_bytes(), content_type=content_type, **kw)

    def fixture(self, relative: str) -> Any:
        """A recorded JSON response with its absolute portal URLs pointing at this server."""
        text = (FIXTURES / relative).read_text(encoding="utf-8")
        for host in RECORDED_HOSTS:
            text = text.replace(host, self.base_url)
        return json.loads(text)

    # -- faults ----------------------------------------------------------------------------------
    def fault(self, path: str, kind: str, times: int = 1, **kw: Any) -> None:
        """Queue a fault for the next `times` requests to `path` (faults are consumed in order)."""
        with self._lock:
            self.faults.setdefault(path, []).append(Fault(kind, times, **kw))

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            queue = self.faults.get(path, [])
            while queue and queue[0].times <= 0:
                queue.pop(0)
            if not queue:
                return None
            queue[0].times -= 1
            return queue[0]

    # -- observation -----------------------------------------------------------------------------
    def hits(self, path: str, status: int | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.log if r.path == path and (status is None or r.status == status))

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()


def _http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def _make_handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr noise in tests
            pass

        def do_HEAD(self) -> None:  # noqa: N802
            self._serve(head=True)

        def do_GET(self) -> None:  # noqa: N802
            self._serve(head=False)

        def _serve(self, head: bool) -> None:
            parts = urlsplit(self.path)
            req = Request(self.command, parts.path, parse_qsl(parts.query, keep_blank_values=True),
                          {k: v for k, v in self.headers.items()})
            with server._lock:
                server.log.append(req)
            fault = server._take_fault(parts.path)
            if fault is not None:
                if fault.kind == "delay":
                    time.sleep(fault.seconds)
                elif fault.kind == "reset":
                    req.status = -1
                    # SO_LINGER 0: close sends RST, the client sees "connection reset by peer".
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                elif fault.kind == "status":
                    req.status = fault.status
                    self._send(fault.status, fault.body, "application/json; charset=utf-8", fault.headers, head)
                    return
                elif fault.kind == "invalid_json":
                    req.status = 200
                    self._send(200, b"<html><body>Bad gateway</body></html>", "application/json", {}, head)
                    return
            route = server.routes.get(parts.path)
            if route is None:
                req.status = 404
                self._send(404, b'{"message": "Not found"}', "application/json", {}, head)
                return
            if route.handler is not None:
                resp = route.handler(req)
                body, ctype, status, extra = resp.body, resp.content_type, resp.status, resp.headers
            else:
                body, ctype, status, extra = route.body, route.content_type, 200, dict(route.headers)
            if status == 200:
                etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"' if route.etag else None
                if etag:
                    extra["ETag"] = etag
                if route.last_modified is not None:
                    extra["Last-Modified"] = _http_date(route.last_modified)
                if etag and self.headers.get("If-None-Match") == etag:
                    req.status = 304
                    self._send(304, b"", ctype, extra, head=True)
                    return
                since = self.headers.get("If-Modified-Since")
                if not (etag and self.headers.get("If-None-Match")) and since and route.last_modified is not None:
                    try:
                        if email.utils.parsedate_to_datetime(since).timestamp() >= int(route.last_modified):
                            req.status = 304
                            self._send(304, b"", ctype, extra, head=True)
                            return
                    except (TypeError, ValueError):
                        pass
            req.status = status
            if fault is not None and fault.kind == "truncate":
                # A lying Content-Length: announce everything, send half, close.
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                req.status = -2
                return
            if fault is not None and fault.kind == "unsized":
                # No Content-Length: the body ends when the connection closes, its size known only by reading it.
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    req.status = -3
                self.close_connection = True
                return
            if fault is not None and fault.kind == "slow":
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                step = max(len(body) // 20, 1)
                try:
                    for i in range(0, len(body), step):
                        self.wfile.write(body[i:i + step])
                        self.wfile.flush()
                        time.sleep(fault.seconds)
                except (BrokenPipeError, ConnectionResetError):
                    req.status = -3
                return
            self._send(status, body, ctype, extra, head)

        def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str], head: bool) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", "0" if status == 304 else str(len(body)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                if not head and status != 304:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


# ------------------------------------------------------------------------------ recorded portals, served locally

ODS_API = "/api/explore/v2.1"
PORTAL_DIR = FIXTURES / "opendatasoft_portal"
DATAGOUV_DIR = FIXTURES / "datagouv_exports"
DG_SLUG = "catalogue-des-donnees-de-data-gouv-fr"
DG_ID = "5d13a8b6634f41070a43dff3"


def serve_ods_portal(server: FakeServer) -> dict[str, dict[str, Any]]:
    """A two-dataset Opendatasoft portal: paginated catalogue, dataset metadata, exports (no /records route).

    `communes-dordogne` has parquet and csv exports; `colleges-dordogne` (geo) only geojson, so the
    harvester's fallback is exercised. Exports carry no ETag, like the real dynamic export endpoint.
    Returns the dataset objects by id; change one and call `publish_ods_dataset` to simulate an update.
    """
    catalogue = json.loads((PORTAL_DIR / "catalog_datasets.json").read_text(encoding="utf-8"))
    datasets = {d["dataset_id"]: d for d in catalogue["results"]}

    def catalog(req: Request) -> Response:
        limit = int(req.param("limit", "10") or 10)
        offset = int(req.param("offset", "0") or 0)
        if limit > 100 or offset + limit >= 10_000:
            return Response(400, b'{"message": "Invalid limit/offset", "error_code": "InvalidRESTParameterError"}')
        items = list(datasets.values())
        page = {"total_count": len(items), "results": items[offset:offset + limit]}
        return Response(200, json.dumps(page, ensure_ascii=False).encode())

    server.route(f"{ODS_API}/catalog/datasets", handler=catalog)
    for ds in datasets.values():
        publish_ods_dataset(server, ds)
    exports = f"{ODS_API}/catalog/datasets/communes-dordogne/exports"
    server.route_file(f"{exports}/parquet", PORTAL_DIR / "communes-dordogne.parquet",
                      "application/vnd.apache.parquet", etag=False)
    server.route_file(f"{exports}/csv", PORTAL_DIR / "communes-dordogne.csv", "text/csv; charset=utf-8", etag=False)
    server.route_file(f"{ODS_API}/catalog/datasets/colleges-dordogne/exports/geojson",
                      PORTAL_DIR / "colleges-dordogne.geojson", "application/geo+json", etag=False)
    return datasets


def publish_ods_dataset(server: FakeServer, dataset: dict[str, Any]) -> None:
    server.route_json(f"{ODS_API}/catalog/datasets/{dataset['dataset_id']}", dataset, etag=False)


def serve_datagouv(server: FakeServer) -> dict[str, Any]:
    """The recorded data.gouv.fr dataset (8 resources) by id and slug, a search endpoint, two resource files."""
    dataset = server.fixture("datagouv/dataset_metadata.json")
    publish_datagouv_dataset(server, dataset)

    def search(req: Request) -> Response:
        page = {"data": [dataset], "page": 1, "page_size": int(req.param("page_size", "20") or 20), "total": 1,
                "next_page": None, "previous_page": None}
        return Response(200, json.dumps(page, ensure_ascii=False).encode())

    server.route("/api/1/datasets/", handler=search)
    body = (DATAGOUV_DIR / "export-dataset-sample.csv").read_bytes()
    for res in dataset["resources"][:6]:
        # Every main resource serves the sample; the harvest one gets 2 rows only, to tell them apart.
        data = body if "export-harvest" not in res["url"] else b"\n".join(body.splitlines()[:3]) + b"\n"
        server.route(urlsplit(res["url"]).path, data, content_type="text/csv", last_modified=1_743_000_000)
    return dataset


def publish_datagouv_dataset(server: FakeServer, dataset: dict[str, Any]) -> None:
    server.route_json(f"/api/1/datasets/{DG_ID}/", dataset, etag=False)
    server.route_json(f"/api/1/datasets/{DG_SLUG}/", dataset, etag=False)


def configure_env(monkeypatch: Any, tmp_path: Path, server: FakeServer | None = None) -> dict[str, Path]:
    """Temp data and catalogue dirs, fast HTTP waits, data.gouv.fr API pointed at the local server."""
    import config

    data_dir, catalogue_dir = tmp_path / "data", tmp_path / "catalogue"
    catalogue_dir.mkdir(parents=True, exist_ok=True)
    env = {"TERRITOIRE_DATA_DIR": str(data_dir), "TERRITOIRE_CATALOGUE_DIR": str(catalogue_dir),
           "TERRITOIRE_HTTP_BACKOFF": "0.01", "TERRITOIRE_HTTP_MIN_DELAY": "0", "TERRITOIRE_HTTP_READ_TIMEOUT": "2",
           "TERRITOIRE_HTTP_RETRIES": "3", "TERRITOIRE_HTTP_MAX_RETRY_AFTER": "5", **LOCAL_POLICY}
    if server is not None:
        env["TERRITOIRE_DATAGOUV_API"] = server.base_url + "/api/1"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config.get_settings.cache_clear()
    return {"data": data_dir, "catalogue": catalogue_dir}
