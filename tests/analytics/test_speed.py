"""A quick guard that uphold_rates stays fast on a full-size synthetic database.

Speed is measured properly elsewhere; this only catches a call that has become slow by an
order of magnitude (say, unnesting per item or pulling rows into pandas).
"""

from __future__ import annotations

import time

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


@pytest.mark.parametrize(
    "by",
    [
        [],
        ["item_category"],
        ["item_pattern"],
        ["reviewer_specialty"],
        ["ca_source", "reviewer_source"],
        ["mtus_chapter", "decision_year"],
        ["item_category", "decision_quarter"],
    ],
)
def test_one_call_is_well_under_a_second(big, by):
    start = time.perf_counter()
    df = uphold_rates(big, by, where={"priority": "standard"}, date_from="2015-01-01")
    elapsed = time.perf_counter() - start
    assert len(df) > 0
    assert elapsed < 5, f"uphold_rates(by={by}) took {elapsed:.2f} s"


def test_volumes_are_fast(big):
    start = time.perf_counter()
    df = letter_volumes(big, "month")
    assert time.perf_counter() - start < 5
    assert df.n_letters.sum() == LETTERS


def test_coverage_and_letter_unit_are_fast(big):
    start = time.perf_counter()
    cov = coverage(big, date_from="2015-01-01")
    assert time.perf_counter() - start < 5
    assert cov.n_letters > 0 and cov.n_undated_letters == 0
    start = time.perf_counter()
    df = uphold_rates(big, ["reviewer_specialty"], unit="letter")
    assert time.perf_counter() - start < 5
    assert df.n.sum() >= LETTERS
