"""Real browser, real CORS: a page served from another origin (another port of 127.0.0.1, as a reuser's site would be)
reads the Explore API with fetch(): records, the same records revalidated by the browser's cache (a 304), an ODS
error body (400) and an old ODS download link (a redirect, then the export). A control request to a page of the app
that is not part of the API is blocked, which shows the browser does enforce CORS here."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import LiveServer, free_port

pytestmark = pytest.mark.browser

DATASET = "musees-de-france"
API = "/api/explore/v2.1"
REUSE_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Une réutilisation</title></head>
<body><h1>Musées</h1><pre id="out"></pre>
<script>
const base = %(base)s;
const records = base + '%(api)s/catalog/datasets/%(dataset)s/records?limit=3';
async function read(url, options) {
  try {
    const answer = await fetch(url, options);
    return {status: answer.status, body: await answer.json()};
  } catch (error) {
    return {blocked: String(error)};
  }
}
async function run() {
  const out = {};
  out.records = await read(records);
  out.revalidated = await read(records, {cache: 'no-cache'});  // the browser sends If-None-Match itself
  // The script's own conditional request: it reads the ETag (exposed) and sends If-None-Match itself, which makes the
  // browser ask first with a CORS preflight (OPTIONS).
  const first = await fetch(records, {cache: 'no-store'});
  const etag = first.headers.get('ETag');
  const again = await fetch(records, {cache: 'no-store', headers: {'If-None-Match': etag}});
  out.own = {etag: etag, status: again.status};
  out.error = await read(base + '%(api)s/catalog/datasets/%(dataset)s/records?where=' + encodeURIComponent('nope >'));
  out.download = await read(base + '/explore/dataset/%(dataset)s/download/?format=json');
  out.control = await read(base + '/jeu-de-donnees?id=%(dataset)s');
  document.getElementById('out').textContent = JSON.stringify(out);
  document.body.dataset.done = 'yes';
}
run();
</script></body></html>
"""


@pytest.fixture
def other_origin(tmp_path: Path, live_server: LiveServer) -> Iterator[str]:
    """A static site on another port, whose page calls the live server's API."""
    (tmp_path / "index.html").write_text(REUSE_PAGE % {"base": json.dumps(live_server.url), "api": API,
                                                       "dataset": DATASET}, encoding="utf-8")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_of_another_origin_reads_the_api(live_server: LiveServer, other_origin: str, page: Any) -> None:
    sent: list[tuple[str, str | None, str | None]] = []  # (url, If-None-Match sent, ETag received)
    page.on("requestfinished", lambda r: sent.append((r.url, r.all_headers().get("if-none-match"),
                                                      r.response().all_headers().get("etag"))))
    page.goto(other_origin + "/index.html")
    page.wait_for_selector("body[data-done='yes']", timeout=15_000)
    out = json.loads(page.locator("#out").inner_text())

    assert out["records"]["status"] == 200
    body = out["records"]["body"]
    assert body["total_count"] == 15 and len(body["results"]) == 3 and "ref" in body["results"][0]

    # The browser revalidated its cached answer with the ETag it had received, and handed the script the same
    # records. The 304 itself is not reported by the browser (it shows the cached 200): replayed here, it is one.
    assert out["revalidated"] == out["records"]
    records = f"{live_server.url}{API}/catalog/datasets/{DATASET}/records?limit=3"
    (_, none, etag), (_, tag, _) = [s for s in sent if s[0] == records][:2]
    assert none is None and etag and tag == etag
    replay = requests.get(records, headers={"If-None-Match": tag, "Origin": other_origin}, timeout=30)
    assert replay.status_code == 304 and replay.headers["access-control-allow-origin"] == "*"

    # Exposed validators and an allowed If-None-Match (the browser refuses the request unless its preflight passes):
    # the script itself reads the ETag and gets the 304.
    assert out["own"]["etag"] == etag and out["own"]["status"] == 304

    assert out["error"]["status"] == 400 and out["error"]["body"]["error_code"]  # ODS's error, readable

    assert out["download"]["status"] == 200 and len(out["download"]["body"]) == 15  # 301 → export, both CORS-open

    assert "blocked" in out["control"]  # no CORS header on the app's pages: the browser refuses the script
