"""Helpers shared by the dataset page's tabs: the dataset at hand, widgets seeded from the URL, small print, labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from catalogue.manifest import DatasetSpec
from catalogue.schema import Schema
from config import get_settings
from queries.dataset.state import DatasetView
from reuses.sanitize import md_escape as md_escape  # re-exported: one escaping rule for the whole UI
from ui import format as fmt
from ui.dataset import data


@dataclass(frozen=True)
class Dataset:
    """The dataset a page shows: its schema (columns, roles), manifest entry (None outside the manifest), meta.json."""

    id: str
    schema: Schema
    spec: DatasetSpec | None
    meta: dict[str, Any]

    @property
    def title(self) -> str:
        return self.spec.title if self.spec else self.id


def note(text: str) -> None:
    """Small print in the body colour (st.caption's grey fails the WCAG AA contrast ratio on white: 3.9:1)."""
    st.markdown(":small[" + text.replace("]", "\\]") + "]")


def seed(key: str, value: Any) -> None:
    """Give a widget its value from the URL: on an outside change (new link, back button) or when first drawn."""
    if st.session_state.get("dataset_from_url") or key not in st.session_state:
        st.session_state[key] = value


def col_label(schema: Schema, name: str | None) -> str:
    col = schema.get(name)
    return col.label if col else str(name)


def raw_of(value: Any) -> str:
    """A value as the URL writes it (`f=col:op:<raw>`)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, ".15g")
    return str(value)


def py_value(value: Any) -> Any:
    """numpy/pandas scalars → plain Python values (widget options must compare equal to the URL's values)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


def share_url(view: DatasetView) -> str:
    """The public link that reopens this view (never the embedded variant)."""
    return f"{get_settings().public_base_url}/jeu-de-donnees?{view.replace(embed=False).query_string()}"


def count_line(view: DatasetView, schema: Schema) -> int:
    """« 1 234 enregistrements sur 8 100 » above a data tab; returns the filtered count."""
    n = data.count(view, schema)
    plural = "s" if n > 1 else ""
    if view.is_filtered:
        st.markdown(f"**{fmt.number(n)} enregistrement{plural} sur {fmt.number(schema.rows)}**")
    else:
        st.markdown(f"**{fmt.number(n)} enregistrement{plural}**")
    return n
