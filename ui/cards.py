"""Dataset result card (catalogue, home): title link, plain-text excerpt, licence, themes and links to each tab."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import streamlit as st

from ui import format as fmt

EXCERPT_CHARS = 200
DATASET_PAGE = "pages/dataset.py"

_MD_STEPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"```.*?```", re.S), " "),  # code blocks say nothing useful in 200 characters
    (re.compile(r"<[^>]{0,200}>"), " "),  # HTML tags
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images → alt text
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links → their text
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"^\s{0,3}(#{1,6}|>|[*+-]|\d+[.)])\s+", re.M), ""),  # headings, quotes, list markers
    (re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # emphasis
    (re.compile(r"^\s*([-*_]\s*){3,}$", re.M), " "),  # horizontal rules
)


def plain_excerpt(markdown: str | None, limit: int = EXCERPT_CHARS) -> str:
    """Markdown → plain text cut at a word boundary (« … » appended when cut)."""
    text = str(markdown or "")
    for pattern, repl in _MD_STEPS:
        text = pattern.sub(repl, text)
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.-–")
    return cut + "…"


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    try:
        return [str(v) for v in value]
    except TypeError:
        return [str(value)]


def dataset_card(row: Mapping[str, Any]) -> None:
    """Draw one dataset card. `row` holds catalogue columns (id, title, description, publisher, license_title,
    theme_labels, modified, records, has_map)."""
    ds_id = str(row["id"])
    with st.container(border=True):
        st.page_link(DATASET_PAGE, label=f"**{escape_markdown(row['title'])}**", query_params={"id": ds_id})
        excerpt = plain_excerpt(row.get("description"))
        if excerpt:
            # st.text: no Markdown, no HTML; descriptions are the publisher's text.
            st.text(excerpt)
        themes = " · ".join(_list(row.get("theme_labels")))
        meta = [str(row.get("publisher") or ""), themes,
                f"{fmt.number(row.get('records'))} enregistrements",
                f"mis à jour le {fmt.date_fr(row.get('modified'))}"]
        # Not st.caption: its grey (#828180 on white, 3.9:1) fails the WCAG AA contrast axe-core checks.
        st.markdown(escape_markdown(" · ".join(m for m in meta if m)))
        # One wrapping row sized to its content: the licence and the three tab links never get truncated.
        with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
            st.badge(str(row.get("license_title") or "Licence non spécifiée"), icon=":material/license:",
                     color="blue")
            st.page_link(DATASET_PAGE, label="Tableau", icon=":material/table:",
                         query_params={"id": ds_id, "tab": "tableau"}, width="content")
            if bool(row.get("has_map")):
                st.page_link(DATASET_PAGE, label="Carte", icon=":material/map:",
                             query_params={"id": ds_id, "tab": "carte"}, width="content")
            st.page_link(DATASET_PAGE, label="Export", icon=":material/download:",
                         query_params={"id": ds_id, "tab": "export"}, width="content")


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def escape_markdown(text: str) -> str:
    """Show user-typed text literally in Streamlit Markdown (no links, images, emphasis, LaTeX or directives)."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))
