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


@pytest.mark.parametrize(("source", "expected"), [
    # javascript:, data:, relative and protocol-relative targets lose the `(` that makes them a link
    ("[clic](javascript:alert(1))", r"[clic]\(javascript:alert(1))"),
    ("[clic](<javascript:alert(1)>)", r"[clic]\(\<javascript:alert(1)>)"),
    ("[x](data:text/html,hi) [y](/admin) [z](//evil.example)", r"[x]\(data:text/html,hi) [y]\(/admin) [z]\(//evil.example)"),
    # nested brackets: the whole label belongs to the link
    ("[a [b] c](javascript:alert(1))", r"[a [b] c]\(javascript:alert(1))"),
    ("[a [b](https://exemple.fr/b) c](javascript:x)", "[a [b](https://exemple.fr/b) c](javascript:x)"),
    # autolinks
    ("<javascript:alert(1)>", r"\<javascript:alert(1)>"),
    ("<https://exemple.fr/doc>", "<https://exemple.fr/doc>"),
    # reference links: the definition decides
    ("[ref][x]\n\n[x]: javascript:alert(1)", "[ref][x]\n\n[x]\\: javascript:alert(1)"),
    ("[ref][x]\n\n[x]: https://exemple.fr/doc", "[ref][x]\n\n[x]: https://exemple.fr/doc"),
    ("> [x]: javascript:alert(1)\n\n[x]", "> [x]\\: javascript:alert(1)\n\n[x]"),
    # images become links (then the http(s) rule applies)
    ("![logo](https://exemple.fr/l.png)", "[logo](https://exemple.fr/l.png)"),
    ("![logo](javascript:alert(1))", r"[logo]\(javascript:alert(1))"),
    ("[![i](javascript:x)](https://exemple.fr)", r"[[i]\(javascript:x)](https://exemple.fr)"),
    # http(s) links, code and ordinary brackets are left alone
    ("[site](HTTPS://Exemple.fr/a_(b) \"titre\")", "[site](HTTPS://Exemple.fr/a_(b) \"titre\")"),
    ("`[code](javascript:x)` et [note] (voir plus bas)", "`[code](javascript:x)` et [note] (voir plus bas)"),
    ("- liste [a](javascript:x)\n  - ![b](https://exemple.fr/b.png)", "- liste [a]\\(javascript:x)\n  - [b](https://exemple.fr/b.png)"),
])
def test_links_are_defused_by_what_a_markdown_parser_sees(source: str, expected: str) -> None:
    out = sanitize.neutralize_links(source)
    assert out == expected
    assert sanitize.neutralize_links(out) == out


@pytest.mark.parametrize("payload", PAYLOADS + [
    "[a](javascript:1)[b](javascript:2)![c](data:x)<vbscript:y>",
    "# Titre [t](javascript:y) #\n\n> citation ![i](javascript:z)\n>\n> [r]\n\n[r]:\n  javascript:w",
    "1. [a\\]b](javascript:x)\n2. [c](https://ok.example)",
])
def test_rendered_markdown_has_only_http_links_and_no_image(payload: str) -> None:
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False})
    renderer.validateLink = lambda url: True  # show every link the text makes, whatever its target
    rendered = renderer.render(sanitize.markdown_text(payload))
    assert "<img" not in rendered
    targets = re.findall(r'href="([^"]*)"', rendered)
    assert all(t.lower().startswith(("http://", "https://")) for t in targets), (targets, rendered)


ALLOWED_TAG_RE = re.compile(r"</?(p|br|hr|em|strong|code|pre|blockquote|ul|ol|li|a|h[1-6])\b")


def assert_inert_html(html: str) -> None:
    """What `render_html` may produce: structure tags and http(s) links marked nofollow, nothing else."""
    tags = re.findall(r"<[^>]*>", html)
    assert all(ALLOWED_TAG_RE.match(t) for t in tags), tags
    assert not re.search(r"\son\w+\s*=|<img|<script|<iframe|<svg|style=|src=", html, re.IGNORECASE), html
    for anchor in re.findall(r"<a\b[^>]*>", html):
        assert re.fullmatch(r'<a href="https?://[^"]+" rel="nofollow noopener">', anchor), anchor


@pytest.mark.parametrize("payload", PAYLOADS + [
    "![pixel espion](https://tracker.example/p.gif) et <img src=https://tracker.example/q.gif>",
    '<a href="https://exemple.fr" onclick="x()">lien brut</a> <iframe src="https://exemple.fr"></iframe>',
    "[a](javascript:1)[b](javascript:2)![c](data:x)<vbscript:y>",
])
def test_rendered_html_shows_no_remote_image_no_raw_html(payload: str) -> None:
    html = sanitize.render_html(f"Texte {payload} fin")
    assert_inert_html(html)
    assert "tracker.example/q.gif" not in html  # a raw <img> is dropped, not turned into a link


def test_rendered_html_keeps_structure_and_marks_links() -> None:
    html = sanitize.render_html("## Titre\n\nVoir **la carte** et [la doc](https://doc.exemple.fr/a?b=1&c=2).\n\n"
                                "- un\n- deux\n\n![logo](https://exemple.fr/logo.png)")
    assert "<h2>Titre</h2>" in html and "<strong>la carte</strong>" in html and "<li>deux</li>" in html
    assert '<a href="https://doc.exemple.fr/a?b=1&amp;c=2" rel="nofollow noopener">la doc</a>' in html
    assert '<a href="https://exemple.fr/logo.png" rel="nofollow noopener">logo</a>' in html  # an image: a link
    assert_inert_html(html)
    assert sanitize.render_html("") == "" and sanitize.render_html("<script>x</script>") == ""
