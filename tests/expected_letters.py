"""The checked values of the real letters in ../shared, as every test reads them.

``letters/expected.jsonl`` (the 74 PDFs) and ``seeds/expected.json`` (the 5 extractions)
share one shape; its field names and the way to load it live here once.
"""

from __future__ import annotations

import json
from pathlib import Path

# Letter fields checked against the database or the parser, in the file's order.
LETTER_FIELDS = (
    "case_number",
    "date_assigned",
    "decision_date",
    "injury_date",
    "ur_denial_date",
    "application_received",
    "priority",
    "patient_age",
    "patient_sex",
    "reviewer_specialties",
    "reviewer_licensure",
)
# Item fields the parser gives; the taxonomy adds ITEM_CLASS_FIELDS when a letter is loaded.
ITEM_PARSE_FIELDS = (
    "item_text",
    "disputed_text",
    "modified_request",
    "decision",
    "ca_guideline_sources",
    "reviewer_guideline_sources",
    "reviewer_guideline_pages",
)
ITEM_CLASS_FIELDS = ("item_category", "drug_class")
# Expected MTUS chapters per party: the citations table's party -> the file's key.
MTUS_CHAPTER_KEYS = {
    "claims_administrator": "ca_mtus_chapters",
    "reviewer": "reviewer_mtus_chapters",
}

# The keys of one line of expected.jsonl, in order (the synthetic truth follows it).
LETTER_KEYS = ("file", *LETTER_FIELDS, "items")
ITEM_KEYS = (
    "item_no",
    "item_text",
    "modified_request",
    "disputed_text",
    "decision",
    "ca_guideline_sources",
    "reviewer_guideline_sources",
    "ca_mtus_chapters",
    "reviewer_mtus_chapters",
    "reviewer_guideline_pages",
    "item_category",
    "drug_class",
)
# The naming fields (../shared/docs/treatment-names.md): the synthetic truth ends each item with
# them; for the real letters they are labelled apart, in labels/expected-treatments.jsonl.
ITEM_NAMING_KEYS = ("ingredients", "body_regions", "treatment")


def expected_letters(shared_dir: Path, *, seeds: bool = True) -> list[tuple[Path, dict]]:
    """(path of the letter's file, its expected values) for the real letters, then the seeds."""
    letters = shared_dir / "letters"
    out = [
        (letters / row["file"], row)
        for row in map(json.loads, (letters / "expected.jsonl").read_text().splitlines())
    ]
    if seeds:
        rows = json.loads((shared_dir / "seeds" / "expected.json").read_text())["letters"]
        out += [(shared_dir / "seeds" / row["file"], row) for row in rows]
    return out


def as_json(value: object) -> object:
    """A parsed or stored value in the expected files' JSON form (ISO dates, lists)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value
