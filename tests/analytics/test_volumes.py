"""letter_volumes: letters and items per period, letter shape and its interval, timeliness."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from imr_analytics.analytics import letter_volumes


def build(db, year: int, singles: int, doubles: int, days: int = 10) -> None:
    """``singles`` one-item letters and ``doubles`` two-item letters decided in ``year``."""
    for _ in range(singles):
        db.letter([{}], decision_date=f"{year}-03-{1 + days:02d}", date_assigned=f"{year}-03-01")
    for _ in range(doubles):
        db.letter(
            [{}, {"decision": "overturned", "item_category": "Surgery"}],
            decision_date=f"{year}-03-{1 + days:02d}",
            date_assigned=f"{year}-03-01",
        )


def test_per_year_counts_shape_and_days(db):
    build(db, 2015, singles=12, doubles=12, days=10)
    build(db, 2016, singles=20, doubles=15, days=4)
    df = letter_volumes(db.con, "year")
    assert list(df.decision_year) == [2015, 2016]
    y15 = df.iloc[0]
    assert (y15.n_letters, y15.n_items, y15.multi_item_letters) == (24, 36, 12)
    assert y15.items_per_letter == pytest.approx(1.5)
    assert y15.share_multi_item == pytest.approx(0.5)
    assert (y15.mean_days, y15.median_days) == (10, 10)
    # the share's interval is on letters (the unit of the share): Clopper-Pearson on 12 of 24
    low, high = proportion_confint(12, 24, alpha=0.05, method="beta")
    assert (y15.share_multi_item_ci_low, y15.share_multi_item_ci_high) == pytest.approx((low, high))
    assert not y15.share_multi_item_reliable  # 24 letters < 30
    assert y15.share_multi_item_note.startswith("effective n 24 < 30")
    assert "suppressed" not in df.columns


def test_overall_and_quarter(db):
    build(db, 2015, singles=12, doubles=12)
    overall = letter_volumes(db.con, None)
    assert len(overall) == 1 and overall.n_letters[0] == 24 and "decision_year" not in overall
    quarters = letter_volumes(db.con, "quarter")
    assert list(quarters.decision_quarter) == ["2015-Q1"]
    with pytest.raises(ValueError, match="unknown period"):
        letter_volumes(db.con, "week")


def test_letters_without_items_still_count(db):
    build(db, 2015, singles=12, doubles=0)
    db.letter([], decision_date="2015-05-05")
    df = letter_volumes(db.con, None)
    assert (df.n_letters[0], df.n_items[0]) == (13, 12)


def test_item_filter_counts_matching_items_only(db):
    build(db, 2015, singles=12, doubles=14)
    df = letter_volumes(db.con, None, where={"item_category": "Surgery"})
    assert (df.n_letters[0], df.n_items[0], df.multi_item_letters[0]) == (14, 14, 0)
    df = letter_volumes(db.con, None, date_from="2016-01-01")
    assert df.empty


def test_small_counts_are_shown(db):
    build(db, 2014, singles=30, doubles=20)
    build(db, 2016, singles=4, doubles=2)
    df = letter_volumes(db.con, "year", method="wilson").set_index("decision_year")
    y16 = df.loc[2016]
    assert (y16.n_letters, y16["n_items"], y16.multi_item_letters) == (6, 8, 2)
    assert y16.mean_days == 10 and not y16.share_multi_item_reliable
    low, high = proportion_confint(20, 50, alpha=0.05, method="wilson")
    y14 = df.loc[2014]
    assert (y14.share_multi_item_ci_low, y14.share_multi_item_ci_high) == pytest.approx((low, high))
    assert y14.share_multi_item_reliable and y14.share_multi_item_note == ""
    assert df.attrs["method"] == "wilson"
