"""Soak test of the real server: simulated visitors browse the catalogue, dataset pages and maps while hostile
analysts send attacking SQL to /sql, for a bounded time; counts server errors, samples the server's memory.

The server is started as `make run` starts it (serve.py on 127.0.0.1, a free port) over a warehouse built by the
real loader command. Each visitor is one websocket session speaking Streamlit's own protocol (the protobufs shipped
in `streamlit.proto`): a `BackMsg` `rerun_script` carrying the page's url path and query string, as the browser sends
when a link is followed, then every `ForwardMsg` until `script_finished`. A real browser per visitor would not fit
50 times on 2 cores; the server does the same work either way (it runs the page script and sends its elements).

    python bench/soak.py                       # 50 visitors + 5 hostile SQL sessions for 3 minutes
    python bench/soak.py --duration 20 --sessions 5 --hostile 1 --no-write     # the smoke version

Measured: server errors (exception elements, the app's last-resort French error message, a script that did not
finish, websocket failures, HTTP 5xx from a poller, tracebacks in the server log), the server's RSS with its
children (sandbox workers) every second against a ceiling, the latency of every page run against a time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/soak.py` from the repo root
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402 - after the sys.path fix above
    MemorySampler,
    Metric,
    Server,
    cpu_seconds,
    p95,
    uptime_line,
    write_result,
)

# The server with its sandbox workers on a small 2 GB VM. The settings bound the parts (the app's DuckDB
# TERRITOIRE_DUCKDB_MEMORY, the result cache TERRITOIRE_CACHE_MAX_BYTES, TERRITOIRE_SQL_MAX_CONCURRENT workers of at
# most TERRITOIRE_SQL_MAX_MEMORY address space each); this ceiling is what the whole process tree must stay under.
DEFAULT_CEILING_MB = 2048
# A reader's pause between two pages (seconds): 50 visitors then ask for about 50 / 30 ≈ 1.7 pages a second.
DEFAULT_THINK_S = (15.0, 45.0)
HOSTILE_THINK_S = (1.0, 3.0)  # an attacker does not read: the next attack follows at once
DEFAULT_TIME_LIMIT_S = 10.0  # a visitor's page run, as TERRITOIRE_QUERY_TIMEOUT bounds each of its queries
# The app's last-resort message (app.py): a page raised; the visitor saw French, but it is a server error.
UNEXPECTED = "Cette page a rencontré une erreur inattendue"
RUN_TIMEOUT_S = 120.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # a run that has not finished by then counts as an error (the server is stuck)

# What visitors open: (url path, query) pairs over the embedded Dordogne catalogue. Maps, tables with filters and
# sorts, charts, the catalogue search with facets, the indicator board, the territory map with its layers.
BROWSE: list[tuple[str, dict[str, str]]] = [
    ("", {}),
    ("catalogue", {}),
    ("catalogue", {"q": "collèges"}),
    ("catalogue", {"q": "population", "tri": "titre"}),
    ("catalogue", {"theme": "education_and_research", "contenu": "carte"}),
    ("catalogue", {"page": "2"}),
    ("jeu-de-donnees", {"id": "colleges"}),
    ("jeu-de-donnees", {"id": "colleges", "tab": "tableau", "f": "secteur_public_prive_libe:eq:Public",
                        "sort": "libelle_commune"}),
    ("jeu-de-donnees", {"id": "colleges", "tab": "carte"}),
    ("jeu-de-donnees", {"id": "colleges", "tab": "graphique", "chart": "bar", "x": "libelle_commune"}),
    ("jeu-de-donnees", {"id": "population-communes", "tab": "tableau", "sort": "-ptot", "page": "3"}),
    ("jeu-de-donnees", {"id": "population-communes", "tab": "graphique", "chart": "line", "x": "millesime",
                        "y": "ptot", "agg": "sum"}),
    ("jeu-de-donnees", {"id": "population-communes", "tab": "carte", "map": "choropleth", "mcol": "ptot",
                        "magg": "sum"}),
    ("jeu-de-donnees", {"id": "etablissements-sante", "tab": "carte"}),
    ("jeu-de-donnees", {"id": "musees-de-france", "tab": "tableau", "q": "musée"}),
    ("jeu-de-donnees", {"id": "contours-communes", "tab": "carte"}),
    ("jeu-de-donnees", {"id": "aide-sociale-departementale", "tab": "graphique"}),
    ("jeu-de-donnees", {"id": "aide-sociale-departementale", "tab": "export"}),
    ("indicateurs", {}),
    ("indicateurs", {"niveau": "epci", "code": "200027217", "indicateur": "population"}),
    ("carte", {}),
    ("carte", {"indicateur": "population", "niveau": "commune", "couches": "colleges,sante"}),
    ("carte", {"indicateur": "rsa-allocataires", "niveau": "epci", "couches": "musees,france_services"}),
    ("reutilisations", {}),
]

# What hostile analysts send to /sql: the exhaustion and escape cases of issue 11, each refused or stopped.
HOSTILE_SQL: list[str] = [
    "SELECT length(list_sort(range(20000000)))",
    "SELECT length(regexp_replace(repeat('a', 50000000), 'a', 'bb', 'g'))",
    "SELECT repeat('x', 200000) FROM range(5000)",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
    "SELECT count(*) FROM range(100000) a, range(100000) b",
    "SELECT * FROM glob('/**')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/proc/self/environ')",
    "SELECT current_setting('allowed_directories')",
    "SELECT * FROM read_parquet('../../**/versions/*/data.parquet')",
    "ATTACH '/tmp/territoire-soak-attached.db' AS x",
    "COPY (SELECT 1) TO '/tmp/territoire-soak-copied.csv'",
    "INSTALL httpfs",
    "SELECT regexp_matches(repeat('a', 30000000), '(a|aa)*b')",
    "SELECT id, title FROM catalogue ORDER BY id",  # a legitimate one among them
]


# Files the attacks above try to create: any of them existing afterwards is an escape, counted as an error.
ESCAPE_FILES = [Path("/tmp/territoire-soak-attached.db"), Path("/tmp/territoire-soak-copied.csv")]


@dataclass
class Run:
    kind: str  # "browse" or "sql"
    url: str
    seconds: float
    error: str = ""
    alert: str = ""


@dataclass
class Stats:
    runs: list[Run] = field(default_factory=list)
    ws_errors: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    http_checks: int = 0
    seconds: float = 0.0  # of traffic, from the first arrival to the last answer (the warm-up excluded)

    def add(self, run: Run) -> None:
        self.runs.append(run)


# -- the server -----------------------------------------------------------------------------------------------------
def build_warehouse(data_dir: Path) -> None:
    """The warehouse of the embedded catalogue, built by the loader command `make run` uses."""
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "loaders", "build"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=600)


# -- one websocket session ------------------------------------------------------------------------------------------
class Session:
    """A browser tab as the server sees it: one websocket, page runs requested with `rerun_script`."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.buttons: dict[str, str] = {}

    async def run(self, page: str, query: str, widgets: Sequence[WidgetState] = ()) -> tuple[str, str]:
        """Run a page; returns (error, alerts): error is empty when the run ended cleanly."""
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        msg.rerun_script.widget_states.widgets.extend(widgets)
        await self.ws.send(msg.SerializeToString())
        errors: list[str] = []
        alerts: list[str] = []
        self.buttons = {}
        while True:
            data = await asyncio.wait_for(self.ws.recv(), RUN_TIMEOUT_S)
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                what = element.WhichOneof("type")
                if what == "exception":
                    errors.append(f"exception: {element.exception.type}: {element.exception.message[:200]}")
                elif what == "alert":
                    alerts.append(element.alert.body)
                    if UNEXPECTED in element.alert.body:
                        errors.append("the app's last-resort error message")
                elif what == "button":
                    self.buttons[element.button.label] = element.button.id
            elif kind == "script_finished":
                status = fwd.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the page called st.rerun(): the server runs it again, wait for that run's end
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    errors.append("script finished with a compile error")
                return "; ".join(errors), " | ".join(alerts)


async def visitor(url: str, deadline: float, stats: Stats, rng: random.Random, think: tuple[float, float]) -> None:
    """Follows links: each step one page of BROWSE, then a pause as a reader would take."""
    try:
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=30) as ws:
            session = Session(ws)
            while time.monotonic() < deadline:
                page, params = rng.choice(BROWSE)
                query = urlencode(params)
                t0 = time.perf_counter()
                try:
                    error, _ = await session.run(page, query)
                except TimeoutError:
                    error = f"no script_finished within {RUN_TIMEOUT_S:g} s"
                stats.add(Run("browse", f"/{page}?{query}", time.perf_counter() - t0, error))
                await asyncio.sleep(rng.uniform(*think))
    except (OSError, websockets.WebSocketException) as exc:
        stats.ws_errors.append(f"visitor: {type(exc).__name__}: {exc}")


async def hostile_analyst(url: str, deadline: float, stats: Stats, rng: random.Random) -> None:
    """Opens /sql with an attacking query in the link, then presses « Exécuter » (the button's trigger widget)."""
    try:
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=30) as ws:
            session = Session(ws)
            while time.monotonic() < deadline:
                sql = rng.choice(HOSTILE_SQL)
                query = urlencode({"sql": sql})
                t0 = time.perf_counter()
                try:
                    error, alerts = await session.run("sql", query)
                    if not error:
                        button = session.buttons.get("Exécuter")
                        if button is None:
                            error = "no « Exécuter » button on /sql"
                        else:
                            t0 = time.perf_counter()
                            error, alerts = await session.run("sql", query, [WidgetState(id=button, trigger_value=True)])
                except TimeoutError:
                    error, alerts = f"no script_finished within {RUN_TIMEOUT_S:g} s", ""
                stats.add(Run("sql", sql, time.perf_counter() - t0, error, alerts[:200]))
                await asyncio.sleep(rng.uniform(*HOSTILE_THINK_S))
    except (OSError, websockets.WebSocketException) as exc:
        stats.ws_errors.append(f"hostile: {type(exc).__name__}: {exc}")


class BrowserVisitor(threading.Thread):
    """A real Chromium (Playwright) among the simulated visitors: it follows the same links and checks what a person
    would see (no exception box, not the app's last-resort message), proving the protocol sessions do what a browser
    does. Page load = navigation until Streamlit's status widget is gone."""

    def __init__(self, base: str, deadline: float, stats: Stats, rng: random.Random, think: tuple[float, float]) -> None:
        super().__init__(daemon=True)
        self.base, self.deadline, self.stats, self.rng, self.think = base, deadline, stats, rng, think

    def run(self) -> None:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000}).new_page()
                while time.monotonic() < self.deadline:
                    path, params = self.rng.choice(BROWSE)
                    url = f"{self.base}/{path}" + (f"?{urlencode(params)}" if params else "")
                    t0 = time.perf_counter()
                    error = ""
                    try:
                        page.goto(url)
                        page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=60_000)
                        page.wait_for_timeout(300)
                        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
                        if page.locator('[data-testid="stException"]').count():
                            error = "exception box in the browser"
                        elif page.get_by_text(UNEXPECTED).count():
                            error = "the app's last-resort error message in the browser"
                    except PlaywrightError as exc:
                        error = f"browser: {str(exc).splitlines()[0][:200]}"
                    self.stats.add(Run("browser", url.removeprefix(self.base), time.perf_counter() - t0, error))
                    time.sleep(self.rng.uniform(*self.think))
                browser.close()
        except PlaywrightError as exc:
            self.stats.ws_errors.append(f"browser could not start: {exc}")


async def http_poller(base: str, deadline: float, stats: Stats) -> None:
    """What a browser fetches over plain HTTP (the page shell, health): any 5xx is a server error."""
    loop = asyncio.get_running_loop()
    paths = ["/_stcore/health", "/", "/catalogue", "/jeu-de-donnees?id=colleges", "/sql", "/_stcore/host-config",
             # the Explore API served by the same process (asgi.py), a hostile ODSQL clause among its calls
             "/api/explore/v2.1/catalog/datasets?limit=20",
             "/api/explore/v2.1/catalog/datasets/colleges/records?limit=50&where=secteur_public_prive_libe%3D%22Public%22",
             "/api/explore/v2.1/catalog/datasets/colleges/records?where=1%3D1%27%3B%20DROP%20TABLE%20catalogue%3B--"]
    i = 0
    while time.monotonic() < deadline:
        path = paths[i % len(paths)]
        i += 1
        try:
            resp = await loop.run_in_executor(None, lambda p=path: requests.get(base + p, timeout=30))
            stats.http_checks += 1
            if resp.status_code >= 500:
                stats.http_errors.append(f"{path}: HTTP {resp.status_code}")
        except requests.RequestException as exc:
            stats.http_errors.append(f"{path}: {type(exc).__name__}")
        await asyncio.sleep(2.0)


async def warm_up(ws_url: str) -> None:
    """Each page once, unmeasured, as a deployment's check does after a restart: the first run of a page pays for its
    imports and the first read of each file, which is not what 50 visitors of a running server wait for."""
    async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=30) as ws:
        session = Session(ws)
        for page, params in BROWSE:
            await session.run(page, urlencode(params))


async def drive(base: str, duration: float, sessions: int, hostile: int, seed: int,
                think: tuple[float, float], warm: bool, browsers: int = 0) -> Stats:
    ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
    if warm:
        await warm_up(ws_url)
    stats = Stats()
    start = time.monotonic()
    deadline = start + duration
    real = [BrowserVisitor(base, deadline, stats, random.Random(seed + 20_000 + i), think) for i in range(browsers)]
    for thread in real:
        thread.start()
    tasks = []
    for i in range(sessions):
        tasks.append(visitor(ws_url, deadline, stats, random.Random(seed + i), think))
    for i in range(hostile):
        tasks.append(hostile_analyst(ws_url, deadline, stats, random.Random(seed + 10_000 + i)))
    tasks.append(http_poller(base, deadline, stats))

    # Arrivals spread over one mean pause: the rate at which 50 readers already on the site ask for pages, rather
    # than 50 first pages in the same second.
    ramp = min(sum(think) / 2, duration / 4)

    async def staggered(k: int, coro: Any) -> None:
        await asyncio.sleep(k * ramp / max(1, len(tasks)))
        await coro

    await asyncio.gather(*(staggered(k, c) for k, c in enumerate(tasks)))
    for thread in real:
        await asyncio.get_running_loop().run_in_executor(None, thread.join)
    stats.seconds = time.monotonic() - start
    return stats


# -- the report -----------------------------------------------------------------------------------------------------
@dataclass
class Report:
    requested_s: float  # arrivals stop after this
    duration_s: float  # from the first arrival to the last answer
    sessions: int
    hostile: int
    browse_runs: int
    sql_runs: int
    errors: list[str]
    peak_rss_mb: float
    mean_rss_mb: float
    ceiling_mb: float
    time_limit_s: float
    sql_time_limit_s: float
    browse_p50_s: float
    browse_p95_s: float
    browse_max_s: float
    sql_p50_s: float
    sql_p95_s: float
    sql_max_s: float
    browsers: int
    browser_runs: int
    browser_p50_s: float
    browser_p95_s: float
    browser_max_s: float
    over_limit: list[str]
    http_checks: int
    think_s: tuple[float, float]
    warm: bool
    sql_outcomes: dict[str, int]
    load: str
    server_cpu_s: float  # CPU time of the Streamlit server process itself (not its SQL workers) during the drive

    @property
    def ok(self) -> bool:
        return not self.errors and self.peak_rss_mb <= self.ceiling_mb and not self.over_limit


def _pct(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return (0.0, 0.0, 0.0)
    ordered = sorted(values)
    return (ordered[len(ordered) // 2], p95(ordered), ordered[-1])


def _outcome(run: Run) -> str:
    """A short French label of what the hostile run got (refused, stopped, rows)."""
    text = run.alert
    for needle, label in (("Trop de requêtes", "refusée : trop de requêtes en cours"),
                          ("limite de", "arrêtée à la limite de temps"),
                          ("arrêtée", "arrêtée (ressources)"), ("mémoire", "refusée : mémoire"),
                          ("Seule une requête", "refusée : pas un SELECT"), ("refusée", "refusée par le moteur"),
                          ("trop gros", "résultat trop gros")):
        if needle in text:
            return label
    return "résultat affiché" if not text else "autre message : " + text[:60]


def soak(duration: float = 180.0, sessions: int = 50, hostile: int = 5, ceiling_mb: float = DEFAULT_CEILING_MB,
         time_limit: float = DEFAULT_TIME_LIMIT_S, data_dir: Path | None = None, seed: int = 11,
         think: tuple[float, float] = DEFAULT_THINK_S, warm: bool = True, browsers: int = 0) -> Report:
    """Start the server, drive it for `duration` seconds, stop it; everything measured is in the Report."""
    import config  # the limits the server applies, read the way the server reads them

    for path in ESCAPE_FILES:
        path.unlink(missing_ok=True)
    work = Path(tempfile.mkdtemp(prefix="territoire-soak-"))
    try:
        if data_dir is None:
            data_dir = work / "data"
            build_warehouse(data_dir)
        else:  # a copy: the visits write statistics, never into the given directory
            shutil.copytree(data_dir, work / "data")
            data_dir = work / "data"
        settings = config.get_settings()  # the limits come from the environment the server inherits
        sql_time_limit = settings.sql_timeout_s + 5.0  # the kill (counted from the query's arrival) plus the page run
        server = Server(data_dir, work / "server.log")
        sampler = MemorySampler(server.proc.pid)
        sampler.start()
        cpu_before = cpu_seconds(server.proc.pid)
        try:
            # A thread of its own: the caller may already run an event loop (pytest after Playwright's sync API).
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                stats = pool.submit(asyncio.run, drive(server.url, duration, sessions, hostile, seed, think, warm,
                                                       browsers)).result()
        finally:
            server_cpu = cpu_seconds(server.proc.pid) - cpu_before
            sampler.stop()
            log_errors = server.log_errors()
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    browse = [r for r in stats.runs if r.kind == "browse"]
    in_browser = [r for r in stats.runs if r.kind == "browser"]
    sql = [r for r in stats.runs if r.kind == "sql"]
    errors = ([f"{r.url}: {r.error}" for r in stats.runs if r.error] + stats.ws_errors + stats.http_errors
              + [f"server log: {line[:200]}" for line in log_errors]
              + [f"escape: {path} was written by a hostile query" for path in ESCAPE_FILES if path.exists()])
    over = ([f"{r.url} took {r.seconds:.1f} s" for r in browse if r.seconds > time_limit]
            + [f"{r.url} took {r.seconds:.1f} s in Chromium" for r in in_browser if r.seconds > time_limit]
            + [f"/sql {r.url[:60]} took {r.seconds:.1f} s" for r in sql if r.seconds > sql_time_limit])
    outcomes: dict[str, int] = {}
    for r in sql:
        label = _outcome(r)
        outcomes[label] = outcomes.get(label, 0) + 1
    b50, b95, bmax = _pct([r.seconds for r in browse])
    s50, s95, smax = _pct([r.seconds for r in sql])
    w50, w95, wmax = _pct([r.seconds for r in in_browser])
    samples = sampler.samples or [0.0]
    return Report(requested_s=duration, duration_s=round(stats.seconds, 1), sessions=sessions, hostile=hostile, browse_runs=len(browse),
                  sql_runs=len(sql), errors=errors, peak_rss_mb=round(max(samples), 1),
                  mean_rss_mb=round(sum(samples) / len(samples), 1), ceiling_mb=ceiling_mb, time_limit_s=time_limit,
                  sql_time_limit_s=sql_time_limit, browse_p50_s=round(b50, 2), browse_p95_s=round(b95, 2),
                  browse_max_s=round(bmax, 2), sql_p50_s=round(s50, 2), sql_p95_s=round(s95, 2),
                  sql_max_s=round(smax, 2), browsers=browsers, browser_runs=len(in_browser),
                  browser_p50_s=round(w50, 2), browser_p95_s=round(w95, 2), browser_max_s=round(wmax, 2),
                  over_limit=over, http_checks=stats.http_checks, think_s=think, warm=warm, sql_outcomes=outcomes,
                  load=uptime_line(), server_cpu_s=round(server_cpu, 1))


def markdown(report: Report, command: str) -> str:
    r = report
    lines = [
        "## Soak test of the real server",
        "",
        f"`{command}`: the real server (serve.py, as `make run` starts it, on 127.0.0.1) over the embedded catalogue, "
        f"{r.sessions} simulated visitors and {r.hostile} hostile SQL sessions for {r.requested_s:g} s (the last answer "
        f"came {r.duration_s:g} s after the first arrival). Each session is "
        "a websocket speaking Streamlit's protocol (`BackMsg.rerun_script` with the url path and query string, "
        "read until `script_finished`); visitors follow "
        f"{len(BROWSE)} links (catalogue searches and facets, dataset tables with filters and sorts, charts, point, "
        f"polygon and choropleth maps, indicators, the territory map with layers) with a {r.think_s[0]:g}–{r.think_s[1]:g} s "
        f"pause between pages, arriving over the first {min(sum(r.think_s) / 2, r.duration_s / 4):g} s "
        f"({(r.browse_runs + r.sql_runs) / max(r.duration_s, 1):.2f} page runs per second in all); "
        "hostile analysts open /sql with an attacking query in the link and press « Exécuter » (the button's "
        f"trigger widget) every {HOSTILE_THINK_S[0]:g}–{HOSTILE_THINK_S[1]:g} s after the previous answer, "
        f"picking among {len(HOSTILE_SQL)} queries (huge lists and sorts, regex blow-ups, 1 GB "
        "results under the row cap, endless recursive CTEs, cross joins, glob/read_text/read_blob, older versions, "
        "settings, ATTACH, COPY, INSTALL). A poller fetches the page shells, health and the Explore API (one call with "
        "a hostile `where`) over HTTP every 2 s."
        + (f" {r.browsers} real Chromium (Playwright) follows the same links with the same pauses, each page load "
           "timed until Streamlit's status widget is gone and checked for an exception box." if r.browsers else ""),
        "",
        "| measure | value | limit | met |",
        "|---|---:|---:|---|",
        f"| server errors (exception elements, the app's last-resort message, websocket failures, HTTP 5xx, "
        f"tracebacks in the server log) | {len(r.errors)} | 0 | {'yes' if not r.errors else '**NO**'} |",
        f"| peak RSS of the server + its children (sampled every 1 s; mean {r.mean_rss_mb:g} MB) | "
        f"{r.peak_rss_mb:g} MB | {r.ceiling_mb:g} MB | {'yes' if r.peak_rss_mb <= r.ceiling_mb else '**NO**'} |",
        f"| visitor page runs: {r.browse_runs}; p50 / p95 / max | {r.browse_p50_s:g} / {r.browse_p95_s:g} / "
        f"{r.browse_max_s:g} s | {r.time_limit_s:g} s | {'yes' if r.browse_max_s <= r.time_limit_s else '**NO**'} |",
        f"| hostile /sql runs: {r.sql_runs}; p50 / p95 / max | {r.sql_p50_s:g} / {r.sql_p95_s:g} / {r.sql_max_s:g} s "
        f"| {r.sql_time_limit_s:g} s | {'yes' if r.sql_max_s <= r.sql_time_limit_s else '**NO**'} |",
        *([f"| page loads in {r.browsers} real Chromium (Playwright, same links): {r.browser_runs}; p50 / p95 / max | "
           f"{r.browser_p50_s:g} / {r.browser_p95_s:g} / {r.browser_max_s:g} s | {r.time_limit_s:g} s | "
           f"{'yes' if r.browser_max_s <= r.time_limit_s else '**NO**'} |"] if r.browsers else []),
        f"| HTTP checks | {r.http_checks} | | |",
        "",
        "The visitor limit is the app's per-query limit (`TERRITOIRE_QUERY_TIMEOUT`, 10 s) applied to a whole page "
        "run; the /sql limit is `TERRITOIRE_SQL_TIMEOUT` (5 s) plus 5 s for the page run around it (the sandbox's clock starts when the query arrives: slot wait and worker start count against it). "
        "What the hostile runs got: " + ", ".join(f"{k} × {v}" for k, v in sorted(r.sql_outcomes.items())) + ".",
        "",
        "Before the clock starts, one session opens each page once, unmeasured (as a deployment's check after a "
        "restart): the first run of a page pays for its imports." if r.warm else "No warm-up: the first runs of "
        "each page pay for their imports.",
        "",
        f"Load at the end: `{r.load}`.",
        "",
        f"Capacity: the server process used {r.server_cpu_s:g} s of CPU over {r.duration_s:g} s "
        f"({r.server_cpu_s / max(r.duration_s, 1):.2f} of one core; its SQL workers not counted), that is "
        f"{r.server_cpu_s / max(r.browse_runs + r.sql_runs + r.browser_runs, 1):.2f} s of CPU per page run. Streamlit "
        "runs every session's script in one Python process, where the GIL lets about one core run Python at a time: "
        f"one instance serves at most about {max(r.browse_runs + r.sql_runs + r.browser_runs, 1) / max(r.server_cpu_s, 0.1):.1f} "
        "page runs per second before runs queue behind each other; beyond that, latency grows with the queue "
        "(the remedy is more instances behind a load balancer, issue 16, and less CPU per run, issue 17). The load "
        "generator and Chromium share the same 2 cores.",
    ]
    if r.errors:
        lines += ["", "Errors (first 20):", ""] + [f"- `{e[:300]}`" for e in r.errors[:20]]
    if r.over_limit:
        lines += ["", "Runs over their limit (first 20):", ""] + [f"- {o}" for o in r.over_limit[:20]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of traffic (default 180)")
    parser.add_argument("--sessions", type=int, default=50, help="simulated visitors (default 50)")
    parser.add_argument("--hostile", type=int, default=5, help="hostile SQL sessions (default 5)")
    parser.add_argument("--ceiling-mb", type=float, default=DEFAULT_CEILING_MB,
                        help=f"RSS ceiling of the server and its children (default {DEFAULT_CEILING_MB} MB)")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S,
                        help=f"limit of one visitor page run in seconds (default {DEFAULT_TIME_LIMIT_S:g})")
    parser.add_argument("--data-dir", type=Path, help="an existing data dir to copy (default: build the embedded one)")
    parser.add_argument("--think", type=float, nargs=2, default=DEFAULT_THINK_S, metavar=("MIN", "MAX"),
                        help="pause of a session between two pages, in seconds (default %(default)s)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--browsers", type=int, default=1,
                        help="real Chromium visitors (Playwright) besides the simulated ones (default 1; 0 without "
                             "/usr/bin/chromium)")
    parser.add_argument("--no-warm-up", action="store_true", help="measure from the server's first page run")
    parser.add_argument("--no-write", action="store_true", help="print the figures, do not write bench/results/")
    args = parser.parse_args(argv)
    command = " ".join(["python", "bench/soak.py", *(argv if argv is not None else sys.argv[1:])])
    report = soak(args.duration, args.sessions, args.hostile, args.ceiling_mb, args.time_limit, args.data_dir,
                  args.seed, tuple(args.think), not args.no_warm_up,
                  args.browsers if Path(CHROMIUM).exists() else 0)
    print(json.dumps(asdict(report), indent=1, ensure_ascii=False))
    if not args.no_write:
        metrics = [
            Metric("soak: server errors", len(report.errors), "", "≤ 0", not report.errors,
                   note=f"{report.sessions} visitors + {report.hostile} hostile SQL, {report.requested_s:g} s"),
            Metric("soak: peak RSS of the server + children", report.peak_rss_mb, "MB", f"≤ {report.ceiling_mb:g}",
                   report.peak_rss_mb <= report.ceiling_mb),
            Metric("soak: visitor page run, max", report.browse_max_s, "s", f"≤ {report.time_limit_s:g}",
                   report.browse_max_s <= report.time_limit_s, p95=report.browse_p95_s,
                   note=f"{report.browse_runs} runs, p50 {report.browse_p50_s:g} s"),
            Metric("soak: hostile /sql run, max", report.sql_max_s, "s", f"≤ {report.sql_time_limit_s:g}",
                   report.sql_max_s <= report.sql_time_limit_s, p95=report.sql_p95_s,
                   note=f"{report.sql_runs} runs"),
        ]
        write_result("soak", markdown(report, command), metrics, {"group": "Robustesse", "report": asdict(report)})
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
