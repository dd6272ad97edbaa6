"""Sanitising: no HTML survives storage, Markdown links are http(s) only, plain text is escaped, CSV is defused."""

from __future__ import annotations

import re

import pytest

from reuses import sanitize
from tests.reuses.helpers import PAYLOADS

TAG_RE = re.compile(r"(?<!\\)<\s*[a-zA-Z!/?]")
UNSAFE_LINK_RE = re.compile(r"(?<!\\)\]\((?!\s*<?\s*https?://)|(?<!\\)\]:\s*(?!https?://)", re.IGNORECASE)


PORTAL_LINK_RE = re.compile(r"\]\((?:reutilisations?|jeu-de-donnees|proposer-une-reutilisation)(?:\?[^()\s]*)?\)")


def assert_inert(markdown: str, portal_links: bool = False) -> None:
    """No HTML tag, event handler, entity or non-http(s) Markdown link in a Markdown source. With
    `portal_links`, the relative links our own pages write (`[Titre](reutilisation?id=...)`) are allowed."""
    assert not TAG_RE.search(markdown), markdown
    assert "onerror" not in markdown.lower() and "onload" not in markdown.lower(), markdown
    assert not re.search(r"&#?\w+;", markdown), markdown
    checked = PORTAL_LINK_RE.sub("]", markdown) if portal_links else markdown
    assert not UNSAFE_LINK_RE.search(checked), markdown
    assert "![" not in markdown.replace("\\!\\[", ""), markdown


@pytest.mark.parametrize("payload", PAYLOADS)
def test_stored_markdown_is_inert(payload: str) -> None:
    stored = sanitize.markdown_text(f"Texte {payload} fin")
    assert_inert(stored)
    assert sanitize.markdown_text(stored) == stored  # idempotent: re-sanitising at render changes nothing


@pytest.mark.parametrize("payload", PAYLOADS)
def test_plain_text_has_no_markup(payload: str) -> None:
    text = sanitize.plain_text(payload)
    assert not TAG_RE.search(text) and "onerror" not in text
    assert_inert(sanitize.md_escape(payload))


def test_plain_text_keeps_ordinary_characters() -> None:
    assert sanitize.plain_text("Tom & Jerry < 3 > 2 « citation » l'été") == "Tom & Jerry < 3 > 2 « citation » l'été"
    assert sanitize.md_escape("a_b *c* [d](e)") == r"a\_b \*c\* \[d\]\(e\)"


def test_http_links_survive_and_images_become_links() -> None:
    out = sanitize.markdown_text("Voir [le site](https://exemple.fr/a_(b)) et ![logo](https://exemple.fr/l.png)")
    assert "[le site](https://exemple.fr/a_(b))" in out
    assert "[logo](https://exemple.fr/l.png)" in out and "![" not in out


def test_control_and_bidi_characters_are_removed() -> None:
    assert sanitize.plain_text("a\u202eb\x00c\u200bd") == "abcd"


@pytest.mark.parametrize(("cell", "expected"), [("=1+1", "'=1+1"), ("+33", "'+33"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
                                                ("\t=x", "'\t=x"), ("ok", "ok"), (3, 3)])
def test_csv_cells_never_start_a_formula(cell: object, expected: object) -> None:
    assert sanitize.csv_cell(cell) == expected


def test_url_key_detects_trivial_variants() -> None:
    assert sanitize.url_key("HTTP://Exemple.FR:80/carte/#haut") == sanitize.url_key("https://exemple.fr/carte")
    assert sanitize.url_key("https://exemple.fr/carte?a=1") != sanitize.url_key("https://exemple.fr/carte?a=2")
