"""DuckDB's refusals of an analyst's query, said in French.

DuckDB words its errors in English ("Catalog Error: Table with name x does not exist!"). The /sql page speaks French:
the errors analysts meet every day (unknown table, column or function, syntax, type conversion, grouping) are
translated, keeping the names and DuckDB's pointer to the place in the query (`LINE 1: … ^^^`), which needs no
translation. Any other error keeps DuckDB's own first line after a French lead, so nothing useful is lost.
"""

from __future__ import annotations

import re

MAX_CHARS = 2_000

_TRANSLATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), t) for p, t in (
    (r'^Catalog Error: Table with name (?P<x>.+?) does not exist!',
     "La table « {x} » n'existe pas : voir « Tables disponibles » sous l'éditeur."),
    (r'^Catalog Error: (?:Scalar |Aggregate |Table )?Function with name (?P<x>.+?) does not exist!',
     "La fonction « {x} » n'existe pas."),
    (r'^Binder Error: Referenced column "(?P<x>.+?)" not found in FROM clause!',
     "La colonne « {x} » n'existe pas dans les tables de la requête."),
    (r'^Binder Error: Referenced table "(?P<x>.+?)" not found!',
     "La table « {x} » n'est pas dans la clause FROM de la requête."),
    (r'^Binder Error: column "(?P<x>.+?)" must appear in the GROUP BY clause',
     "La colonne « {x} » doit figurer dans le GROUP BY ou dans une fonction d'agrégation (sum, count, avg…)."),
    (r"^Binder Error: No function matches the given name and argument types '(?P<x>.+?)'",
     "Aucune fonction ne correspond à « {x} » : vérifiez le type des arguments (une conversion CAST est peut-être "
     "nécessaire)."),
    (r'^Binder Error: Ambiguous reference to column name "(?P<x>.+?)"',
     "Le nom de colonne « {x} » est ambigu : préfixez-le par le nom de sa table."),
    (r'^Parser Error: syntax error at end of input', "Erreur de syntaxe : la requête est incomplète."),
    (r'^Parser Error: syntax error at or near "(?P<x>.+?)"', "Erreur de syntaxe près de « {x} »."),
    (r"^Conversion Error: Could not convert string '(?P<x>.*?)' to (?P<y>\S+)",
     "Impossible de convertir « {x} » en {y}."),
    (r'^Permission Error:', "Accès refusé : seules les tables du portail peuvent être lues."),
    (r'^Invalid Input Error: Attempting to execute an unsuccessful or closed pending query result',
     "La requête a été interrompue."),
))
_LEADS = {  # DuckDB's error classes, for what the table above does not know
    "Parser Error": "Erreur de syntaxe", "Binder Error": "Requête invalide", "Catalog Error": "Objet inconnu",
    "Conversion Error": "Conversion impossible", "Out of Range Error": "Valeur hors limites",
    "Invalid Input Error": "Entrée invalide", "Not implemented Error": "Non pris en charge",
}
_SUGGESTION = re.compile(r'^(?:Did you mean|Candidate bindings:) (?P<x>.+)$')
_POINTER = re.compile(r'^LINE \d+:')


def in_french(message: str) -> str:
    """A French message for a DuckDB error text (as `str(duckdb.Error)` gives it)."""
    lines = message.strip().splitlines() or [""]
    first = lines[0]
    said = next((t.format(**m.groupdict()) for p, t in _TRANSLATIONS if (m := p.match(first))), None)
    if said is None:
        kind, _, detail = first.partition(": ")
        said = f"Requête refusée ({_LEADS[kind]}) : {detail}" if kind in _LEADS else f"Requête refusée : {first}"
    out = [said]
    for i, line in enumerate(lines[1:], start=1):
        if m := _SUGGESTION.match(line.strip()):
            out.append(f"Vouliez-vous dire : {m['x'].rstrip('?')} ?")
        elif _POINTER.match(line):
            out.extend(["", *lines[i:i + 2]])  # the query line and DuckDB's ^^^ under the faulty part
            break
    return "\n".join(out)[:MAX_CHARS]
