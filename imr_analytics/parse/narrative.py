"""Patient facts from the free-text case summary.

The summary is written by many reviewers, so the rules look for the phrasings that carry
the facts (``a 48 year old male``, ``a 54-year-old female``, ``a male, who sustained``,
``industrial injury on 10-13-16``) rather than a fixed sentence. Only the opening of the
summary is searched for age and sex: later sentences mention other people's ages.
"""

from __future__ import annotations

import re
from datetime import date

from .dates import DATE_PATTERN, date_from_match

_SEX_WORDS = {
    "male": "male",
    "man": "male",
    "gentleman": "male",
    "female": "female",
    "woman": "female",
    "lady": "female",
}
_SEX = r"(?P<sex>male|female|man|woman|gentleman|lady)"
_AGE_SEX = re.compile(
    r"\b(?P<age>\d{1,3})\s*-?\s*(?:year|yr)s?\s*-?\s*old\b"
    r"(?:\s*,)?(?:\s+(?:[a-z-]+\s+){0,3}?" + _SEX + r"\b)?",
    re.IGNORECASE,
)
_SEX_ONLY = re.compile(
    r"\b(?:is|was|involves|as)\s+(?:an?|the)\s+(?:(?:now|right|left)[- ]handed\s+|now\s+)?"
    + _SEX
    + r"\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(?P<he>he|his|him)\b|\b(?P<she>she|her|hers)\b", re.IGNORECASE)

# Phrases that introduce the injury date, most specific first.
_INJURY_CUES = re.compile(
    r"(?:date\s+of\s+injury|injur(?:y|ies|ed)|claim|accident|incident|DOI|sustained|occupational)"
    r"[^.;]{0,90}?(?:\bon|\bof|\bfrom|\bdated|:|\bin)\s*(?:or\s+about\s+|approximately\s+)?"
    r"(?P<date>" + DATE_PATTERN + r")",
    re.IGNORECASE,
)

OPENING_CHARS = 600


def patient_age_sex(summary: str) -> tuple[int | None, str | None]:
    """Age and sex from the opening of the case summary; ``None`` where not stated."""
    head = summary[:OPENING_CHARS]
    age: int | None = None
    sex: str | None = None
    m = _AGE_SEX.search(head)
    if m:
        value = int(m.group("age"))
        age = value if 14 <= value <= 100 else None
        if m.group("sex"):
            sex = _SEX_WORDS[m.group("sex").lower()]
    if sex is None:
        m2 = _SEX_ONLY.search(head)
        if m2:
            sex = _SEX_WORDS[m2.group("sex").lower()]
    return age, sex


def narrative_injury_date(summary: str, *, reference: date | None = None) -> date | None:
    """The injury date the narrative gives, used only when the header has none."""
    pivot = reference.year if reference else None
    for m in _INJURY_CUES.finditer(summary[:2000]):
        found = date_from_match(m, pivot_year=pivot)  # the cue pattern holds the date's groups
        if found and (reference is None or found <= reference):
            return found
    return None
