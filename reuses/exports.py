"""Public downloads of published reuses as CSV and JSON: no e-mail, no moderation data, formulas defused."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from config import get_settings
from reuses.sanitize import csv_cell, markdown_text, plain_text
from reuses.store import Reuse

PUBLIC_FIELDS = ["id", "title", "description", "type", "type_label", "topic", "topic_label", "url", "image_url",
                 "author_name", "datasets", "permalink", "featured", "views", "published_at", "page_url"]


def public_record(reuse: Reuse) -> dict[str, Any]:
    """The fields anyone may download (udata-like names), text re-sanitised on the way out."""
    base = get_settings().public_base_url.rstrip("/")
    return {
        "id": reuse.id,
        "title": plain_text(reuse.title),
        "description": markdown_text(reuse.description),
        "type": reuse.type,
        "type_label": reuse.type_label,
        "topic": reuse.topic,
        "topic_label": reuse.topic_label,
        "url": reuse.url,
        "image_url": reuse.image_url,
        "author_name": plain_text(reuse.author_name),
        "datasets": list(reuse.datasets),
        "permalink": f"{base}{reuse.permalink}" if reuse.permalink else "",
        "featured": reuse.featured,
        "views": reuse.views,
        "published_at": reuse.published_at or "",
        "page_url": f"{base}/reutilisation?id={reuse.id}",
    }


def to_json(reuses: Iterable[Reuse]) -> bytes:
    records = [public_record(r) for r in reuses if r.status == "published"]
    return json.dumps(records, ensure_ascii=False, indent=2).encode("utf-8")


def to_csv(reuses: Iterable[Reuse]) -> bytes:
    """UTF-8 CSV (with BOM for spreadsheets); dataset ids joined by « ; »; every text cell formula-safe."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PUBLIC_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for reuse in reuses:
        if reuse.status != "published":
            continue
        record = public_record(reuse)
        record["datasets"] = ";".join(record["datasets"])
        record["featured"] = "oui" if record["featured"] else "non"
        writer.writerow({k: csv_cell(v) for k, v in record.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")
