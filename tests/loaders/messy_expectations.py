"""Hand-written expectations for the 23 real files of `tests/fixtures/messy/` (issue 14), and the one checker.

Every figure below was written from reading the file itself (xxd, a text view, Python's csv/json modules on the raw
bytes, a spreadsheet viewer for the workbooks), never from the portal's loader output, so the loader is measured
against the file and not against itself. `check(frame, expectation)` is "the same checker for all": the loader's
tests and `bench/loading_comparison.py` (the portal against csv-detective, frictionless, clevercsv, pandas, DuckDB,
GDAL) both call it. It needs only the standard library and pandas (pyarrow tables are converted when given).

Conventions
- Line numbers are 1-based physical lines of the file (CSV) or 1-based sheet rows (workbooks), as a person reading
  the file in an editor or a spreadsheet counts them. (`python -m loaders add --header-row` is 0-based.)
- Column names are written after the obvious normalisation: trimmed, embedded newlines turned into one space, BOMs
  dropped, French accents kept. The checker compares names through `fold()` (accents and case removed, only letters
  and digits kept), so `Code INSEE`, `code_insee` and `CODE-INSEE` are the same column; a leading `c_` added before
  a name starting with a digit (`2010` -> `c_2010`) is accepted. An expected name `""` is a header cell the file
  leaves empty: any name is accepted there.
- `rows` counts data rows only: titles, repeated headers, blank lines, subtotal/total rows and footnotes are
  excluded, and `excluded` says which lines and why.
- Cells are (row, column, value): row is the 0-based index among data rows, column a name (or a 0-based position
  when the header cell is empty), value a str / int / float / date / datetime / None (empty or missing). A tuple
  value lists every acceptable reading (e.g. a code whose lost leading zero may or may not be restored).
- Types are checked on key columns only: `text` (codes keep their leading zeros), `integer`, `decimal`, `date`,
  `datetime`. A float column counts as integer when every value is integral and some are missing (pandas' only way
  to hold an integer column with gaps); a datetime column counts as a date when every value is at midnight.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import numbers
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "messy"

TEXT, INTEGER, DECIMAL, DATE, DATETIME = "text", "integer", "decimal", "date", "datetime"
UTC = dt.UTC

# Columns a geodata reader may add beside the attributes: the geometry itself (WKT, WKB, GeoJSON text or shapely
# objects) and a representative point. Their form is free; the checker ignores them by name.
GEO_EXTRA = ("geometry", "geom", "longitude", "latitude", "centroid")


@dataclass(frozen=True)
class Cell:
    row: int
    column: str | int
    value: Any


@dataclass(frozen=True)
class ExpectedError:
    """For a file that cannot be read right: where the French message must point."""

    line: int
    column: int | None
    words: tuple[str, ...]  # words the French message must contain


@dataclass(frozen=True)
class Expectation:
    file: str
    format: str  # csv (any delimited text), xlsx, xls, json, geojson, shapefile
    rows: int
    columns: tuple[str, ...]
    encoding: tuple[str, ...] = ()  # acceptable names, the first is the most precise
    delimiter: str | None = None
    header_line: int | None = None  # first header line (1-based); None for JSON and geodata
    header_lines: int = 1  # 2 when a second header row (codes under labels, merged blocks) follows
    types: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # other acceptable names of a column
    cells: tuple[Cell, ...] = ()
    excluded: tuple[tuple[int, str], ...] = ()  # (line, why) for each non-data line inside or around the table
    repaired: tuple[int, ...] = ()  # lines a good reader reads leniently and reports
    sheet: str | None = None  # the sheet a sensible reader picks
    sheets: tuple[str, ...] = ()
    layer: str | None = None  # the layer of a multi-layer archive
    crs: str | None = None  # the source's coordinate reference system (geodata)
    point: tuple[int, float, float] | None = None  # (row, lon, lat) of the row's geometry, WGS84, vertex mean
    ordered: bool = True  # JSON and geodata: key order is not meaningful
    optional: tuple[str, ...] = ()  # extra columns tolerated (name prefixes)
    prefix: str = ""  # a prefix a reader may keep on names (`fields.` of an Opendatasoft records export)
    error: ExpectedError | None = None
    alternatives: tuple[Expectation, ...] = ()  # other readings that are right too (another layer of an archive)

    @property
    def path(self) -> Path:
        return FIXTURES / self.file


# Long headers, copied from the header lines of the files (csv module on the raw bytes).
DATASETS_COLUMNS = (
    "dcat.created", "dcat.issued", "dcat.creator", "dcat.contributor", "dcat.contact_name", "dcat.contact_email",
    "dcat.accrualperiodicity", "dcat.spatial", "dcat.temporal", "dcat.granularity", "dcat.dataquality",
    "dcat.publisher_type", "dcat.conforms_to", "dcat.temporal_coverage_start", "dcat.temporal_coverage_end",
    "dcat.accessRights", "default.title", "default.description", "default.theme", "default.keyword",
    "default.license", "default.license_url", "default.language", "default.metadata_languages", "default.timezone",
    "default.modified", "default.modified_updates_on_metadata_change", "default.modified_updates_on_data_change",
    "default.data_processed", "default.metadata_processed", "default.geographic_reference",
    "default.geographic_reference_auto", "default.territory", "default.geometry_types", "default.bbox",
    "default.publisher", "default.references", "default.records_count", "default.attributions",
    "default.source_domain", "default.source_domain_title", "default.source_domain_address", "default.source_dataset",
    "default.shared_catalog", "default.federated", "default.oauth_scope", "default.parent_domain", "custom.cycle",
    "custom.periodicity", "datasetid",
)

DEMARCHES_COLUMNS = (
    "id", "date_creation", "date_modification", "date_lancement", "type_demarche", "nom", "description_rapide",
    "collectivites_coporteuses", "population_couverte", "demarche_etat", "Chef_de_projet", "Contact", "elu_referent",
    "commentaire_statut", "date_reception_projet", "date_envoi_avis_dreal", "date_envoi_avis_cr", "oblige",
    "Autres_démarches_hors_EC", "Autres_démarches", "Programme d'actions", "PEC_GES_Annee_Echeance_Obj",
    "PEC_GES_Diagnostic_1", "PEC_GES_Diagnostic_2", "PEC_GES_Diagnostic_3", "PEC_GES_Diagnostic_4",
    "PEC_GES_Diagnostic_5", "PEC_GES_Diagnostic_6", "PEC_GES_Diagnostic_7", "PEC_GES_Diagnostic_8",
    "PEC_GES_Objectif_1", "PEC_GES_Objectif_2", "PEC_GES_Objectif_3", "PEC_GES_Objectif_4", "PEC_GES_Objectif_5",
    "PEC_GES_Objectif_6", "PEC_GES_Objectif_7", "PEC_GES_Objectif_8", "PEC_CONSO_Annee_Echeance_Obj",
    "PEC_CONSO_Diagnostic_1", "PEC_CONSO_Diagnostic_2", "PEC_CONSO_Diagnostic_3", "PEC_CONSO_Diagnostic_4",
    "PEC_CONSO_Diagnostic_5", "PEC_CONSO_Diagnostic_6", "PEC_CONSO_Diagnostic_7", "PEC_CONSO_Diagnostic_8",
    "PEC_CONSO_Objectif_1", "PEC_CONSO_Objectif_2", "PEC_CONSO_Objectif_3", "PEC_CONSO_Objectif_4",
    "PEC_CONSO_Objectif_5", "PEC_CONSO_Objectif_6", "PEC_CONSO_Objectif_7", "PEC_CONSO_Objectif_8",
    "PEC_GES_CONSO_commentaire", "ENR_Annee_Echeance_Obj", "ENR_1_Diagnostic_Production",
    "ENR_2_Diagnostic_Production", "ENR_1_Objectif_Production", "ENR_2_Objectif_Production", "ENR_commentaire",
    "PEC_Vulnerabilite_1", "PEC_Vulnerabilite_2", "PEC_Vulnerabilite_3", "PEC_Vulnerabilite_4", "PEC_Vulnerabilite_5",
    "PEC_Vulnerabilite_6", "PEC_Vulnerabilite_7", "PEC_Vulnerabilite_8", "PEC_Vulnerabilite_9",
    "PEC_Vulnerabilite_10", "PEC_Vulnerabilite_11", "PEC_Vulnerabilite_12", "PEC_Vulnerabilite_13",
    "PEC_Vulnerabilite_14", "PEC_Vulnerabilite_15", "PEC_Vulnerabilite_16", "PEC_Vulnerabilite_Objectif_fixe_1",
    "PEC_Vulnerabilite_Objectif_fixe_2", "PEC_Vulnerabilite_Objectif_fixe_3", "PEC_Vulnerabilite_Objectif_fixe_4",
    "PEC_Vulnerabilite_Objectif_fixe_5", "PEC_Vulnerabilite_Objectif_fixe_6", "PEC_Vulnerabilite_Objectif_fixe_7",
    "PEC_Vulnerabilite_Objectif_fixe_8", "PEC_Vulnerabilite_Objectif_fixe_9", "PEC_Vulnerabilite_Objectif_fixe_10",
    "PEC_Vulnerabilite_Objectif_fixe_11", "PEC_Vulnerabilite_Objectif_fixe_12", "PEC_Vulnerabilite_Objectif_fixe_13",
    "PEC_Vulnerabilite_Objectif_fixe_14", "PEC_Vulnerabilite_Objectif_fixe_15", "PEC_Vulnerabilite_Objectif_fixe_16",
    "PEC_Vulnerabilite_commentaire",
)

INSERTION_COLUMNS = (
    "Année", "Diplôme", "situation", "Genre", "Disciplines", "Code du domaine", "Domaine", "Code de la discipline",
    "Discipline", "Sigle", "Spécialité", "Nombre de réponses",
    "Part des emplois de niveau cadre ou profession intermédiaire", "Part des emplois de niveau cadre",
    "Part des emplois stables", "Part des emplois à temps plein",
    "Salaire net mensuel médian des emplois à temps plein", "Salaire brut annuel estimé",
    "Premier quartile des salaires nets mensuels des emplois à temps plein",
    "Dernier quartile des salaires nets mensuels des emplois à temps plein",
    "Part des diplômés boursiers dans la discipline", "Part des femmes", "Taux de chômage national",
    "Salaire net mensuel médian national", "Code du secteur disciplinaire SISE",
    "Salaire net mensuel national 1er quartile", "Salaire net mensuel national 3ème quartile", "cle_DISC",
    "Prof. libérale, indépendant, chef d’entreprise", "Fonctionnaire", "statut_cdi", "statut_conspe", "CDD",
    "Vacataire", "Intérimaire", "Intermittent du spectacle", "Contrat de professionnalisa tion",
    "Emplois aidés (Contrat Initiative Emploi…)", "Volontariat international", "Vous-même",
    "La fonction publique (d'etat, territoriale ou hospitalière)", "Une entreprise privée", "Une entreprise publique",
    "Une association", "Une personne exerçant une profession libérale ou un indépendant", "Un particulier",
    "Agriculture, sylviculture et pêche", "Industries (manufacturières,  extractives et autres)", "Construction",
    "Commerce, transports, héberg-ement et restauration", "Information et communication",
    "Activités financières et d’assurance", "Activités spécialisées, scientifiques et techniques",
    "Activités de services administratifs et de soutien", "Enseignement", "Administra tion publique (hors ens.)",
    "Santé humaine et action sociale", "Arts, spectacles et activités récréatives", "Autres activités de service",
    "Personnel de catégorie A de la fonction publique",
    "Ingénieur, cadre, prof. libérales, prof. intellectuelles sup",
    "Personnel de catégorie B de la fonction publique",
    "Emploi de niveau intermédiaire : technicien, agent de maîtrise…",
    "Personnel de catégorie C de la fonction publique", "Manœuvre, ouvrier",
    "Employé de bureau, de commerce, personnel de service", "Taux d’insertion",
    "% emplois extérieurs à la région de l’université",
)

DVF_COLUMNS = (
    "Identifiant de document", "Reference document", "1 Articles CGI", "2 Articles CGI", "3 Articles CGI",
    "4 Articles CGI", "5 Articles CGI", "No disposition", "Date mutation", "Nature mutation", "Valeur fonciere",
    "No voie", "B/T/Q", "Type de voie", "Code voie", "Voie", "Code postal", "Commune", "Code departement",
    "Code commune", "Prefixe de section", "Section", "No plan", "No Volume", "1er lot", "Surface Carrez du 1er lot",
    "2eme lot", "Surface Carrez du 2eme lot", "3eme lot", "Surface Carrez du 3eme lot", "4eme lot",
    "Surface Carrez du 4eme lot", "5eme lot", "Surface Carrez du 5eme lot", "Nombre de lots", "Code type local",
    "Type local", "Identifiant local", "Surface reelle bati", "Nombre pieces principales", "Nature culture",
    "Nature culture speciale", "Surface terrain",
)

GARES_COLUMNS = (
    "CODE_UIC", "LIBELLE", "FRET", "VOYAGEURS", "CODE_LIGNE", "RG_TRONCON", "PK", "COMMUNE", "DEPARTEMEN", "IDRESEAU",
    "IDGAIA", "X_L93", "Y_L93", "X_WGS84", "Y_WGS84", "C_GEO", "Geo Point", "Geo Shape",
)

FIBRE_COLUMNS = (
    "ID_NOEUD", "ID_INSEE", "NO_VOIE", "NO_TYPE", "NO_TYPE_LQ", "NO_TYPE_PH", "NO_ACCESS", "NO_X", "NO_Y", "NO_Z",
    "ID_CHBRE", "NOM_CHBRE", "DATE_CHBRE", "PRO_CHBRE", "GEST_CHBRE", "ID_EP", "TYPE_EP", "BE_CASS", "BE_NB",
    "DATE_EP", "PRO_EP", "GEST_EP", "ID_LT", "NOM_LT", "NO_ALIM", "NO_CLIM", "NB_LIG", "NB_LIG_RAC", "DATE_LT",
    "PRO_LT", "GEST_LT", "NO_PRO_MD", "NO_QLT_GEO", "NO_SRC_GEO", "COMMENT", "geometry",
)

FORMATION_COLUMNS = (
    "Mois", "Ain 01", "Aisne 02", "Allier 03", "Alpes-de-Haute-Provence 04", "Alpes-Maritimes 06", "Ardèche 07",
    "Ardennes 08", "Ariège 09", "Aube 10", "Aude 11", "Aveyron 12", "Bas-Rhin 67", "Bouches-du-Rhône 13",
    "Calvados 14", "Cantal 15", "Charente 16", "Charente-Maritime 17", "Cher 18", "Corrèze 19", "Corse-du-Sud 2A",
    "Côte-d'Or 21", "Côtes-d'Armor 22", "Creuse 23", "Deux-Sèvres 79", "Dordogne 24", "Doubs 25", "Drôme 26",
    "Essonne 91", "Eure 27", "Eure-et-Loir 28", "Finistère 29", "Gard 30", "Gers 32", "Gironde 33", "Guadeloupe 971",
    "Guyane 973", "Haut-Rhin 68", "Haute-Corse 2B", "Haute-Garonne 31", "Haute-Loire 43", "Haute-Marne 52",
    "Haute-Saône 70", "Haute-Savoie 74", "Haute-Vienne 87", "Hautes-Alpes 05", "Hautes-Pyrénées 65",
    "Hauts-de-Seine 92", "Hérault 34", "Ille-et-Vilaine 35", "Indre 36", "Indre-et-Loire 37", "Isère 38", "Jura 39",
    "La Réunion 974", "Landes 40", "Loir-et-Cher 41", "Loire 42", "Loire-Atlantique 44", "Loiret 45", "Lot 46",
    "Lot-et-Garonne 47", "Lozère 48", "Maine-et-Loire 49", "Manche 50", "Marne 51", "Martinique 972", "Mayenne 53",
    "Mayotte 976", "Meurthe-et-Moselle 54", "Meuse 55", "Morbihan 56", "Moselle 57", "Nièvre 58", "Nord 59",
    "Oise 60", "Orne 61", "Paris 75", "Pas-de-Calais 62", "Puy-de-Dôme 63", "Pyrénées-Atlantiques 64",
    "Pyrénées-Orientales 66", "Rhône 69", "Saône-et-Loire 71", "Sarthe 72", "Savoie 73", "Seine-et-Marne 77",
    "Seine-Maritime 76", "Seine-Saint-Denis 93", "Somme 80", "Tarn 81", "Tarn-et-Garonne 82",
    "Territoire de Belfort 90", "Val-d'Oise 95", "Val-de-Marne 94", "Var 83", "Vaucluse 84", "Vendée 85", "Vienne 86",
    "Vosges 88", "Yonne 89", "Yvelines 78", "Total",
)

RESULTATS_NAMED = (
    "Code du département", "Libellé du département", "Inscrits", "Abstentions", "% Abs/Ins", "Votants", "% Vot/Ins",
    "Blancs", "% Blancs/Ins", "% Blancs/Vot", "Nuls", "% Nuls/Ins", "% Nuls/Vot", "Exprimés", "% Exp/Ins",
    "% Exp/Vot", "N°Liste", "Libellé Abrégé Liste", "Libellé Etendu Liste", "Nom Tête de Liste", "Voix", "% Voix/Ins",
    "% Voix/Exp",
)

ESR_KEYS = (
    "etablissement_id_paysage", "uo_lib", "nom_court", "sigle", "type_d_etablissement",
    "typologie_d_universites_et_assimiles", "secteur_d_etablissement", "vague_contractuelle", "localisation", "url",
    "coordonnees", "uai", "siret", "siren", "rna", "identifiant_wikidata", "element_wikidata", "identifiant_idref",
    "identifiant_eter", "identifiant_ror", "element_ror", "identifiant_grid", "element_grid", "identifiant_pic",
    "identifiant_orgref", "identifiant_isni", "element_isni", "identifiant_funding_data", "element_fundref",
    "identifiant_dataesr", "anciens_codes_uai", "rattachement_identifiants", "rattachement",
    "association_identifiants", "association", "date_creation", "texte_de_ref_creation_lib", "texte_de_ref_creation",
    "date_fermeture", "texte_de_ref_fermeture_lib", "texte_de_ref_fermeture", "dernier_decret_legifrance_lib",
    "dernier_decret_legifrance", "com_code", "com_nom", "uucr_id", "uucr_nom", "dep_id", "dep_nom", "aca_id",
    "aca_nom", "reg_id", "reg_nom", "reg_id_old", "reg_nom_old", "mention_distribution", "adresse_uai",
    "lieu_dit_uai", "boite_postale_uai", "code_postal_uai", "localite_acheminement_uai", "pays_etranger_acheminement",
    "numero_telephone_uai", "statut_juridique_court", "statut_juridique_long", "qualification_court",
    "qualification_long", "compte_facebook", "compte_twitter", "compte_instagram", "compte_flickr",
    "compte_pinterest", "flux_rss", "compte_linkedin", "compte_viadeo", "compte_france_culture", "compte_scribd",
    "compte_scoopit", "compte_tumblr", "compte_youtube", "compte_vimeo", "compte_dailymotion", "autres",
    "compte_github", "wikipedia", "wikipedia_en", "scanr", "hal", "mooc", "article", "uo_lib_officiel", "uo_lib_en",
    "url_en", "url_cn", "url_es", "url_de", "url_it", "inscrits_2010", "inscrits_2011", "inscrits_2012",
    "inscrits_2013", "inscrits_2014", "inscrits_2015", "inscrits_2016", "inscrits_2017", "uai_rgp_loi_esr_2013",
    "universites_fusionnees", "etablissement_experimental", "champ_recherche", "implantations",
    "identifiant_programmes_lolf", "statut_operateur_lolf", "libelle_missions_lolf", "libelle_programmes_lolf",
    "libelle_programme_lolf_chef_de_file", "identifiants_autres_programmes_lolf", "libelles_autres_programmes_lolf",
    "identifiant_programme_lolf_chef_de_file", "libelle_mission_chef_de_file", "compte_googleplus",
)



def _d(y: int, m: int, d: int) -> dt.date:
    return dt.date(y, m, d)


# ---------------------------------------------------------------------------------------------------------------
# Delimited text. Encodings: `utf-8-sig` = UTF-8 with a BOM at the start of the file.
# ---------------------------------------------------------------------------------------------------------------

# depts2013.txt — INSEE's 2013 list of départements. High bytes are only 0xE9/0xE8/0xF4 (é è ô), none in
# 0x80–0x9F and no BOM: cp1252 and latin-1 decode it identically. Tab, LF, 102 lines = header + 101 départements,
# no footer. REGION, DEP and CHEFLIEU are codes (`01`, `04`, `2A`, `2A004`): text with their zeros. DOM first
# (lines 2–6), then unsorted: Alpes-de-Haute-Provence on line 100, Corsica on lines 101–102.
DEPTS2013 = Expectation(
    "depts2013.txt", "csv", rows=101,
    columns=("REGION", "DEP", "CHEFLIEU", "TNCC", "NCC", "NCCENR"),
    encoding=("cp1252", "latin-1", "iso-8859-1", "iso-8859-15"), delimiter="\t", header_line=1,
    types={"REGION": TEXT, "DEP": TEXT, "CHEFLIEU": TEXT, "NCCENR": TEXT},
    cells=(Cell(0, "REGION", "01"), Cell(0, "DEP", "971"), Cell(3, "NCCENR", "La Réunion"), Cell(98, "DEP", "04"),
           Cell(98, "CHEFLIEU", "04070"), Cell(99, "DEP", "2A"), Cell(100, "CHEFLIEU", "2B033")),
)

# eCO2mix_RTE_tempo_2022-2023.xls — not Excel at all: UTF-8 text (no BOM), tab, LF, 367 lines. Line 1 header,
# lines 2–366 one day each from 2022-09-01 to 2023-08-31 (365 days, ISO dates), line 367 RTE's disclaimer in a
# single field (no tab): a footer, not a day.
ECO2MIX = Expectation(
    "eCO2mix_RTE_tempo_2022-2023.xls", "csv", rows=365,
    columns=("Date", "Type de jour TEMPO"),
    encoding=("utf-8",), delimiter="\t", header_line=1,
    types={"Date": DATE, "Type de jour TEMPO": TEXT},
    cells=(Cell(0, "Date", _d(2022, 9, 1)), Cell(0, "Type de jour TEMPO", "BLEU"), Cell(364, "Date", _d(2023, 8, 31))),
    excluded=((367, "RTE's disclaimer below the table, one field"),),
)

# Formation_demandeur_emploi.csv — UTF-8 with BOM, `;`, LF, 117 lines of 103 fields. Line 1: `Mois`, 101
# départements written `Name code` (`Ain 01`), `Total`. Lines 2–115: one month each, `janv-15` … `juin-24` (114
# months; French abbreviated month + two-digit year, read as the first day of the month). Counts use a plain space
# as thousands separator (`1 040`). Line 116 is the `Total` row (a sum, not a month); line 117 a footnote on
# rounding padded with 102 empty fields.
FORMATION = Expectation(
    "Formation_demandeur_emploi.csv", "csv", rows=114, columns=FORMATION_COLUMNS,
    encoding=("utf-8-sig",), delimiter=";", header_line=1,
    types={"Mois": DATE, "Ain 01": INTEGER, "Alpes-Maritimes 06": INTEGER, "Total": INTEGER},
    cells=(Cell(0, "Mois", _d(2015, 1, 1)), Cell(0, "Ain 01", 350), Cell(0, "Alpes-Maritimes 06", 1040),
           Cell(0, "Total", 49050), Cell(1, "Mois", _d(2015, 2, 1)), Cell(113, "Mois", _d(2024, 6, 1))),
    excluded=((116, "the Total row (sum of the months)"), (117, "footnote on rounding")),
)

# Recrutement_difficile.csv — UTF-8 with BOM, `;`, LF, 102 lines of 11 fields: header (`Département`, 2014 … 2023)
# and 101 départements (`Ain 01` … `Mayotte 976`). Shares written with a decimal comma (`0,40`). No total, no footer.
RECRUTEMENT = Expectation(
    "Recrutement_difficile.csv", "csv", rows=101,
    columns=("Département", "2014", "2015", "2016", "2017", "2018", "2019", "2020", "2021", "2022", "2023"),
    encoding=("utf-8-sig",), delimiter=";", header_line=1,
    types={"Département": TEXT, "2014": DECIMAL, "2023": DECIMAL},
    cells=(Cell(0, "Département", "Ain 01"), Cell(0, "2014", 0.40), Cell(0, "2015", 0.37),
           Cell(100, "Département", "Mayotte 976"), Cell(100, "2023", 0.49)),
)

# datasets.csv — SNCF's Opendatasoft catalogue export. UTF-8 without BOM, `;`, 50 columns. 657 physical lines but
# 213 records: 51 records hold quoted HTML descriptions with embedded line breaks (LF inside fields, CRLF between
# records). 212 datasets. `default.records_count` is an integer, `default.modified` an ISO timestamp with offset.
DATASETS = Expectation(
    "datasets.csv", "csv", rows=212, columns=DATASETS_COLUMNS,
    encoding=("utf-8",), delimiter=";", header_line=1,
    types={"datasetid": TEXT, "default.records_count": INTEGER, "default.modified": DATETIME},
    cells=(Cell(0, "datasetid", "gares-pianos"), Cell(0, "default.records_count", 108),
           Cell(0, "default.modified", dt.datetime(2020, 1, 13, 8, 30, 52, tzinfo=UTC)),
           Cell(11, "datasetid", "temps-correspondance-minimaux"), Cell(11, "default.records_count", 1),
           Cell(211, "datasetid", "referentiel-equipements-gares-"), Cell(211, "default.records_count", 2510)),
)

# Demarches_Libres.csv — UTF-8 with BOM, `;`, 95 columns (52 of them empty in every record: trailing `;;;;`).
# 1,457 physical lines, 588 records: 304 quoted fields carry line breaks (CRLF and LF mixed inside fields, LF
# between records). 587 démarches. Dates dd/mm/yyyy; `date_lancement` has 16 records on `01/12/0002` (a typo for
# a year, still a valid calendar date, so the column is not checked as a date).
DEMARCHES = Expectation(
    "Demarches_Libres.csv", "csv", rows=587, columns=DEMARCHES_COLUMNS,
    encoding=("utf-8-sig",), delimiter=";", header_line=1,
    types={"id": INTEGER, "date_creation": DATE, "population_couverte": INTEGER, "nom": TEXT,
           "collectivites_coporteuses": TEXT},
    cells=(Cell(0, "id", 800), Cell(0, "date_creation", _d(2018, 10, 25)), Cell(0, "population_couverte", 27161),
           Cell(0, "collectivites_coporteuses", "216100016-Alençon"), Cell(0, "nom", "CAP Cit'ergie"),
           Cell(586, "id", 1448), Cell(586, "date_creation", _d(2020, 4, 14)),
           Cell(586, "population_couverte", 70486)),
)

# Fibre optique_….csv — two UTF-8 BOMs (`EF BB BF EF BB BF`): after one BOM is stripped the first name is still
# `\ufeffID_NOEUD`, so both must go. `,`, LF, 733 lines = header + 732 nodes, every data field quoted. NO_X/NO_Y
# are Lambert-93 metres (decimals); `geometry` is a WGS84 GeoJSON point as text; INSEE codes `22xxx`/`29xxx` are
# text; DATE_* are yyyymmdd with `NC` (non communiqué) as a missing-value marker.
FIBRE = Expectation(
    "Fibre optique_ noeuds de la montée en débit dans le département des Côtes d'Armor.csv", "csv", rows=732,
    columns=FIBRE_COLUMNS, encoding=("utf-8-sig",), delimiter=",", header_line=1,
    types={"ID_NOEUD": TEXT, "ID_INSEE": TEXT, "NO_X": DECIMAL, "NO_Y": DECIMAL, "DATE_CHBRE": DATE},
    cells=(Cell(0, "ID_NOEUD", "22004N000"), Cell(0, "ID_INSEE", "22004"), Cell(0, "NO_X", 236310.538),
           Cell(0, "NO_Y", 6854540.115), Cell(0, "DATE_CHBRE", None), Cell(1, "DATE_CHBRE", _d(2014, 8, 8)),
           Cell(2, "DATE_CHBRE", None), Cell(731, "ID_NOEUD", "29024N017"), Cell(731, "ID_INSEE", "29024")),
    crs="EPSG:2154",
    optional=("longitude", "latitude"),  # map coordinates a reader may add from `geometry` (tests/loaders/test_text_geo)
)

# salles-sur-yffiniac-6.csv — 9 lines, `,`, every field quoted but one (`,,` on line 5). The BOM is inside the
# first quoted header (`"\ufeffSALLE"`), and line 9 is a lone BOM with no newline: not a record. `CAPACITE ` has a
# trailing space; its values include ranges (`150-200`), so it stays text. 7 rooms.
SALLES = Expectation(
    "salles-sur-yffiniac-6.csv", "csv", rows=7,
    columns=("SALLE", "LOCALISATION", "CAPACITE", "OPTION", "DISPONIBILITE"),
    encoding=("utf-8", "utf-8-sig"), delimiter=",", header_line=1,
    types={"SALLE": TEXT, "CAPACITE": TEXT},
    cells=(Cell(0, "SALLE", "Salle du Vauriault"), Cell(0, "CAPACITE", "100"), Cell(1, "CAPACITE", "150-200"),
           Cell(3, "OPTION", None), Cell(3, "CAPACITE", "338-400"),
           Cell(6, "DISPONIBILITE", "Sauf pendant les vacances scolaires")),
    excluded=((9, "a lone BOM on the last line, no newline"),),
)

# resultats-definitifs-par-departement.csv — European elections 2019. UTF-8, `,`, LF, 108 lines of 254 fields:
# 23 named columns then 34 lists × 7 columns whose header cells are empty (231 empty names). Percentages with a
# decimal comma are quoted (`"50,23"`) while integral ones are not (`34`). Département codes without their zero
# (`1` … `9`), `2A`/`2B`, `ZA` … `ZZ` abroad: text. A département code is not a commune code, so restoring `01` is
# optional. 107 départements/territories, no total.
RESULTATS = Expectation(
    "resultats-definitifs-par-departement.csv", "csv", rows=107, columns=RESULTATS_NAMED + ("",) * 231,
    encoding=("utf-8",), delimiter=",", header_line=1,
    types={"Code du département": TEXT, "Inscrits": INTEGER, "% Abs/Ins": DECIMAL, "% Voix/Exp": DECIMAL},
    cells=(Cell(0, "Code du département", ("1", "01")), Cell(0, "Libellé du département", "Ain"),
           Cell(0, "Inscrits", 417781), Cell(0, "% Abs/Ins", 50.23), Cell(0, "% Voix/Exp", 4.81),
           Cell(0, 23, 2), Cell(0, 25, "UNE FRANCE ROYALE AU COEUR DE L'EUROPE"),
           Cell(19, "Code du département", "2A"), Cell(106, "Code du département", "ZZ"),
           Cell(106, "Libellé du département", "Français établis hors de France")),
)

# 2111-AN-rattachement-2022.csv — cp1252/latin-1 (é, É, ç…; nothing in 0x80–0x9F), `;`, LF, 598 lines: header +
# 597 deputies. 27 lines have 4 fields instead of 5: deputies who left office have no `Groupe`, and the publisher
# omitted the field instead of leaving it empty, so the party lands in `Groupe`. The record is still wanted (a
# lenient reader pads the missing field and reports the line); which column the party lands in is not checked.
AN_SHORT_LINES = (29, 41, 71, 74, 79, 133, 160, 203, 215, 222, 239, 307, 317, 347, 350, 362, 374, 433, 455, 468,
                  509, 523, 538, 571, 572, 573, 576)
AN_RATTACHEMENT = Expectation(
    "2111-AN-rattachement-2022.csv", "csv", rows=597,
    columns=("Nom_de_famille", "ID_AN", "Nom", "Groupe", "Parti ou groupement politique"),
    encoding=("cp1252", "latin-1", "iso-8859-1", "iso-8859-15"), delimiter=";", header_line=1,
    types={"ID_AN": TEXT, "Nom": TEXT},
    cells=(Cell(0, "Nom", "M. Damien Abad"), Cell(0, "Parti ou groupement politique", "Les Républicains"),
           Cell(6, "Nom", "M. Éric Alauzet"), Cell(27, "Nom", "Mme Ericka Bareigts"),
           Cell(27, "ID_AN", "OMC_PA610681"), Cell(596, "Nom_de_famille", "Zumkeller"),
           Cell(596, "Parti ou groupement politique", "Union des démocrates, radicaux et libéraux")),
    repaired=AN_SHORT_LINES,
)

# ValeursFoncieres-2024.txt — DVF excerpt: UTF-8, `|`, LF, 101 lines of 43 fields = header + 100 mutations.
# Decimal comma (`346,50`), dates dd/mm/yyyy. `Code postal` lost its zero (`1230` for 01230) and `Code commune` its
# zeros (`76` for 076) while `Code departement` keeps `01`: all codes, all text; restoring the zeros is accepted.
# `No disposition` is zero-padded (`000001`): text.
DVF = Expectation(
    "ValeursFoncieres-2024.txt", "csv", rows=100, columns=DVF_COLUMNS,
    encoding=("utf-8",), delimiter="|", header_line=1,
    types={"Date mutation": DATE, "Valeur fonciere": DECIMAL, "Code postal": TEXT, "Code departement": TEXT,
           "Code commune": TEXT, "No disposition": TEXT, "Surface terrain": INTEGER},
    cells=(Cell(0, "Date mutation", _d(2024, 1, 2)), Cell(0, "Valeur fonciere", 346.5),
           Cell(0, "Code postal", ("1230", "01230")), Cell(0, "Code departement", "01"),
           Cell(0, "Code commune", ("76", "076")), Cell(0, "No disposition", "000001"), Cell(0, "Commune", "CHALEY"),
           Cell(0, "Surface terrain", 99), Cell(2, "Valeur fonciere", 249000.0), Cell(2, "Date mutation", _d(2024, 1, 8))),
)

# fr-esr-insertion_professionnelle-dut_donnees_nationales.csv — Opendatasoft export: UTF-8, `;`, LF, 733 lines of
# 68 fields = header + 732 rows. Numeric columns mix integers with `ns` (non significatif) and `nd` (non
# disponible) markers and empty cells: integers with missing values. `Taux de chômage national` has a decimal point.
# The header keeps the publisher's typos (`Contrat de professionnalisa tion`).
INSERTION = Expectation(
    "fr-esr-insertion_professionnelle-dut_donnees_nationales.csv", "csv", rows=732, columns=INSERTION_COLUMNS,
    encoding=("utf-8",), delimiter=";", header_line=1,
    types={"Année": INTEGER, "Nombre de réponses": INTEGER, "Part des emplois stables": INTEGER,
           "Salaire net mensuel médian des emplois à temps plein": INTEGER, "Taux de chômage national": DECIMAL,
           "Code de la discipline": TEXT},
    cells=(Cell(0, "Année", 2016), Cell(0, "Nombre de réponses", 31), Cell(0, "Part des emplois stables", 37),
           Cell(0, "Taux de chômage national", 8.5), Cell(0, "Code de la discipline", "disc14"),
           Cell(1, "Part des emplois stables", None), Cell(1, "Taux d’insertion", 76),
           Cell(731, "Année", 2013), Cell(731, "Taux de chômage national", 9.9)),
)

# liste-des-gares.csv — UTF-8, `;`, LF, 4,149 lines of 18 fields = header + 4,148 stations. CODE_LIGNE stays text
# (391 values with a leading zero, `070000`). CODE_UIC is an identifier too, but every value has 8 digits without
# a leading zero: read as a number it loses nothing, so either reading is accepted. Lambert-93 and WGS84 coordinate
# columns; `C_GEO`/`Geo Point` hold `lat,lon` in one field; `Geo Shape` is a GeoJSON object inside a quoted field.
GARES = Expectation(
    "liste-des-gares.csv", "csv", rows=4148, columns=GARES_COLUMNS,
    encoding=("utf-8",), delimiter=";", header_line=1,
    types={"CODE_LIGNE": TEXT, "LIBELLE": TEXT, "X_L93": DECIMAL, "Y_WGS84": DECIMAL},
    cells=(Cell(0, "CODE_UIC", ("87726802", 87726802)), Cell(0, "LIBELLE", "Roanne"), Cell(0, "CODE_LIGNE", "750000"),
           Cell(0, "PK", "420+471"), Cell(0, "X_L93", 782212.5876000002), Cell(0, "Y_WGS84", 46.03936961727752),
           Cell(9, "CODE_LIGNE", "070000"), Cell(4147, "LIBELLE", "Don-Sainghin")),
    crs="EPSG:2154",
    optional=("geometry", "geom", "latitude", "longitude"),  # map coordinates a reader may add from `C_GEO`
)

# ---------------------------------------------------------------------------------------------------------------
# Workbooks. Lines are sheet rows (1-based). A sensible reader picks the data sheet and lets the publisher pick
# another; `sheets` is the list it should expose.
# ---------------------------------------------------------------------------------------------------------------

# Intercommunalite-Metropole_au_01-01-2021.xlsx — 4 sheets; `EPCI` (the first) is the list of EPCIs. Rows 1–4:
# title, subtitle, publication date, source. Row 5: labels; row 6: variable codes (a second header row). Rows
# 7–1261: 1,255 EPCIs, the last one INSEE's sentinel `ZZZZZZZZZ` « Sans objet » (communes outside any EPCI: a real
# row, kept). Names: the labels, the codes, or both joined are all right.
INTERCO = Expectation(
    "Intercommunalite-Metropole_au_01-01-2021.xlsx", "xlsx", rows=1255,
    columns=("EPCI - Métropole", "Libellé de l'EPCI / Métropole", "Nature d'EPCI", "Nombre communes"),
    header_line=5, header_lines=2,
    aliases={"EPCI - Métropole": ("EPCI", "EPCI - Métropole EPCI"),
             "Libellé de l'EPCI / Métropole": ("LIBEPCI", "Libellé de l'EPCI / Métropole LIBEPCI"),
             "Nature d'EPCI": ("NATURE_EPCI", "Nature d'EPCI NATURE_EPCI"),
             "Nombre communes": ("NB_COM", "Nombre communes NB_COM")},
    types={"EPCI - Métropole": TEXT, "Nombre communes": INTEGER},
    cells=(Cell(0, "EPCI - Métropole", "200000172"), Cell(0, "Libellé de l'EPCI / Métropole", "CC Faucigny-Glières"),
           Cell(0, "Nombre communes", 7), Cell(1254, "EPCI - Métropole", "ZZZZZZZZZ"),
           Cell(1254, "Libellé de l'EPCI / Métropole", "Sans objet")),
    excluded=((1, "title"), (2, "subtitle"), (3, "publication date"), (4, "source"),
              (6, "second header row: variable codes")),
    sheet="EPCI", sheets=("EPCI", "Composition_communale", "Variables", "Documentation"),
)

# communes_sru_en_paca.xlsx — 2 sheets with different columns; the first (2017-2019) is read. Header on row 1, one
# name with an embedded newline (`…bilan 2014-\n2016`). Rows 2–192: 191 communes; no total on this sheet (the
# second sheet ends with `TOTAL`/`99999`). `Code INSEE` is stored as numbers that lost their zero (`6114.0`): the
# column is unambiguously a commune code, so the right reading is the text `06114`. Rates are fractions.
SRU = Expectation(
    "communes_sru_en_paca.xlsx", "xlsx", rows=191,
    columns=("Département", "NOM DE LA COMMUNE", "Code INSEE", "Nom EPCI", "NBR RP au 01/01/2017",
             "NB de LLS au 01/01/2017", "TX de LLS au 01/01/2017", "Taux de LLS à atteindre",
             "Commune carencée au titre du bilan 2014- 2016", "Objectifs SRU 2017-2019"),
    header_line=1,
    types={"Code INSEE": TEXT, "NBR RP au 01/01/2017": INTEGER, "TX de LLS au 01/01/2017": DECIMAL},
    cells=(Cell(0, "Code INSEE", "06114"), Cell(0, "NOM DE LA COMMUNE", "Saint-André-de-la-Roche"),
           Cell(0, "NBR RP au 01/01/2017", 2218), Cell(0, "TX de LLS au 01/01/2017", 0.3007),
           Cell(190, "NOM DE LA COMMUNE", "Vedène"), Cell(190, "Code INSEE", "84141")),
    sheet="2017-2019_communes_sru_en_paca",
    sheets=("2017-2019_communes_sru_en_paca", "2020-2022_communes_sru_en_paca"),
)

# evolution-population-dep-2009-2022.xlsx — 3 sheets, the first (2009-2014) is read. Row 1 merged title, row 2
# blank, rows 3–4 a two-level header (`Variation relative annuelle 2009-2014 (en %)` over `Totale` / `Due au solde
# naturel ` / `Due au solde apparent des entrées et des sorties `). Rows 5–100: 96 metropolitan départements, rows
# 103–106: 4 DOM (no Mayotte before 2014) = 100 rows. Rows 101 (France de province), 102 (France métropolitaine),
# 107 (DOM) and 108 (France métropolitaine et DOM) are subtotals; row 109 blank; row 110 the source. Percentages
# are stored as fractions (0.012 shown as 1.2 %): either reading is right.
_VAR = "Variation relative annuelle 2009-2014 (en %)"
EVOLUTION = Expectation(
    "evolution-population-dep-2009-2022.xlsx", "xlsx", rows=100,
    columns=("Département", "Estimations de population au 1er janvier 2014", f"{_VAR} Totale",
             f"{_VAR} Due au solde naturel", f"{_VAR} Due au solde apparent des entrées et des sorties"),
    header_line=3, header_lines=2,
    aliases={f"{_VAR} Totale": ("Totale",), f"{_VAR} Due au solde naturel": ("Due au solde naturel",),
             f"{_VAR} Due au solde apparent des entrées et des sorties":
                 ("Due au solde apparent des entrées et des sorties",)},
    types={"Département": TEXT, "Estimations de population au 1er janvier 2014": INTEGER, f"{_VAR} Totale": DECIMAL},
    cells=(Cell(0, "Département", "Ain"), Cell(0, "Estimations de population au 1er janvier 2014", 626127),
           Cell(0, f"{_VAR} Totale", (0.012, 1.2)), Cell(95, "Département", "Val-d'Oise"),
           Cell(96, "Département", "Guadeloupe"), Cell(99, "Département", "La Réunion"),
           Cell(99, "Estimations de population au 1er janvier 2014", 842767)),
    excluded=((1, "title"), (2, "blank"), (4, "second header row"), (101, "subtotal France de province"),
              (102, "subtotal France métropolitaine"), (107, "subtotal DOM"),
              (108, "total France métropolitaine et DOM"), (109, "blank"), (110, "source")),
    sheet="2009-2014", sheets=("2009-2014", "2014-2019", "2019-2022"),
)

# estim-pop-dep-sexe-gca-1975-2023.xls — BIFF8, 50 sheets: `À savoir` (notes, not a table), then years in a
# non-monotonic order (2023, 2022, 2021, 2017, 2020 …). The data sheet a person opens first is `2023`. Rows 1–2
# title, row 3 blank, rows 4–5 a two-level header: `Départements` (over the code and the unnamed name column), then
# `Ensemble` / `Hommes` / `Femmes` × 5 age classes + `Total`, so the leaf names repeat and only parent + leaf is a
# right name. Rows 6–101: 96 metropolitan départements (`01` … `95`, `2A`, `2B`), 103–107: 5 DOM whose codes are
# stored as floats (`971.0`) → text `971`; names carry trailing spaces (`Guadeloupe `). Row 102 (France
# métropolitaine), 108 (DOM), 109 (France métropolitaine et DOM) are subtotals, 110 blank, 111 the source.
_AGES = ("0 à 19 ans", "20 à 39 ans", "40 à 59 ans", "60 à 74 ans", "75 ans et plus", "Total")
ESTIM_POP = Expectation(
    "estim-pop-dep-sexe-gca-1975-2023.xls", "xls", rows=101,
    columns=("Départements", "") + tuple(f"{g} {a}" for g in ("Ensemble", "Hommes", "Femmes") for a in _AGES),
    header_line=4, header_lines=2,
    types={"Départements": TEXT, "Ensemble Total": INTEGER, "Femmes 75 ans et plus": INTEGER},
    cells=(Cell(0, "Départements", "01"), Cell(0, 1, "Ain"), Cell(0, "Ensemble Total", 671937),
           Cell(0, "Hommes 0 à 19 ans", 88293), Cell(19, "Départements", "2A"), Cell(20, "Départements", "2B"),
           Cell(96, "Départements", "971"), Cell(96, 1, ("Guadeloupe", "Guadeloupe ")),
           Cell(100, "Départements", "976"), Cell(100, "Femmes Total", 162264)),
    excluded=((1, "title"), (2, "year"), (3, "blank"), (5, "second header row (age classes)"),
              (102, "subtotal France métropolitaine"), (108, "subtotal DOM"),
              (109, "total France métropolitaine et DOM"), (110, "blank"), (111, "source")),
    sheet="2023",
    sheets=("À savoir", "2023", "2022", "2021", "2017", "2020", "2019", "2018", "2016", "2015", "2014", "2013",
            "2012", "2011", "2010", "2009", "2008", "2007", "2006", "2005", "2004", "2003", "2002", "2001", "2000",
            "1999", "1998", "1997", "1996", "1995", "1994", "1993", "1992", "1991", "1990", "1989", "1988", "1987",
            "1986", "1985", "1984", "1983", "1982", "1981", "1980", "1979", "1978", "1977", "1976", "1975"),
)

# logements_commences_PACA_2010-2019.xls — BIFF8, 1 sheet, pivot-table export. Rows 1–2: title and producer in
# column E (plus a stray note in Q1), rows 3–4 blank, rows 5–6 pivot pseudo-headers (`données`, `Période`), row 7
# blank; the real header is row 8. Rows 9–989: 981 communes. Columns P and Q are empty below row 1: not columns.
# `insee` is text with its zero (`04001`); `siren_epci` is a SIREN (text, not `200067437.0`); yearly counts are
# integers; `Zone Géo.` values start with a space (` 04 - Aiglun`): trimmed or not, both accepted.
LOGEMENTS = Expectation(
    "logements_commences_PACA_2010-2019.xls", "xls", rows=981,
    columns=("insee", "nom_com", "siren_epci", "nom_complet", "Zone Géo.") + tuple(str(y) for y in range(2010, 2020)),
    header_line=8,
    types={"insee": TEXT, "siren_epci": TEXT, "2010": INTEGER, "2019": INTEGER},
    cells=(Cell(0, "insee", "04001"), Cell(0, "siren_epci", "200067437"), Cell(0, "nom_com", "Aiglun"),
           Cell(0, "Zone Géo.", (" 04 - Aiglun", "04 - Aiglun")), Cell(0, "2010", 3), Cell(0, "2011", 6),
           Cell(980, "insee", "84151"), Cell(980, "2019", 1)),
    excluded=((1, "title (column E) and a note in Q1"), (2, "producer"), (3, "blank"), (4, "blank"),
              (5, "pivot-table pseudo-header"), (6, "pivot-table pseudo-header"), (7, "blank")),
    sheet="logements_commences_PACA_1019", sheets=("logements_commences_PACA_1019",),
)

# ---------------------------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------------------------

# liste-et-localisation-des-musees-de-france.json — Opendatasoft v1 records: one array of 1,216
# {datasetid, recordid, fields{…}, geometry, record_timestamp}. The table is `fields` (15 keys, sparse: `lieu` in
# 515 records only, `url` in 1,132…: a missing key is a null). The envelope (datasetid, recordid, record_timestamp,
# geometry) and `geolocalisation` ([lat, lon] list) may be kept or not. `code_postal` and `ref_deps` are text codes.
MUSEES = Expectation(
    "liste-et-localisation-des-musees-de-france.json", "json", rows=1216,
    columns=("latitude", "date_appellation", "region_administrative", "lieu", "code_postal", "telephone",
             "departement", "url", "identifiant_museofile", "nom_officiel_du_musee", "ref_deps", "commune", "adresse",
             "longitude"),
    encoding=("utf-8", "ascii"), ordered=False, prefix="fields",
    optional=("datasetid", "recordid", "record_timestamp", "geometry", "geolocalisation", "centroid"),
    types={"code_postal": TEXT, "ref_deps": TEXT, "latitude": DECIMAL, "date_appellation": DATE},
    cells=(Cell(0, "nom_officiel_du_musee", "musée de Brou"), Cell(0, "code_postal", "01000"),
           Cell(0, "latitude", 46.196549), Cell(0, "date_appellation", _d(2003, 2, 1)),
           Cell(0, "lieu", "Monastère royal de Brou"), Cell(0, "ref_deps", "0105301"),
           Cell(1215, "lieu", None), Cell(1215, "commune", "Fort-de-France"), Cell(1215, "longitude", -61.070648)),
)

# fr-esr-principaux-etablissements-enseignement-superieur.json — Opendatasoft v2.1 flat export: an array of 250
# objects with the same 120 keys. `coordonnees` is an object {lon, lat} (null once): flattened or kept as JSON
# text, so it is optional by prefix. Lists (`type_d_etablissement`, `anciens_codes_uai`, `uai_rgp_loi_esr_2013`)
# are kept under their name. Identifiers stay text (UAI `0753480A`, SIRET, SIREN, `com_code`). `inscrits_*` are
# counts written as strings, 104 of them with a space thousands separator (`1 464`), 10 records `nd` (non
# disponible), 87 null: integers with missing values.
ESR = Expectation(
    "fr-esr-principaux-etablissements-enseignement-superieur.json", "json", rows=250,
    columns=tuple(k for k in ESR_KEYS if k != "coordonnees"),
    encoding=("utf-8", "ascii"), ordered=False, optional=("coordonnees", "geometry", "longitude", "latitude"),
    types={"uai": TEXT, "siret": TEXT, "siren": TEXT, "com_code": TEXT, "code_postal_uai": TEXT,
           "inscrits_2010": INTEGER},
    cells=(Cell(0, "uo_lib", "Collège de France"), Cell(0, "uai", "0753480A"), Cell(0, "siret", "19753480300014"),
           Cell(0, "siren", "197534803"), Cell(0, "inscrits_2010", None), Cell(1, "com_code", "75103"),
           Cell(1, "inscrits_2010", 231), Cell(4, "inscrits_2010", 1464)),
)

# ---------------------------------------------------------------------------------------------------------------
# Geodata. `point` is the mean of the row's vertices in WGS84 (computed from the raw coordinates; Lambert-93
# converted with pyproj), checked within 0.05°.
# ---------------------------------------------------------------------------------------------------------------

# arrondissements.geojson — FeatureCollection, no `crs` member, WGS84 coordinates, 20 Polygon features, 9
# properties. `c_arinsee` is an INSEE code written as a JSON integer (75114): the right reading is the text
# `75114`. `geom_x_y` is a [lat, lon] list: optional.
ARRONDISSEMENTS = Expectation(
    "arrondissements.geojson", "geojson", rows=20,
    columns=("n_sq_co", "perimetre", "l_ar", "surface", "n_sq_ar", "l_aroff", "c_arinsee", "c_ar"),
    encoding=("utf-8",), ordered=False, optional=GEO_EXTRA + ("geom_x_y",),
    types={"c_arinsee": TEXT, "surface": DECIMAL, "l_ar": TEXT},
    cells=(Cell(0, "l_ar", "14ème Ardt"), Cell(0, "c_arinsee", "75114"), Cell(0, "surface", 5614877.30907921),
           Cell(0, "l_aroff", "Observatoire"), Cell(1, "c_arinsee", "75103")),
    crs="EPSG:4326", point=(0, 2.32537, 48.82534),
)

# ZICAD_2024.zip — one shapefile (.shp/.shx/.dbf/.prj, no .cpg), `.prj` WGS84, 528 polygons, 5 fields. The .dbf
# declares no code page (LDID 0) but its text is UTF-8 (`Ministère`), padded with NUL bytes instead of spaces
# (2,074 cells). DATEEFFET is text dd-mm-yyyy (31 empty). Extent spans the overseas territories, up to 183.8° E.
ZICAD = Expectation(
    "ZICAD_2024.zip", "shapefile", rows=528, columns=("ministere", "AREA", "COMM", "DATEEFFET", "SITE"),
    encoding=("utf-8",), ordered=False, optional=GEO_EXTRA,
    types={"AREA": TEXT, "DATEEFFET": DATE, "SITE": TEXT},
    cells=(Cell(0, "AREA", "018-006"), Cell(0, "COMM", "SAINT-DOULCHARD"), Cell(0, "SITE", "URG (usine)"),
           Cell(0, "DATEEFFET", None), Cell(30, "DATEEFFET", _d(2020, 1, 22)),
           Cell(57, "SITE", "CHANCELLERIE-Ministère de la justice"), Cell(57, "COMM", "PARIS 1E"),
           Cell(527, "AREA", "075-010-2")),
    crs="EPSG:4326", point=(0, 2.38773, 47.09795),
)

# 130010853_PM3_60_20180516.zip — nested folders; Donnees_geographiques/ holds two polygon shapefiles in
# Lambert-93 (ESRI .prj, no .cpg, UTF-8 .dbf with LDID 0) plus attribute-only .dbf tables and validator artefacts.
# The sensible layer is PM3_GENERATEUR_SUP_S (99 generating perimeters, the largest); PM3_ASSIETTE_SUP_S (10
# envelopes "égal au générateur") is an acceptable pick too. Attribute-only tables are not the data.
PM3_ASSIETTE = Expectation(
    "130010853_PM3_60_20180516.zip", "shapefile", rows=10,
    columns=("IdAss", "IdGen", "nomAss", "typeAss", "modeGeoAss", "paramCalc", "srcGeoAss", "dateSrcAss",
             "ID_GASPAR", "CADE_ALEA"),
    encoding=("utf-8",), ordered=False, optional=GEO_EXTRA,
    types={"IdAss": TEXT, "typeAss": TEXT},
    cells=(Cell(0, "nomAss", "PM3_PPRT Bresles_ass"), Cell(0, "typeAss", "Enveloppe des zonages réglementaires"),
           Cell(9, "nomAss", "PM3_PPRT Villers Saint Paul_ass")),
    layer="PM3_ASSIETTE_SUP_S", crs="EPSG:2154", point=(0, 2.23674, 49.41427),
)
PM3 = Expectation(
    "130010853_PM3_60_20180516.zip", "shapefile", rows=99,
    columns=("IdGen", "IdSup", "nomGen", "typeGen", "modeGenere", "srcGeoGen", "dateSrcGen", "refBDExt", "idBDExt",
             "ID_GASPAR", "CODE_ALEA"),
    encoding=("utf-8",), ordered=False, optional=GEO_EXTRA,
    types={"IdGen": TEXT, "typeGen": TEXT, "CODE_ALEA": TEXT},
    cells=(Cell(0, "IdGen", "PM3-130010853-01-1"), Cell(0, "nomGen", "PM3_PPRT Bresles_RougeClair_gen"),
           Cell(0, "typeGen", "Périmètre réglementé du PPR"), Cell(0, "CODE_ALEA", "21"),
           Cell(98, "nomGen", "PM3_PPRT Villers Saint Paul_bleu clair BC1_gen")),
    layer="PM3_GENERATEUR_SUP_S", crs="EPSG:2154", point=(0, 2.23866, 49.41367),
    alternatives=(PM3_ASSIETTE,),
)

EXPECTATIONS: dict[str, Expectation] = {e.file: e for e in (
    DEPTS2013, ECO2MIX, ESTIM_POP, EVOLUTION, INTERCO, SRU, LOGEMENTS, FORMATION, RECRUTEMENT, DATASETS, GARES,
    DEMARCHES, FIBRE, SALLES, RESULTATS, AN_RATTACHEMENT, DVF, INSERTION, MUSEES, ESR, ARRONDISSEMENTS, ZICAD, PM3,
)}


# ---------------------------------------------------------------------------------------------------------------
# The checker
# ---------------------------------------------------------------------------------------------------------------

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


def fold(name: object) -> str:
    """`Libellé de l'EPCI / Métropole` -> `libelledelepcimetropole`: the key two spellings of one name share."""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower().translate(_LIGATURES)
    return re.sub(r"[^a-z0-9]", "", text)


def _name_matches(actual: str, wanted: str, exp: Expectation) -> bool:
    keys = {fold(actual)}
    if exp.prefix:
        keys |= {k.removeprefix(fold(exp.prefix)) for k in keys}
    for name in (wanted, *exp.aliases.get(wanted, ())):
        want = fold(name)
        # a leading digit gets a `c_` prefix in SQL-friendly names (`2010` -> `c_2010`)
        if want in keys or (want[:1].isdigit() and f"c{want}" in keys):
            return True
    return False


def _is_optional(actual: str, exp: Expectation) -> bool:
    key = fold(actual)
    return any(key.startswith(fold(p)) for p in exp.optional)


def _as_frame(table: Any) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    if hasattr(table, "to_pandas"):  # a pyarrow Table: keep Arrow types (date32, decimal128...) as they are
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    raise TypeError(f"not a table: {type(table).__name__}")


def _is_null(value: Any) -> bool:
    if value is None or (isinstance(value, str) and value == ""):
        return True
    if isinstance(value, (list, tuple, dict)) or hasattr(value, "__len__") and not isinstance(value, str):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool) and not hasattr(value, "year")


def _value_kind(value: Any) -> str:
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "boolean"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, numbers.Integral):
        return "integer"
    if _is_number(value):
        return "float"
    if isinstance(value, (dict, list, tuple)) or hasattr(value, "tolist"):
        return "nested"
    return type(value).__name__


def _arrow_kind(pa_type: Any) -> str:
    import pyarrow as pa  # only reached for ArrowDtype columns, so pandas-only environments never need it

    if pa.types.is_dictionary(pa_type):
        return _arrow_kind(pa_type.value_type)
    if pa.types.is_boolean(pa_type):
        return "boolean"
    if pa.types.is_integer(pa_type):
        return "integer"
    if pa.types.is_decimal(pa_type):
        return "integer" if pa_type.scale == 0 else "float"
    if pa.types.is_floating(pa_type):
        return "float"
    if pa.types.is_date(pa_type):
        return "date"
    if pa.types.is_timestamp(pa_type):
        return "datetime"
    if pa.types.is_string(pa_type) or pa.types.is_large_string(pa_type):
        return "text"
    return "nested" if pa.types.is_nested(pa_type) else str(pa_type)


def column_kind(series: pd.Series) -> str:
    """The kind of a column: text, integer, float, date, datetime, boolean, nested, mixed or empty."""
    dtype = series.dtype
    if isinstance(dtype, pd.ArrowDtype):
        return _arrow_kind(dtype.pyarrow_dtype)
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.StringDtype):
        return "text"
    kinds = {_value_kind(v) for v in series if not _is_null(v)}
    if not kinds:
        return "empty"
    if kinds == {"integer", "float"}:
        return "float"
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _values(series: pd.Series) -> list[Any]:
    return [v for v in series.tolist() if not _is_null(v)]


def _type_ok(series: pd.Series, wanted: str) -> tuple[bool, str]:
    kind = column_kind(series)
    if wanted == TEXT:
        return kind in ("text", "empty"), kind
    if wanted == INTEGER:
        if kind == "integer":
            return True, kind
        # pandas holds an integer column with gaps as floats: right when every value is integral
        values = _values(series)
        gaps = len(values) < len(series)
        return kind == "float" and gaps and all(float(v).is_integer() for v in values), kind
    if wanted == DECIMAL:
        return kind == "float", kind
    if wanted == DATE:
        if kind == "date":
            return True, kind
        midnight = all(_midnight(v) for v in _values(series))
        return kind == "datetime" and midnight, kind
    if wanted == DATETIME:
        return kind == "datetime", kind
    return kind == wanted, kind


def _midnight(value: Any) -> bool:
    return isinstance(value, dt.datetime) and value.tzinfo is None and value.time() == dt.time(0)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def value_matches(actual: Any, wanted: Any) -> bool:
    """One cell against its expected value (a tuple lists every acceptable reading)."""
    if isinstance(wanted, tuple):
        return any(value_matches(actual, w) for w in wanted)
    if wanted is None:
        return _is_null(actual)
    if _is_null(actual):
        return False
    if isinstance(wanted, str):
        return isinstance(actual, str) and actual == wanted
    if isinstance(wanted, dt.datetime):
        return isinstance(actual, dt.datetime) and _utc(actual) == _utc(wanted)
    if isinstance(wanted, dt.date):
        if isinstance(actual, dt.datetime):
            return _midnight(actual) and actual.date() == wanted
        return isinstance(actual, dt.date) and actual == wanted
    if _is_number(wanted):
        if not _is_number(actual):
            return False
        return math.isclose(float(actual), float(wanted), rel_tol=1e-9, abs_tol=1e-9)
    return bool(actual == wanted)


def _geometry_mean(value: Any) -> tuple[float, float] | None:
    """Mean of the vertices of a geometry given as shapely object, GeoJSON dict or GeoJSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if hasattr(value, "__geo_interface__"):
        value = value.__geo_interface__
    if not isinstance(value, dict) or "coordinates" not in value:
        return None
    points: list[tuple[float, float]] = []

    def walk(node: Any) -> None:
        if node and isinstance(node[0], (int, float)):
            points.append((float(node[0]), float(node[1])))
        else:
            for child in node:
                walk(child)

    walk(value["coordinates"])
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def _check_point(frame: pd.DataFrame, exp: Expectation) -> list[str]:
    assert exp.point is not None
    row, lon, lat = exp.point
    if hasattr(frame, "geometry") and hasattr(frame, "to_crs") and getattr(frame, "crs", None) is not None:
        frame = frame.to_crs(4326)  # a GeoDataFrame that read the source projection right is right
    names = [c for c in frame.columns if fold(c) in ("geometry", "geom", "wkt", "geojson")]
    if not names:
        return ["geometry: no geometry column"]
    if row >= len(frame):
        return []
    mean = _geometry_mean(frame[names[0]].iloc[row])
    if mean is None:
        return [f"geometry of row {row}: unreadable"]
    if abs(mean[0] - lon) > 0.05 or abs(mean[1] - lat) > 0.05:
        return [f"geometry of row {row}: ({mean[0]:.4f}, {mean[1]:.4f}) instead of ({lon:.4f}, {lat:.4f}) in WGS84"]
    return []


def _resolve(kept: list[tuple[int, str]], wanted: str | int, exp: Expectation) -> int | None:
    """The frame position of an expected column (a name, or a position among the kept columns)."""
    if isinstance(wanted, int):
        return kept[wanted][0] if wanted < len(kept) else None
    return next((i for i, c in kept if _name_matches(c, wanted, exp)), None)


def _check_names(kept: list[str], exp: Expectation) -> list[str]:
    problems: list[str] = []
    if exp.ordered:
        if len(kept) != len(exp.columns):
            problems.append(f"columns: {len(kept)} instead of {len(exp.columns)}")
        wrong = [(i, got, want) for i, (got, want) in enumerate(zip(kept, exp.columns, strict=False))
                 if want and not _name_matches(got, want, exp)]
        problems += [f"column {i + 1}: {got!r} instead of {want!r}" for i, got, want in wrong[:5]]
        if len(wrong) > 5:
            problems.append(f"... and {len(wrong) - 5} more column names")
        return problems
    missing = [w for w in exp.columns if not any(_name_matches(c, w, exp) for c in kept)]
    extra = [c for c in kept if not any(_name_matches(c, w, exp) for w in exp.columns)]
    if missing:
        problems.append(f"missing columns ({len(missing)}): {', '.join(missing[:5])}")
    if extra:
        problems.append(f"unexpected columns ({len(extra)}): {', '.join(map(str, extra[:5]))}")
    return problems


def _check_one(table: Any, exp: Expectation) -> list[str]:
    frame = _as_frame(table)
    # positions, not labels: a reader may leave duplicate or empty names
    kept = [(i, str(c)) for i, c in enumerate(frame.columns) if not _is_optional(str(c), exp)]
    problems = _check_names([c for _, c in kept], exp)
    if len(frame) != exp.rows:
        problems.append(f"rows: {len(frame)} instead of {exp.rows}")
    for name, wanted in exp.types.items():
        pos = _resolve(kept, name, exp)
        if pos is None:
            continue  # already reported as a missing column
        ok, kind = _type_ok(frame.iloc[:, pos], wanted)
        if not ok:
            problems.append(f"type of {name!r}: {kind} instead of {wanted}")
    for cell in exp.cells:
        pos = _resolve(kept, cell.column, exp)
        if pos is None or cell.row >= len(frame):
            problems.append(f"cell ({cell.row}, {cell.column!r}): missing")
            continue
        actual = frame.iloc[cell.row, pos]
        if not value_matches(actual, cell.value):
            problems.append(f"cell ({cell.row}, {cell.column!r}): {actual!r} instead of {cell.value!r}")
    if exp.point is not None:
        problems += _check_point(frame, exp)
    return problems


def check(table: Any, exp: Expectation) -> list[str]:
    """Every way `table` (a pandas DataFrame, GeoDataFrame or pyarrow Table) differs from `exp`; [] = read right.

    A file with alternatives (another layer of an archive) is read right when any of them matches; the
    mismatches reported are those against the main expectation.
    """
    problems = _check_one(table, exp)
    if problems and any(not _check_one(table, alt) for alt in exp.alternatives):
        return []
    return problems


def encoding_matches(name: str | None, exp: Expectation) -> bool:
    """An encoding reported by a reader (inspect's `encoding`) against the acceptable ones."""
    import codecs

    if not name:
        return False
    try:
        got = codecs.lookup(name).name
    except LookupError:
        return False
    return any(codecs.lookup(e).name == got for e in exp.encoding)


def all_expectations() -> Iterable[Expectation]:
    return EXPECTATIONS.values()
