"""uphold_rates: counts, rates, intervals, dimensions and filters on hand-built databases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from imr_analytics.analytics import DIMENSIONS, proportion_interval, uphold_rates

Z = 1.959963984540054


def row(df: pd.DataFrame, **match: object) -> pd.Series:
    """The one row of df whose columns equal ``match`` (NA matched with None)."""
    mask = pd.Series(True, index=df.index)
    for col, value in match.items():
        mask &= df[col].isna() if value is None else (df[col] == value).fillna(False)
    assert mask.sum() == 1, f"expected one row for {match}, got {int(mask.sum())}\n{df}"
    return df[mask].iloc[0]


# --- intervals ------------------------------------------------------------------------------


def test_wilson_closed_forms():
    # 0/n: low 0, high z^2/(n+z^2); n/n: low n/(n+z^2), high 1.
    low, high = proportion_interval([0, 10, 12], [10, 10, 12], "wilson")
    assert low[0] == 0.0 and high[0] == pytest.approx(Z**2 / (10 + Z**2), abs=1e-12)
    assert high[0] == pytest.approx(0.27753, abs=1e-5)
    assert low[1] == pytest.approx(10 / (10 + Z**2), abs=1e-12) and high[1] == 1.0
    assert low[2] == pytest.approx(0.75750, abs=1e-5)


def test_wilson_textbook_value():
    # 15/20, the usual worked example: (0.5313, 0.8881).
    low, high = proportion_interval([15], [20], "wilson")
    assert low[0] == pytest.approx(0.5313, abs=1e-4)
    assert high[0] == pytest.approx(0.8881, abs=1e-4)


def test_clopper_pearson_closed_forms():
    # 0/n: high 1 - (alpha/2)^(1/n); n/n: low (alpha/2)^(1/n).
    low, high = proportion_interval([0, 10, 5], [10, 10, 10], "clopper-pearson")
    assert low[0] == 0.0 and high[0] == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-10)
    assert high[0] == pytest.approx(0.30850, abs=1e-5)
    assert low[1] == pytest.approx(0.025 ** (1 / 10), abs=1e-10) and high[1] == 1.0
    assert (low[2], high[2]) == pytest.approx((0.18709, 0.81291), abs=1e-5)


@pytest.mark.parametrize("method", ["wilson", "beta"])
def test_intervals_match_statsmodels(method):
    n = np.array([1, 2, 5, 11, 20, 37, 100, 263, 1000, 12345])
    for x in (np.zeros_like(n), n // 3, n // 2, n - 1, n):
        ours = proportion_interval(x, n, method)
        theirs = proportion_confint(x, n, alpha=0.05, method=method)
        np.testing.assert_allclose(ours[0], theirs[0], atol=1e-10)
        np.testing.assert_allclose(ours[1], theirs[1], atol=1e-10)


def test_interval_alpha_and_bad_method():
    low90, high90 = proportion_interval([15], [20], "wilson", alpha=0.10)
    low95, high95 = proportion_interval([15], [20], "wilson")
    assert low90[0] > low95[0] and high90[0] < high95[0]
    with pytest.raises(ValueError, match="wilson"):
        proportion_interval([1], [2], "wald")


# --- rates ----------------------------------------------------------------------------------


@pytest.fixture
def three_categories(db):
    db.items(20, 15, item_category="Pharmaceuticals")
    db.items(12, 12, item_category="Surgery")
    db.items(11, 0, item_category="DMEPOS")
    return db


def test_columns_counts_and_intervals(three_categories):
    df = uphold_rates(three_categories.con, ["item_category"])
    assert list(df.columns) == [
        "item_category",
        "n",
        "upheld",
        "overturned",
        "uphold_rate",
        "ci_low",
        "ci_high",
        "n_letters",
        "design_effect",
        "effective_n",
        "reliable",
        "reliability_note",
        "share",
    ]
    rx = row(df, item_category="Pharmaceuticals")
    assert (rx.n, rx.upheld, rx.overturned, rx.n_letters) == (20, 15, 5, 20)
    assert rx.uphold_rate == 0.75
    # one item per letter: no clustering, so Korn-Graubard is Clopper-Pearson on n
    assert rx.design_effect == pytest.approx(1.0) and rx.effective_n == pytest.approx(20)
    low, high = proportion_confint(15, 20, alpha=0.05, method="beta")
    assert (rx.ci_low, rx.ci_high) == pytest.approx((low, high), abs=1e-9)
    assert rx.share == pytest.approx(20 / 43)
    surgery = row(df, item_category="Surgery")  # n/n
    assert surgery.uphold_rate == 1.0 and surgery.ci_high == 1.0
    assert surgery.ci_low == pytest.approx(0.025 ** (1 / 12))
    dme = row(df, item_category="DMEPOS")  # 0/n
    assert dme.uphold_rate == 0.0 and dme.ci_low == 0.0
    assert dme.ci_high == pytest.approx(1 - 0.025 ** (1 / 11))
    assert not df.reliable.any()  # effective n under 30 everywhere
    assert "effective n 20 < 30" in rx.reliability_note
    assert df.attrs["by"] == ["item_category"] and df.attrs["multi_valued"] == []
    assert df.attrs["method"] == "korn-graubard" and df.attrs["unit"] == "item"
    assert "letters as clusters" in df.attrs["note"]


def test_wilson_option_and_method_names(three_categories):
    df = uphold_rates(three_categories.con, "item_category", method="wilson")
    rx = row(df, item_category="Pharmaceuticals")
    assert (rx.ci_low, rx.ci_high) == pytest.approx((0.5313, 0.8881), abs=1e-4)
    surgery = row(df, item_category="Surgery")
    assert surgery.ci_low == pytest.approx(12 / (12 + Z**2))
    assert df.attrs["method"] == "wilson"
    with pytest.raises(ValueError, match="korn-graubard"):
        uphold_rates(three_categories.con, method="clopper-pearson")
    with pytest.raises(TypeError):
        uphold_rates(three_categories.con, min_cell=11)


def test_no_count_is_hidden(db):
    # the old CMS rule hid these; every count is shown now, marked unreliable instead
    db.items(3, 2, item_category="Surgery")
    db.items(40, 35, item_category="Pharmaceuticals")
    df = uphold_rates(db.con, "item_category")
    assert not df[["n", "upheld", "overturned", "uphold_rate", "ci_low"]].isna().any().any()
    surgery = row(df, item_category="Surgery")
    assert (surgery.n, surgery.upheld) == (3, 2) and not surgery.reliable
    assert not {"suppressed", "suppression_reason"} & set(df.columns)


def test_overall_rate_and_empty_result(three_categories):
    df = uphold_rates(three_categories.con)
    assert len(df) == 1 and df.n[0] == 43 and df.upheld[0] == 27
    assert df.uphold_rate[0] == pytest.approx(27 / 43)
    empty = uphold_rates(three_categories.con, where={"item_category": "Programs"})
    assert empty.empty


def test_items_without_outcome_are_left_out(db):
    db.items(12, 12)
    db.letter([{"decision": None}, {"decision": "upheld"}])
    df = uphold_rates(db.con)
    assert df.n[0] == 13


def test_sorting_by_size_and_by_band_order(db):
    db.items(15, 15, item_category="Surgery", patient_age=72)
    db.items(30, 30, item_category="DMEPOS", patient_age=25)
    db.items(20, 20, item_category="Injections", patient_age=41)
    df = uphold_rates(db.con, "item_category")
    assert list(df.item_category) == ["DMEPOS", "Injections", "Surgery"]
    df = uphold_rates(db.con, "age_band")
    assert list(df.age_band) == ["<30", "40-49", "70+"]


def test_missing_value_is_its_own_row(db):
    db.items(12, 6, item_category=None)
    db.items(15, 15, item_category="Surgery")
    df = uphold_rates(db.con, "item_category")
    assert row(df, item_category=None).n == 12
    assert df.n.sum() == 27


# --- dimensions -----------------------------------------------------------------------------


def test_guideline_sources_primary_combination_agreement(db):
    db.items(12, 12, ca_guideline_sources=["MTUS"], reviewer_guideline_sources=["MTUS", "ODG"])
    db.items(
        13,
        10,
        ca_guideline_sources=["ODG"],
        reviewer_guideline_sources=["MTUS", "ODG", "MTUS"],
    )
    db.items(14, 14, ca_guideline_sources=[], reviewer_guideline_sources=["none"])
    con = db.con
    df = uphold_rates(con, "reviewer_source")
    assert row(df, reviewer_source="MTUS").n == 25 and row(df, reviewer_source="none").n == 14
    df = uphold_rates(con, "reviewer_sources")
    assert row(df, reviewer_sources="MTUS+ODG").n == 25  # repeats collapse, order kept
    df = uphold_rates(con, "ca_source")
    assert row(df, ca_source="none").n == 14  # an empty list means nothing was cited
    df = uphold_rates(con, "source_agreement")
    assert row(df, source_agreement="same").n == 12 + 14
    assert row(df, source_agreement="different").n == 13
    df = uphold_rates(con, ["ca_source", "reviewer_source"])
    assert len(df) == 3
    assert row(df, ca_source="ODG", reviewer_source="MTUS").upheld == 10
    df = uphold_rates(con, "source_cross")
    assert row(df, source_cross="ODG -> MTUS").n == 13


def test_multi_valued_specialty_counts_under_each(db):
    db.items(15, 12, reviewer_specialties=["Preventive Medicine", "Occupational Medicine"])
    db.items(12, 12, reviewer_specialties=["Family Practice"])
    db.items(11, 11, reviewer_specialties=None)
    df = uphold_rates(db.con, "reviewer_specialty")
    assert row(df, reviewer_specialty="Preventive Medicine").n == 15
    assert row(df, reviewer_specialty="Occupational Medicine").upheld == 12
    assert row(df, reviewer_specialty="Family Practice").n == 12
    assert row(df, reviewer_specialty=None).n == 11
    assert df.n.sum() == 15 * 2 + 12 + 11  # more than the 38 items: said in attrs
    assert df.attrs["multi_valued"] == ["reviewer_specialty"]
    assert "counts once under each value" in df.attrs["note"]
    assert row(df, reviewer_specialty="Family Practice").share == pytest.approx(12 / 38)


def test_multi_valued_filter_and_group(db):
    db.items(15, 12, reviewer_specialties=["Preventive Medicine", "Occupational Medicine"])
    db.items(12, 12, reviewer_specialties=["Family Practice"], item_category="Surgery")
    con = db.con
    # grouping by the filtered multi-valued dimension keeps only the matching values
    df = uphold_rates(
        con, "reviewer_specialty", where={"reviewer_specialty": "Preventive Medicine"}
    )
    assert list(df.reviewer_specialty) == ["Preventive Medicine"] and df.n[0] == 15
    # filtering on it and grouping by something else keeps the letters' items
    df = uphold_rates(con, "item_category", where={"reviewer_specialty": "Occupational Medicine"})
    assert list(df.item_category) == ["Pharmaceuticals"] and df.n[0] == 15


def test_licensure_state_and_california(db):
    db.items(12, 12, reviewer_licensure=["California", "Texas"])
    db.items(14, 7, reviewer_licensure=["Texas"])
    df = uphold_rates(db.con, "licensure_state")
    assert row(df, licensure_state="Texas").n == 26
    assert row(df, licensure_state="California").n == 12
    assert df.attrs["multi_valued"] == ["licensure_state"]
    df = uphold_rates(db.con, "licensed_in_california")
    assert row(df, licensed_in_california="California").n == 12
    assert row(df, licensed_in_california="elsewhere only").upheld == 7


def test_two_multi_valued_dimensions_cross(db):
    db.items(
        12,
        12,
        reviewer_specialties=["Family Practice", "Sports Medicine"],
        reviewer_licensure=["California", "Texas"],
    )
    df = uphold_rates(db.con, ["reviewer_specialty", "licensure_state"])
    assert len(df) == 4 and set(df.n) == {12}


def test_mtus_chapter_from_citations(db):
    a = db.letter([{"decision": "upheld"}, {"decision": "overturned"}])
    db.citation(a, 1, "reviewer", "MTUS", "Chronic Pain Medical Treatment 2016", 1)
    db.citation(a, 1, "reviewer", "MTUS", "Low Back Complaints 2004", 2)
    db.citation(a, 1, "reviewer", "MTUS", "Low Back Complaints 2004", 3)  # same chapter twice
    db.citation(a, 2, "reviewer", "ODG", None, 1)
    db.citation(a, 2, "claims_administrator", "MTUS", "Knee Complaints 2004", 1)
    df = uphold_rates(db.con, "mtus_chapter")
    assert row(df, mtus_chapter="Low Back Complaints 2004").n == 1
    assert row(df, mtus_chapter="Chronic Pain Medical Treatment 2016").upheld == 1
    assert row(df, mtus_chapter=None).overturned == 1  # item 2 cited no MTUS chapter
    assert "Knee Complaints 2004" not in set(df.mtus_chapter.dropna())
    df = uphold_rates(db.con, "ca_mtus_chapter")
    assert row(df, ca_mtus_chapter="Knee Complaints 2004").n == 1


def test_period_and_banded_dimensions(db):
    db.items(
        11,
        11,
        decision_date="2016-08-15",
        date_assigned="2016-08-01",
        injury_date="2010-01-01",
        patient_age=38,
        priority="expedited",
        patient_sex="male",
        modified_request=True,
    )
    con = db.con
    checks = {
        "decision_year": 2016,
        "decision_quarter": "2016-Q3",
        "decision_month": "2016-08",
        "days_band": "8-14",
        "age_band": "30-39",
        "claim_age_band": "5-9",
        "injury_year": 2010,
        "priority": "expedited",
        "patient_sex": "male",
        "request_type": "modified",
        "items_in_letter": "1",
    }
    for dim, expected in checks.items():
        df = uphold_rates(con, dim)
        assert list(df[dim]) == [expected], dim
    assert uphold_rates(con, "decision_year").decision_year.dtype == "Int64"


def test_item_pattern_top(db):
    for k, pattern in enumerate(["norco", "mri lumbar", "tens unit", "acupuncture"]):
        db.items(11 + k, 11 + k, item_pattern=pattern)
    df = uphold_rates(db.con, "item_pattern", top=2)
    assert list(df.item_pattern) == ["acupuncture", "tens unit"]
    assert len(uphold_rates(db.con, "item_pattern")) == 4  # default top 25
    assert len(uphold_rates(db.con, "item_pattern", top=0)) == 4


def test_registry_has_labels_and_descriptions():
    required = {
        "item_category",
        "drug_class",
        "item_pattern",
        "reviewer_source",
        "reviewer_sources",
        "ca_source",
        "source_agreement",
        "mtus_chapter",
        "reviewer_specialty",
        "licensed_in_california",
        "licensure_state",
        "decision_year",
        "decision_quarter",
        "decision_month",
        "priority",
        "age_band",
        "patient_sex",
        "days_band",
        "request_type",
    }
    assert required <= set(DIMENSIONS)
    for name, dim in DIMENSIONS.items():
        assert dim.name == name and dim.label and dim.description


# --- filters --------------------------------------------------------------------------------


def test_dict_filters_with_lists_and_none(db):
    db.items(12, 12, item_category="Surgery", priority="expedited")
    db.items(13, 13, item_category="DMEPOS")
    db.items(14, 14, item_category=None)
    con = db.con
    assert uphold_rates(con, where={"item_category": ["Surgery", "DMEPOS"]}).n[0] == 25
    assert uphold_rates(con, where={"item_category": None}).n[0] == 14
    assert uphold_rates(con, where={"item_category": [None, "DMEPOS"]}).n[0] == 27
    both = {"item_category": "Surgery", "priority": "expedited"}
    assert uphold_rates(con, where=both).n[0] == 12
    assert uphold_rates(con, where={"decision_year": [2016]}).n[0] == 39


def test_date_filters_are_inclusive(db):
    db.items(11, 11, decision_date="2016-01-01")
    db.items(12, 12, decision_date="2016-06-30")
    db.items(13, 13, decision_date="2016-07-01")
    con = db.con
    assert uphold_rates(con, date_from="2016-01-01", date_to="2016-06-30").n[0] == 23
    from datetime import date, datetime

    assert uphold_rates(con, date_from=date(2016, 6, 30)).n[0] == 25
    assert uphold_rates(con, date_to=datetime(2016, 1, 1, 12)).n[0] == 11
    with pytest.raises(ValueError, match="ISO date"):
        uphold_rates(con, date_from="30/06/2016")


def test_raw_sql_where(db):
    db.items(11, 11, patient_age=30)
    db.items(12, 12, patient_age=60, reviewer_specialties=["Pain Management"])
    con = db.con
    assert uphold_rates(con, where="patient_age > 50").n[0] == 12
    df = uphold_rates(
        con, "item_category", where="list_contains(reviewer_specialty, 'Pain Management')"
    )
    assert df.n[0] == 12


def test_unknown_dimension_lists_valid_ones(db):
    with pytest.raises(ValueError, match="item_category") as err:
        uphold_rates(db.con, ["item_categry"])
    assert "unknown dimension" in str(err.value) and "reviewer_specialty" in str(err.value)
    with pytest.raises(ValueError, match="unknown dimension"):
        uphold_rates(db.con, where={"specialty": "x"})
    with pytest.raises(ValueError, match="repeated"):
        uphold_rates(db.con, ["priority", "priority"])


@pytest.mark.parametrize(
    "value",
    [
        "x' OR 1=1 --",
        "'); DROP TABLE items; --",
        "Surgery' UNION SELECT 1 --",
        ["Surgery", "x') OR ('1'='1"],
    ],
)
def test_sql_injection_through_dict_values_is_harmless(db, value):
    db.items(12, 12, item_category="Surgery")
    df = uphold_rates(db.con, "item_category", where={"item_category": value})
    expected = 12 if isinstance(value, list) else 0
    assert (df.n.sum() if len(df) else 0) == expected
    assert db.con.execute("SELECT count(*) FROM items").fetchone()[0] == 12
    spec = uphold_rates(db.con, "reviewer_specialty", where={"reviewer_specialty": value})
    assert spec.empty or spec.n.sum() == 0
