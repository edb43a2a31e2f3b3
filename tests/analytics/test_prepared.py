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


ITEM_BY = [
    *([d] for d, dim in DIMENSIONS.items() if not dim.per_letter),
    ["item_category", "decision_year"],
    ["ingredient", "reviewer_specialty"],
    ["body_region", "ingredient"],
    ["ca_source", "reviewer_source"],
]


@pytest.mark.parametrize(("where", "date_from", "date_to"), SELECTIONS)
def test_item_dimensions_and_narrower_filters_equal_the_plain_function(
    db, where, date_from, date_to
):
    """The item table answers breakdowns by item dimensions (alone or with letter ones) and
    filters narrower than the selection; mtus_chapter (a join) and item_pattern (not a
    profile column) go to the plain function; the results are the same either way."""
    varied(db)
    cache = SelectionCache(db.con, where, date_from=date_from, date_to=date_to)
    narrower = [
        where,
        {**(where or {}), "item_category": ["Pharmaceuticals"]},
        {**(where or {}), "body_region": ["lumbar spine", None]},
        {**(where or {}), "reviewer_specialty": [SPECIALTIES[1]]},
    ]
    for call in narrower:
        for unit in ("item", "letter"):
            for by in ITEM_BY:
                kwargs = {"date_from": date_from, "date_to": date_to, "unit": unit}
                same(
                    uphold_rates(db.con, by, call, **kwargs),
                    uphold_rates(cache, by, call, **kwargs),
                )
    assert cache._items is not None  # the item table answered some of them


def test_the_letter_table_read_by_rowid_gives_the_same_results(db):
    """The letter table is read beside ``letters`` (POSITIONAL JOIN) once its rows are checked
    to line up; the hash join on rowids it falls back to gives the same numbers."""
    varied(db)
    where = {"item_category": ["Pharmaceuticals", "Other"]}
    positional = SelectionCache(db.con, where)
    by_rowid = SelectionCache(db.con, where)
    assert by_rowid.letters and positional.letters and positional._positional
    by_rowid._positional = False
    for by in ([], ["decision_year"], ["reviewer_specialty", "age_band"]):
        same(uphold_rates(positional, by, where), uphold_rates(by_rowid, by, where))
    for period in (None, "month"):
        same(letter_volumes(positional, period, where), letter_volumes(by_rowid, period, where))
    a = coverage(positional, where=where, synthetic=0)
    b = coverage(by_rowid, where=where, synthetic=0)
    pd.testing.assert_frame_equal(a.by_layout_year, b.by_layout_year, check_exact=True)
    assert (a.n_letters, a.n_items, a.warnings) == (b.n_letters, b.n_items, b.warnings)


@pytest.mark.parametrize(
    ("where", "date_from", "date_to", "from_items"),
    [
        *((w, f, t, True) for w, f, t in SELECTIONS),
        ({"body_region": ["lumbar spine"], "patient_sex": ["female"]}, None, "2015-06-30", True),
        ({"drug_class": [None]}, None, None, False),  # NULL items pass: the plain build
        ({"item_category": []}, None, None, True),  # selects nothing
    ],
)
def test_the_letter_table_from_the_item_table_is_the_plain_one(
    db, where, date_from, date_to, from_items
):
    """Row for row (letters outside the selection NULL, inside it their counts, zero when
    the letter has no matching decided item), the letter table derived from the item table
    is the one built from letters LEFT JOIN items."""
    varied(db)
    cache = SelectionCache(db.con, where, date_from=date_from, date_to=date_to)
    assert cache._letters_from_items("_t_items") is from_items
    if not from_items:
        return
    cache._letters_from_tables("_t_plain")
    rows = "SELECT lk, m, y, rx, oth FROM {}"
    for a, b in (("_t_items", "_t_plain"), ("_t_plain", "_t_items")):
        diff = db.con.execute(f"{rows.format(a)} EXCEPT ALL {rows.format(b)}").fetchall()
        assert diff == []
    n = db.con.execute("SELECT count(*), count(m) FROM _t_items").fetchone()
    assert n[0] == db.con.execute("SELECT count(*) FROM letters").fetchone()[0]


def test_letters_with_the_same_items_in_any_order_share_one_shape(db):
    """A shape is the multiset of a letter's decided (profile, upheld) pairs: the items' order
    does not matter, a repeated item does, an undecided item is not in it, and each shape's
    weight is its number of letters; the breakdowns weighted by it are the plain ones."""
    a = {"item_category": "Surgery"}
    b = {"item_category": "Pharmaceuticals", "decision": "overturned"}
    undecided = {"decision": None}
    for items in ([a, b], [b, undecided, a], [a, a, b], [a], [a], [undecided]):
        db.letter(items)
    cache = SelectionCache(db.con, None)
    t = cache.items
    shapes = db.con.execute(
        f"SELECT any_value(w), count(*) FROM {t.shapes} GROUP BY sid ORDER BY ALL"
    ).fetchall()
    assert shapes == [(1, 3), (2, 1), (2, 2)]  # (letters, items): {a,a,b}, {a}, {a,b}
    assert db.con.execute(f"SELECT count(*) FROM {t.letter_shapes}").fetchone() == (5,)
    for unit in ("item", "letter"):
        for by in (["item_category"], ["item_category", "decision_year"], []):
            same(uphold_rates(db.con, by, unit=unit), uphold_rates(cache, by, unit=unit))
            pharma = {"item_category": ["Pharmaceuticals"]}
            same(
                uphold_rates(db.con, by, pharma, unit=unit),
                uphold_rates(cache, by, pharma, unit=unit),
            )
