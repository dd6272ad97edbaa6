"""Locust users for bench/api_load.py (run by locust in its own process: locust patches the stdlib with gevent).

Visitors are API clients as reusers write them: they list and search the catalogue, read records with where, order_by
and refine, ask for facets, fetch a record by id, download small exports and, now and then, a big one, and revalidate
what they already have (If-None-Match → 304). Each visitor comes from an address of its own, sent the way a reverse
proxy does (X-Forwarded-For; the server trusts that header for this test), so the per-client rate limit applies per
visitor. One scraper, from one address and without pauses, goes over the rate limit on purpose: its 429s are the
intended ones. What to ask is read from the server at the start (its catalogue, each dataset's fields and a sample
of records), so the same file drives the 10M-row bench portal and the tests' embedded catalogue.

Failures are named by kind: "HTTP 429 <error_code>" (intended: rate limit or busy export slots) or "HTTP <status> …"
and exceptions (errors). Environment: LOAD_BIG_EXPORT_ROWS (rows of the occasional big export, default 200000).
"""

from __future__ import annotations

import json
import os
import random
from typing import Any
from urllib.parse import quote, urlencode
from urllib.request import urlopen

from locust import FastHttpUser, between, constant, events, task

API = "/api/explore/v2.1"
BIG_EXPORT_ROWS = int(os.environ.get("LOAD_BIG_EXPORT_ROWS", "200000"))
NUMERIC = ("int", "double", "decimal")
WORDS = ("population", "communes", "dordogne", "epci", "santé", "collèges", "contours", "points")
# What the visitors ask about, discovered from the server by discover() before the first user starts.
PLAN: list[dict[str, Any]] = []


def _get(host: str, path: str, **params: Any) -> Any:
    with urlopen(f"{host}{API}{path}?{urlencode(params, doseq=True)}", timeout=60) as resp:  # noqa: S310 - our server
        return json.load(resp)


@events.test_start.add_listener
def discover(environment: Any, **_kw: Any) -> None:
    """Per dataset: its size, a text field with a value it holds, a numeric field to sort on, fields to facet."""
    host = environment.host.rstrip("/")
    for ds in _get(host, "/catalog/datasets", limit=100)["results"]:
        fields = {f["name"]: f["type"] for f in ds["fields"]}
        sample = _get(host, f"/catalog/datasets/{ds['dataset_id']}/records", limit=20)
        texts = [n for n, t in fields.items() if t == "text"]
        values = [(n, r[n]) for r in sample["results"] for n in texts
                  if isinstance(r.get(n), str) and 0 < len(r[n]) < 60 and '"' not in r[n]]
        PLAN.append({"id": ds["dataset_id"], "count": int(sample["total_count"]), "values": values,
                     "numbers": [n for n, t in fields.items() if t in NUMERIC], "facets": texts[:3] or list(fields)[:1]})
    PLAN.sort(key=lambda d: d["count"])


def _check(resp: Any, ok: tuple[int, ...] = (200,)) -> None:
    if resp.status_code in ok:
        resp.success()
        return
    code = ""
    if resp.status_code == 429:
        try:  # ODS's quota answer: {"errorcode", "error", …}; the text tells the rate limit from busy exports
            body = json.loads(resp.text or "{}")
            code = str(body.get("error") or body.get("message") or body.get("error_code") or "")[:70]
        except ValueError:
            code = "?"
        resp.failure(f"HTTP 429 {code}")
    else:
        resp.failure(f"HTTP {resp.status_code}: {(resp.text or '')[:120]}")


class Visitor(FastHttpUser):
    """A reuser's script or app: a request every 1–4 s, from an address of its own."""

    wait_time = between(1, 4)
    weight = 49

    def on_start(self) -> None:
        self.address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        self.etags: dict[str, str] = {}

    def call(self, name: str, path: str, params: dict[str, Any] | None = None, ok: tuple[int, ...] = (200,),
             headers: dict[str, str] | None = None) -> None:
        url = f"{API}{path}" + (f"?{urlencode(params, doseq=True)}" if params else "")
        with self.client.get(url, name=name, catch_response=True,
                             headers={"X-Forwarded-For": self.address, **(headers or {})}) as resp:
            _check(resp, ok)
            if resp.status_code == 200 and resp.headers.get("etag"):
                self.etags[url] = resp.headers["etag"]

    def dataset(self) -> dict[str, Any]:
        return random.choice(PLAN)

    @task(3)
    def catalogue_list(self) -> None:
        self.call("catalogue: list", "/catalog/datasets", {"limit": 20, "offset": random.choice([0, 0, 10])})

    @task(2)
    def catalogue_search(self) -> None:
        self.call("catalogue: search", "/catalog/datasets", {"where": f'search("{random.choice(WORDS)}")',
                                                             "limit": 10})

    @task(5)
    def records_where(self) -> None:
        ds = self.dataset()
        params: dict[str, Any] = {"limit": random.choice([10, 20, 50, 100])}
        if ds["values"]:
            name, value = random.choice(ds["values"])
            params["where"] = f'{name} = "{value}"'
        if ds["numbers"]:
            params["order_by"] = f"{random.choice(ds['numbers'])} {random.choice(['asc', 'desc'])}"
        self.call("records: where + order_by", f"/catalog/datasets/{ds['id']}/records", params)

    @task(2)
    def records_refine(self) -> None:
        ds = self.dataset()
        params: dict[str, Any] = {"limit": 20, "offset": random.choice([0, 20, 40])}
        if ds["values"]:
            name, value = random.choice(ds["values"])
            params["refine"] = f"{name}:{value}"
        self.call("records: refine", f"/catalog/datasets/{ds['id']}/records", params)

    @task(3)
    def facets(self) -> None:
        ds = self.dataset()
        self.call("facets", f"/catalog/datasets/{ds['id']}/facets", {"facet": ds["facets"]})

    @task(3)
    def record_by_id(self) -> None:
        ds = self.dataset()
        self.call("record by id", f"/catalog/datasets/{ds['id']}/records/{random.randrange(min(ds['count'], 10_000))}")

    @task(2)
    def small_export(self) -> None:
        ds = self.dataset()
        fmt = random.choice(["csv", "json", "jsonl", "parquet"])
        self.call("export: small", f"/catalog/datasets/{ds['id']}/exports/{fmt}", {"limit": random.choice([100, 1000])})

    @task(1)
    def big_export(self) -> None:
        if random.random() < 0.3:  # now and then: about one visitor in 40 requests asks for a big file
            ds = PLAN[-1]
            self.call("export: big csv", f"/catalog/datasets/{ds['id']}/exports/csv", {"limit": BIG_EXPORT_ROWS})

    @task(3)
    def revalidate(self) -> None:
        if not self.etags:
            self.catalogue_list()
            return
        url, tag = random.choice(list(self.etags.items()))
        with self.client.get(url, name="revalidation (If-None-Match)", catch_response=True,
                             headers={"X-Forwarded-For": self.address, "If-None-Match": tag}) as resp:
            _check(resp, (304, 200))  # 200 when the data changed since (a new version): both are right


class Scraper(FastHttpUser):
    """One client that never pauses: past TERRITOIRE_API_RATE calls a minute it gets 429s, as intended."""

    wait_time = constant(0)
    fixed_count = 1

    @task
    def crawl(self) -> None:
        ds = random.choice(PLAN)
        url = f"{API}/catalog/datasets/{quote(ds['id'])}/records?limit=100&offset={random.randrange(0, 9_900)}"
        with self.client.get(url, name="scraper: records pages", catch_response=True,
                             headers={"X-Forwarded-For": "192.0.2.1"}) as resp:
            _check(resp)
