"""SelectionCache: given as ``con``, a selection read once gives the plain connection's results."""

from __future__ import annotations

import pandas as pd
import pytest
from varied_letters import SPECIALTIES, varied

from imr_analytics.analytics import coverage, letter_volumes, uphold_rates
from imr_analytics.analytics.prepared import SelectionCache
from imr_analytics.analytics.rates import DIMENSIONS

SELECTIONS = [
    (None, None, None),
    ({"item_category": ["Pharmaceuticals", "Other"]}, None, None),
    ({"reviewer_specialty": [SPECIALTIES[1], SPECIALTIES[3]]}, None, None),
    ({"licensure_state": ["Texas"], "item_category": ["Surgery"]}, "2014-06-01", None),
    (None, "2015-01-01", "2015-12-31"),
]
LETTER_BY = [
    [],
    *([d] for d, dim in DIMENSIONS.items() if dim.per_letter),
    ["reviewer_specialty", "decision_year"],
    ["licensure_state", "reviewer_specialty"],
    ["age_band", "patient_sex"],
]


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.attrs == b.attrs


def test_per_letter_dimensions_are_classified_from_their_sql():
    assert DIMENSIONS["decision_year"].per_letter
    assert DIMENSIONS["reviewer_specialty"].per_letter
    assert not DIMENSIONS["item_category"].per_letter
    assert not DIMENSIONS["mtus_chapter"].per_letter  # a join on citations


@pytest.mark.parametrize(("where", "date_from", "date_to"), SELECTIONS)
def test_rates_equal_the_plain_function(db, where, date_from, date_to):
    varied(db)
    cache = SelectionCache(db.con, where, date_from=date_from, date_to=date_to)
    for unit in ("item", "letter"):
        for by in LETTER_BY:
            kwargs = {"date_from": date_from, "date_to": date_to, "unit": unit}
            same(
                uphold_rates(db.con, by, where, **kwargs), uphold_rates(cache, by, where, **kwargs)
            )
    assert cache._letters is not None  # the letter table answered them


@pytest.mark.parametrize(("where", "date_from", "date_to"), SELECTIONS)
def test_volumes_and_coverage_equal_the_plain_functions(db, where, date_from, date_to):
    varied(db)
    cache = SelectionCache(db.con, where, date_from=date_from, date_to=date_to)
    for period in (None, "year", "quarter", "month"):
        kwargs = {"date_from": date_from, "date_to": date_to}
        same(
            letter_volumes(db.con, period, where, **kwargs),
            letter_volumes(cache, period, where, **kwargs),
        )
    a = coverage(db.con, where=where, date_from=date_from, date_to=date_to, synthetic=0)
    b = coverage(cache, where=where, date_from=date_from, date_to=date_to, synthetic=0)
    for name in ("by_layout_year", "quarantined", "parse_warnings"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    pd.testing.assert_frame_equal(a.reference_checks, b.reference_checks, rtol=1e-12)
    for name in ("date_min", "date_max", "n_letters", "n_items", "n_undated_letters"):
        assert getattr(a, name) == getattr(b, name)
    assert (a.other_share, a.n_other, a.warnings) == (b.other_share, b.n_other, b.warnings)


def test_other_filters_and_item_dimensions_go_to_the_plain_function(db):
    varied(db)
    cache = SelectionCache(db.con, None)
    pharma = {"item_category": ["Pharmaceuticals"]}
    same(
        uphold_rates(db.con, "decision_year", pharma), uphold_rates(cache, "decision_year", pharma)
    )
    same(uphold_rates(db.con, "item_category"), uphold_rates(cache, "item_category"))
    same(
        uphold_rates(db.con, "decision_year", "patient_age > 40"),
        uphold_rates(cache, "decision_year", "patient_age > 40"),
    )
    assert cache._letters is None  # none of them needed the letter table


def test_bad_arguments_fail_as_in_uphold_rates(db):
    cache = SelectionCache(db.con, None)
    with pytest.raises(ValueError, match="unknown dimension"):
        uphold_rates(cache, "no_such_dimension")
    with pytest.raises(ValueError, match="unknown unit"):
        uphold_rates(cache, "decision_year", unit="claim")
    with pytest.raises(ValueError, match="unknown period"):
        letter_volumes(cache, "week")
    with pytest.raises(TypeError, match="dict filter"):
        SelectionCache(db.con, "patient_age > 40")  # type: ignore[arg-type]
