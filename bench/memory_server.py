"""Resident memory of the real app server (serve.py → streamlit run app.py) serving the 10M-row dataset page to 5 browser sessions."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/memory_server.py` from the repo root
    sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402 - after the sys.path fix above
from bench.common import Metric, children_of, rss_mb, uptime_line, write_result  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SESSIONS = 5
TARGET_MB = 600
# What each session does, in order: the table tab, then filtered and sorted, then another page of it, then a chart.
STEPS: list[dict[str, str]] = [
    {"tab": "tableau"},
    {"tab": "tableau", "f": "millesime:gte:2020", "sort": "-pmun"},
    {"tab": "tableau", "f": "nom_origine:contains:sarlat", "sort": "ptot", "page": "3"},
    {"tab": "graphique", "chart": "bar", "x": "millesime", "y": "pmun", "agg": "sum"},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sampler(threading.Thread):
    """Samples the server's RSS (and its children's) every `interval` s; keeps the max and a timeline."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.max_mb = 0.0
        self.samples: list[tuple[float, float]] = []
        self.phase = "start"
        self.max_by_phase: dict[str, float] = {}
        self._halt = threading.Event()
        self.t0 = time.monotonic()

    def run(self) -> None:
        while not self._halt.is_set():
            total = rss_mb(self.pid) + sum(rss_mb(c) for c in children_of(self.pid))
            self.samples.append((time.monotonic() - self.t0, total))
            self.max_mb = max(self.max_mb, total)
            self.max_by_phase[self.phase] = max(self.max_by_phase.get(self.phase, 0.0), total)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


def start_server(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **generate.bench_env(data_dir), "TERRITOIRE_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    return subprocess.Popen(
        # serve.py is the launcher `make run` uses (streamlit run app.py with one pages/ probe fix).
        [sys.executable, "serve.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )


def wait_health(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as resp:  # noqa: S310 - local URL
                if resp.read().decode() == "ok":
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    raise RuntimeError("streamlit did not start")


def wait_rendered(page: Any, step: dict[str, str]) -> None:
    """The script run finished (status widget gone) and the step's main element is drawn."""
    page.wait_for_selector('[data-testid="stAppViewContainer"]')
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=120_000)
    if page.locator('[data-testid="stException"]').count():
        raise RuntimeError("the page shows an exception: "
                           + page.locator('[data-testid="stException"]').first.inner_text()[:500])
    selector = '[data-testid="stDataFrame"]' if step["tab"] == "tableau" else ".js-plotly-plot .main-svg"
    page.wait_for_selector(selector, timeout=120_000)


def measure(data_dir: Path, rows: int) -> tuple[str, list[Metric], dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    ds = generate.TABLE_ID
    registry = json.loads((data_dir / "warehouse" / "registry.json").read_text())["datasets"]
    if ds not in registry:
        generate.build(rows, 0, data_dir)
        registry = json.loads((data_dir / "warehouse" / "registry.json").read_text())["datasets"]
    published_rows = int(registry[ds].get("rows") or 0)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir.parent / "memory_server.log"
    load_before = uptime_line()
    proc = start_server(data_dir, port, log)
    sampler = Sampler(proc.pid)
    sampler.start()
    errors: list[str] = []
    step_times: list[dict[str, Any]] = []
    try:
        wait_health(url, proc)
        time.sleep(1.0)
        idle_mb = rss_mb(proc.pid) + sum(rss_mb(c) for c in children_of(proc.pid))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            contexts = [browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
                        for _ in range(SESSIONS)]
            pages = [c.new_page() for c in contexts]
            for pg in pages:
                pg.set_default_timeout(120_000)
                pg.on("pageerror", lambda exc: errors.append(str(exc)))
            for i, step in enumerate(STEPS):
                sampler.phase = f"step {i + 1}: " + urlencode(step)
                target = f"{url}/jeu-de-donnees?{urlencode({'id': ds, **step})}"
                t0 = time.monotonic()
                # All sessions ask at once (navigation is only committed here), then each is waited for.
                for pg in pages:
                    pg.goto(target, wait_until="commit")
                for pg in pages:
                    wait_rendered(pg, step)
                step_times.append({"step": urlencode(step), "seconds_all_sessions": time.monotonic() - t0})
            sampler.phase = "sessions open, idle"
            time.sleep(3.0)
            for c in contexts:
                c.close()
            browser.close()
        sampler.phase = "sessions closed"
        time.sleep(2.0)
    finally:
        sampler.stop()
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    load_after = uptime_line()
    ok = sampler.max_mb <= TARGET_MB and not errors
    rows_label = f"{published_rows:,}".replace(",", " ")
    metrics = [Metric(f"App server RSS, {SESSIONS} sessions on the {rows_label}-row dataset",
                      sampler.max_mb, "MB", f"≤ {TARGET_MB} MB", ok,
                      note=f"idle after start {idle_mb:.0f} MB" + (f"; {len(errors)} page error(s)" if errors else ""))]
    md = [
        "## App server memory: 5 browser sessions on the 10-million-row dataset (`bench/memory_server.py`)",
        "",
        f"`python serve.py` (= `streamlit run app.py`, as `make run`) on a free port with `TERRITOIRE_DATA_DIR` = the bench data dir; {SESSIONS} "
        "headless Chromium sessions (Playwright, separate browser contexts) open "
        f"`/jeu-de-donnees?id={ds}&…` together, each step waiting until every session has rendered. RSS = "
        "VmRSS of the server process plus its children, sampled every 100 ms from /proc.",
        "",
        f"Machine load before: `{load_before}`; after: `{load_after}`.",
        "",
        "| Phase | max RSS MB |",
        "|---|---:|",
        f"| idle after start (health ok + 1 s) | {idle_mb:.0f} |",
    ]
    md += [f"| {phase} | {mb:.0f} |" for phase, mb in sampler.max_by_phase.items() if phase != "start"]
    md += [
        "",
        "The step durations include Chromium laying out and drawing 5 pages on the same 2 cores as the server "
        "(and the other processes of the machine): they are not server response times.",
        "",
        "| Step (all sessions at once) | seconds until all 5 rendered |",
        "|---|---:|",
    ]
    md += [f"| `{s['step']}` | {s['seconds_all_sessions']:.1f} |" for s in step_times]
    md += ["", f"**Max RSS: {sampler.max_mb:.0f} MB** (target ≤ {TARGET_MB} MB: {'met' if ok else '**NOT met**'})."]
    if errors:
        md += ["", "Errors seen in the pages:", ""] + [f"- {e}" for e in errors[:10]]
    extra = {"samples": sampler.samples[::5], "max_by_phase": sampler.max_by_phase, "idle_mb": idle_mb,
             "steps": step_times, "errors": errors, "load_before": load_before, "load_after": load_after}
    return "\n".join(md), metrics, extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=generate.DEFAULT_DATA_DIR)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows to generate if the dataset is missing")
    parser.add_argument("--name", default="memory_server")
    args = parser.parse_args(argv)
    try:
        md, metrics, extra = measure(args.data_dir.resolve(), args.rows)
    except Exception as exc:  # noqa: BLE001 - a failed run is reported in the document, not hidden
        md = ("## App server memory: 5 browser sessions on the 10-million-row dataset (`bench/memory_server.py`)\n\n"
              f"**Not measured: the run failed** — `{type(exc).__name__}: {str(exc).splitlines()[0][:400]}`")
        metrics = [Metric("App server RSS, 5 sessions", float("nan"), "MB", f"≤ {TARGET_MB} MB", False,
                          note="run failed")]
        extra = {"error": repr(exc)}
    path = write_result(args.name, md, metrics, extra)
    print(md)
    print(f"\n→ {path.relative_to(ROOT)}")
    return 0 if all(m.ok for m in metrics) else 1


if __name__ == "__main__":
    raise SystemExit(main())
