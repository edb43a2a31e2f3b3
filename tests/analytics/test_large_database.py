"""Calls on a full-size synthetic database (100,000 letters) give the totals the data imply.

Speed is measured by the benchmark (`imr-analytics bench --reports`), not here: a wall-clock
bound in a test only fails on a busy machine. What this file guards is that each call works
at scale and counts every item or letter of its selection exactly once per group.
"""

from __future__ import annotations

import pytest

from imr_analytics.analytics import coverage, letter_volumes, uphold_rates

LETTERS = 100_000
ITEMS = 200_000


@pytest.fixture(scope="module")
def big(make_db):
    db = make_db()
    con = db.con
    con.execute(
        f"""
        INSERT INTO letters (letter_id, date_assigned, decision_date, injury_date, priority,
            patient_age, patient_sex, reviewer_specialties, reviewer_licensure, item_count)
        SELECT 'CM' || r, DATE '2014-01-01' + (r % 1400)::INT,
            DATE '2014-01-01' + (r % 1400)::INT + (random() * 40)::INT,
            DATE '2008-01-01' + (random() * 2500)::INT,
            CASE WHEN random() < 0.05 THEN 'expedited' ELSE 'standard' END,
            20 + (random() * 50)::INT,
            CASE WHEN random() < 0.5 THEN 'female' ELSE 'male' END,
            CASE WHEN random() < 0.3 THEN ['Preventive Medicine', 'Occupational Medicine']
                 WHEN random() < 0.5 THEN ['Family Practice'] ELSE ['Pain Management'] END,
            CASE WHEN random() < 0.6 THEN ['California'] ELSE ['Texas', 'New York'] END, 2
        FROM range({LETTERS}) AS t(r)
        """
    )
    con.execute(
        f"""
        INSERT INTO items (letter_id, item_no, decision, item_category, item_pattern,
            modified_request, ca_guideline_sources, reviewer_guideline_sources)
        SELECT 'CM' || (r // 2), r % 2 + 1,
            CASE WHEN random() < 0.9 THEN 'upheld' ELSE 'overturned' END,
            (['Pharmaceuticals', 'Surgery', 'DMEPOS', 'Injections', 'Programs'])[1 + r % 5],
            'pattern ' || (random() * 3000)::INT, random() < 0.1,
            CASE WHEN random() < 0.5 THEN ['MTUS'] WHEN random() < 0.5 THEN ['MTUS', 'ODG']
                 ELSE [] END,
            CASE WHEN random() < 0.6 THEN ['MTUS'] ELSE ['ODG', 'MTUS'] END
        FROM range({ITEMS}) AS t(r)
        """
    )
    con.execute(
        """
        INSERT INTO citations (letter_id, item_no, party, citation_no, source, chapter)
        SELECT letter_id, item_no, 'reviewer', 1, 'MTUS',
            CASE WHEN random() < 0.5 THEN 'Chronic Pain Medical Treatment 2016'
                 ELSE 'Low Back Complaints 2004' END
        FROM items
        """
    )
    return con


SELECTED = (
    "SELECT count(*) FROM items i JOIN letters l USING (letter_id) "
    "WHERE l.priority = 'standard' AND l.decision_date >= DATE '2015-01-01'"
)


@pytest.mark.parametrize(
    ("by", "single_valued"),
    [
        ([], True),
        (["item_category"], True),
        (["item_pattern"], True),
        (["reviewer_specialty"], False),
        (["ca_source", "reviewer_source"], True),
        (["mtus_chapter", "decision_year"], False),
        (["item_category", "decision_quarter"], True),
    ],
)
def test_every_selected_item_is_counted(big, by, single_valued):
    df = uphold_rates(big, by, where={"priority": "standard"}, date_from="2015-01-01", top=0)
    selected = big.execute(SELECTED).fetchone()[0]
    assert selected > 0 and len(df) > 0
    if single_valued:  # one group per item: the groups add up to the selection
        assert df["n"].sum() == selected
    else:  # an item with several values counts once in each of its groups
        assert df["n"].sum() >= selected


def test_volumes_count_every_letter(big):
    df = letter_volumes(big, "month")
    assert df.n_letters.sum() == LETTERS


def test_coverage_and_letter_unit_count_every_letter(big):
    cov = coverage(big, date_from="2015-01-01")
    assert cov.n_letters > 0 and cov.n_undated_letters == 0
    df = uphold_rates(big, ["reviewer_specialty"], unit="letter")
    assert df.n.sum() >= LETTERS
