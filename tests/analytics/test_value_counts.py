"""value_counts and selection_matches: the cheap checks give uphold_rates' values and counts."""

from __future__ import annotations

import pytest
from varied_letters import varied

from imr_analytics.analytics import uphold_rates
from imr_analytics.analytics.rates import DIMENSIONS, selection_matches, value_counts


@pytest.mark.parametrize(
    "dimension", ["item_category", "reviewer_specialty", "licensure_state", "decision_year"]
)
def test_values_and_items_are_uphold_rates_own(db, dimension):
    varied(db)
    got = value_counts(db.con, dimension)
    full = uphold_rates(db.con, dimension, top=0)
    full = full[full[dimension].notna()]
    want = sorted(zip(full[dimension], full["n"], strict=True), key=lambda r: (-r[1], r[0]))
    assert [(v, int(n)) for v, n in zip(got["value"], got["n_items"], strict=True)] == [
        (v, int(n)) for v, n in want
    ]
    assert DIMENSIONS[dimension]  # a real dimension, not a typo in the list above


def test_selection_matches_stops_at_the_first_item(db):
    varied(db)
    assert selection_matches(db.con)
    assert selection_matches(db.con, {"item_category": ["Surgery"]}, date_from="2014-01-01")
    assert not selection_matches(db.con, {"item_category": ["Surgery"]}, date_from="2030-01-01")
    with pytest.raises(ValueError, match="unknown dimension"):
        value_counts(db.con, "no_such_dimension")


@pytest.mark.parametrize("sample", [1, 3, 4096])
def test_selection_matches_finds_what_the_first_items_miss(db, monkeypatch, sample):
    """The first try joins only a few items; a selection outside them is still found, and the
    answer is always whether uphold_rates counts any item."""
    from imr_analytics.analytics import rates

    varied(db)
    monkeypatch.setattr(rates, "_MATCH_SAMPLE", sample)
    first = db.con.execute(
        "SELECT i.item_category, l.decision_date FROM items i JOIN letters l USING (letter_id) "
        "WHERE i.decision IN ('upheld', 'overturned') LIMIT 1"
    ).fetchone()
    categories = [
        c for (c,) in db.con.execute("SELECT DISTINCT item_category FROM items").fetchall()
    ]
    cases = [({"item_category": [c]}, {}) for c in categories if c != first[0]]
    cases += [({}, {"date_from": "2030-01-01"}), ({"item_category": ["No such"]}, {})]
    cases += [({"item_category": [first[0]]}, {"date_to": str(first[1])}), (None, {})]
    cases.append(("item_category <> " + repr(first[0]), {}))  # a raw SQL filter
    for where, dates in cases:
        total = int(uphold_rates(db.con, where=where, **dates)["n"].sum())
        assert selection_matches(db.con, where, **dates) == (total > 0), (where, dates)
