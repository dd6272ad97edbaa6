"""Atom (and RSS 2.0) feeds of the catalogue: new and updated datasets, and each dataset's published versions with
what changed. Pure builders (catalogue rows and version metas in, a feedgen FeedGenerator out) plus one reader of the
kept versions' meta.json; the HTTP layer is api/feeds.py.

Every text that comes from a publisher or a manifest goes into the feed as plain text (Atom `type="text"`, RSS
`description`): lxml escapes `<` and `&` on output, so no HTML of theirs is ever interpreted by a feed reader."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

import warehouse
from catalogue import french
from catalogue.dcat import landing_page

FEED_PREFIX = "/flux"
CATALOGUE_FEED_PATH = f"{FEED_PREFIX}/catalogue.atom"
DATASET_FEED_DIR = f"{FEED_PREFIX}/jeux-de-donnees"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
EXPORTS_PATH = "/api/explore/v2.1/catalog/datasets/{id}/exports/{fmt}"
MAX_ENTRIES = 50  # feed readers poll the whole document: the newest 50 changes are what a subscriber needs
SUMMARY_CHARS = 600
# The date of a tag: URI (RFC 4151) is a day the portal's host name was held; fixed so that ids never change.
TAG_DATE = "2026-01-01"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Characters XML 1.0 cannot carry (lxml refuses them): a hostile title must not turn a feed into a 500.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MARKUP = re.compile(r"\*\*|__|`")
TYPE_LABELS = {"integer": "entier", "number": "nombre décimal", "text": "texte", "date": "date",
               "datetime": "date et heure", "boolean": "booléen", "geometry": "géométrie"}
GEO_LABELS = {"point": "points", "polygon": "polygones", "none": "aucune"}
EXPORTS = (("enclosure", "csv", "text/csv", "Export CSV (séparateur ;) du jeu complet"),
           ("related", "json", "application/json", "Export JSON du jeu complet"),
           ("related", "parquet", "application/vnd.apache.parquet", "Export Parquet du jeu complet"))
GEO_EXPORT = ("related", "geojson", "application/geo+json", "Export GeoJSON du jeu complet")


# -- paths and ids -----------------------------------------------------------------------------------------------------
def dataset_feed_path(dataset_id: str) -> str:
    return f"{DATASET_FEED_DIR}/{quote(dataset_id)}.atom"


def export_url(base_url: str, dataset_id: str, fmt: str) -> str:
    """The permanent download URL of a dataset's current version (the Explore API's export)."""
    return base_url.rstrip("/") + EXPORTS_PATH.format(id=quote(dataset_id), fmt=fmt)


def tag(base_url: str, specific: str) -> str:
    """A stable `tag:` URI (RFC 4151) under the portal's host name: entry ids survive a change of scheme or port."""
    host = (urlsplit(base_url).hostname or "localhost").lower()
    return f"tag:{host},{TAG_DATE}:{specific}"


# -- text and dates ----------------------------------------------------------------------------------------------------
def plain(value: Any, limit: int | None = None) -> str:
    """Text safe for XML (control characters dropped), cut at a word boundary past `limit` characters."""
    text = _NOT_XML.sub("", str(value or "")).strip()
    if limit is not None and len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"
    return text


def excerpt(markdown: Any, limit: int = SUMMARY_CHARS) -> str:
    """The opening paragraphs of a Markdown description as plain text (emphasis marks and tables left out)."""
    lines = [line for line in plain(markdown).splitlines() if not line.lstrip().startswith("|")]
    return plain(_MARKUP.sub("", "\n".join(lines)), limit)


def instant(value: Any) -> dt.datetime | None:
    """An ISO date or date-time (naive = UTC) as an aware datetime; None for anything else."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def when_fr(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).strftime("%d/%m/%Y à %H:%M UTC")


def number_fr(value: Any) -> str:
    return french.number(int(value or 0))


def _plural(count: int, word: str) -> str:
    return f"{number_fr(count)} {word}{'s' if abs(count) > 1 else ''}"


# -- entry links -------------------------------------------------------------------------------------------------------
class EntryLinks(BaseEntryExtension):
    """An entry's links other than its page. feedgen 1.0.0 writes only the href of an entry's links (its atom_entry
    rebinds the loop variable: lkiesow/python-feedgen#135, open), so an enclosure would read as a second
    `alternate`: these are written here with their rel, type and title, and the first enclosure becomes the RSS
    item's `<enclosure>` (length 0: unknown before the export runs)."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def extend_atom(self, entry: Any) -> Any:
        for attrs in self.links:
            xml_elem("link", entry, **attrs)
        return entry

    def extend_rss(self, item: Any) -> Any:
        enclosure = next((link for link in self.links if link["rel"] == "enclosure"), None)
        if enclosure is not None:
            xml_elem("enclosure", item, url=enclosure["href"], length="0", type=enclosure["type"])
        return item


def _entry(fg: FeedGenerator, page: str) -> FeedEntry:
    """A new last entry whose page is `page` (the entry's `alternate` link: feedgen requires one without content)."""
    fe = fg.add_entry(order="append")
    fe.link(href=page)
    fe.register_extension("territoire_links", EntryLinks, atom=True, rss=True)
    return fe


def _link(fe: FeedEntry, href: str, rel: str, media: str, title: str) -> None:
    fe.territoire_links.links.append({"href": href, "rel": rel, "type": media, "title": plain(title)})


# -- the feed shell ----------------------------------------------------------------------------------------------------
def _feed(base_url: str, *, feed_id: str, title: str, subtitle: str, self_path: str, page: str,
          author: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(tag(base_url, feed_id))
    fg.title(plain(title))
    fg.subtitle(plain(subtitle))
    fg.link(href=base_url.rstrip("/") + self_path, rel="self", type=ATOM_TYPE.split(";")[0])
    fg.link(href=page, rel="alternate", type="text/html")
    fg.author(name=plain(author) or "Portail")
    fg.language("fr")
    fg.generator("Territoire (feedgen)")
    return fg


def _finish(fg: FeedGenerator, stamps: Iterable[dt.datetime]) -> FeedGenerator:
    fg.updated(max(stamps, default=EPOCH))
    return fg


# -- the catalogue feed ------------------------------------------------------------------------------------------------
def _updated(row: Mapping[str, Any]) -> dt.datetime:
    """When the portal last published new data for the dataset (its current version), else the manifest's date."""
    return instant(row.get("loaded_at")) or instant(row.get("modified")) or EPOCH


def catalogue_feed(rows: Iterable[Mapping[str, Any]], *, base_url: str, portal_name: str, territory_of: str = "",
                   metas: Mapping[str, Mapping[str, Any]] | None = None,
                   limit: int = MAX_ENTRIES) -> FeedGenerator:
    """The newest `limit` datasets (by the load time of their current version), as catalogue rows give them (see
    exports.catalogue.records); `metas` (current meta.json by id) tells a new dataset from an updated one."""
    published = [r for r in rows if r.get("version")]  # a manifest entry never loaded has no page data nor export
    chosen = sorted(published, key=lambda r: (_updated(r), str(r.get("id"))), reverse=True)[:max(limit, 0)]
    fg = _feed(base_url, feed_id="flux/catalogue",
               title=f"{portal_name} — nouveaux jeux de données et mises à jour",
               subtitle=f"Les jeux de données ouverts {territory_of} publiés ou mis à jour sur {portal_name}, "
                        "les plus récents d'abord.".replace("  ", " "),
               self_path=CATALOGUE_FEED_PATH, page=base_url.rstrip("/") + "/catalogue", author=portal_name)
    for row in chosen:
        _catalogue_entry(fg, row, base_url, (metas or {}).get(str(row["id"])))
    return _finish(fg, (_updated(r) for r in chosen))


def _catalogue_entry(fg: FeedGenerator, row: Mapping[str, Any], base_url: str,
                     meta: Mapping[str, Any] | None) -> None:
    dataset_id = str(row["id"])
    fe = _entry(fg, landing_page(base_url, dataset_id))
    fe.id(tag(base_url, f"jeu-de-donnees/{dataset_id}"))
    fe.title(plain(row.get("title")) or dataset_id)
    fe.updated(_updated(row))
    created = instant(row.get("created"))  # the publisher's creation date (the manifest's `created`)
    if created is not None:
        fe.published(min(created, _updated(row)))  # Atom: published never after updated
    exports = EXPORTS + ((GEO_EXPORT,) if row.get("has_map") else ())
    for rel, fmt, media, title in exports:
        _link(fe, export_url(base_url, dataset_id, fmt), rel, media, title)
    _link(fe, base_url.rstrip("/") + dataset_feed_path(dataset_id), "related", ATOM_TYPE.split(";")[0],
          "Versions de ce jeu de données (flux Atom)")
    publisher_url = str(row.get("publisher_url") or "")
    author = {"name": plain(row.get("publisher")) or "Producteur non indiqué"}
    if publisher_url.startswith(("https://", "http://")):
        author["uri"] = plain(publisher_url)
    fe.author(author)
    for term, label in zip(row.get("themes") or [], row.get("theme_labels") or [], strict=False):
        fe.category(term=plain(term), label=plain(label))
    fe.summary(_catalogue_summary(row, meta))


def _catalogue_summary(row: Mapping[str, Any], meta: Mapping[str, Any] | None) -> str:
    changes = (meta or {}).get("changes") or {}
    stamp = _updated(row)
    what = "Mise à jour des données" if changes.get("previous_version") else "Nouveau jeu de données"
    facts = [f"{what} le {when_fr(stamp)}." if stamp > EPOCH else what + ".",
             f"Producteur : {plain(row.get('publisher')) or '–'}.",
             f"Licence : {plain(row.get('license_title')) or '–'}.",
             f"{_plural(int(row.get('records') or 0), 'enregistrement')}, "
             f"{_plural(int(row.get('columns_count') or 0), 'colonne')}."]
    text = excerpt(row.get("description"))
    return "\n".join(facts) + (f"\n\n{text}" if text else "")


def rss_bytes(fg: FeedGenerator, self_url: str) -> bytes:
    """The catalogue feed as RSS 2.0 (the catalogue's `rss` export): the same entries, each dated (pubDate) by its
    update, the only date RSS readers sort on, and the channel's self link pointing at the RSS address."""
    for fe in fg.entry():
        fe.pubDate(fe.updated())
    links = [link for link in fg.link() if link.get("rel") != "self"]
    # feedgen's RSS <link> is the last link given: the catalogue page (alternate) must come after self.
    fg.link([{"href": self_url, "rel": "self", "type": RSS_TYPE.split(";")[0]}, *links], replace=True)
    return fg.rss_str(pretty=True)


# -- the per-dataset feed ----------------------------------------------------------------------------------------------
def stored_versions(dataset_id: str, limit: int = MAX_ENTRIES) -> list[dict[str, Any]]:
    """meta.json of each kept version, newest first, with `current` set on the one being served (a restore may serve
    an older one)."""
    out = []
    for version in warehouse.list_versions(dataset_id)[:max(limit, 0) + 1]:
        meta = warehouse.read_meta(dataset_id, str(version["version"]))
        if meta is not None:
            out.append({**meta, "current": bool(version.get("current"))})
    return out


def dataset_feed(entry: Mapping[str, Any], versions: list[Mapping[str, Any]], *, base_url: str, portal_name: str,
                 limit: int = MAX_ENTRIES) -> FeedGenerator:
    """One entry per kept version (newest first, as `stored_versions` gives them), each saying in French what
    changed since the version before it. `entry` is the dataset's catalogue row (title, publisher…)."""
    dataset_id = str(entry.get("id") or (versions[0].get("dataset_id") if versions else ""))
    title = plain(entry.get("title")) or plain(versions[0].get("title") if versions else "") or dataset_id
    page = landing_page(base_url, dataset_id)
    fg = _feed(base_url, feed_id=f"jeu-de-donnees/{dataset_id}/versions", title=f"{title} — versions publiées",
               subtitle=f"Chaque nouvelle version du jeu de données « {title} » sur {portal_name}, avec ce qui a "
                        "changé.", self_path=dataset_feed_path(dataset_id), page=page,
               author=plain(entry.get("publisher")) or portal_name)
    shown = versions[:max(limit, 0)]
    for index, meta in enumerate(shown):
        previous = versions[index + 1] if index + 1 < len(versions) else None
        _version_entry(fg, meta, previous, base_url=base_url, dataset_id=dataset_id, newest=index == 0)
    return _finish(fg, (instant(m.get("loaded_at")) or EPOCH for m in shown))


def _version_entry(fg: FeedGenerator, meta: Mapping[str, Any], previous: Mapping[str, Any] | None, *, base_url: str,
                   dataset_id: str, newest: bool) -> None:
    version = str(meta.get("version") or "")
    stamp = instant(meta.get("loaded_at")) or EPOCH
    changes = version_changes(meta, previous)
    fe = _entry(fg, landing_page(base_url, dataset_id))
    fe.id(tag(base_url, f"jeu-de-donnees/{dataset_id}/versions/{version}"))
    others = len(changes) - 1
    more = f" ; {others} autre{'s' if others > 1 else ''} changement{'s' if others > 1 else ''}" if others else ""
    fe.title(f"Version du {when_fr(stamp)} : {changes[0].rstrip('.')}{more}")
    fe.updated(stamp)
    fe.published(stamp)
    lines = [changes[0][:1].upper() + changes[0][1:], *changes[1:]]
    if meta.get("current"):
        lines.append("C'est la version servie actuellement par le portail"
                     + (" (restaurée par un administrateur)." if not newest else "."))
        for rel, fmt, media, title in EXPORTS[:1]:
            _link(fe, export_url(base_url, dataset_id, fmt), rel, media, title)
    lines.append(f"Identifiant de version : {plain(version)}.")
    fe.summary("\n".join(lines))


def version_changes(meta: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[str]:
    """What a version changes, in French, one sentence a line; the first line is short enough for a title.
    Compared with the previous kept version's meta.json when there is one, else with the summary the loader stored
    (`changes`, whose previous version may have been pruned)."""
    rows = int(meta.get("rows") or 0)
    columns = meta.get("columns") or []
    stored = meta.get("changes") or {}
    if previous is None and not stored.get("previous_version"):
        return [f"première version publiée, {_plural(rows, 'ligne')} et {_plural(len(columns), 'colonne')}."]
    if previous is None:
        return _stored_changes(stored, rows)
    lines = [_rows_line(int(previous.get("rows") or 0), rows)]
    lines += _column_lines(previous.get("columns") or [], columns)
    lines += _metadata_lines(previous, meta)
    return lines


def _rows_line(before: int, after: int) -> str:
    delta = after - before
    if delta > 0:
        return f"{_plural(delta, 'ligne')} de plus ({number_fr(before)} → {number_fr(after)})."
    if delta < 0:
        return f"{_plural(-delta, 'ligne')} de moins ({number_fr(before)} → {number_fr(after)})."
    return f"même nombre de lignes ({number_fr(after)})."


def _stored_changes(stored: Mapping[str, Any], rows: int) -> list[str]:
    added, removed = int(stored.get("rows_added") or 0), int(stored.get("rows_removed") or 0)
    lines = [_rows_line(rows - added + removed, rows)]
    if stored.get("columns_added"):
        lines.append("Colonnes ajoutées : " + ", ".join(plain(c) for c in stored["columns_added"]) + ".")
    if stored.get("columns_removed"):
        lines.append("Colonnes retirées : " + ", ".join(plain(c) for c in stored["columns_removed"]) + ".")
    lines.append(f"(Comparée à la version {plain(stored.get('previous_version'))}, qui n'est plus conservée.)")
    return lines


def _column_lines(before: list[Mapping[str, Any]], after: list[Mapping[str, Any]]) -> list[str]:
    old = {str(c.get("name")): c for c in before}
    new = {str(c.get("name")): c for c in after}
    lines = []
    added = [n for n in new if n not in old]
    removed = [n for n in old if n not in new]
    if added:
        lines.append("Colonnes ajoutées : " + ", ".join(plain(n) for n in added) + ".")
    if removed:
        lines.append("Colonnes retirées : " + ", ".join(plain(n) for n in removed) + ".")
    for name in (n for n in new if n in old):
        was, now = old[name], new[name]
        if was.get("type") != now.get("type"):
            lines.append(f"Type de la colonne {plain(name)} : {_type_label(was)} → {_type_label(now)}.")
        if (was.get("label") or "") != (now.get("label") or ""):
            lines.append(f"Libellé de la colonne {plain(name)} : « {plain(was.get('label'))} » → "
                         f"« {plain(now.get('label'))} ».")
        if (was.get("description") or "") != (now.get("description") or "") or \
                (was.get("unit") or "") != (now.get("unit") or ""):
            lines.append(f"Description ou unité de la colonne {plain(name)} modifiée.")
    return lines


def _type_label(column: Mapping[str, Any]) -> str:
    return TYPE_LABELS.get(str(column.get("type")), plain(column.get("type")))


def _metadata_lines(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    lines = []
    if before.get("title") and after.get("title") and before["title"] != after["title"]:
        lines.append(f"Titre : « {plain(before['title'])} » → « {plain(after['title'])} ».")
    src_before, src_after = before.get("source") or {}, after.get("source") or {}
    where_before = src_before.get("url") or src_before.get("path")
    where_after = src_after.get("url") or src_after.get("path")
    if where_before != where_after:
        lines.append(f"Source : {plain(where_before) or '–'} → {plain(where_after) or '–'}.")
    if src_before.get("page") != src_after.get("page"):
        lines.append(f"Page de la source : {plain(src_before.get('page')) or '–'} → "
                     f"{plain(src_after.get('page')) or '–'}.")
    read_before = _reading(src_before)
    read_after = _reading(src_after)
    if read_before != read_after:
        lines.append(f"Lecture du fichier : {read_before} → {read_after}.")
    if src_before.get("sha256") and src_before.get("sha256") == src_after.get("sha256"):
        lines.append("Fichier source identique (rechargement forcé).")
    elif src_after.get("sha256"):
        lines.append(f"Nouveau fichier source (empreinte SHA-256 {plain(src_after['sha256'])[:12]}…).")
    geo_before = str((before.get("geo") or {}).get("kind") or "none")
    geo_after = str((after.get("geo") or {}).get("kind") or "none")
    if geo_before != geo_after:
        lines.append(f"Géographie : {GEO_LABELS.get(geo_before, plain(geo_before))} → "
                     f"{GEO_LABELS.get(geo_after, plain(geo_after))}.")
    warned_before, warned_after = len(before.get("warnings") or []), len(after.get("warnings") or [])
    if warned_before != warned_after:
        lines.append(f"Avertissements du chargement : {number_fr(warned_before)} → {number_fr(warned_after)}.")
    return lines


def _reading(source: Mapping[str, Any]) -> str:
    parts = [source.get("format"), source.get("encoding"),
             f"séparateur « {source['delimiter']} »" if source.get("delimiter") else None]
    return plain(" · ".join(str(p) for p in parts if p)) or "–"
