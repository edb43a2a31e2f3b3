"""nbkit on the test database: the user's selection reaches every query, checks come first.

These tests run the notebooks' code in this process (no kernel), recording every call that
nbkit makes to ``uphold_rates`` and ``letter_volumes``, so they can prove what a section asked
for, not just what the page shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from database_faults import held_open

import imr_analytics.analytics as analytics
from imr_analytics.reports import nbkit
from imr_analytics.reports.errors import ReportError, ReportParameterError
from imr_analytics.reports.nbkit import Report, combine_where
from imr_analytics.reports.runner import describe_report, report_script


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every uphold_rates / letter_volumes / compare_rates / coverage call nbkit makes, with
    its filters and result."""
    recorded: list[dict[str, Any]] = []
    real_rates, real_volumes = analytics.uphold_rates, analytics.letter_volumes
    real_compare, real_coverage = analytics.compare_rates, analytics.coverage

    def compare(con: Any, by: Any, where: Any = None, **kw: Any) -> Any:
        df = real_compare(con, by, where=where, **kw)
        recorded.append({"fn": "compare_rates", "by": by, "where": where, "df": df, **kw})
        return df

    def cover(con: Any, where: Any = None, **kw: Any) -> Any:
        cov = real_coverage(con, where=where, **kw)
        recorded.append(
            {"fn": "coverage", "by": None, "where": where, "df": cov.by_layout_year, **kw}
        )
        return cov

    def rates(con: Any, by: Any = (), where: Any = None, **kw: Any) -> Any:
        df = real_rates(con, by=by, where=where, **kw)
        recorded.append({"fn": "uphold_rates", "by": by, "where": where, "df": df, **kw})
        return df

    def volumes(con: Any, period: Any = "year", where: Any = None, **kw: Any) -> Any:
        df = real_volumes(con, period=period, where=where, **kw)
        recorded.append({"fn": "letter_volumes", "by": period, "where": where, "df": df, **kw})
        return df

    monkeypatch.setattr(analytics, "uphold_rates", rates)
    monkeypatch.setattr(analytics, "letter_volumes", volumes)
    monkeypatch.setattr(analytics, "compare_rates", compare)
    monkeypatch.setattr(analytics, "coverage", cover)
    return recorded


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every bundle nbkit displays; charts are not rendered (the report runs check those)."""
    bundles: list[dict[str, Any]] = []
    monkeypatch.setattr(
        nbkit, "_display", lambda bundle, metadata=None: bundles.append(dict(bundle))
    )
    monkeypatch.setattr(analytics, "to_svg", lambda chart: "<svg></svg>")
    return bundles


def _namespace(name: str, small_db: Path, **overrides: Any) -> dict[str, Any]:
    """A notebook's globals after its parameters cell ran (``__annotations__`` included)."""
    import nbformat

    nb = nbformat.read(report_script(name), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    ns: dict[str, Any] = {}
    exec(compile(cell.source, f"{name} parameters", "exec"), ns)
    assert set(ns["__annotations__"]) == set(describe_report(name))
    ns["db_path"] = str(small_db)
    ns.update(overrides)
    return ns


@pytest.fixture
def open_report(small_db: Path) -> Iterator[Any]:
    opened: list[Report] = []

    def _open(name: str = "uphold_rates", **overrides: Any) -> Report:
        rep = Report.open(name, _namespace(name, small_db, **overrides))
        opened.append(rep)
        return rep

    yield _open
    for rep in opened:
        rep.close()


def _exec_notebook(name: str, small_db: Path, **overrides: Any) -> dict[str, Any]:
    """Run a report's cells in this process, with ``overrides`` as the injected parameters."""
    import nbformat

    nb = nbformat.read(report_script(name), as_version=4)
    ns: dict[str, Any] = {"__name__": f"report_{name}"}
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, f"{name}.py cell {number}", "exec"), ns)
        if "parameters" in cell.metadata.get("tags", []):
            ns.update(_namespace(name, small_db, **overrides))
    return ns


def _html_of(bundles: list[dict[str, Any]]) -> str:
    return "\n".join(str(b.get("text/html", "")) for b in bundles)


# -- combining a section's filter with the selection --------------------------------------------


def test_section_filter_narrows_the_selection_never_replaces_it() -> None:
    selection = {"item_category": ["Surgery", "Pharmaceuticals"], "reviewer_specialty": ["A"]}
    assert combine_where(selection, {"item_category": ["Pharmaceuticals", "Injections"]}) == {
        "item_category": ["Pharmaceuticals"],
        "reviewer_specialty": ["A"],
    }
    assert combine_where(selection, {"item_category": "Injections"})["item_category"] == []
    assert combine_where({}, {"item_category": "Surgery"}) == {"item_category": ["Surgery"]}
    assert combine_where(selection, {"drug_class": ["opioid"]}) == {
        **selection,
        "drug_class": ["opioid"],
    }
    assert combine_where({"patient_sex": [None, "female"]}, {"patient_sex": [None]}) == {
        "patient_sex": [None]
    }
    assert combine_where(selection, None) == selection
    assert selection == {
        "item_category": ["Surgery", "Pharmaceuticals"],
        "reviewer_specialty": ["A"],
    }


def test_empty_intersection_is_an_empty_section_not_a_crash(
    open_report: Any, shown: list[dict[str, Any]]
) -> None:
    rep = open_report(categories=["Surgery"])
    drugs = rep.rates("drug_class", where={"item_category": ["Pharmaceuticals"]})
    assert drugs.empty
    assert rep.rates(where={"item_category": "Injections"}).empty
    assert rep.volumes(None, where={"item_category": ["Injections"]}).empty
    assert rep.volumes("year", where={"item_category": ["Injections"]}).empty
    rep.chart(drugs, analytics.rate_bars, title="Drug class")
    rep.rate_table(drugs)
    html = _html_of(shown)
    assert "No chart: no decided items in this selection." in html
    assert "No decided items in this selection." in html


def test_every_section_of_uphold_rates_honours_a_non_default_selection(
    small_db: Path, calls: list[dict[str, Any]], shown: list[dict[str, Any]]
) -> None:
    _exec_notebook("uphold_rates", small_db, categories=["Surgery"], specialties=["Psychiatry"])
    assert len(calls) > 25
    for call in calls:
        where = call["where"]
        assert where is not None, call["by"]
        assert set(where["item_category"]) <= {"Surgery"}, (call["by"], where)
        assert where["reviewer_specialty"] == ["Psychiatry"], (call["by"], where)
        df = call["df"]
        if "item_category" in df.columns:
            assert set(df["item_category"]) <= {"Surgery"}, call["by"]
        if "reviewer_specialty" in df.columns:
            assert set(df["reviewer_specialty"]) <= {"Psychiatry"}, call["by"]
    # the selection is not empty, so the sections have numbers; the drug-class one has none
    overall = next(c["df"] for c in calls if c["fn"] == "uphold_rates" and not c["by"])
    assert int(overall["n"].iloc[0]) > 0
    drug = [c for c in calls if c["by"] == "drug_class"]
    assert len(drug) == 1 and drug[0]["where"]["item_category"] == [] and drug[0]["df"].empty
    html = _html_of(shown)
    assert "Selection: treatment category: Surgery; reviewer specialty: Psychiatry." in html
    assert "No decided items in this selection." in html


def test_every_section_of_item_drilldown_honours_the_selection(
    small_db: Path, calls: list[dict[str, Any]], shown: list[dict[str, Any]]
) -> None:
    _exec_notebook(
        "item_drilldown",
        small_db,
        category="Rehabilitation Services",
        specialties=["Anesthesiology", "Psychiatry"],
        date_from="2016-06-01",
        include_text=True,
    )
    assert len(calls) > 10
    for call in calls:
        assert call["where"]["item_category"] == ["Rehabilitation Services"], call["by"]
        assert call["where"]["reviewer_specialty"] == ["Anesthesiology", "Psychiatry"]
        assert str(call["date_from"]) == "2016-06-01"
    assert "Sample of reviewers" in _html_of(shown)


def test_every_section_of_guideline_effects_honours_the_selection(
    small_db: Path, calls: list[dict[str, Any]], shown: list[dict[str, Any]]
) -> None:
    _exec_notebook(
        "guideline_effects",
        small_db,
        categories=["Pharmaceuticals", "Rehabilitation Services"],
        date_from="2016-03-01",
        adjust=["item_category"],
    )
    fns = {c["fn"] for c in calls}
    assert {"uphold_rates", "letter_volumes", "compare_rates", "coverage"} <= fns
    for call in calls:
        assert call["where"]["item_category"] == ["Pharmaceuticals", "Rehabilitation Services"]
        assert str(call["date_from"]) == "2016-03-01", call["fn"]
    models = [c for c in calls if c["fn"] == "compare_rates"]
    assert [m["by"] for m in models] == ["reviewer_source", "ca_source", "source_agreement"]
    assert all(list(m["adjust"]) == ["item_category"] for m in models)
    html = _html_of(shown)
    assert html.index("<h2>Coverage</h2>") < html.index("How to read the adjusted numbers")
    assert "association" in html.lower() or "associations" in html.lower()


# -- the rationale sample draws from the population the numbers describe ------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"category": ""},
        {"category": "Pharmaceuticals", "specialties": ["Psychiatry", "Anesthesiology"]},
        {"category": "Pharmaceuticals", "item_pattern": "o", "date_to": "2016-12-31"},
        {"category": "DMEPOS", "date_from": "2016-05-01", "date_to": "2017-02-28"},
    ],
)
def test_sample_pool_is_the_population_uphold_rates_counts(
    open_report: Any, overrides: dict[str, Any]
) -> None:
    rep = open_report("item_drilldown", **overrides)
    pool = rep.sample_items(100_000)
    overall = rep.rates()
    assert len(pool) == int(overall["n"].iloc[0]) > 0
    assert pool.equals(rep.sample_items(100_000, seed=5))  # all of it, whatever the seed
    few = rep.sample_items(4, seed=3)
    assert len(few) == 4 and few.equals(rep.sample_items(4, seed=3))


@pytest.mark.parametrize(
    "extra",
    [
        {"priority": ["standard"]},
        {"patient_sex": ["female"]},
        {"item_category": [None]},
        {"item_category": []},
    ],
)
def test_sample_applies_every_filter_uphold_rates_applies(
    open_report: Any, extra: dict[str, Any]
) -> None:
    rep = open_report("item_drilldown")
    rep.where.update(extra)
    pool = rep.sample_items(100_000)
    counted = analytics.uphold_rates(rep.con, where=combine_where(rep.where, None))
    assert len(pool) == int(counted["n"].fillna(0).sum())


# -- parameters are checked before the database is opened ---------------------------------------


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"period": "fortnight"}, "'period' must be one of year, quarter, month"),
        ({"interval": "exact"}, "'interval' must be one of korn-graubard, wilson"),
        ({"date_from": "2016-1-5"}, "'date_from' must be a date YYYY-MM-DD"),
        ({"date_to": "20160105"}, "'date_to' must be a date YYYY-MM-DD"),
        ({"date_to": "2016-02-30"}, "'date_to' must be a date YYYY-MM-DD"),
        ({"date_from": "2017-01-01", "date_to": "2016-01-01"}, "is after date_to"),
        ({"top_items": 0}, "'top_items' must be from 1 to 100"),
        ({"top_items": "many"}, "'top_items' expects int"),
    ],
)
def test_bad_parameter_in_jupyterlab_fails_before_the_database_opens(
    small_db: Path, monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any], fragment: str
) -> None:
    import imr_analytics.store.database as database

    opened: list[Any] = []
    monkeypatch.setattr(database, "open_database", lambda *a, **k: opened.append(a))
    with pytest.raises(ReportParameterError, match=fragment):
        Report.open("uphold_rates", _namespace("uphold_rates", small_db, **overrides))
    assert opened == []


def test_report_opens_read_only_and_a_locked_database_is_one_clear_error(
    small_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "locked.duckdb"
    db.write_bytes(small_db.read_bytes())
    rep = Report.open("uphold_rates", _namespace("uphold_rates", db))
    try:
        with pytest.raises(Exception, match="read-only"):
            rep.con.execute("CREATE TABLE scratch (x INTEGER)")
    finally:
        rep.close()
    with held_open(db), pytest.raises(ReportError) as info:
        Report.open("uphold_rates", _namespace("uphold_rates", db))
    message = str(info.value)
    assert "'uphold_rates'" in message and str(db) in message
    assert "in use by another process" in message
    assert len(message.splitlines()) == 1


def test_missing_database_in_jupyterlab_is_a_report_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="nope.duckdb"):
        Report.open("uphold_rates", _namespace("uphold_rates", tmp_path / "nope.duckdb"))


# -- the footer reuses the headline's totals ----------------------------------------------------


def test_provenance_reuses_the_totals_the_notebook_computed(
    open_report: Any, calls: list[dict[str, Any]]
) -> None:
    rep = open_report(period="month")
    totals = rep.volumes(None)
    by_month = rep.volumes(rep.period)
    totals.loc[0, "n_letters"] = -1  # a caller editing its copy does not change the footer
    before = len(calls)
    prov = rep.provenance()
    assert len(calls) == before  # neither volumes(None) nor volumes("month") ran again
    assert prov["letters"] == int(by_month["n_letters"].sum()) > 0
    assert rep.volumes(None).attrs["period"] is None
    fresh = open_report(period="month").provenance()
    assert fresh["letters"] == prov["letters"] and fresh["items"] == prov["items"]
