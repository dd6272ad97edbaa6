"""Make user text inert: strip HTML with nh3, allow only http(s) links, escape Markdown, defuse CSV formulas."""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import quote, urlsplit, urlunsplit

import nh3

# C0/C1 control characters except tab and newline, plus bidi overrides and zero-width joiners used in spoofing.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_MD_PUNCT_RE = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation: CommonMark lets us escape all of it
_SAFE_DEST_RE = re.compile(r"\s*<?\s*https?://", re.IGNORECASE)
_INLINE_LINK_RE = re.compile(r"\]\(")
_REF_DEF_RE = re.compile(r"\]:")
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
    protocol-relative) are defused by escaping the `(` or `:` that would make them a link. Images become
    links, so no third-party image is loaded by a reader's browser."""
    text = markdown.replace("![", "[")

    def fix(pattern: re.Pattern[str], token: str, escaped: str, source: str) -> str:
        out: list[str] = []
        pos = 0
        for match in pattern.finditer(source):
            out.append(source[pos:match.start()])
            rest = source[match.end():]
            out.append(token if _SAFE_DEST_RE.match(rest) else escaped)
            pos = match.end()
        out.append(source[pos:])
        return "".join(out)

    text = fix(_INLINE_LINK_RE, "](", "]\\(", text)
    return fix(_REF_DEF_RE, "]:", "]\\:", text)


def markdown_text(text: str) -> str:
    """Stored form of a Markdown description: plain text (no HTML) whose links are http(s) only."""
    return neutralize_links(multiline_text(text))


def safe_markdown(text: str) -> str:
    """Render-time pass (idempotent): re-applies the stored-text rules to whatever comes from the database."""
    return markdown_text(text)


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
