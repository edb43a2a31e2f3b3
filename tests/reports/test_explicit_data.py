"""Issue 9: a report says when its data are synthetic, and a selection must exist in the data."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from imr_analytics.analytics.coverage import coverage, synthetic_letters
from imr_analytics.reports import nbkit
from imr_analytics.reports.errors import ReportParameterError
from imr_analytics.reports.selection import check_selection, dimension_values, nearest
from imr_analytics.store.database import open_database


@pytest.fixture(scope="module")
def synthetic_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from imr_analytics.store.loader import load_paths
    from imr_analytics.synth import generate_corpus

    folder = tmp_path_factory.mktemp("synthetic")
    generate_corpus(folder / "corpus", 30, seed=5)  # returns the path of its truth.jsonl
    db = folder / "synthetic.duckdb"
    load_paths([folder / "corpus" / "letters"], db, workers=1)
    return db


def _cli(argv: list[str]) -> tuple[int, str, str]:
    from imr_analytics.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_synthetic_letters_are_recognised_from_the_stored_text(
    synthetic_db: Path, small_db: Path
) -> None:
    con = open_database(synthetic_db, read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM letters").fetchone()[0]
        assert n > 0 and synthetic_letters(con) == n
        cov = coverage(con)
        assert cov.is_synthetic is True and cov.n_synthetic_letters == n
    finally:
        con.close()
    con = open_database(small_db, read_only=True)  # no generator marker in its documents
    try:
        assert synthetic_letters(con) == 0 and coverage(con).is_synthetic is False
    finally:
        con.close()


def _namespace(db: Path, **params: Any) -> dict[str, Any]:
    ns: dict[str, Any] = {}
    source = "db_path: str = ''\ncategories: list[str] = []\ntitle: str = 'T'\n"
    exec(compile(source, "parameters", "exec"), ns)
    ns.update(db_path=str(db), **params)
    return ns


def test_report_on_synthetic_data_says_so_on_top_and_in_the_subject(
    synthetic_db: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[dict[str, Any]] = []
    monkeypatch.setattr(nbkit, "_display", lambda bundle, metadata=None: shown.append(bundle))
    rep = nbkit.Report.open("t", _namespace(synthetic_db))
    try:
        rep.title_block("sub")
        rep.email_summary([("Letters", "30")], "<table></table>", subject="T: 60%")
        assert rep.provenance()["synthetic"] is True
    finally:
        rep.close()
    title_html = str(shown[0]["text/html"])
    assert title_html.index("Synthetic demo data") < title_html.index("<h1")
    assert shown[1][nbkit.SUMMARY_MIME]["subject"] == "[synthetic demo data] T: 60%"

    shown.clear()
    rep = nbkit.Report.open("t", _namespace(small_db))
    try:
        rep.title_block("sub")
        rep.email_summary([("Letters", "30")], "<table></table>", subject="T: 60%")
    finally:
        rep.close()
    assert "ynthetic" not in str(shown[0]["text/html"])
    assert shown[1][nbkit.SUMMARY_MIME]["subject"] == "T: 60%"


def test_a_selection_value_not_in_the_data_names_the_nearest(small_db: Path) -> None:
    con = open_database(small_db, read_only=True)
    try:
        with pytest.raises(ReportParameterError) as info:
            check_selection(con, {"categories": ["Pharmaceutical"]}, report="uphold_rates")
        message = str(info.value)
        assert "'Pharmaceutical' does not occur" in message and "Pharmaceuticals" in message
        assert "\n" not in message
        with pytest.raises(ReportParameterError, match="specialties value 'Cardiology'"):
            check_selection(con, {"specialties": ["Cardiology"]}, report="r")
        with pytest.raises(ReportParameterError, match="matches no decided item.*2016"):
            check_selection(con, {}, report="r", date_from="2030-01-01")
        check_selection(con, {"categories": ["Pharmaceuticals"], "category": ""}, report="r")
        values = dimension_values(con, "item_category")
        assert list(values.columns) == ["value", "n_items", "n_letters"]
        assert values["n_items"].is_monotonic_decreasing
        with pytest.raises(
            ReportParameterError, match="unknown dimension 'categry'.*item_category"
        ):
            dimension_values(con, "categry")
    finally:
        con.close()
    assert nearest("pharmaceutical", ["Pharmaceuticals", "Surgery"]) == ["Pharmaceuticals"]


def test_values_command(small_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _cli(["values", "item_category", "--db", str(small_db)])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["item_category", "items", "letters"]
    assert any(line.startswith("Pharmaceuticals ") for line in lines[1:])
    monkeypatch.delenv("IMR_DB", raising=False)
    code, out, err = _cli(["values", "item_category"])
    assert code == 1 and out == "" and err.startswith("imr-analytics: no database given")
    monkeypatch.setenv("IMR_DB", str(small_db))
    assert _cli(["values", "reviewer_source"])[0] == 0
    assert _cli(["values", "nope"])[0] == 2


def test_report_without_a_database_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMR_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli(["report", "uphold_rates", "--out", str(tmp_path / "out")])
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and "no database given: pass --db FILE" in err
    code, out, err = _cli(["report", "uphold_rates", "-p", "categories", "Pharmaceutical"])
    assert code != 0 and "no database given" in err
