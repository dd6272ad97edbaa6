"""Controlled vocabularies (udata slugs) with their French labels, and licence facts shown to users."""

from __future__ import annotations

# udata REUSE_TOPICS, also used as dataset themes so exports line up with data.gouv.fr.
TOPICS: dict[str, str] = {
    "health": "Santé",
    "transport_and_mobility": "Transports et mobilité",
    "housing_and_development": "Logement et aménagement",
    "food_and_agriculture": "Alimentation et agriculture",
    "culture_and_recreation": "Culture et loisirs",
    "economy_and_business": "Économie et entreprises",
    "environment_and_energy": "Environnement et énergie",
    "work_and_training": "Emploi et formation",
    "politics_and_public_life": "Politique et vie publique",
    "safety_and_security": "Sécurité",
    "education_and_research": "Éducation et recherche",
    "society_and_demography": "Société et démographie",
    "law_and_justice": "Droit et justice",
    "open_data_tools": "Outils open data",
    "others": "Autres",
}

REUSE_TYPES: dict[str, str] = {
    "api": "API",
    "application": "Application",
    "idea": "Idée",
    "news_article": "Article de presse",
    "paper": "Article scientifique",
    "post": "Billet de blog",
    "visualization": "Visualisation",
    "hardware": "Objet connecté",
    "map": "Carte",  # not a udata type: maps are what this portal's reusers make most (issue 13)
    "dashboard": "Tableau de bord",  # not a udata type either: a dashboard composed on this portal (issue 18)
}

FREQUENCIES: dict[str, str] = {
    "continuous": "En continu", "oneMinute": "Toutes les minutes", "fiveMinutes": "Toutes les 5 minutes",
    "tenMinutes": "Toutes les 10 minutes", "fifteenMinutes": "Toutes les 15 minutes",
    "thirtyMinutes": "Toutes les 30 minutes", "hourly": "Toutes les heures", "bihourly": "Toutes les 2 heures",
    "trihourly": "Toutes les 3 heures", "twelveHours": "Toutes les 12 heures",
    "severalTimesADay": "Plusieurs fois par jour", "threeTimesADay": "3 fois par jour", "semidaily": "2 fois par jour",
    "daily": "Quotidienne", "fiveTimesAWeek": "5 fois par semaine", "threeTimesAWeek": "3 fois par semaine",
    "semiweekly": "2 fois par semaine", "weekly": "Hebdomadaire", "biweekly": "Toutes les 2 semaines",
    "threeTimesAMonth": "3 fois par mois", "semimonthly": "2 fois par mois", "monthly": "Mensuelle",
    "bimonthly": "Tous les 2 mois", "quarterly": "Trimestrielle", "threeTimesAYear": "3 fois par an",
    "semiannual": "Semestrielle", "annual": "Annuelle", "biennial": "Tous les 2 ans", "triennial": "Tous les 3 ans",
    "quadrennial": "Tous les 4 ans", "quinquennial": "Tous les 5 ans", "decennial": "Tous les 10 ans",
    "bidecennial": "Tous les 20 ans", "tridecennial": "Tous les 30 ans", "punctual": "Ponctuelle",
    "irregular": "Irrégulière", "never": "Jamais", "notPlanned": "Non planifiée", "other": "Autre",
    "unknown": "Inconnue",
}
# Legacy udata ids met when harvesting older portals.
FREQUENCY_ALIASES: dict[str, str] = {
    "realtime": "continuous", "fourTimesADay": "severalTimesADay", "fourTimesAWeek": "other",
    "fortnighly": "biweekly", "biannual": "semiannual", "irreg": "irregular", "update_cont": "continuous",
    "annual_2": "annual",
}

GRANULARITY_LABELS: dict[str, str] = {
    "commune": "Commune", "epci": "Intercommunalité (EPCI)", "canton": "Canton",
    "departement": "Département", "point": "Points (adresses, équipements)", "other": "Autre",
}

# Licence facts: title, URL and a one-line plain-French summary of what the licence permits and requires.
LICENSES: dict[str, dict[str, str]] = {
    "lov2": {
        "title": "Licence Ouverte / Open Licence version 2.0",
        "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
        "summary": "Vous pouvez copier, modifier et réutiliser librement, y compris commercialement, "
                   "à condition de citer la source et la date de dernière mise à jour.",
    },
    "fr-lo": {
        "title": "Licence Ouverte / Open Licence",
        "url": "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
        "summary": "Réutilisation libre, y compris commerciale, en mentionnant la paternité des données.",
    },
    "odc-odbl": {
        "title": "Open Data Commons Open Database License (ODbL)",
        "url": "https://opendatacommons.org/licenses/odbl/summary/",
        "summary": "Réutilisation libre en citant la source ; toute base dérivée diffusée doit être partagée "
                   "sous la même licence (partage à l'identique).",
    },
    "odc-by": {
        "title": "Open Data Commons Attribution License",
        "url": "https://opendatacommons.org/licenses/by/summary/",
        "summary": "Réutilisation libre à condition de citer la source.",
    },
    "odc-pddl": {
        "title": "Open Data Commons Public Domain Dedication and Licence (PDDL)",
        "url": "https://opendatacommons.org/licenses/pddl/summary/",
        "summary": "Domaine public : aucune condition de réutilisation.",
    },
    "cc-by": {
        "title": "Creative Commons Attribution",
        "url": "https://creativecommons.org/licenses/by/4.0/deed.fr",
        "summary": "Réutilisation libre, y compris commerciale, en créditant l'auteur.",
    },
    "cc-by-sa": {
        "title": "Creative Commons Attribution Share-Alike",
        "url": "https://creativecommons.org/licenses/by-sa/4.0/deed.fr",
        "summary": "Réutilisation libre en créditant l'auteur ; les œuvres dérivées gardent la même licence.",
    },
    "cc-zero": {
        "title": "Creative Commons CCZero",
        "url": "https://creativecommons.org/publicdomain/zero/1.0/deed.fr",
        "summary": "Domaine public : aucune condition de réutilisation.",
    },
    "other-at": {
        "title": "Autre (Attribution)",
        "url": "",
        "summary": "Réutilisation autorisée à condition de citer la source (voir les conditions du producteur).",
    },
    "other-open": {"title": "Autre (Ouverte)", "url": "", "summary": "Licence ouverte propre au producteur."},
    "other-pd": {"title": "Autre (Domaine public)", "url": "", "summary": "Domaine public."},
    "notspecified": {
        "title": "Licence non spécifiée",
        "url": "",
        "summary": "Le producteur n'a pas indiqué de licence : renseignez-vous avant de réutiliser.",
    },
}


def license_title(license_id: str) -> str:
    return LICENSES.get(license_id, LICENSES["notspecified"])["title"]


def license_url(license_id: str) -> str:
    return LICENSES.get(license_id, LICENSES["notspecified"])["url"]


def license_summary(license_id: str) -> str:
    return LICENSES.get(license_id, LICENSES["notspecified"])["summary"]


def topic_label(slug: str) -> str:
    return TOPICS.get(slug, slug)


def frequency_label(slug: str) -> str:
    return FREQUENCIES.get(FREQUENCY_ALIASES.get(slug, slug), slug)
