"""Shared helpers of the benchmark scripts: timing statistics, peak memory, result files, machine description."""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"


def p95(values: list[float]) -> float:
    """95th percentile by the nearest-rank method: with 20 runs it is the 19th fastest, never an interpolation."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class Timing:
    """Wall-clock times of repeated runs of one operation, in milliseconds."""

    name: str
    runs_ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.runs_ms)

    @property
    def p95(self) -> float:
        return p95(self.runs_ms)


def time_runs(name: str, fn: Callable[[int], Any], runs: int, warmup: int = 1) -> Timing:
    """Call `fn(i)` `warmup` times unmeasured (first-touch of the files), then `runs` times measured."""
    for i in range(warmup):
        fn(-1 - i)
    timing = Timing(name)
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i)
        timing.runs_ms.append((time.perf_counter() - t0) * 1000)
    return timing


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far: VmHWM of /proc/self/status.

    Not `ru_maxrss`: on Linux it survives exec, so a child started by a 300 MB parent would report at least the
    parent's size. VmHWM belongs to the process's own address space, so it starts from zero at exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(pid: int) -> float:
    """Current resident memory of a process (VmRSS), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children_of(pid: int) -> list[int]:
    """All descendants of a process, from /proc (no psutil needed)."""
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d.name))
    out: list[int] = []
    stack = [pid]
    while stack:
        for child in kids.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def uptime_line() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"load average: {os.getloadavg()}"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"') + f" (kernel {platform.release()})"
    except OSError:
        pass
    versions: dict[str, str] = {}
    for mod in ("duckdb", "pandas", "pyarrow", "streamlit", "plotly", "pydeck"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - a missing module is just reported as such
            versions[mod] = "absent"
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": ram, "os": os_name,
            "python": platform.python_version(), **versions}


@dataclass
class Metric:
    """One line of the summary table of docs/PERFORMANCE.md."""

    name: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None
    p95: float | None = None
    note: str = ""


def write_result(name: str, markdown: str, metrics: list[Metric], extra: dict[str, Any] | None = None) -> Path:
    """`bench/results/<name>.md` (the section) and `<name>.json` (metrics for run_all's summary table)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    md = RESULTS_DIR / f"{name}.md"
    md.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    payload = {"name": name, "command": " ".join([Path(sys.executable).name, *sys.argv]),
               "metrics": [asdict(m) for m in metrics], **(extra or {})}
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    return md


def fmt_ms(value: float) -> str:
    return f"{value:,.1f}".replace(",", " ")


# -- the real server (serve.py, as `make run` starts it), shared by the benchmarks and the tests' LiveServer ---------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """serve.py on 127.0.0.1 and a free port, as `make run` starts it."""

    def __init__(self, data_dir: Path, log: Path, extra_env: dict[str, str] | None = None, *,
                 strict: bool = False) -> None:
        """`strict`: keep TERRITOIRE_STRICT from the environment (the tests' servers fail loudly on a page error);
        otherwise it runs as a deployment, where errors become the French message, which the benchmarks count."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TERRITOIRE_DATA_DIR": str(data_dir), "TERRITOIRE_PUBLIC_URL": self.url,
               **(extra_env or {})}
        if not strict:
            env.pop("TERRITOIRE_STRICT", None)
        self.log_path = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "serve.py", "--server.address", "127.0.0.1", "--server.port", str(self.port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/_stcore/health", timeout=1).text == "ok":
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the server did not start:\n{log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()

    def log_errors(self) -> list[str]:
        """Tracebacks and the router's `page error` lines in the server log."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines() if "Traceback" in line or "page error" in line]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (/proc/<pid>/stat utime, stime), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class MemorySampler(threading.Thread):
    """RSS of the server process plus all its children (sandbox workers), every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[float] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append(rss_mb(self.pid) + sum(rss_mb(c) for c in children_of(self.pid)))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


# -- the benchmark data (bench/generate.py), shared by scale.py and api.py -------------------------------------
def published_parquet(data_dir: Path, dataset_id: str) -> Path:
    """The current data.parquet of a dataset published in the bench data dir `data_dir`."""
    registry = json.loads((data_dir / "warehouse" / "registry.json").read_text())
    return data_dir / "warehouse" / registry["datasets"][dataset_id]["parquet"]


def ensure_data(rows: int, points: int, data_dir: Path) -> dict[str, Any]:
    """Generate and publish the bench datasets (bench/generate.py) unless the same sizes are already published there."""
    from bench import generate  # generate imports the app's loaders lazily; common stays light

    registry = data_dir / "warehouse" / "registry.json"
    published: dict[str, Any] = {}
    if registry.is_file():
        published = json.loads(registry.read_text()).get("datasets", {})

    def has(ds: str, n: int) -> bool:
        return ds in published and int(published[ds].get("rows") or -1) == n

    todo_rows = 0 if has(generate.TABLE_ID, rows) else rows
    todo_points = 0 if has(generate.POINTS_ID, points) else points
    if not todo_rows and not todo_points:
        # A bench dir from before the referentials were part of it: add them (the page draws outlines from them).
        from config import get_settings

        generate.point_env(data_dir)
        if any(get_settings().dataset(role) not in published for role in generate.REFERENTIAL_ROLES):
            generate.publish_referentials(data_dir)
        return {"reused": True}
    return generate.build(todo_rows, todo_points, data_dir, force=False)
