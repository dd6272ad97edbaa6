"""Column names: snake_case normalisation and the rule that names an identifier column (code INSEE, SIREN...)."""

from __future__ import annotations

import re

from catalogue.folding import strip_accents

# A column whose name carries one of these tokens holds identifiers (INSEE, SIREN, UAI, postcodes): it stays
# text even when every value looks like an integer, so joins on codes keep working across datasets.
CODE_TOKENS = frozenset({
    "code", "codes", "cod", "insee", "siren", "siret", "uai", "cp", "codgeo", "depcom", "codcom", "codreg", "coddep",
    "codarr", "codcan", "com", "dep", "reg", "arr", "postal", "postaux", "postcode", "zipcode", "zip", "rna", "finess",
    "naf", "ape", "nic",
})


# stems that name a code even glued to another word (`c_arinsee`, `codeinsee`, `numsiret`)
CODE_STEMS = ("insee", "siren", "siret", "codgeo", "depcom")


def is_code_name(name: str) -> bool:
    """True when a normalised column name designates an identifier (code INSEE, SIREN...)."""
    return any(tok in CODE_TOKENS or any(stem in tok for stem in CODE_STEMS) for tok in name.split("_"))


def normalise_name(name: str) -> str:
    """`Code INSEE de la commune` -> `code_insee_de_la_commune`: ASCII snake_case, may be empty."""
    # Accents and ligatures go as in every search (catalogue.folding); « n° » keeps a separator.
    text = strip_accents(str(name).replace("°", "_")).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z0-9])([A-Z])(?=[a-z])", r"\1_\2", text)  # camelCase -> camel_case
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def normalise_names(names: list[str], reserved: tuple[str, ...] = ()) -> list[str]:
    """Unique snake_case names; empty ones become `colonne_<n>`, leading digits get a `c_` prefix."""
    out: list[str] = []
    seen: set[str] = set(reserved)
    for i, raw in enumerate(names):
        base = normalise_name(raw) or f"colonne_{i + 1}"
        if base[0].isdigit():
            base = f"c_{base}"
        name, n = base, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        out.append(name)
    return out


# Commune codes (INSEE) and postcodes have five characters; stored as numbers they lose a leading zero (06114 ->
# 6114). Only these are restored: a département or a partial code has no fixed width to restore to.
FIVE_CHAR_TOKENS = frozenset({"insee", "codgeo", "depcom", "codcom", "cp", "postal", "postaux", "postcode", "zipcode"})
_FIVE = re.compile(r"[0-9]{4,5}|2[AB][0-9]{3}")


def lost_zero_width(name: str, values: list[str]) -> int | None:
    """5 when a commune-code or postcode column holds 4-digit values beside 5-character ones (a lost leading zero),
    else None. Every value must look like such a code, so a column of other identifiers is never touched."""
    tokens = name.split("_")
    if not any(t in FIVE_CHAR_TOKENS or "insee" in t for t in tokens):
        return None
    vals = [v.strip() for v in values if v and v.strip()]
    if not vals or not all(_FIVE.fullmatch(v) for v in vals) or not any(len(v) == 4 for v in vals):
        return None
    return 5


DEPARTEMENT_TOKENS = frozenset({"dep", "dept", "departement", "coddep", "cod_dep"})
_DEP = re.compile(r"[0-9]{1,3}|2[AB]|Z[A-Z]")


def lost_zero_departement(name: str, values: list[str]) -> str | None:
    """A one-digit value (« 1 » for 01) in a département-code column: reported, not restored (the width of a
    département code is 2 or 3, so a bare digit is not unambiguous enough to rewrite)."""
    if not set(name.split("_")) & DEPARTEMENT_TOKENS:
        return None
    vals = [v.strip() for v in values if v and v.strip()]
    if not vals or not all(_DEP.fullmatch(v) for v in vals):
        return None
    return next((v for v in vals if len(v) == 1 and v.isdigit()), None)
