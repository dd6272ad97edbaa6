"""A harvested dataset description is shown through the reuse sanitiser: no remote image, no raw HTML, links
rel="nofollow noopener" (the publisher's Markdown is someone else's text)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import config
from tests.conftest import open_page
from tests.reuses.test_sanitize import assert_inert_html

HOSTILE = ('Données du **département**. Voir [la source](https://exemple.fr/source) et '
           '[piège](javascript:alert(1)).\n\n![pixel](https://tracker.example/p.gif)\n\n'
           '<img src="https://tracker.example/q.gif" onerror="alert(1)"><script>alert(2)</script>'
           '<a href="https://exemple.fr" onclick="x()">brut</a>')


def test_description_is_sanitised_html(read_only_portal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalogue = tmp_path / "catalogue"
    shutil.copytree(config.get_settings().catalogue_dir, catalogue)
    manifest = catalogue / "colleges.toml"
    text = manifest.read_text(encoding="utf-8")
    text = re.sub(r'(?s)^description = """.*?"""', lambda _m: f'description = """{HOSTILE}"""', text, count=1,
                  flags=re.MULTILINE)
    assert HOSTILE in text
    manifest.write_text(text, encoding="utf-8")
    monkeypatch.setenv("TERRITOIRE_CATALOGUE_DIR", str(catalogue))
    config.get_settings.cache_clear()

    at = open_page("pages/dataset.py", {"id": "colleges", "tab": "informations"})
    bodies = [h.proto.body for h in at.get("html") if "département" in h.proto.body]
    assert len(bodies) == 1, [h.proto.body[:80] for h in at.get("html")]
    html = bodies[0]
    assert_inert_html(html)
    assert "<strong>département</strong>" in html
    assert '<a href="https://exemple.fr/source" rel="nofollow noopener">la source</a>' in html
    assert "tracker.example/q.gif" not in html  # the raw <img> is dropped
    assert "[piège](javascript:alert(1))" in html  # a javascript: link stays visible text, never a link
    assert not any("tracker.example" in m.value for m in at.markdown)  # the raw text is not drawn elsewhere
