"""Make user text inert: strip HTML with nh3, allow only http(s) links, render Markdown as inert HTML, escape
Markdown, defuse CSV formulas."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import nh3
from markdown_it import MarkdownIt, rules_inline
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.reference import reference as _block_reference
from markdown_it.rules_inline import StateInline

# C0/C1 control characters except tab and newline, plus bidi overrides and zero-width joiners used in spoofing.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_MD_PUNCT_RE = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation: CommonMark lets us escape all of it
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def strip_html(text: str) -> str:
    """Plain text with no HTML tag, comment or character reference left (nh3 + unescape to a fixed point).

    `<script>`/`<style>` contents are dropped, other tags are removed and their text kept. Decoding entities
    after each pass means `&lt;script&gt;` cannot come back as markup later; the loop stops when stable.
    """
    current = unicodedata.normalize("NFC", str(text or "")).replace("\r\n", "\n").replace("\r", "\n")
    current = _CONTROL_RE.sub("", current)
    for _ in range(10):
        cleaned = html.unescape(nh3.clean(current, tags=set(), strip_comments=True))
        cleaned = _CONTROL_RE.sub("", cleaned)
        if cleaned == current:
            return current
        current = cleaned
    # Not stable after 10 rounds: an adversarial nesting. Drop every character that could form markup.
    return re.sub(r"[<>&]", "", current)


def plain_text(text: str) -> str:
    """One-line plain text (titles, names, reasons): HTML stripped, whitespace collapsed, and Markdown links to
    anything but http(s) defused, so a consumer of our exports that renders Markdown is safe too."""
    return neutralize_links(" ".join(strip_html(text).split()))


def multiline_text(text: str) -> str:
    """Multi-line plain text: HTML stripped, trailing spaces and runs of blank lines trimmed."""
    lines = [line.rstrip() for line in strip_html(text).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def neutralize_links(markdown: str) -> str:
    """Keep Markdown links only when they point to http(s); other targets (javascript:, data:, relative,
    protocol-relative) are defused by escaping the character that makes them a link. Images become links, so no
    third-party image is loaded by a reader's browser.

    What is a link is decided by a CommonMark parser (markdown-it-py), not by patterns: inline links (nested
    brackets, `<...>` destinations, entities), reference links and their definitions, autolinks, images. Each round
    parses the text, defuses what it finds and parses again, until nothing unsafe is left.
    """
    text = markdown.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")  # as markdown-it reads it
    for _ in range(_MAX_ROUNDS):
        edits = _unsafe_spots(text)
        if edits is None:  # a position could not be traced back to the text: defuse every link character
            break
        if not edits:
            return text
        for pos, action in sorted(edits.items(), reverse=True):
            text = text[:pos] + text[pos + 1:] if action == _DROP else text[:pos] + "\\" + text[pos:]
    return "".join("\\" + ch if ch in "[]<" else ch for ch in text)


_MAX_ROUNDS = 20
_ESCAPE, _DROP = "escape", "drop"  # put a backslash before the character / remove it (the `!` of an image)
_HTTP_RE = re.compile(r"<?https?://", re.IGNORECASE)


def _is_http(url: str) -> bool:
    return bool(_HTTP_RE.match(url.strip()))


def _recorded(rule: Callable[[StateInline, bool], bool], kind: str) -> Callable[[StateInline, bool], bool]:
    """Wrap an inline rule (link, image, autolink) so that each match is noted with its position in the source."""

    def run(state: StateInline, silent: bool) -> bool:
        start, first_token = state.pos, len(state.tokens)
        label_end = -1
        if kind == "link" and not silent and state.src[start] == "[":
            label_end = state.md.helpers.parseLinkLabel(state, start, True)
        state.env["_in_image"] += kind == "image"
        try:
            matched = rule(state, silent)
        finally:
            state.env["_in_image"] -= kind == "image"
        if silent or state.env["_in_image"]:
            return matched
        if matched:
            token = next(t for t in state.tokens[first_token:] if t.type in ("link_open", "image"))
            url = str(token.attrs.get("src" if kind == "image" else "href", ""))
            state.env["_spots"].append((kind, start, label_end, state.pos, url))
        if label_end >= 0 and state.src[label_end + 1:label_end + 2] == ":":
            # `[label]: target` inside a line: no definition here, but one once a consumer puts the text on a line
            # of its own (a title in an export): the same http(s) rule applies.
            state.env["_spots"].append(("definition", start, label_end, label_end + 2, state.src[label_end + 2:]))
        return matched

    return run


def _reference(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """The block rule of reference definitions, noting a `[label]:` whose destination is not http(s) — valid
    definitions and ones a more lenient reader could take for one alike."""
    pos = state.bMarks[start_line] + state.tShift[start_line]
    if not silent and not state.is_code_block(start_line) and state.src[pos:pos + 1] == "[":
        end = pos + 1
        while end < len(state.src) and state.src[end] not in "[]":
            end += 2 if state.src[end] == "\\" else 1
        if state.src[end:end + 2] == "]:" and not _is_http(state.src[end + 2:]):
            state.env["_definitions"].append(end + 1)
    return _block_reference(state, start_line, end_line, silent)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark").disable(["html_inline", "html_block", "inline"])  # inline: run per token below
    md.validateLink = lambda url: True  # every link becomes a token; the http(s) rule is ours
    for kind in ("link", "image", "autolink"):
        md.inline.ruler.at(kind, _recorded(getattr(rules_inline, kind), kind))
    md.block.ruler.at("reference", _reference)
    return md


def _unsafe_spots(text: str) -> dict[int, str] | None:
    """{position in `text`: escape | drop} for every unsafe link, image and definition; None if lost."""
    env: dict[str, Any] = {"_definitions": [], "_spots": [], "_in_image": 0}
    blocks = _MD.parse(text, env)
    edits = dict.fromkeys(env["_definitions"], _ESCAPE)
    lines = text.split("\n")
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line) + 1)
    for block in blocks:
        if block.type != "inline" or block.map is None:
            continue
        env["_spots"] = []
        _MD.inline.parse(block.content, _MD, env, [])
        for kind, start, label_end, end, url in env["_spots"]:
            src = block.content
            if kind == "image":
                where, action = start, _DROP
            elif kind == "autolink" and not _is_http(url):
                where, action = start, _ESCAPE
            elif kind == "link" and not _is_http(url) and label_end + 1 < end and src[label_end + 1] == "(":
                where, action = label_end + 1, _ESCAPE
            elif kind == "definition" and not _is_http(url):
                where, action = label_end + 1, _ESCAPE
            else:  # safe, or a reference link (its definition is defused above)
                continue
            pos = _source_position(block.content, block.map[0], where, lines, line_starts)
            if pos is None or pos >= len(text) or text[pos] != src[where]:
                return None
            edits[pos] = action
    return edits


def _source_position(content: str, first_line: int, offset: int, lines: list[str],
                     line_starts: list[int]) -> int | None:
    """Where character `offset` of an inline token's content sits in the whole text. Each content line is the
    end of a source line (indentation, `>` or list markers removed), trailing spaces aside."""
    row = content.count("\n", 0, offset)
    col = offset - (content.rfind("\n", 0, offset) + 1)
    if first_line + row >= len(lines):
        return None
    line = lines[first_line + row].rstrip()
    part = content.split("\n")[row].rstrip()
    shift = len(line) - len(part) if line.endswith(part) else line.find(part)
    return None if shift < 0 else line_starts[first_line + row] + shift + col


_MD = _parser()


def markdown_text(text: str) -> str:
    """Stored form of a Markdown description: plain text (no HTML) whose links are http(s) only."""
    return neutralize_links(multiline_text(text))


# What a description may look like once rendered: text structure and http(s) links, no image, no raw HTML.
_HTML_TAGS = {"p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a",
              "h1", "h2", "h3", "h4", "h5", "h6"}
LINK_REL = "nofollow noopener"
_RENDERER = MarkdownIt("commonmark", {"html": False})


def render_html(text: str) -> str:
    """Markdown from outside (a reuse, a harvested dataset description) as inert HTML for `st.html`.

    The stored-text rules run again at render time, whatever the database or the manifest holds (no HTML, http(s)
    links only, images turned into links); markdown-it renders with raw HTML disabled, and nh3 keeps only the tags
    above: no `<img>` (no remote image is ever loaded by a reader's browser), no attribute but `href` on links,
    and every link gets `rel="nofollow noopener"`.
    Returns "" for an empty text (st.html refuses empty bodies).
    """
    source = markdown_text(text)
    if not source:
        return ""
    return nh3.clean(_RENDERER.render(source), tags=_HTML_TAGS, attributes={"a": {"href"}},
                     url_schemes={"http", "https"}, link_rel=LINK_REL, strip_comments=True).strip()


def md_escape(text: str) -> str:
    """Plain text shown inside Markdown (titles, names, link labels): every punctuation mark escaped."""
    return _MD_PUNCT_RE.sub(r"\\\1", " ".join(strip_html(text).split()))


def safe_http_url(url: str) -> str | None:
    """The URL if it is an absolute http(s) URL with a host and no credentials or spaces, else None."""
    value = str(url or "").strip()
    if not value or _CONTROL_RE.search(value) or any(c.isspace() for c in value) or "\\" in value:
        return None
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a bad port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    if port is not None and not 0 < port < 65536:
        return None
    if not re.fullmatch(r"[a-z0-9.\-\[\]:]+", parts.hostname.encode("idna").decode("ascii")
                        if not parts.hostname.isascii() else parts.hostname):
        return None
    return value


def url_key(url: str) -> str:
    """Normalised URL used to detect duplicates: lower-case scheme/host, no default port, fragment or final /."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit(("https" if scheme == "http" else scheme, netloc, path, parts.query, ""))


def md_url(url: str) -> str:
    """A URL made safe to place inside a Markdown link destination `( )`."""
    return quote(url, safe="/:?&=#%+,;~@!$*.-_")


def csv_cell(value: object) -> object:
    """Defuse spreadsheet formulas (CSV injection): text starting with = + - @ tab CR gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value
