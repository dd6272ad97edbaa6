"""The command line contract: build, inspect, add, versions, restore (run as subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.loaders.loader_helpers import FILES, ROOT


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(data_dir),
           "TERRITOIRE_CATALOGUE_DIR": str(data_dir.parent / "catalogue")}
    return subprocess.run([sys.executable, "-m", "loaders", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_inspect_prints_one_json_object(data_dir: Path) -> None:
    proc = run(data_dir, "inspect", str(FILES / "latin1_semicolon_decimal_comma.csv"))
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert {k: info[k] for k in ("format", "encoding", "delimiter", "decimal", "header_row", "rows")} == {
        "format": "csv", "encoding": "latin-1", "delimiter": ";", "decimal": ",", "header_row": 0, "rows": 3}
    assert info["columns"][1]["name"] == "densite" and info["columns"][1]["type"] == "number"
    assert info["warnings"] == []


def test_inspect_fails_in_french(data_dir: Path) -> None:
    proc = run(data_dir, "inspect", str(FILES / "ragged_long_row.csv"))
    assert proc.returncode != 0 and proc.stdout == ""
    assert "ligne 4" in proc.stderr and "champs au lieu de" in proc.stderr


def test_add_build_versions_restore(data_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "mon fichier.csv"
    src.write_text("code;valeur\n01;1,5\n02;2,5\n", encoding="utf-8")
    proc = run(data_dir, "add", str(src), "--id", "mon-jeu", "--title", "Mon jeu", "--publisher", "Moi")
    assert proc.returncode == 0, proc.stderr
    manifest = (data_dir.parent / "catalogue" / "mon-jeu.toml").read_text(encoding="utf-8")
    copied = data_dir / "sources" / "mon-jeu" / "mon fichier.csv"
    assert copied.is_file() and str(copied) in manifest
    src.unlink()  # the manifest points at the copy, not at the temporary file
    proc = run(data_dir, "build")
    assert proc.returncode == 0, proc.stderr
    assert "inchangé mon-jeu" in proc.stdout and "Bilan" in proc.stdout
    copied.write_text("code;valeur\n01;1,5\n02;2,5\n03;3\n", encoding="utf-8")
    proc = run(data_dir, "build")
    assert proc.returncode == 0 and "chargé  mon-jeu : 3 lignes" in proc.stdout
    versions = run(data_dir, "versions", "mon-jeu").stdout.splitlines()
    assert len(versions) == 2 and versions[0].startswith("*")
    old = versions[1].split()[0]
    proc = run(data_dir, "restore", "mon-jeu", old)
    assert proc.returncode == 0, proc.stderr
    assert run(data_dir, "versions", "mon-jeu").stdout.splitlines()[1].startswith("*")
    assert run(data_dir, "restore", "mon-jeu", "20000101T000000000000Z").returncode != 0


def test_build_continues_after_a_failure(data_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "bon.csv"
    good.write_text("a;b\n1;2\n", encoding="utf-8")
    assert run(data_dir, "add", str(good), "--id", "bon").returncode == 0
    bad = tmp_path / "mauvais.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    assert run(data_dir, "add", str(bad), "--id", "mauvais").returncode == 0
    (data_dir / "sources" / "mauvais" / "mauvais.csv").write_text("a;b\n1;2\n3;4;5\n", encoding="utf-8")
    (data_dir / "sources" / "bon" / "bon.csv").write_text("a;b\n1;2\n5;6\n", encoding="utf-8")
    proc = run(data_dir, "build")
    assert proc.returncode == 1
    assert "chargé  bon : 2 lignes" in proc.stdout and "ÉCHEC   mauvais" in proc.stderr
