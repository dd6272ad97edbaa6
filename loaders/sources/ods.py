"""Opendatasoft Explore API v2.1: catalogue and dataset metadata to manifests, data through the export endpoints."""

from __future__ import annotations

import html
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from catalogue import vocab
from catalogue.folding import fold
from catalogue.manifest import ID_RE, DatasetSpec
from loaders import http
from loaders import settings as S
from loaders.sources.ods_points import split_points
from loaders.sources.url import Fetched, fetch_url


class OdsError(Exception):
    """A French explanation of why a dataset cannot be harvested from the portal."""


# ---------------------------------------------------------------------------------------------- URLs


def portal_root(portal: str) -> str:
    """`https://data.example.fr` from any portal URL (home page, /explore/..., /api/explore/v2.1/...)."""
    parts = urlsplit(portal.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OdsError(f"Adresse de portail invalide : « {portal} » (attendu : https://…).")
    path = re.split(r"/(?:api|explore)(?:/|$)", parts.path, maxsplit=1)[0].rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}"


def api_base(portal: str) -> str:
    return portal_root(portal) + S.ODS_API_PATH


def export_url(portal: str, dataset_id: str, fmt: str) -> str:
    return f"{api_base(portal)}/catalog/datasets/{quote(dataset_id, safe='')}/exports/{fmt}"


def dataset_page(portal: str, dataset_id: str) -> str:
    return f"{portal_root(portal)}/explore/dataset/{quote(dataset_id, safe='')}/"


# ------------------------------------------------------------------------------------------ fetching


def fetch_catalogue(portal: str, *, where: str | None = None, refine: list[str] | None = None,
                    limit: int | None = None) -> list[dict[str, Any]]:
    """Every dataset of the catalogue (or those matching `where`/`refine`), paginated with limit/offset."""
    url = f"{api_base(portal)}/catalog/datasets"
    results: list[dict[str, Any]] = []
    offset = 0
    while True:
        page_size = S.ODS_PAGE_SIZE if limit is None else min(S.ODS_PAGE_SIZE, limit - len(results))
        # The API rejects offset + limit >= 10 000: beyond that, narrow the catalogue with where/refine.
        page_size = min(page_size, S.ODS_MAX_WINDOW - 1 - offset)
        if page_size <= 0:
            break
        params: list[tuple[str, Any]] = [("limit", page_size), ("offset", offset)]
        if where:
            params.append(("where", where))
        params.extend(("refine", r) for r in refine or [])
        page = http.get_json(url, params)
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise OdsError(f"Réponse inattendue du catalogue {url} (pas de « results »).")
        batch = page["results"]
        results.extend(batch)
        offset += len(batch)
        total = int(page.get("total_count") or 0)
        if not batch or offset >= total or (limit is not None and len(results) >= limit):
            break
    return results


def fetch_dataset(portal: str, dataset_id: str) -> dict[str, Any]:
    url = f"{api_base(portal)}/catalog/datasets/{quote(dataset_id, safe='')}"
    try:
        data = http.get_json(url)
    except http.NotFound as exc:
        raise OdsError(f"Jeu « {dataset_id} » introuvable sur {portal_root(portal)}.") from exc
    if not isinstance(data, dict) or "dataset_id" not in data:
        raise OdsError(f"Réponse inattendue pour le jeu « {dataset_id} » ({url}).")
    return data


# ------------------------------------------------------------------------------------------- mapping


class _HtmlToMarkdown(HTMLParser):
    """ODS descriptions are HTML: keep paragraphs, lists, links and emphasis as Markdown, drop the rest."""

    BLOCK = {"p", "div", "br", "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
    SKIP = {"script", "style", "iframe", "object", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n\n" if tag != "br" else "\n")
            if tag[0] == "h" and tag[1:].isdigit():
                self.out.append("#" * int(tag[1:]) + " ")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            # Only web and mail links survive: no javascript: or data: URLs in our Markdown.
            self.href.append(href if re.match(r"^(https?:|mailto:)", href) else None)
            if self.href[-1]:
                self.out.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip = max(self.skip - 1, 0)
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href:
                self.out.append(f"]({href})")
        elif tag in self.BLOCK:
            self.out.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(re.sub(r"\s+", " ", data))


HTML_MARK = re.compile(r"<[A-Za-z/!?][^>]*>|&(#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);")


def html_to_markdown(value: str | None) -> str:
    """Sanitised Markdown-ish text from an HTML description (no tag survives). A description without any markup (a
    portal serving Markdown or plain text, as this one does) is kept as written, line breaks included."""
    if not value:
        return ""
    if not HTML_MARK.search(value):
        return re.sub(r"<(?=[A-Za-z/!?])", "‹", value.replace("\r\n", "\n")).strip()
    parser = _HtmlToMarkdown()
    parser.feed(value)
    parser.close()
    text = "".join(parser.out)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n[ \t]+", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    # Entities such as &lt;script&gt; decode to tag-like text a Markdown renderer could take for HTML.
    return re.sub(r"<(?=[A-Za-z/!?])", "‹", html.unescape(text)).strip()


def map_license(name: str | None, url: str | None = None) -> dict[str, str]:
    """udata licence id (+ title, url) from an ODS licence label and URL; unknown ones keep their own title."""
    label = (name or "").strip()
    text = re.sub(r"[-_/\s.]+", " ", fold(f"{label} {url or ''}"))
    if not text.strip():
        lic = "notspecified"
    elif "odbl" in text or "open database" in text:
        lic = "odc-odbl"
    elif "pddl" in text or "public domain dedication" in text:
        lic = "odc-pddl"
    elif "odc by" in text or "open data commons attribution" in text or "opendatacommons org licenses by" in text:
        lic = "odc-by"
    elif "cc0" in text or "cc zero" in text or "cczero" in text or "publicdomain zero" in text:
        lic = "cc-zero"
    elif "by sa" in text or "sharealike" in text or "share alike" in text:
        lic = "cc-by-sa"
    elif "cc by" in text or "creative commons attribution" in text or "creativecommons org licenses by" in text:
        lic = "cc-by"
    elif "licence ouverte" in text or "open licence" in text or "etalab" in text:
        v1 = re.search(r"\b(v ?1|1 0|version 1)\b", text) or "licence ouverte pdf" in text
        lic = "fr-lo" if v1 and not re.search(r"\b(v ?2|2 0|version 2)\b", text) else "lov2"
    else:
        # An open licence we have no id for (e.g. Open Government Licence): keep its own title and link.
        return {"id": "other-at", "title": label or "Autre (Attribution)", "url": url or ""}
    return {"id": lic, "title": vocab.license_title(lic), "url": vocab.license_url(lic) or (url or "")}


# (word prefix, udata topic); the first word of an ODS theme that matches decides its topic.
_THEME_WORDS: tuple[tuple[str, str], ...] = (
    ("sante", "health"), ("health", "health"), ("medic", "health"),
    ("transport", "transport_and_mobility"), ("mobilit", "transport_and_mobility"),
    ("deplacement", "transport_and_mobility"), ("route", "transport_and_mobility"),
    ("logement", "housing_and_development"), ("urbanisme", "housing_and_development"),
    ("amenagement", "housing_and_development"), ("habitat", "housing_and_development"),
    ("housing", "housing_and_development"), ("planning", "housing_and_development"),
    ("agricult", "food_and_agriculture"), ("aliment", "food_and_agriculture"), ("food", "food_and_agriculture"),
    ("culture", "culture_and_recreation"), ("patrimoine", "culture_and_recreation"),
    ("loisir", "culture_and_recreation"), ("sport", "culture_and_recreation"),
    ("tourism", "culture_and_recreation"), ("heritage", "culture_and_recreation"),
    ("economi", "economy_and_business"), ("entreprise", "economy_and_business"),
    ("business", "economy_and_business"), ("commerce", "economy_and_business"),
    ("environ", "environment_and_energy"), ("energ", "environment_and_energy"),
    ("climat", "environment_and_energy"), ("nature", "environment_and_energy"),
    ("biodiversite", "environment_and_energy"), ("dechet", "environment_and_energy"),
    ("emploi", "work_and_training"), ("travail", "work_and_training"), ("employment", "work_and_training"),
    ("administration", "politics_and_public_life"), ("gouvernement", "politics_and_public_life"),
    ("government", "politics_and_public_life"), ("citoyen", "politics_and_public_life"),
    ("citizen", "politics_and_public_life"), ("politi", "politics_and_public_life"),
    ("election", "politics_and_public_life"),
    ("securite", "safety_and_security"), ("security", "safety_and_security"), ("police", "safety_and_security"),
    ("secours", "safety_and_security"), ("crimin", "safety_and_security"),
    ("education", "education_and_research"), ("enseignement", "education_and_research"),
    ("recherche", "education_and_research"), ("research", "education_and_research"),
    ("formation", "education_and_research"),
    ("social", "society_and_demography"), ("solidarit", "society_and_demography"),
    ("population", "society_and_demography"), ("demograph", "society_and_demography"),
    ("societ", "society_and_demography"),
    ("justice", "law_and_justice"), ("droit", "law_and_justice"), ("law", "law_and_justice"),
)


def map_themes(themes: list[str] | str | None) -> list[str]:
    """Best-effort udata topics for ODS themes; `others` when nothing matches."""
    if isinstance(themes, str):
        themes = [themes]
    topics: list[str] = []
    exact = {fold(label): slug for slug, label in vocab.TOPICS.items()} | {fold(slug): slug for slug in vocab.TOPICS}
    for theme in themes or []:
        topic = exact.get(fold(str(theme)))  # a udata topic, by its label or its id
        if topic:
            topics += [topic] if topic not in topics else []
            continue
        for word in re.findall(r"[a-z]+", fold(str(theme))):
            topic = next((t for prefix, t in _THEME_WORDS if word.startswith(prefix)), None)
            if topic:
                if topic not in topics:
                    topics.append(topic)
                break
    return topics or ["others"]


def make_id(dataset_id: str, prefix: str = "ods-") -> str:
    """Our manifest id for a remote dataset id: `ods-<id>`, folded to [a-z0-9-], at most 80 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(dataset_id)).strip("-")
    ident = (prefix + slug)[:80].rstrip("-")
    if not ID_RE.match(ident):
        raise OdsError(f"Impossible de former un identifiant valide à partir de « {dataset_id} ».")
    return ident


def _granularity(fields: list[dict[str, Any]], declared: Any = None) -> str:
    if isinstance(declared, str) and declared in vocab.GRANULARITY_LABELS:  # this portal's API says it
        return declared
    types = {str(f.get("type")) for f in fields}
    return "point" if "geo_point_2d" in types and "geo_shape" not in types else "other"


def to_manifest(dataset: dict[str, Any], portal: str, *, dataset_id: str | None = None, where: str | None = None,
                refine: list[str] | None = None, select: str | None = None) -> dict[str, Any]:
    """Pure mapping of one Explore v2.1 dataset object to a manifest entry (dict for write_spec)."""
    remote_id = str(dataset["dataset_id"])
    metas = (dataset.get("metas") or {}).get("default") or {}
    root = portal_root(portal)
    title = str(metas.get("title") or remote_id)
    description = html_to_markdown(metas.get("description"))
    territory = [str(t) for t in metas.get("territory") or [] if t]
    if territory:
        description = f"{description}\n\nTerritoire couvert : {', '.join(territory)}.".strip()
    source: dict[str, Any] = {"kind": "ods", "url": root, "page": dataset_page(root, remote_id), "dataset_id": remote_id}
    if where:
        source["where"] = where
    if refine:
        source["refine"] = list(refine)
    if select:
        source["select"] = select
    columns: dict[str, Any] = {}
    for f in dataset.get("fields") or []:
        if not f.get("name") or f.get("type") == "geo_point_2d":  # no such column once loaded (ods_points.py)
            continue
        doc = {"label": str(f.get("label") or f["name"])}
        if f.get("description"):
            doc["description"] = html_to_markdown(str(f["description"]))
        columns[str(f["name"])] = doc
    publisher = str(metas.get("publisher") or urlsplit(root).netloc)
    filters = "; ".join(x for x in (f"where {where}" if where else "", f"refine {', '.join(refine)}" if refine else "",
                                    f"select {select}" if select else "") if x)
    # `modified` is the publisher's date of the dataset; data_processed only says when the portal last indexed it.
    modified = str(metas.get("modified") or metas.get("data_processed") or "")[:10]
    entry: dict[str, Any] = {
        "id": dataset_id or make_id(remote_id),
        "title": title,
        "description": description,
        "publisher": publisher,
        "license": map_license(metas.get("license"), metas.get("license_url")),
        "themes": map_themes(metas.get("theme")),
        "keywords": [str(k) for k in metas.get("keyword") or [] if k],
        "frequency": "unknown",
        "spatial_granularity": _granularity(dataset.get("fields") or [], metas.get("spatial_granularity")),
        "modified": modified,
        "attribution": str(metas.get("attributions") or publisher),
        "provenance": f"Moissonné sur {root} (API Explore v2.1), jeu « {remote_id} »"
                      f"{' (' + filters + ')' if filters else ''}, le {date.today().isoformat()}.",
        "source": source,
        "columns": columns,
    }
    # ODS keeps the frequency in its DCAT template; this portal's API also gives its udata slug in `default`.
    freq = ((dataset.get("metas") or {}).get("dcat") or {}).get("accrualperiodicity") or metas.get("frequency")
    if isinstance(freq, str):
        slug = freq.rstrip("/").rsplit("/", 1)[-1]
        slug = vocab.FREQUENCY_ALIASES.get(slug, slug)
        if slug in vocab.FREQUENCIES:
            entry["frequency"] = slug
    return entry


# ------------------------------------------------------------------------------------------- refresh


def remote_stamp(dataset: dict[str, Any]) -> str:
    """What tells us the data changed: the portal's data_processed (else modified) date."""
    metas = (dataset.get("metas") or {}).get("default") or {}
    return str(metas.get("data_processed") or metas.get("modified") or "")


def _query(options: dict[str, Any]) -> list[tuple[str, Any]]:
    params: list[tuple[str, Any]] = []
    if options.get("where"):
        params.append(("where", str(options["where"])))
    refine = options.get("refine") or []
    params.extend(("refine", str(r)) for r in ([refine] if isinstance(refine, str) else refine))
    if options.get("select"):
        params.append(("select", str(options["select"])))
    return params


def _formats(dataset: dict[str, Any]) -> list[str]:
    if any(f.get("type") == "geo_shape" for f in dataset.get("fields") or []):
        return ["geojson", "parquet", "csv"]  # a shape in Parquet is text to the loader; GeoJSON makes it a geometry
    geo = "geo" in (dataset.get("features") or [])
    return ["parquet", "geojson", "csv"] if geo else ["parquet", "csv"]


def fetch(spec: DatasetSpec, entry: dict[str, Any], workdir: Path, force: bool = False) -> Fetched:
    """Refresh fetcher for `kind = "ods"`: compare the portal's data date, then download one export.

    Only `/exports/{parquet|csv|geojson}` is used, never `/records` (capped at 10 000 rows).
    """
    portal = spec.source.url or ""
    options = spec.source.options
    remote_id = str(options.get("dataset_id") or "")
    if not portal or not remote_id:
        raise OdsError(f"Le jeu « {spec.id} » doit indiquer l'URL du portail et « dataset_id ».")
    dataset = fetch_dataset(portal, remote_id)
    if dataset.get("has_records") is False:
        raise OdsError(f"Le jeu « {remote_id} » ne contient pas d'enregistrements (fichiers joints seulement).")
    stamp = remote_stamp(dataset)
    query = _query(options)
    signature = repr(query)
    if (not force and stamp and entry.get("remote_modified") == stamp and entry.get("query") == signature
            and entry.get("last_success")):
        return Fetched(True, f"inchangé sur le portail (données du {stamp[:10]})",
                       remote={"remote_modified": stamp, "query": signature})
    last_error: http.HttpError | None = None
    for fmt in _formats(dataset):
        params = list(query) + ([("delimiter", ";")] if fmt == "csv" else [])
        url = export_url(portal, remote_id, fmt)
        # The etag of one format is meaningless for another one.
        prev = entry if entry.get("export_format") == fmt else {}
        try:
            fetched = fetch_url(url, prev, workdir, force=force, params=params, suffix=f".{fmt}",
                                extra_info={"portal": portal_root(portal), "dataset_id": remote_id,
                                            "export_format": fmt, "remote_modified": stamp or None,
                                            "records_count": ((dataset.get("metas") or {}).get("default") or {})
                                            .get("records_count")})
        except http.RemoteQueryError as exc:
            if "odsql" in str(exc).lower():
                raise OdsError(f"Le portail refuse le filtre du jeu « {remote_id} » (where/refine/select) : "
                               f"{exc}") from exc
            last_error = exc  # this export format is not offered: try the next one
            continue
        except http.NotFound as exc:
            last_error = exc
            continue
        fetched.remote.update({"remote_modified": stamp, "query": signature, "export_format": fmt})
        count = ((dataset.get("metas") or {}).get("default") or {}).get("records_count")
        if not query and isinstance(count, int):
            fetched.expected_rows = count  # without a filter, the export must hold every record
        if fetched.unchanged:
            fetched.message = f"inchangé (HTTP 304 sur l'export {fmt})"
        elif fmt == "parquet" and fetched.path is not None:
            fetched.message = " ; ".join([fetched.message, *split_points(fetched.path)])
        return fetched
    raise OdsError(f"Aucun export utilisable pour « {remote_id} » ({last_error}).")
