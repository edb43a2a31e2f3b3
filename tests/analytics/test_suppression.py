"""Small-cell suppression: primary cells, the within-row complement and the across-row rule."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from imr_analytics.analytics import uphold_rates

OUTCOME = ["upheld", "overturned", "uphold_rate", "ci_low", "ci_high"]


def row(df: pd.DataFrame, **match: object) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for col, value in match.items():
        mask &= (df[col] == value).fillna(False)
    assert mask.sum() == 1, df
    return df[mask].iloc[0]


def hidden(r: pd.Series, cols: list[str]) -> bool:
    return all(pd.isna(r[c]) for c in cols)


def shown(r: pd.Series, cols: list[str]) -> bool:
    return not any(pd.isna(r[c]) for c in cols)


def test_small_outcome_count_hides_its_complement_and_rate(db):
    # Pharmaceuticals: 20 items, 5 overturned -> overturned is small, so upheld (= 20 - 5),
    # the rate and the interval go too; n = 20 stays.
    db.items(20, 15, item_category="Pharmaceuticals")
    db.items(30, 30, item_category="Surgery")
    db.items(40, 20, item_category="DMEPOS")
    df = uphold_rates(db.con, "item_category")
    rx = row(df, item_category="Pharmaceuticals")
    assert rx.suppressed and rx.suppression_reason == "small count"
    assert rx.n == 20 and hidden(rx, OUTCOME)
    # across rows: the total upheld is published elsewhere, so a second outcome is hidden, the
    # smallest visible row (Surgery, n=30); DMEPOS stays whole.
    surgery = row(df, item_category="Surgery")
    assert surgery.suppressed and surgery.suppression_reason == "complementary"
    assert surgery.n == 30 and hidden(surgery, OUTCOME)
    dme = row(df, item_category="DMEPOS")
    assert not dme.suppressed and shown(dme, ["n", *OUTCOME])
    assert (dme.upheld, dme.overturned) == (20, 20)


def test_small_n_hides_the_whole_row_and_a_second_n(db):
    db.items(7, 5, item_category="Programs")
    db.items(25, 20, item_category="Surgery")
    db.items(40, 20, item_category="DMEPOS")
    df = uphold_rates(db.con, "item_category")
    assert len(df) == 3  # suppressed rows are kept
    programs = row(df, item_category="Programs")
    assert programs.suppressed and programs.suppression_reason == "small n"
    assert hidden(programs, ["n", "share", *OUTCOME])
    surgery = row(df, item_category="Surgery")
    assert surgery.suppressed and surgery.suppression_reason == "complementary"
    assert hidden(surgery, ["n", "share", *OUTCOME])
    assert not row(df, item_category="DMEPOS").suppressed


def test_two_small_rows_need_no_complement(db):
    db.items(4, 4, item_category="Programs")
    db.items(9, 9, item_category="Injections")
    db.items(30, 18, item_category="Surgery")
    db.items(40, 20, item_category="DMEPOS")
    df = uphold_rates(db.con, "item_category")
    assert set(df[df.suppressed].item_category) == {"Programs", "Injections"}
    assert row(df, item_category="Surgery").upheld == 18


def test_zero_is_not_a_small_count(db):
    db.items(12, 12, item_category="Surgery")
    db.items(11, 0, item_category="DMEPOS")
    df = uphold_rates(db.con, "item_category")
    assert not df.suppressed.any()
    assert row(df, item_category="Surgery").overturned == 0


def test_min_cell_parameter(db):
    db.items(20, 15, item_category="Pharmaceuticals")
    db.items(30, 30, item_category="Surgery")
    assert not uphold_rates(db.con, "item_category", min_cell=5).suppressed.any()
    assert not uphold_rates(db.con, "item_category", min_cell=0).suppressed.any()
    strict = uphold_rates(db.con, "item_category", min_cell=21)
    assert row(strict, item_category="Pharmaceuticals").suppression_reason == "small n"
    assert strict.attrs["min_cell"] == 21


def test_overall_single_row_is_suppressed_when_small(db):
    db.items(8, 8)
    df = uphold_rates(db.con)
    assert len(df) == 1 and df.suppressed[0] and pd.isna(df.n[0])


def test_single_row_breakdown_needs_no_complement(db):
    db.items(30, 18, item_category="Surgery")
    df = uphold_rates(db.con, "item_category")
    assert row(df, item_category="Surgery").upheld == 18


def test_multi_valued_breakdown_gets_the_across_row_rule_too(db):
    db.items(30, 18, reviewer_specialties=["Family Practice"])
    db.items(20, 20, reviewer_specialties=["Pain Management", "Anesthesiology"])
    db.items(5, 5, reviewer_specialties=["Psychiatry"])
    df = uphold_rates(db.con, "reviewer_specialty")
    assert row(df, reviewer_specialty="Psychiatry").suppression_reason == "small n"
    # exactly one more row loses its n: a 20-item specialty
    complementary = df[df.suppression_reason == "complementary"]
    assert len(complementary) == 1 and complementary.reviewer_specialty.iloc[0] in {
        "Pain Management",
        "Anesthesiology",
    }


def lines_ok(df: pd.DataFrame, by: list[str], col: str) -> bool:
    """True when no marginal group (a proper subset of by fixed) has one lone hidden cell."""
    for size in range(len(by)):
        for fixed in itertools.combinations(by, size):
            groups = df.groupby(list(fixed), dropna=False) if fixed else [((), df)]
            for _, g in groups:
                # a one-row group equals its own marginal: nothing inside the table can help
                if len(g) > 1 and g[col].isna().sum() == 1:
                    return False
    return True


def test_two_way_table_has_no_lone_hidden_cell_in_any_line(db):
    # item_category x priority; Programs/expedited has 3 items (small n).
    cells = {
        ("Surgery", "standard"): (40, 25),
        ("Surgery", "expedited"): (25, 12),
        ("DMEPOS", "standard"): (50, 30),
        ("DMEPOS", "expedited"): (30, 15),
        ("Programs", "standard"): (35, 20),
        ("Programs", "expedited"): (3, 2),
    }
    for (category, priority), (n, up) in cells.items():
        db.items(n, up, item_category=category, priority=priority)
    by = ["item_category", "priority"]
    df = uphold_rates(db.con, by)
    assert len(df) == 6
    assert lines_ok(df, by, "n") and lines_ok(df, by, "upheld")
    assert row(df, item_category="Programs", priority="expedited").suppression_reason == "small n"
    # the smallest cell in its column (Surgery/expedited) and the other cell of its row
    # (Programs/standard) go too, then Surgery/standard to cover the standard column: a 2 x 2
    # block of hidden cells, DMEPOS untouched
    assert df.suppressed.sum() == 4
    assert not df[df.item_category == "DMEPOS"].suppressed.any()
    # visible cells still carry the true values
    for r in df[~df.suppressed].itertuples():
        n, up = cells[(r.item_category, r.priority)]
        assert (r.n, r.upheld) == (n, up)


@pytest.mark.parametrize("seed", range(6))
def test_random_tables_never_leave_a_lone_hidden_cell(make_db, seed):
    import random

    rng = random.Random(seed)
    db = make_db()
    categories = ["Surgery", "DMEPOS", "Programs", "Injections"]
    priorities = ["standard", "expedited"]
    for category, priority in itertools.product(categories, priorities):
        n = rng.choice([2, 5, 12, 15, 30, 45])
        up = rng.randint(0, n)
        db.items(n, up, per_letter=3, item_category=category, priority=priority)
    for by in (["item_category"], ["priority"], ["item_category", "priority"]):
        df = uphold_rates(db.con, by)
        assert lines_ok(df, by, "n") and lines_ok(df, by, "upheld"), df
        # nothing from 1 to 10 is ever shown
        for col in ("n", "upheld", "overturned"):
            values = df[col].dropna()
            assert not ((values > 0) & (values < 11)).any(), (col, df)
        # a visible rate always has visible counts behind it
        vis = df[df.uphold_rate.notna()]
        assert vis.upheld.notna().all() and vis.overturned.notna().all()


def test_sparse_cross_table_protects_against_the_grand_total(db):
    # ca_source x reviewer_source where the small cell is alone in its row and its column:
    # only the grand total could give it away, so a second cell must go.
    db.items(40, 25, ca_guideline_sources=["ODG"], reviewer_guideline_sources=["MTUS"])
    db.items(30, 15, ca_guideline_sources=["ODG"], reviewer_guideline_sources=["ODG"])
    db.items(35, 20, ca_guideline_sources=["MTUS"], reviewer_guideline_sources=["MTUS"])
    db.items(4, 3, ca_guideline_sources=[], reviewer_guideline_sources=["none"])
    by = ["ca_source", "reviewer_source"]
    df = uphold_rates(db.con, by)
    assert lines_ok(df, by, "n") and lines_ok(df, by, "upheld")
    assert df.suppressed.sum() >= 2
