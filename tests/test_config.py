"""Settings: read from the environment in one module, every variable documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import config

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ["config.py", "app.py", "serve.py", "atomic.py", "pages", "queries", "loaders", "catalogue", "reuses", "ui",
             "exports", "indicators"]


def _code_files() -> list[Path]:
    files: list[Path] = []
    for name in CODE_DIRS:
        path = ROOT / name
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def test_only_config_reads_the_environment() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _code_files()
                 if p.name not in ("config.py", "app.py") and re.search(r"os\.environ|os\.getenv", p.read_text())]
    assert offenders == []


def test_every_setting_is_documented_in_the_readme() -> None:
    used = set()
    for path in _code_files():
        used |= set(re.findall(r"TERRITOIRE_[A-Z_]+[A-Z]", path.read_text(encoding="utf-8")))
    used.discard("TERRITOIRE_STRICT")  # test-only switch of the router's error handler
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert sorted(v for v in used if v not in readme) == []


def test_defaults_and_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TERRITOIRE_CODE", "TERRITOIRE_KIND", "TERRITOIRE_NAME", "TERRITOIRE_ARTICLE", "TERRITOIRE_DATASETS_FILE",
                 "TERRITOIRE_DEPARTEMENT_CODE", "TERRITOIRE_DEPARTEMENT_NAME", "TERRITOIRE_DEPARTEMENT_ARTICLE"):
        monkeypatch.delenv(name, raising=False)
    config.get_settings.cache_clear()
    s = config.get_settings()
    assert (s.territory_kind, s.territory_code, s.territory.with_article) == ("departement", "24", "la Dordogne")
    assert (s.departement_code, s.departement.of) == ("24", "de la Dordogne")  # a département compares with itself
    assert dict(s.datasets) == config.DEFAULT_DATASETS
    monkeypatch.setenv("TERRITOIRE_KIND", "canton")
    config.get_settings.cache_clear()
    with pytest.raises(ValueError, match="TERRITOIRE_KIND"):
        config.get_settings()
    monkeypatch.delenv("TERRITOIRE_KIND")
    monkeypatch.setenv("TERRITOIRE_CODE", "47")
    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(tmp_path))
    config.get_settings.cache_clear()
    s = config.get_settings()
    assert s.territory_code == "47" and s.data_dir == tmp_path.resolve()
    assert s.warehouse_dir == tmp_path.resolve() / "warehouse"
    monkeypatch.setenv("TERRITOIRE_HTTP_BACKOFF", "not a number")
    assert config.env_float("TERRITOIRE_HTTP_BACKOFF", 1.5) == 1.5
    config.get_settings.cache_clear()


def test_admin_secret_comes_from_the_environment_never_the_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", "s3cret")
    config.get_settings.cache_clear()
    assert config.get_settings().admin_secret == "s3cret"
    config.get_settings.cache_clear()
    tracked = (ROOT / ".gitignore").read_text()
    assert ".streamlit/secrets.toml" in tracked
