"""DCAT-AP 3.0.1 catalogue of the portal as an rdflib Graph, built from catalogue rows: a pure function, no I/O.

Every resource a DCAT-AP range shape checks is typed in the graph itself (a harvester or pyshacl sees no ontology):
licences are `dct:LicenseDocument`, media types `dct:MediaType`, frequencies `dct:Frequency`, pages
`foaf:Document`… Which export formats a dataset offers is not decided here: each row carries them (`formats`), as
the API that serves the files says (api/exports.py).
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
DCAT_VERSION = URIRef(str(DCAT) + "version")  # a DCAT 3 term rdflib's closed DCAT namespace does not list
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
API_PATH = "/api/explore/v2.1"
EXPLORE_API_DOC = "https://help.opendatasoft.com/apis/ods-explore-v2/"  # the interface the API reproduces
PREFIXES = {"dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "skos": SKOS, "xsd": XSD, "hydra": HYDRA, "vcard": VCARD,
            "dcatap": DCATAP}
# Exports are built on demand from the current version: always there while the dataset is published.
AVAILABILITY = (f"{EU}planned-availability/STABLE", "Stable")
_LANG = {"fr": "FRA", "en": "ENG"}
# udata UpdateFrequency slug → EU frequency authority table (what DCAT-AP expects in dct:accrualPeriodicity).
FREQUENCIES: dict[str, str] = {
    "continuous": "UPDATE_CONT", "oneMinute": "1MIN", "fiveMinutes": "5MIN", "tenMinutes": "10MIN",
    "fifteenMinutes": "15MIN", "thirtyMinutes": "30MIN", "hourly": "HOURLY", "bihourly": "BIHOURLY",
    "trihourly": "TRIHOURLY", "twelveHours": "12HRS", "severalTimesADay": "CONT", "threeTimesADay": "DAILY_3",
    "semidaily": "DAILY_2", "daily": "DAILY", "fiveTimesAWeek": "OTHER", "threeTimesAWeek": "WEEKLY_3",
    "semiweekly": "WEEKLY_2", "weekly": "WEEKLY", "biweekly": "BIWEEKLY", "threeTimesAMonth": "MONTHLY_3",
    "semimonthly": "MONTHLY_2", "monthly": "MONTHLY", "bimonthly": "BIMONTHLY", "quarterly": "QUARTERLY",
    "threeTimesAYear": "ANNUAL_3", "semiannual": "ANNUAL_2", "annual": "ANNUAL", "biennial": "BIENNIAL",
    "triennial": "TRIENNIAL", "quadrennial": "QUADRENNIAL", "quinquennial": "QUINQUENNIAL",
    "decennial": "DECENNIAL", "bidecennial": "BIDECENNIAL", "tridecennial": "TRIDECENNIAL",
    "punctual": "NEVER", "irregular": "IRREG", "never": "NEVER", "notPlanned": "NOT_PLANNED", "other": "OTHER",
    "unknown": "UNKNOWN",
}
# udata topic slug → EU data theme (DCAT-AP wants dcat:theme as an IRI of that table), with its French label.
EU_THEMES: dict[str, str] = {
    "AGRI": "Agriculture, pêche, sylviculture et alimentation", "ECON": "Économie et finances",
    "EDUC": "Éducation, culture et sport", "ENER": "Énergie", "ENVI": "Environnement",
    "GOVE": "Gouvernement et secteur public", "HEAL": "Santé", "JUST": "Justice, système juridique et sécurité publique",
    "REGI": "Régions et villes", "SOCI": "Population et société", "TECH": "Science et technologie",
    "TRAN": "Transports",
}
THEMES: dict[str, tuple[str, ...]] = {
    "health": ("HEAL",), "transport_and_mobility": ("TRAN",), "housing_and_development": ("REGI",),
    "food_and_agriculture": ("AGRI",), "culture_and_recreation": ("EDUC",), "economy_and_business": ("ECON",),
    "environment_and_energy": ("ENVI", "ENER"), "work_and_training": ("ECON", "SOCI"),
    "politics_and_public_life": ("GOVE",), "safety_and_security": ("JUST",), "education_and_research": ("EDUC", "TECH"),
    "society_and_demography": ("SOCI",), "law_and_justice": ("JUST",), "open_data_tools": ("TECH",), "others": (),
}
# Licence ids of the catalogue (catalogue.vocab.LICENSES) → the canonical URI harvesters recognise (data.gouv.fr
# matches licences by URL); ids without one fall back to the manifest's licence URL.
LICENSE_URIS: dict[str, str] = {
    "lov2": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "fr-lo": "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
    "odc-odbl": "https://opendatacommons.org/licenses/odbl/1-0/",
    "odc-by": "https://opendatacommons.org/licenses/by/1-0/",
    "odc-pddl": "https://opendatacommons.org/licenses/pddl/1-0/",
    "cc-by": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-zero": "https://creativecommons.org/publicdomain/zero/1.0/",
}


@dataclass(frozen=True)
class Format:
    """An export format: its label, IANA media type and EU file-type code (None where the registry has none)."""

    label: str
    media_type: str | None
    file_type: str | None


# Export format keys of the Explore API (…/exports/{key}) → how DCAT names them.
FORMATS: dict[str, Format] = {
    "csv": Format("CSV", "text/csv", "CSV"),
    "json": Format("JSON", "application/json", "JSON"),
    "jsonl": Format("JSON Lines", None, None),  # neither IANA nor the EU table registers it
    "geojson": Format("GeoJSON", "application/geo+json", "GEOJSON"),
    "parquet": Format("Parquet", "application/vnd.apache.parquet", "PARQUET"),
    "xlsx": Format("Excel (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    "kml": Format("KML", "application/vnd.google-earth.kml+xml", "KML"),
    "shp": Format("Shapefile", None, "SHP"),
}


@dataclass(frozen=True)
class Site:
    """What the catalogue says about itself: the portal's public URL, names and the area its datasets cover."""

    base_url: str
    title: str
    description: str
    publisher: str
    language: str = "fr"
    territory: str = ""
    contact: str = ""  # where to ask about the data (an e-mail address, mailto: or https: URL): dcat:contactPoint

    @property
    def root(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def api(self) -> str:
        return self.root + API_PATH


@dataclass(frozen=True)
class Paging:
    """One page of the catalogue: `url` is the collection's address, pages are `url?page=N&page_size=S`."""

    url: str
    number: int
    size: int
    total: int

    @property
    def last(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    def page_url(self, number: int) -> str:
        return f"{self.url}?{urlencode({'page': number, 'page_size': self.size})}"


def landing_page(base_url: str, dataset_id: str) -> str:
    return f"{base_url.rstrip('/')}/jeu-de-donnees?id={quote(dataset_id)}"


def download_url(base_url: str, dataset_id: str, fmt: str) -> str:
    """The permanent download URL of a dataset in one format: the Explore API's export."""
    return f"{base_url.rstrip('/')}{API_PATH}/catalog/datasets/{quote(dataset_id)}/exports/{quote(fmt)}"


def license_uri(row: Mapping[str, Any]) -> str:
    return LICENSE_URIS.get(str(row.get("license_id") or ""), "") or str(row.get("license_url") or "")


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value if v is not None and str(v)]


def date_literal(value: Any) -> Literal | None:
    """ISO date/year text → a typed literal (xsd:date, xsd:gYearMonth, xsd:gYear); junk → None."""
    text = str(value or "").strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text[:10]) and (len(text) == 10 or text[10] in "T "):
        return Literal(text[:10], datatype=XSD.date)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return Literal(text, datatype=XSD.gYearMonth)
    if re.fullmatch(r"\d{4}", text):
        return Literal(text, datatype=XSD.gYear)
    return None


def period_bound(value: Any, end: bool = False) -> Literal | None:
    """A bound of the temporal coverage as a full xsd:date: a year or a month covers all its days (harvesters such as
    data.gouv.fr's read a bare year « 2023 » as 1 January, which would cut an end year short)."""
    literal = date_literal(value)
    if literal is None or literal.datatype == XSD.date:
        return literal
    text = str(literal)
    if literal.datatype == XSD.gYear:
        return Literal(f"{text}-12-31" if end else f"{text}-01-01", datatype=XSD.date)
    year, month = (int(part) for part in text.split("-"))
    last = calendar.monthrange(year, month)[1] if end else 1
    return Literal(f"{text}-{last:02d}", datatype=XSD.date)


class _Builder:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.g = Graph()
        for prefix, ns in PREFIXES.items():
            self.g.bind(prefix, ns)
        self.lang = site.language if site.language in _LANG else "fr"
        self.contact = self._contact(site.publisher or site.title, site.contact)
        self.place: BNode | None = None  # the territory every dataset covers, one node for the whole catalogue
        if site.territory:
            self.place = BNode()
            self.g.add((self.place, RDF.type, DCTERMS.Location))
            self.g.add((self.place, SKOS.prefLabel, Literal(site.territory, lang=self.lang)))

    def _contact(self, name: str, contact: str) -> BNode | None:
        contact = contact.strip()
        if not contact:
            return None
        node = BNode()
        self.g.add((node, RDF.type, VCARD.Organization))
        self.g.add((node, RDF.type, VCARD.Kind))
        self.g.add((node, VCARD.fn, Literal(name)))
        if contact.startswith(("http://", "https://")):
            self.g.add((node, VCARD.hasURL, URIRef(contact)))
        else:
            self.g.add((node, VCARD.hasEmail, URIRef(contact if contact.startswith("mailto:") else f"mailto:{contact}")))
        return node

    def text(self, subject: Any, prop: URIRef, value: Any) -> None:
        if str(value or "").strip():
            self.g.add((subject, prop, Literal(str(value), lang=self.lang)))

    def typed(self, uri: str, cls: URIRef) -> URIRef:
        ref = URIRef(uri)
        self.g.add((ref, RDF.type, cls))
        return ref

    def agent(self, name: str, homepage: str = "") -> BNode:
        node = BNode()
        self.g.add((node, RDF.type, FOAF.Agent))
        self.g.add((node, FOAF.name, Literal(name)))
        if homepage:
            self.g.add((node, FOAF.homepage, self.typed(homepage, FOAF.Document)))
        return node

    def language(self) -> URIRef:
        return self.typed(f"{EU}language/{_LANG[self.lang]}", DCTERMS.LinguisticSystem)

    def theme(self, code: str) -> URIRef:
        ref = self.typed(f"{EU}data-theme/{code}", SKOS.Concept)
        self.g.add((ref, SKOS.prefLabel, Literal(EU_THEMES[code], lang="fr")))
        self.g.add((ref, SKOS.inScheme, URIRef(f"{EU}data-theme")))
        return ref

    def distribution(self, row: Mapping[str, Any], dataset: URIRef, fmt: str, licence: URIRef | None) -> URIRef:
        """A file: no dcat:accessService, on purpose. data.gouv.fr's harvester files a distribution that has one as an
        API resource (not a downloadable file), and does not list a data service that is some distribution's access
        service as a service of its own; the DataService links its datasets with dcat:servesDataset instead."""
        ds_id = str(row["id"])
        spec = FORMATS.get(fmt, Format(fmt.upper(), None, None))
        url = download_url(self.site.root, ds_id, fmt)
        dist = self.typed(f"{landing_page(self.site.root, ds_id)}#distribution-{fmt}", DCAT.Distribution)
        self.g.add((dataset, DCAT.distribution, dist))
        self.text(dist, DCTERMS.title, f"{row.get('title') or ds_id} ({spec.label})")
        self.g.add((dist, DCAT.accessURL, URIRef(url)))
        self.g.add((dist, DCAT.downloadURL, URIRef(url)))
        self.text(dist, DCTERMS.description, f"Toutes les lignes de la version en cours, au format {spec.label}, "
                                             "produites à la demande par l'API du portail.")
        availability = self.typed(AVAILABILITY[0], SKOS.Concept)
        self.g.add((availability, SKOS.prefLabel, Literal(AVAILABILITY[1], lang="en")))
        self.g.add((dist, DCATAP.availability, availability))
        if spec.media_type:
            self.g.add((dist, DCAT.mediaType, self.typed(IANA + spec.media_type, DCTERMS.MediaType)))
        if spec.file_type:
            self.g.add((dist, DCTERMS.format, self.typed(f"{EU}file-type/{spec.file_type}",
                                                         DCTERMS.MediaTypeOrExtent)))
        if licence is not None:
            self.g.add((dist, DCTERMS.license, licence))
        modified = date_literal(row.get("modified"))
        if modified is not None:
            self.g.add((dist, DCTERMS.modified, modified))
        return dist

    def dataset(self, row: Mapping[str, Any], catalog: URIRef, service: URIRef) -> URIRef:
        ds_id = str(row["id"])
        page = landing_page(self.site.root, ds_id)
        ds = self.typed(page, DCAT.Dataset)
        g = self.g
        g.add((catalog, DCAT.dataset, ds))
        g.add((service, DCAT.servesDataset, ds))
        g.add((ds, DCTERMS.identifier, Literal(ds_id)))
        self.text(ds, DCTERMS.title, row.get("title") or ds_id)
        # dct:description is mandatory: a dataset without one says so rather than breaking the catalogue.
        self.text(ds, DCTERMS.description, row.get("description") or row.get("title") or ds_id)
        for keyword in _list(row.get("keywords")):
            self.text(ds, DCAT.keyword, keyword)
        for code in sorted({c for topic in _list(row.get("themes")) for c in THEMES.get(topic, ())}):
            g.add((ds, DCAT.theme, self.theme(code)))
        g.add((ds, DCTERMS.publisher, self.agent(str(row.get("publisher") or self.site.publisher),
                                                 str(row.get("publisher_url") or ""))))
        g.add((ds, DCAT.landingPage, self.typed(page, FOAF.Document)))
        g.add((ds, DCTERMS.language, self.language()))
        freq = FREQUENCIES.get(str(row.get("frequency") or ""), "UNKNOWN")
        g.add((ds, DCTERMS.accrualPeriodicity, self.typed(f"{EU}frequency/{freq}", DCTERMS.Frequency)))
        for prop, column in ((DCTERMS.issued, "created"), (DCTERMS.modified, "modified")):
            value = date_literal(row.get(column))
            if value is not None:
                g.add((ds, prop, value))
        start, end = period_bound(row.get("temporal_start")), period_bound(row.get("temporal_end"), end=True)
        if start is not None or end is not None:
            period = BNode()
            g.add((period, RDF.type, DCTERMS.PeriodOfTime))
            if start is not None:
                g.add((period, DCAT.startDate, start))
            if end is not None:
                g.add((period, DCAT.endDate, end))
            g.add((ds, DCTERMS.temporal, period))
        if self.place is not None:
            g.add((ds, DCTERMS.spatial, self.place))
        if self.contact is not None:
            g.add((ds, DCAT.contactPoint, self.contact))
        source = str(row.get("source_page") or row.get("source_url") or "")
        if source:  # the producer's page (dct:source would have to be a dcat:Dataset)
            g.add((ds, FOAF.page, self.typed(source, FOAF.Document)))
        self.text(ds, DCTERMS.bibliographicCitation, row.get("attribution"))
        version = str(row.get("version") or "")
        if version:
            g.add((ds, DCAT_VERSION, Literal(version)))
        uri = license_uri(row)
        licence = self.typed(uri, DCTERMS.LicenseDocument) if uri else None
        if licence is not None:
            g.add((ds, DCTERMS.license, licence))
            self.text(licence, DCTERMS.title, row.get("license_title"))
        for fmt in _list(row.get("formats")):
            self.distribution(row, ds, fmt, licence)
        return ds


def build_graph(rows: Iterable[Mapping[str, Any]], site: Site, *, paging: Paging | None = None,
                modified: str | None = None) -> Graph:
    """The dcat:Catalog of these rows, with the API as its dcat:DataService.

    Args:
        rows: catalogue rows (the columns of the `catalogue` table) each with `formats`, the export format keys
            the API serves for that dataset (a distribution each, with its download URL).
        site: the portal (public URL, names, language, territory).
        paging: when the rows are one page of a larger catalogue, the Hydra view of that page.
        modified: date of the catalogue; defaults to the latest dataset modification.
    """
    rows = list(rows)
    b = _Builder(site)
    g = b.g
    catalog = b.typed(f"{site.root}/catalogue", DCAT.Catalog)
    b.text(catalog, DCTERMS.title, site.title)
    b.text(catalog, DCTERMS.description, site.description or site.title)
    portal = b.agent(site.publisher or site.title, site.root + "/")
    g.add((catalog, DCTERMS.publisher, portal))
    if b.place is not None:
        g.add((catalog, DCTERMS.spatial, b.place))
    g.add((catalog, FOAF.homepage, b.typed(site.root + "/", FOAF.Document)))
    g.add((catalog, DCTERMS.language, b.language()))
    taxonomy = b.typed(f"{EU}data-theme", SKOS.ConceptScheme)
    g.add((taxonomy, DCTERMS.title, Literal("Data theme", lang="en")))
    g.add((catalog, DCAT.themeTaxonomy, taxonomy))
    issued = date_literal(min((str(r.get("created")) for r in rows if date_literal(r.get("created"))), default=""))
    if issued is not None:
        g.add((catalog, DCTERMS.issued, issued))
    stamp = date_literal(modified or max((str(r.get("modified") or "") for r in rows), default=""))
    if stamp is not None:
        g.add((catalog, DCTERMS.modified, stamp))
    service = b.typed(site.api, DCAT.DataService)
    g.add((service, DCTERMS.identifier, Literal(site.api)))  # what harvesters key a data service on
    g.add((service, DCTERMS.publisher, portal))
    if b.contact is not None:
        g.add((service, DCAT.contactPoint, b.contact))
    b.text(service, DCTERMS.title, f"API {site.title}")
    b.text(service, DCTERMS.description, "API compatible avec l'Explore API v2.1 d'Opendatasoft : catalogue, "
                                         "enregistrements filtrés en ODSQL, exports complets.")
    for keyword in ("API", "Opendatasoft", "ODSQL"):
        g.add((service, DCAT.keyword, Literal(keyword)))
    g.add((service, DCAT.endpointURL, URIRef(site.api)))
    g.add((service, DCAT.endpointDescription, URIRef(f"{site.api}/openapi.json")))
    standard = b.typed(EXPLORE_API_DOC, DCTERMS.Standard)
    g.add((standard, DCTERMS.title, Literal("Opendatasoft Explore API v2.1", lang="en")))
    g.add((service, DCTERMS.conformsTo, standard))
    g.add((service, DCAT.landingPage, b.typed(f"{site.root}/api", FOAF.Document)))
    g.add((catalog, DCAT.service, service))
    for row in rows:
        b.dataset(row, catalog, service)
    if paging is not None:
        _hydra(g, catalog, paging)
    return g


def _hydra(g: Graph, catalog: URIRef, paging: Paging) -> None:
    """Hydra paging as udata writes it and its DCAT harvester reads it: the catalog is a hydra:Collection whose view
    is this page (hydra:PartialCollectionView with first/next/last; also the older hydra:PagedCollection terms)."""
    view = URIRef(paging.page_url(paging.number))
    g.add((catalog, RDF.type, HYDRA.Collection))
    g.add((catalog, HYDRA.totalItems, Literal(paging.total)))
    g.add((catalog, HYDRA.view, view))
    g.add((view, RDF.type, HYDRA.PartialCollectionView))
    g.add((view, RDF.type, HYDRA.PagedCollection))
    g.add((view, HYDRA.totalItems, Literal(paging.total)))
    g.add((view, HYDRA.itemsPerPage, Literal(paging.size)))
    links = {"first": 1, "last": paging.last}
    if paging.number < paging.last:
        links["next"] = paging.number + 1
    if paging.number > 1:
        links["previous"] = paging.number - 1
    for name, number in links.items():
        g.add((view, HYDRA[name], URIRef(paging.page_url(number))))
        g.add((view, HYDRA[f"{name}Page"], URIRef(paging.page_url(number))))


# Serialisations: format key → (rdflib format name, media type).
SERIALISATIONS: dict[str, tuple[str, str]] = {
    "jsonld": ("json-ld", "application/ld+json"),
    "ttl": ("turtle", "text/turtle"),
    "rdf": ("pretty-xml", "application/rdf+xml"),
}


def serialise(graph: Graph, fmt: str) -> bytes:
    """The graph as JSON-LD (compacted with the usual prefixes), Turtle or RDF/XML, UTF-8."""
    name, _media = SERIALISATIONS[fmt]
    if fmt == "jsonld":
        context = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        return graph.serialize(format=name, context=context, auto_compact=True, indent=1).encode("utf-8")
    return graph.serialize(format=name, encoding="utf-8")

