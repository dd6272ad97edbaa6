"""What a new version changes versus the previous one (rows and columns), and its French summary."""

from __future__ import annotations

from typing import Any


def changes_since(prev: dict[str, Any] | None, rows: int, columns: list[dict[str, Any]]) -> dict[str, Any]:
    if prev is None:
        return {"previous_version": None, "rows_added": rows, "rows_removed": 0, "columns_added": [],
                "columns_removed": []}
    before = [c["name"] for c in prev.get("columns", [])]
    after = [c["name"] for c in columns]
    delta = rows - int(prev.get("rows") or 0)
    return {"previous_version": prev.get("version"), "rows_added": max(delta, 0), "rows_removed": max(-delta, 0),
            "columns_added": [c for c in after if c not in before],
            "columns_removed": [c for c in before if c not in after]}


def schema_change_warning(changes: dict[str, Any]) -> str | None:
    """« Colonnes ajoutées : … ; colonnes retirées : … » versus the previous version, shown on the dataset page."""
    parts = []
    if changes.get("columns_added"):
        parts.append("colonnes ajoutées : " + ", ".join(map(str, changes["columns_added"])))
    if changes.get("columns_removed"):
        parts.append("colonnes retirées : " + ", ".join(map(str, changes["columns_removed"])))
    if not parts or not changes.get("previous_version"):
        return None
    text = " ; ".join(parts)
    return text[0].upper() + text[1:] + f" (par rapport à la version {changes['previous_version']})."
