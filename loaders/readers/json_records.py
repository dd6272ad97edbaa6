"""JSON: a list of records, at the top of the document or nested under a key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from loaders import LoadError
from loaders.readers.arrow_table import cell_text, stage_arrow, text_table
from loaders.readers.staged import Staged


def _find_records(node: Any, path: str = "") -> tuple[str, list[dict[str, Any]]] | None:
    """Depth-first search for the first list of objects, in key order."""
    if isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
        return path, node
    if isinstance(node, dict):
        for key, value in node.items():
            found = _find_records(value, f"{path}.{key}" if path else str(key))
            if found:
                return found
    return None


def stage_json(con: duckdb.DuckDBPyConnection, path: Path, options: dict[str, Any]) -> Staged:
    """A list of records, at the top or nested under a key (found, or given as `records_path` a.b.c)."""
    try:
        doc = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise LoadError(f"{path.name} : JSON invalide ({exc}).") from exc
    rp = options.get("records_path")
    if rp:
        node = doc
        for key in str(rp).split("."):
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                raise LoadError(f"{path.name} : chemin « {rp} » absent du JSON.")
        if not isinstance(node, list) or not all(isinstance(x, dict) for x in node):
            raise LoadError(f"{path.name} : « {rp} » n'est pas une liste d'objets.")
        records, found_path = node, str(rp)
    else:
        found = _find_records(doc)
        if found is None:
            raise LoadError(f"{path.name} : aucune liste d'objets trouvée dans le JSON.")
        found_path, records = found
    keys: dict[str, None] = {}
    for rec in records:
        for k in rec:
            keys.setdefault(str(k), None)
    names = list(keys)
    rows = [[cell_text(rec.get(k)) for k in names] for rec in records]
    dialect = {"format": "json", "encoding": "utf-8", "delimiter": None, "decimal": ".", "header_row": None,
               "records_path": found_path or None}
    return stage_arrow(con, text_table(rows, len(names)), names, {}, options, dialect, [])
