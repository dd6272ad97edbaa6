"""ODSQL's date functions: now() with its named parameters, and date_format() with its Joda-style patterns."""

from __future__ import annotations

import re

from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta

from api.odsql import ast
from api.odsql.context import Context, Typed
from api.odsql.schema import TEMPORAL

# now(): singular names set a part, plurals add to it (dateutil's relativedelta has exactly these semantics).
_ABSOLUTE = {"year": (1, 9999), "month": (1, 12), "day": (1, 10**6), "hour": (0, 23), "minute": (0, 59),
             "second": (0, 59), "microsecond": (0, 999_999), "weekday": (0, 6)}
_RELATIVE = {"years", "months", "days", "hours", "minutes", "seconds", "microseconds"}
_WEEKDAYS = {"mondays": MO, "tuesdays": TU, "wednesdays": WE, "thursdays": TH, "fridays": FR, "saturdays": SA,
             "sundays": SU}
_RELATIVE_MAX = 10**6

# Day and month names for E / EEEE / MMM / MMMM, by `lang` (ODS formats them in the request's language).
_NAMES: dict[str, dict[str, list[str]]] = {
    "fr": {"E": ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
           "EEEE": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
           "MMM": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
           "MMMM": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                    "novembre", "décembre"]},
    "en": {"E": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
           "EEEE": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
           "MMM": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
           "MMMM": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                    "October", "November", "December"]},
    "de": {"E": ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."],
           "EEEE": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
           "MMM": ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."],
           "MMMM": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                    "November", "Dezember"]},
    "es": {"E": ["lun.", "mar.", "mié.", "jue.", "vie.", "sáb.", "dom."],
           "EEEE": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
           "MMM": ["ene.", "feb.", "mar.", "abr.", "may.", "jun.", "jul.", "ago.", "sept.", "oct.", "nov.", "dic."],
           "MMMM": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
                    "octubre", "noviembre", "diciembre"]},
    "it": {"E": ["lun", "mar", "mer", "gio", "ven", "sab", "dom"],
           "EEEE": ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"],
           "MMM": ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"],
           "MMMM": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
                    "ottobre", "novembre", "dicembre"]},
    "nl": {"E": ["ma", "di", "wo", "do", "vr", "za", "zo"],
           "EEEE": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
           "MMM": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
           "MMMM": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                    "oktober", "november", "december"]},
    "pt": {"E": ["seg.", "ter.", "qua.", "qui.", "sex.", "sáb.", "dom."],
           "EEEE": ["segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado",
                    "domingo"],
           "MMM": ["jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.", "dez."],
           "MMMM": ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
                    "outubro", "novembro", "dezembro"]},
}
_PATTERN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")


def _int_arg(ctx: Context, node: ast.Node, name: str) -> int:
    negative = isinstance(node, ast.Negative)
    inner = node.operand if negative else node
    if not (isinstance(inner, ast.Literal) and inner.kind == "number" and isinstance(inner.value, int)):
        raise ctx.error(node, f"now(): {name} expects an integer")
    return -inner.value if negative else inner.value


def now(ctx: Context, node: ast.Func) -> Typed:
    """The request's time (in its time zone), moved by now()'s named parameters; bound as a TIMESTAMP."""
    if node.args:
        raise ctx.error(node, "now() takes only named parameters, e.g. now(years=-1)")
    kwargs: dict[str, object] = {}
    for name, arg in node.named:  # a parameter given twice: the last one counts
        number = _int_arg(ctx, arg, name)
        if name in _ABSOLUTE:
            low, high = _ABSOLUTE[name]
            if not low <= number <= high:
                raise ctx.error(arg, f"now(): {name} must be between {low} and {high}")
            if name == "weekday":
                kwargs["weekday"] = number
            else:
                kwargs[name] = number
        elif name in _RELATIVE:
            if abs(number) > _RELATIVE_MAX:
                raise ctx.error(arg, f"now(): {name} is out of range")
            kwargs[name] = number
        elif name in _WEEKDAYS:
            if number == 0 or abs(number) > 1000:
                raise ctx.error(arg, f"now(): {name} must be a non-zero integer")
            kwargs["weekday"] = _WEEKDAYS[name](number)
        else:
            raise ctx.error(arg, f"now(): unknown parameter '{name}'")
    try:
        moment = ctx.now + relativedelta(**kwargs)  # type: ignore[arg-type]
    except (ValueError, OverflowError) as exc:
        raise ctx.error(node, f"now(): {exc}") from exc
    return Typed(ctx.bind(moment), "datetime")


def _piece(ctx: Context, node: ast.Node, x: str, token: str) -> str:
    """SQL for one pattern letter group of date_format()."""
    letter, n = token[0], len(token)

    def pad(expr: str, width: int) -> str:
        return f"lpad(CAST({expr} AS VARCHAR), {width}, '0')" if width > 1 else f"CAST({expr} AS VARCHAR)"

    numeric = {"d": f"day({x})", "M": f"month({x})", "H": f"hour({x})", "m": f"minute({x})",
               "s": f"second({x})", "D": f"dayofyear({x})", "w": f"week({x})", "e": f"isodow({x})"}
    if letter in ("y", "Y", "x"):
        year = f"year({x})" if letter != "x" else f"isoyear({x})"
        return pad(f"({year} % 100)", 2) if n == 2 else pad(year, 4)
    if letter in ("E", "M") and (letter == "E" or n >= 3):
        key = ("EEEE" if n >= 4 else "E") if letter == "E" else ("MMMM" if n >= 4 else "MMM")
        names = _NAMES.get(ctx.lang)
        if names is None:
            raise ctx.error(node, f"date_format(): day and month names are not available in language '{ctx.lang}'")
        index = f"isodow({x})" if letter == "E" else f"month({x})"
        return f"list_extract({ctx.bind(names[key])}, {index})"
    if letter in numeric and n <= 3:
        return pad(numeric[letter], n)
    raise ctx.error(node, f"date_format(): unsupported pattern '{token}'")


def date_format(ctx: Context, node: ast.Func) -> Typed:
    """date_format(<date>, '<pattern>'): Joda-style letters (yyyy, MM, dd, HH, mm, ss, E, EEEE, MMMM, w, D…), text
    between single quotes kept as is (`''` for a quote); null when the date is null."""
    if len(node.args) != 2 or node.named:
        raise ctx.error(node, "date_format() expects a date and a format string")
    date = ctx.value(node.args[0])
    pattern = node.args[1]
    if date.type not in TEMPORAL | {"null"}:
        raise ctx.error(node.args[0], f"date_format() expects a date, got {date.type}")
    if not (isinstance(pattern, ast.Literal) and pattern.kind == "string"):
        raise ctx.error(pattern, "date_format() expects a format string literal")
    text = str(pattern.value)
    if not text or len(text) > 200:
        raise ctx.error(pattern, "date_format(): the format must hold 1 to 200 characters")
    pieces: list[str] = []
    for m in _PATTERN.finditer(text):
        token = m.group(0)
        if token.startswith("'"):
            literal = "'" if token == "''" else token[1:-1].replace("''", "'")
            pieces.append(ctx.bind(literal))
        elif m.group(1):
            pieces.append(_piece(ctx, pattern, date.sql, token))
        else:
            pieces.append(ctx.bind(token))
    # `||` propagates null: a null date gives a null text, not the pattern's free text alone.
    body = " || ".join(pieces)
    return Typed(f"(CASE WHEN {date.sql} IS NULL THEN NULL ELSE {body} END)", "text", date.aggregate)
