"""Names as a French reader expects them: registers published in capitals (FINESS: « CENTRE HOSPITALIER DE
BELVES ») written in proper case (« Centre hospitalier de Belvès »), acronyms kept, articles lower, and the accents of
place names taken back from the portal's own commune referential."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from catalogue.folding import fold
from indicators.data import cache_key, frame
from queries import QueryError
from queries.cache import cached

# Kept in capitals wherever they appear (établissements, addresses).
ACRONYMS = frozenset({"CH", "CHI", "CHS", "CHU", "CHR", "EHPAD", "SSR", "USLD", "SA", "SAS", "SARL", "CS", "BP",
                      "CEDEX", "ZA", "ZI", "ZAC", "HLM", "MSP", "CMP", "CATTP", "HAD", "SMR", "IME", "ESAT"})
# Common words (folded → written form): lower case inside a name. Place words come from the referential instead.
COMMON = {
    "a": "à", "au": "au", "aux": "aux", "d": "d", "de": "de", "des": "des", "du": "du", "en": "en", "et": "et",
    "l": "l", "la": "la", "le": "le", "les": "les", "pour": "pour", "sur": "sur", "sous": "sous",
    "centre": "centre", "hospitalier": "hospitalier", "hospitaliere": "hospitalière", "hopital": "hôpital",
    "hopitaux": "hôpitaux", "local": "local", "unite": "unité", "unites": "unités", "soins": "soins",
    "longue": "longue", "duree": "durée", "long": "long", "sejour": "séjour", "suite": "suite",
    "readaptation": "réadaptation", "reeducation": "rééducation", "fonctionnelle": "fonctionnelle",
    "cardiaque": "cardiaque", "maison": "maison", "repos": "repos", "convalescence": "convalescence",
    "clinique": "clinique", "polyclinique": "polyclinique", "jour": "jour", "enfants": "enfants",
    "adultes": "adultes", "dispensaire": "dispensaire", "hygiene": "hygiène", "mentale": "mentale",
    "mentales": "mentales", "site": "site", "imagerie": "imagerie", "medical": "médical", "medicale": "médicale",
    "medicales": "médicales", "planification": "planification", "sevrage": "sevrage", "complexe": "complexe",
    "societe": "société", "anonyme": "anonyme", "specialise": "spécialisé", "psychiatrique": "psychiatrique",
    "residence": "résidence", "rue": "rue", "avenue": "avenue", "place": "place", "allee": "allée",
    "boulevard": "boulevard", "route": "route", "impasse": "impasse", "chemin": "chemin", "cote": "côte",
    "quai": "quai", "cours": "cours", "general": "général", "generale": "générale", "square": "square", "lieu": "lieu", "dit": "dit", "bourg": "bourg",
}
# Words that start a proper noun but lose their accents in capitals (« MARECHAL LECLERC »).
PROPER = {"marechal": "Maréchal", "professeur": "Professeur",
          "docteur": "Docteur", "dr": "Dr", "st": "Saint", "ste": "Sainte", "eglise": "Église", "etat": "État"}
_TOKEN = re.compile(r"([^\W\d_]+)")


@cached()
def _place_words(version: str) -> tuple[dict[str, str], dict[str, str]]:
    """(folded word → written word, folded whole name → name) from every commune of the referential (current,
    delegated and associated: « Belvès » lives on in « Centre hospitalier de Belvès »)."""
    names = frame("commune_names")["name"].dropna().astype(str)
    words: dict[str, str] = {}
    whole: dict[str, str] = {}
    for name in names:
        whole[_key(name)] = name
        for word in _TOKEN.findall(name):
            if word[:1].isupper():
                words.setdefault(fold(word), word)
    return words, whole


def _key(name: str) -> str:
    """« Saint-Médard-de-Mussidan », « ST MEDARD DE MUSSIDAN » → « saint medard de mussidan »."""
    words = re.sub(r"[-'’]", " ", fold(name)).split()
    return " ".join({"st": "saint", "ste": "sainte"}.get(w, w) for w in words)


def _place_tables() -> tuple[dict[str, str], dict[str, str]]:
    try:
        return _place_words(cache_key())
    except QueryError:  # without the referential, names are still cased; only the place accents are missing
        return {}, {}


def proper_case(text: object) -> str:
    """« CENTRE HOSPITALIER DE BELVES » → « Centre hospitalier de Belvès »; « EHPAD - UNITE DE SOINS DE LONGUE
    DUREE DU CH DE SARLAT » → « EHPAD - unité de soins de longue durée du CH de Sarlat »; « Rue GABRIEL TARDE » →
    « Rue Gabriel Tarde ». Words already in mixed case are the publisher's choice and stay as they are."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    value = " ".join(str(text).split())
    words, _ = _place_tables()

    def fix(match: re.Match[str]) -> str:
        word = match.group(1)
        at_start = match.start() == 0  # a name starts with a capital; « 3 rue de l'Hôpital » does not
        if any(ch.islower() for ch in word) or (word.upper() in ACRONYMS and len(word) > 1):
            return word
        if match.string[match.end():match.end() + 1] == ".":  # an initial or an abbreviation: « S.A. »
            return word
        folded = fold(word)
        if folded in COMMON:
            out = COMMON[folded]
            return out[:1].upper() + out[1:] if at_start else out
        if folded in PROPER:
            return PROPER[folded]
        if folded in words:
            return words[folded]
        return word[:1].upper() + word[1:].lower()

    return _TOKEN.sub(fix, value)


def town_name(text: object) -> str:
    """A town as the referential writes it (« SARLAT LA CANEDA » → « Sarlat-la-Canéda »), else in proper case."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    _, whole = _place_tables()
    return whole.get(_key(str(text))) or proper_case(text)


# st.page_link cuts a long label with « … » on one line: a dataset title and its row count disappear at 390 px.
_WRAP_CSS = (".st-key-{key} [data-testid^='stPageLink'] a, .st-key-{key} [data-testid^='stPageLink'] a * "
             "{{ white-space: normal !important; overflow: visible !important; text-overflow: clip !important; "
             "height: auto !important; }}")


def wrap_page_links(key: str) -> None:
    """Let the page links inside the container keyed `key` wrap onto several lines instead of being cut."""
    st.html(f"<style>{_WRAP_CSS.format(key=re.sub(r'[^A-Za-z0-9_-]', '', key))}</style>")
