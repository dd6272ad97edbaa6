"""Helpers shared by the dataset page's tabs: widgets seeded from the URL, small print, column labels."""

from __future__ import annotations

from typing import Any

import streamlit as st

from queries import dataset_view as dv


def note(text: str) -> None:
    """Small print in the body colour (st.caption's grey fails the WCAG AA contrast ratio on white: 3.9:1)."""
    st.markdown(":small[" + text.replace("]", "\\]") + "]")


def seed(key: str, value: Any) -> None:
    """Give a widget its value from the URL: on an outside change (new link, back button) or when first drawn."""
    if st.session_state.get("dataset_from_url") or key not in st.session_state:
        st.session_state[key] = value


def col_label(schema: dv.Schema, name: str | None) -> str:
    col = schema.get(name)
    return col.label if col else str(name)
