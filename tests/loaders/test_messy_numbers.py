"""Numbers as French publishers write them (issue 14): percentages with their sign, missing-value markers of
every kind (secret, NR, n.d., Excel errors), thousands separators, in real files written by the test."""

from __future__ import annotations

from pathlib import Path

from tests.loaders.loader_helpers import load_file, types_of


def test_percentages_markers_and_thousands(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "taux.csv"
    path.write_text(
        "Commune;Taux de chômage;Population;Revenu médian\n"
        "Périgueux;12,5 %;29\u202f896;secret\n"
        "Bergerac;9,8%;26\u00a0852;19 870\n"
        "Sarlat;n.d.;8 786;#N/A\n"
        "Nontron;NR;3 185;20 110\n", encoding="utf-8")
    meta, rows = load_file(path)
    assert types_of(meta) == {"commune": "text", "taux_de_chomage": "number", "population": "integer",
                              "revenu_median": "integer"}
    assert [r["taux_de_chomage"] for r in rows] == [12.5, 9.8, None, None]
    assert [r["population"] for r in rows] == [29896, 26852, 8786, 3185]
    assert [r["revenu_median"] for r in rows] == [None, 19870, None, 20110]
    warned = " ".join(meta["warnings"])
    assert "« n.d. » × 1" in warned and "« secret » × 1" in warned and "« #N/A » × 1" in warned


def test_the_accounting_dash_is_zero_and_a_bare_dash_is_missing(data_dir: Path, tmp_path: Path) -> None:
    """Excel's accounting format writes zero as « - » between spaces; a dash alone is a missing-value marker."""
    path = tmp_path / "budget.csv"
    path.write_text("Poste;Montant;Effectif\nVoirie; 1 234 ;3\nCulture; - ;-\nSport;12;5\nSocial;  -   ;7\n",
                    encoding="utf-8")
    meta, rows = load_file(path)
    assert types_of(meta) == {"poste": "text", "montant": "integer", "effectif": "integer"}
    assert [r["montant"] for r in rows] == [1234, 0, 12, 0]
    assert [r["effectif"] for r in rows] == [3, None, 5, 7]
    warned = " ".join(meta["warnings"])
    assert "« montant » : 2 tiret(s)" in warned and "comme 0" in warned and "« - » × 1" in warned


def test_a_column_of_markers_only_stays_text(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("code;statut\n24322;NC\n24037;NR\n", encoding="utf-8")
    meta, rows = load_file(path)
    assert types_of(meta) == {"code": "text", "statut": "text"}
    assert [r["statut"] for r in rows] == ["NC", "NR"]


def test_dates_as_publishers_write_them(data_dir: Path, tmp_path: Path) -> None:
    """French month-year (« janv-15 »), yyyymmdd and Excel serial day numbers in a date-named column."""
    path = tmp_path / "dates.csv"
    path.write_text("Mois;Date de pose;Date maj;Nombre\njanv-15;20140808;45292;3\nfévr. 2015;NC;45293;4\n"
                    "déc-24;20231231;45657;5\n", encoding="utf-8")
    meta, rows = load_file(path)
    assert types_of(meta) == {"mois": "date", "date_de_pose": "date", "date_maj": "date", "nombre": "integer"}
    assert [str(r["mois"]) for r in rows] == ["2015-01-01", "2015-02-01", "2024-12-01"]
    assert [str(r["date_de_pose"]) for r in rows] == ["2014-08-08", "None", "2023-12-31"]
    assert [str(r["date_maj"]) for r in rows] == ["2024-01-01", "2024-01-02", "2024-12-31"]


def test_codes_that_lost_their_leading_zero(data_dir: Path, tmp_path: Path) -> None:
    """A commune code or postcode stored as a number (6114 for 06114) gets its zero back; a département code
    (1 for 01) is only reported: its width is not unambiguous."""
    path = tmp_path / "codes.csv"
    path.write_text("Code INSEE;Code postal;Département;Population\n6114;6340;6;2218\n13005;13400;13;20547\n"
                    "2A004;20000;2A;3\n", encoding="utf-8")
    meta, rows = load_file(path)
    assert types_of(meta) == {"code_insee": "text", "code_postal": "text", "departement": "text",
                              "population": "integer"}
    assert [r["code_insee"] for r in rows] == ["06114", "13005", "2A004"]
    assert [r["code_postal"] for r in rows] == ["06340", "13400", "20000"]
    assert [r["departement"] for r in rows] == ["6", "13", "2A"]
    warned = " ".join(meta["warnings"])
    assert "« 6114 »" in warned and "« 06114 »" in warned and "département sans leur zéro initial (« 6 »" in warned
