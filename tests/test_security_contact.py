"""TERRITOIRE_SECURITY_CONTACT: where visitors report a vulnerability (config.py), shown in every page's footer."""

from __future__ import annotations

from pathlib import Path

import pytest

import config
from tests.conftest import ROOT


@pytest.mark.parametrize(("value", "link"), [
    ("securite@dordogne.fr", "mailto:securite@dordogne.fr"),
    ("mailto:rssi@cd24.fr", "mailto:rssi@cd24.fr"),
    ("https://www.dordogne.fr/signaler-une-faille", "https://www.dordogne.fr/signaler-une-faille"),
    ("  ", None),
])
def test_contact_is_an_address_or_an_https_page(value: str, link: str | None) -> None:
    assert config.security_contact(value) == link


@pytest.mark.parametrize("value", [
    "javascript:alert(1)", "http://www.dordogne.fr/securite", "securite", "a b@c.fr", "x@y", "a@b@c.fr",
    "https://x.fr/a)[y](javascript:alert(1))", "https://", "mailto:a@b.fr?subject=x", "<script>@x.fr",
])
def test_anything_else_is_refused_when_the_settings_are_read(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="TERRITOIRE_SECURITY_CONTACT"):
        config.security_contact(value)
    monkeypatch.setenv("TERRITOIRE_SECURITY_CONTACT", value)
    config.get_settings.cache_clear()
    with pytest.raises(ValueError, match="TERRITOIRE_SECURITY_CONTACT"):
        config.get_settings()


def _footer_lines() -> list[str]:
    """The footer's security line on the page a visitor lands on (the router's first run: the home page; AppTest only
    keeps the router's own elements, the footer among them, on that first run)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.value.startswith(":small[Sources : ") for m in at.markdown)  # the footer is there
    return [m.value for m in at.markdown if "faille de sécurité" in m.value]


def test_footer_names_the_configured_contact(read_only_portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_SECURITY_CONTACT", "securite@dordogne.fr")
    config.get_settings.cache_clear()
    lines = _footer_lines()
    assert lines == [":small[Vous avez trouvé une faille de sécurité ? Signalez-la à [securite@dordogne\\.fr]"
                     "(mailto:securite@dordogne.fr) ; ne la rendez pas publique avant sa correction.]"], lines


def test_no_contact_line_without_the_setting(read_only_portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TERRITOIRE_SECURITY_CONTACT", raising=False)
    config.get_settings.cache_clear()
    assert _footer_lines() == []
