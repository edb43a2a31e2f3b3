"""compare_rates on hand-built databases: pooling, reference, refusals, and the arithmetic."""

from __future__ import annotations

import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from imr_analytics.analytics import compare_rates


@pytest.fixture
def sources(db):
    """MTUS 60 items (45 upheld), ODG 40 (24), ACOEM 5 (3), none 4 (4): two letters' worth each."""
    db.items(30, 25, per_letter=2, reviewer_guideline_sources=["MTUS"], item_category="Surgery")
    db.items(30, 20, per_letter=3, reviewer_guideline_sources=["MTUS"])
    db.items(40, 24, per_letter=2, reviewer_guideline_sources=["ODG"])
    db.items(5, 3, reviewer_guideline_sources=["ACOEM"])
    db.items(4, 4, reviewer_guideline_sources=[])
    return db


def test_levels_reference_and_raw_odds_ratio(sources):
    df = compare_rates(sources.con, "reviewer_source")
    assert list(df.reviewer_source) == ["MTUS", "ODG", "other"]  # by n; ACOEM + none pooled
    mtus, odg, other = (df.iloc[i] for i in range(3))
    assert mtus.is_reference and mtus.odds_ratio == 1 and pd.isna(mtus.p_value)
    assert df.attrs["reference"] == "MTUS"
    assert (mtus.n, odg.n, other.n) == (60, 40, 9)
    assert mtus.n_letters == 15 + 10 and other.n_letters == 9
    # without adjustment the model is saturated: odds ratio = ratio of raw odds, and the
    # adjusted rate is the raw rate
    raw = (24 / 16) / (45 / 15)
    assert odg.odds_ratio == pytest.approx(raw, rel=1e-6)
    assert odg.or_ci_low < odg.odds_ratio < odg.or_ci_high
    assert df.adjusted_rate.to_numpy() == pytest.approx(df.uphold_rate.to_numpy(), abs=1e-6)
    assert other.uphold_rate == pytest.approx(7 / 9)
    notes = " ".join(df.attrs["notes"])
    assert "pooled into 'other': ACOEM, none" in notes and "still only 9 items" in notes
    # Holm across the compared levels
    p = df.p_value[1:].to_numpy(dtype=float)
    assert df.p_holm[1:].to_numpy(dtype=float) == pytest.approx(multipletests(p, method="holm")[1])
    assert df.attrs["wald_df"] == 2 and 0 < df.attrs["wald_p"] < 1
    assert df.attrs["n_model"] == 109 and df.attrs["n_letters_model"] == 15 + 10 + 20 + 9
    assert "associations, not causes" in df.attrs["note"].lower()


def test_given_reference_and_two_level_wald(sources):
    df = compare_rates(
        sources.con, "reviewer_source", where={"reviewer_source": ["MTUS", "ODG"]}, reference="ODG"
    )
    assert df.attrs["reference"] == "ODG"
    mtus = df[df.reviewer_source == "MTUS"].iloc[0]
    assert mtus.odds_ratio == pytest.approx((45 / 15) / (24 / 16), rel=1e-6)
    # one compared level: the joint test is that level's test
    assert df.attrs["wald_p"] == pytest.approx(mtus.p_value, rel=1e-6)
    assert mtus.p_holm == pytest.approx(mtus.p_value)
    with pytest.raises(ValueError, match="levels: MTUS, ODG"):
        compare_rates(
            sources.con,
            "reviewer_source",
            reference="Cochrane",
            where={"reviewer_source": ["MTUS", "ODG"]},
        )


def test_adjusted_rates_move_with_case_mix(sources):
    df = compare_rates(
        sources.con,
        "reviewer_source",
        where={"reviewer_source": ["MTUS", "ODG"]},
        adjust=["item_category"],
    )
    assert df.attrs["adjust"] == ["item_category"]
    assert "C(item_category" in df.attrs["formula"]
    mtus = df[df.reviewer_source == "MTUS"].iloc[0]
    # MTUS's Surgery items are upheld more often: adjusting for category changes the estimate
    assert mtus.adjusted_rate != pytest.approx(mtus.uphold_rate, abs=1e-4)


def test_multi_valued_dimensions_are_refused_with_their_counterparts(sources):
    with pytest.raises(ValueError, match="multi-valued.*reviewer_board"):
        compare_rates(sources.con, "reviewer_specialty")
    with pytest.raises(ValueError, match="licensure_states, licensed_in_california"):
        compare_rates(sources.con, "reviewer_source", adjust=["licensure_state"])
    with pytest.raises(ValueError, match="unknown dimension"):
        compare_rates(sources.con, "reviewer")


def test_single_degenerate_level_is_dropped_and_missing_values_left_out(db):
    db.items(40, 30, reviewer_guideline_sources=["MTUS"])
    db.items(35, 20, reviewer_guideline_sources=["ODG"])
    db.items(31, 31, reviewer_guideline_sources=["ACOEM"])  # all upheld: no finite odds ratio
    db.items(12, 6, reviewer_guideline_sources=None)
    df = compare_rates(db.con, "reviewer_source")
    assert list(df.reviewer_source) == ["MTUS", "ODG"]
    notes = " ".join(df.attrs["notes"])
    assert "12 items with a missing value" in notes and "'ACOEM'" in notes
    with pytest.raises(ValueError, match="nothing to compare"):
        compare_rates(db.con, "reviewer_source", where={"reviewer_source": "MTUS"})


def test_single_sparse_level_with_both_outcomes_is_kept(db):
    db.items(60, 45, reviewer_guideline_sources=["MTUS"])
    db.items(14, 10, reviewer_guideline_sources=["ODG"])
    df = compare_rates(db.con, "reviewer_source")
    odg = df[df.reviewer_source == "ODG"].iloc[0]
    assert odg.n == 14 and not odg.reliable
    assert "only 14 items" in " ".join(df.attrs["notes"])


def test_statsmodels_is_not_imported_by_the_package():
    import subprocess
    import sys

    code = (
        "import sys, imr_analytics, imr_analytics.analytics as a; "
        "a.uphold_rates; "
        "assert 'statsmodels' not in sys.modules and 'altair' not in sys.modules, "
        "[m for m in ('statsmodels', 'altair') if m in sys.modules]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
