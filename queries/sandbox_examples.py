"""Ready-made queries of /sql, written over the datasets' roles (`queries/sql/sandbox_example_*.sql`) and shown with
the views' plain names (`ds_ips_colleges`), so that they run as written in the deployment that shows them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import queries
from config import get_settings
from queries import _ROLE, QueryError, load_sql, view_name


@dataclass(frozen=True)
class Example:
    key: str
    label: str  # the button's French text
    sql: str


# (SQL file, button label); an example whose datasets are not all published is not offered.
EXAMPLES = (
    ("sandbox_example_join", "Jointure sur le code INSEE : collèges et population de leur commune"),
    ("sandbox_example_count", "Regroupement et comptage : établissements de santé par type"),
    ("sandbox_example_year", "Filtre sur une année : les communes les plus peuplées en 2023"),
)


def _visible_text(sql: str) -> str:
    """The query without its header comment (written for maintainers, in English)."""
    lines = sql.strip().splitlines()
    while lines and lines[0].lstrip().startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip()


def _with_view_names(sql: str, published: Mapping[str, Any]) -> str:
    """Each `{role:<role>}` replaced by the plain name of its dataset's view (view_name() only yields [a-z0-9_], so
    no quoting is needed and the text is what an analyst would type)."""
    roles = dict(get_settings().datasets)

    def fill(m: re.Match[str]) -> str:
        dataset_id = roles.get(m.group(1))
        if dataset_id is None or dataset_id not in published:
            raise QueryError(f"Jeu de données non publié pour le rôle « {m.group(1)} ».")
        return view_name(dataset_id)

    return _ROLE.sub(fill, sql)


def examples() -> list[Example]:
    """The examples this deployment can run, in order."""
    published = queries.warehouse().datasets()
    out = []
    for key, label in EXAMPLES:
        try:
            out.append(Example(key, label, _with_view_names(_visible_text(load_sql(key)), published)))
        except QueryError:
            continue  # a role this deployment has not published: the example would fail, it is not offered
    return out
