"""ODSQL parsing: the grammar's precedence, literals, quoting, positions and bounds; fuzzing: only ODSQLError."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.odsql import ODSQLError, ast, parse_facet, parse_group_by, parse_order_by, parse_select, parse_where
from api.odsql.parser import MAX_CLAUSE_LENGTH, MAX_DEPTH, MAX_LIST_ITEMS

F = ast.Field


def lit(value: object, kind: str) -> ast.Literal:
    return ast.Literal(value, kind)


def test_and_binds_tighter_than_or_and_parentheses_change_it() -> None:
    a, b, c = (ast.Compare("=", F(n), lit(1, "number")) for n in "abc")
    assert parse_where("a = 1 or b = 1 and c = 1") == ast.Or((a, ast.And((b, c))))
    assert parse_where("(a = 1 or b = 1) and c = 1") == ast.And((ast.Or((a, b)), c))
    assert parse_where("not a = 1 and b = 1") == ast.And((ast.Not(a), b))
    assert parse_where("a = 1 OR b = 1 Or c = 1") == ast.Or((a, b, c))


def test_arithmetic_precedence_and_signs() -> None:
    tree = parse_where("x + 2 * y - -3 > 4")
    assert tree == ast.Compare(">", ast.Arith("-", ast.Arith("+", F("x"), ast.Arith("*", lit(2, "number"), F("y"))),
                                              ast.Negative(lit(3, "number"))), lit(4, "number"))
    assert parse_where("a / b = +1") == ast.Compare("=", ast.Arith("/", F("a"), F("b")), lit(1, "number"))


@pytest.mark.parametrize(("text", "expected"), [
    ('"Word"', lit("Word", "string")),
    ("'Using single quotes'", lit("Using single quotes", "string")),
    (r"'Don\'t worry'", lit("Don't worry", "string")),
    (r'"say \"hi\""', lit('say "hi"', "string")),
    ("100", lit(100, "number")),
    ("5.8", lit(5.8, "number")),
    ("TRUE", lit(True, "boolean")),
    ("false", lit(False, "boolean")),
])
def test_literals(text: str, expected: ast.Node) -> None:
    assert parse_select(text)[0].expr == expected


@pytest.mark.parametrize(("text", "value", "precision"), [
    ("date'2017-04-03T08:02'", dt.datetime(2017, 4, 3, 8, 2), "minute"),
    ("date'2018/04/01'", dt.datetime(2018, 4, 1), "day"),
    ("date'1972'", dt.datetime(1972, 1, 1), "year"),
    ("DATE'2019-12'", dt.datetime(2019, 12, 1), "month"),
    ('date"2020-01-01T10:00:00Z"', dt.datetime(2020, 1, 1, 10), "second"),
    ("date'2020-01-01T10:00:00+02:00'", dt.datetime(2020, 1, 1, 8), "second"),
    ("date'2020-01-01T10:00:00.25'", dt.datetime(2020, 1, 1, 10, 0, 0, 250000), "microsecond"),
])
def test_date_literals_keep_their_precision(text: str, value: dt.datetime, precision: str) -> None:
    node = parse_where(f"d = {text}").right
    assert isinstance(node, ast.DateLiteral)
    assert (node.value, node.precision) == (value, precision)


def test_date_literal_periods() -> None:
    year = parse_where("d = date'2017'").right
    month = parse_where("d = date'2019-12'").right
    assert year.stop == dt.datetime(2018, 1, 1)
    assert month.stop == dt.datetime(2020, 1, 1)


def test_field_names_in_backquotes_and_keywords() -> None:
    assert parse_where("`12` > 10") == ast.Compare(">", F("12"), lit(10, "number"))
    assert parse_where('`and`: "value"') == ast.Compare("=", F("and"), lit("value", "string"))
    assert parse_where("`not` is not true") == ast.IsBool(F("not"), True, negated=True)
    # Names that merely start with a keyword are plain fields.
    assert parse_where("notes = 1 and android = 2 or order_id = 3") == ast.Or((
        ast.And((ast.Compare("=", F("notes"), lit(1, "number")), ast.Compare("=", F("android"), lit(2, "number")))),
        ast.Compare("=", F("order_id"), lit(3, "number"))))


def test_predicates() -> None:
    assert parse_where("film_name is null") == ast.IsNull(F("film_name"))
    assert parse_where("film_name IS NOT NULL") == ast.IsNull(F("film_name"), negated=True)
    assert parse_where("numeric_field IN [1..10]") == ast.InRange(F("numeric_field"), lit(1, "number"),
                                                                  lit(10, "number"), True, True)
    assert parse_where("numeric_field IN ]1..10[") == ast.InRange(F("numeric_field"), lit(1, "number"),
                                                                  lit(10, "number"), False, False)
    assert parse_where("x in [1 TO 2[") == ast.InRange(F("x"), lit(1, "number"), lit(2, "number"), True, False)
    assert parse_where('my_field IN ("Paris", "Nantes")') == ast.InList(F("my_field"), (lit("Paris", "string"),
                                                                                       lit("Nantes", "string")))
    assert parse_where('"Paris" IN multivalued_text_field') == ast.InField(lit("Paris", "string"),
                                                                           F("multivalued_text_field"))
    assert parse_where('t like "paris"') == ast.Like(F("t"), lit("paris", "string"))
    assert parse_where('t not like "paris"') == ast.Like(F("t"), lit("paris", "string"), negated=True)
    assert parse_where("b") == F("b")
    assert parse_where('"dog" AND NOT "cat"') == ast.And((lit("dog", "string"), ast.Not(lit("cat", "string"))))


def test_functions_named_arguments_distinct_and_quantities() -> None:
    assert parse_select("now(year=2001, months=-1)")[0].expr == ast.Func(
        "now", named=(("year", lit(2001, "number")), ("months", ast.Negative(lit(1, "number")))))
    assert parse_select("COUNT(distinct species)")[0].expr == ast.Func("count", (F("species"),), distinct=True)
    assert parse_select("count(*)")[0].expr == ast.Func("count", (ast.Star(),))
    wd = parse_where("within_distance(f, geom'POINT(1 1)', 100yd)")
    assert wd == ast.Func("within_distance", (F("f"), ast.GeomLiteral("POINT(1 1)"), ast.Quantity(100.0, "yd")))
    assert parse_group_by("RANGE(date, 1 day)")[0].expr.args[1] == ast.Quantity(1.0, "day")
    assert parse_group_by("range(date, 2h)")[0].expr.args[1] == ast.Quantity(2.0, "h")
    assert parse_where("suggest(\"film\")") == ast.Func("suggest", (lit("film", "string"),))


def test_select_items_labels_and_names() -> None:
    items = parse_select("*, field1 AS my_field, SUM(population) as sum_population, count( * ), include(pop*)")
    assert isinstance(items[0], ast.SelectAll)
    assert (items[1].alias, items[1].text) == ("my_field", "field1")
    assert (items[2].alias, items[2].text) == ("sum_population", "SUM(population)")
    assert (items[3].alias, items[3].text) == (None, "count( * )")
    assert items[4] == ast.SelectPattern(True, "pop*")
    assert parse_select("exclude(pop)")[0] == ast.SelectPattern(False, "pop")
    assert parse_select("x as `my label`")[0].alias == "my label"


def test_group_by_and_order_by_items() -> None:
    groups = parse_group_by("city, year(birth_date) as birth_year")
    assert [g.alias for g in groups] == [None, "birth_year"]
    assert groups[1].expr == ast.Func("year", (F("birth_date"),))
    order = parse_order_by("city DESC, birth_year ASC, count(*) desc, name")
    assert [o.descending for o in order] == [True, False, True, False]


def test_facets() -> None:
    assert parse_facet("modified:2019/12") == ast.FacetFilter("modified", "2019/12")
    assert parse_facet("city:Paris: Nord") == ast.FacetFilter("city", "Paris: Nord")
    with pytest.raises(ODSQLError):
        parse_facet("no separator")
    with pytest.raises(ODSQLError):
        parse_facet("bad name;--:x")


@pytest.mark.parametrize(("text", "position"), [
    ("a >", 3),
    ("a > > 3", 4),
    ("a = 'unterminated", 4),
    ("$x = 1", 0),
    ("a = 1 b", 6),
    ("x = date'20x'", 4),
    ("1e999 > a", 0),
])
def test_syntax_errors_name_the_clause_and_the_position(text: str, position: int) -> None:
    with pytest.raises(ODSQLError) as info:
        parse_where(text)
    assert info.value.position == position
    assert info.value.to_dict()["error_code"] == "ODSQLError"
    assert info.value.to_dict()["message"].startswith("ODSQL query is malformed: ")
    assert info.value.to_dict()["message"].endswith("Clause(s) containing the error(s): where.")


def test_bounds_refuse_deep_long_and_huge_input_quickly() -> None:
    cases = ["(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1),
             "not " * (MAX_DEPTH + 5) + "a",
             "-" * (MAX_DEPTH + 5) + "1 > a",
             "a" * (MAX_CLAUSE_LENGTH + 1),
             "x in (" + ", ".join(["1"] * (MAX_LIST_ITEMS + 1)) + ")",
             " or ".join(["a = 1"] * (MAX_LIST_ITEMS + 1)),
             "(" * 9000 + "a" + ")" * 9000,
             ""]
    for text in cases:
        start = time.monotonic()
        with pytest.raises(ODSQLError):
            parse_where(text)
        assert time.monotonic() - start < 5.0  # well within the executor's 10 s, even on a loaded machine
    assert parse_where("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH) == F("a")


INJECTIONS = ["'; DROP TABLE t; --", '" OR 1=1 --', "1; SELECT * FROM read_csv('/etc/passwd')", "`a`; DELETE",
              "') UNION SELECT * FROM catalogue --", "\\", "\x00", "${p1}", "$p1", "/*", "*/", "--", ";", "`",
              "\"", "'", "(", ")", "[", "]", "..", "é", "🙂", "\n", "date'", "geom'", "include(", "count(*"]
TOKENS = ["a", "b", "x", "`k`", "and", "or", "not", "is", "null", "true", "in", "like", "=", ">", "<=", "!=", ":",
          "+", "-", "*", "/", "(", ")", ",", "[", "]", "..", "1", "2.5", "'s'", '"t"', "date'2020'", "geom'POINT(1 1)'",
          "1km", "count", "search", "now", "year", "as", "desc"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80),
                 st.lists(st.sampled_from(TOKENS + INJECTIONS), max_size=25).map(" ".join)))
def test_fuzz_parsers_raise_only_odsql_errors(text: str) -> None:
    for parse in (parse_where, parse_select, parse_group_by, parse_order_by, parse_facet):
        try:
            parse(text)
        except ODSQLError as exc:
            assert exc.message and exc.to_dict()["error_code"] in ("ODSQLError", "InvalidRESTParameterError")
