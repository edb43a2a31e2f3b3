"""Fixtures for the analytics tests: tiny hand-built databases with known answers.

The loader is written elsewhere, so these tests insert rows straight into the schema; every
expected number in the tests can be worked out from the rows inserted here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import duckdb
import pytest

from imr_analytics.store import create_schema

LETTER_DEFAULTS: dict[str, Any] = {
    "date_assigned": "2016-01-01",
    "decision_date": "2016-01-11",
    "injury_date": "2012-06-01",
    "priority": "standard",
    "patient_age": 45,
    "patient_sex": "female",
    "reviewer_specialties": ["Occupational Medicine"],
    "reviewer_licensure": ["California"],
    "item_count": None,
}
ITEM_DEFAULTS: dict[str, Any] = {
    "decision": "upheld",
    "item_category": "Pharmaceuticals",
    "drug_class": None,
    "item_pattern": None,
    "modified_request": False,
    "ca_guideline_sources": ["MTUS"],
    "reviewer_guideline_sources": ["MTUS"],
}


class DB:
    """A fresh in-memory database with helpers that insert letters and their items."""

    def __init__(self) -> None:
        self.con = duckdb.connect()
        create_schema(self.con)
        self._next = 0

    def letter(self, items: Iterable[dict[str, Any]] = ({},), **fields: Any) -> str:
        """Insert one letter with the given items (dicts of item fields); returns its id."""
        self._next += 1
        letter_id = fields.pop("letter_id", f"CM{self._next:06d}")
        items = list(items)
        row = {**LETTER_DEFAULTS, "item_count": len(items), **fields}
        cols = ["letter_id", *row]
        self.con.execute(
            f"INSERT INTO letters ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [letter_id, *row.values()],
        )
        for no, item in enumerate(items, start=1):
            irow = {**ITEM_DEFAULTS, **item}
            icols = ["letter_id", "item_no", *irow]
            self.con.execute(
                f"INSERT INTO items ({', '.join(icols)}) VALUES ({', '.join('?' * len(icols))})",
                [letter_id, no, *irow.values()],
            )
        return letter_id

    def items(self, count: int, upheld: int, per_letter: int = 1, **fields: Any) -> None:
        """Insert ``count`` items (``upheld`` of them upheld), ``per_letter`` per letter.

        Keys of ``fields`` that are item columns go to the items, the rest to the letters.
        """
        item_fields = {k: v for k, v in fields.items() if k in ITEM_DEFAULTS}
        letter_fields = {k: v for k, v in fields.items() if k not in ITEM_DEFAULTS}
        outcomes = ["upheld"] * upheld + ["overturned"] * (count - upheld)
        for start in range(0, count, per_letter):
            chunk = outcomes[start : start + per_letter]
            self.letter([{**item_fields, "decision": d} for d in chunk], **letter_fields)

    def citation(
        self,
        letter_id: str,
        item_no: int,
        party: str,
        source: str,
        chapter: str | None,
        no: int = 1,
    ) -> None:
        self.con.execute(
            "INSERT INTO citations (letter_id, item_no, party, citation_no, source, chapter) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [letter_id, item_no, party, no, source, chapter],
        )


@pytest.fixture
def db() -> DB:
    return DB()


@pytest.fixture(scope="session")
def make_db() -> Callable[[], DB]:
    """The DB class itself, for tests and module-scoped fixtures that need several databases."""
    return DB
