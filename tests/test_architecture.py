"""The code's shape: small files, one-way dependencies for what import-linter cannot see (modules, page scripts)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIZE_CHECKED = ("pages", "ui", "queries", "loaders")
MAX_LINES = 400
PROJECT = {"app", "serve", "asgi", "config", "atomic", "warehouse", "pages", "ui", "geo", "api", "queries", "indicators",
           "exports", "reuses", "dashboards", "catalogue", "loaders"}
# What each bottom module may import of the project: nothing above it (the packages are checked by lint-imports).
BOTTOM = {"config": set(), "atomic": {"config"}, "warehouse": {"config"}}


def _project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & PROJECT


def _allowed_long_files() -> set[str]:
    """Files over the limit that docs/ARCHITECTURE.md names, with a reason, under « Files over 400 lines »."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("### Files over 400 lines", 1)
    if len(section) < 2:
        return set()
    body = section[1].split("\n#", 1)[0]
    return set(re.findall(r"^- `([^`]+\.py)`: \S", body, flags=re.MULTILINE))


def test_no_long_file_without_a_documented_reason() -> None:
    allowed = _allowed_long_files()
    long_files = {
        str(p.relative_to(ROOT)): n
        for folder in SIZE_CHECKED
        for p in (ROOT / folder).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert {f: n for f, n in long_files.items() if f not in allowed} == {}


@pytest.mark.parametrize("module", sorted(BOTTOM))
def test_bottom_modules_import_nothing_above_them(module: str) -> None:
    assert _project_imports(ROOT / f"{module}.py") - {module} <= BOTTOM[module]


def test_nothing_imports_the_page_scripts_or_the_router() -> None:
    """Pages and app.py sit on top: no module imports them (a page script run on import would be a bug)."""
    offenders = []
    for folder in ("ui", "geo", "api", "queries", "indicators", "exports", "reuses", "dashboards", "catalogue",
                   "loaders"):
        for path in (ROOT / folder).rglob("*.py"):
            if _project_imports(path) & {"pages", "app", "serve", "asgi"}:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The import scan is not vacuous: a module importing upward is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("from queries import run\nimport ui.layout\nimport os\n", encoding="utf-8")
    assert _project_imports(bad) == {"queries", "ui"}
