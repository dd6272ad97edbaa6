"""The app keeps serving while a loader publishes: no file lock between processes, old or new version, never half."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import queries

ROOT = Path(__file__).resolve().parents[2]


def test_queries_keep_answering_while_build_runs_in_another_process(portal: Path) -> None:
    before = {ds: queries.dataset_meta(ds)["rows"] for ds in queries.published_ids()}
    old_versions = {ds: e["version"] for ds, e in queries.warehouse().datasets().items()}
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(portal)}
    # --force republishes every dataset: new versions appear while this process keeps querying the old ones.
    proc = subprocess.Popen([sys.executable, "-m", "loaders", "build", "--force"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    answered = 0
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        for ds in ("population-communes", "aide-sociale-departementale"):
            n = queries.run_sql_text(f"SELECT count(*) AS n FROM {queries.table_name(ds)}").loc[0, "n"]
            assert int(n) == before[ds]  # whichever version is current, it is complete
            answered += 1
        time.sleep(0.05)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert answered > 0
    # The new versions are picked up without a restart, with the same row counts.
    for ds, rows in before.items():
        n = queries.run_sql_text(f"SELECT count(*) AS n FROM {queries.table_name(ds)}").loc[0, "n"]
        assert int(n) == rows, ds
    new_versions = {ds: e["version"] for ds, e in queries.warehouse().datasets().items()}
    assert all(new_versions[ds] != old_versions[ds] for ds in before), "every dataset got a new version"
