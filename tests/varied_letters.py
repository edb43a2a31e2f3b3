"""Letters with every awkward case, for tests that compare two ways of counting the same data
(shared by tests/analytics/test_prepared.py and test_value_counts.py)."""

from __future__ import annotations

import random

SPECIALTIES = ["Internal Medicine", "Orthopaedic Surgery", "Occupational Medicine", "Psychiatry"]
STATES = ["California", "Texas", "Oregon"]
CATEGORIES = ["Pharmaceuticals", "Surgery", "Other", "Diagnostic Tests"]


def varied(db, letters: int = 160, seed: int = 3) -> None:
    """Letters with every awkward case: missing dates and lists, empty and repeated list values,
    undecided items, letters without items, several specialties and states."""
    rnd = random.Random(seed)
    for _ in range(letters):
        items = [
            {
                "decision": rnd.choice(["upheld", "upheld", "upheld", "overturned", None]),
                "item_category": rnd.choice([*CATEGORIES, None]),
            }
            for _ in range(rnd.choice([0, 1, 1, 2, 3, 5]))
        ]
        year = rnd.choice([2014, 2015, 2016, None])
        db.letter(
            items or (),
            decision_date=f"{year}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}" if year else None,
            date_assigned=rnd.choice(["2014-01-01", "2015-06-01", None]),
            injury_date=rnd.choice(["2001-02-03", "2013-05-06", None]),
            patient_age=rnd.choice([25, 38, 47, 66, 80, None]),
            patient_sex=rnd.choice(["female", "male", None]),
            priority=rnd.choice(["standard", "expedited", None]),
            reviewer_specialties=rnd.choice(
                [None, [], [SPECIALTIES[0]], SPECIALTIES[1:3], [SPECIALTIES[3]] * 2]
            ),
            reviewer_licensure=rnd.choice([None, [], ["California"], STATES[:2], STATES]),
        )
