"""2013 letters: "Notice of Independent Medical Review Determination" (variant A).

Only the opening of one real 2013 letter has been seen (letter-formats.md §2). What is
known: a ``Dated:`` decision date, numbered determination sentences listed first and
repeated after ``INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE``, process dates in
prose, the board-certified sentence, and a ``Case Summary:`` quoting the UR. The
per-item guideline labels (``Medical Treatment Guideline(s) Used by …``) are from
memory, not seen: when they are absent, guidelines are left unknown (NULL) and the
letter carries a warning, rather than being guessed.
"""

from __future__ import annotations

import re
from datetime import date

from .assemble import letter_from_parts
from .credentials import parse_credentials
from .dates import DATE_PATTERN, parse_date
from .header import CASE_NUMBER_RE
from .items import build_item
from .normalize import join_wrapped
from .records import LAYOUT_A, Letter, ParseFailure

LAYOUT = LAYOUT_A

TITLE = re.compile(r"Notice\s+of\s+Independent\s+Medical\s+Review\s+Determination", re.IGNORECASE)
DECISION_HEADING = re.compile(r"INDEPENDENT\s+MEDICAL\s+REVIEW\s+DECISION\s+AND\s+RATIONALE")

_DATED = re.compile(r"\bDated\s*:\s*(?P<when>" + DATE_PATTERN + ")", re.IGNORECASE)
_DETERMINED = re.compile(
    r"(?<![\w)])(?P<no>\d{1,2})\s*[).]\s*MAXIMUS\s+Federal\s+Services,?\s+Inc\.?\s+has\s+determined\s+the\s+request\s+for\s+"
    r"(?P<item>.+?)\s+is\s*(?P<neg>not)?\s*medically\s+necessary\s+and\s+appropriate",
    re.IGNORECASE | re.DOTALL,
)
_APPLICATION = re.compile(
    r"application\s+for\s+Independent\s+Medical\s+Review\s+was\s+filed\s+on\s+(?P<when>"
    + DATE_PATTERN
    + ")",
    re.IGNORECASE,
)
_UR_DENIAL = re.compile(
    r"Utilization\s+Review\s+(?:Denial|determination|decision)\s+dated\s+(?P<when>"
    + DATE_PATTERN
    + ")",
    re.IGNORECASE,
)
_ASSIGNED = re.compile(
    r"Notice\s+of\s+Assignment.{0,80}?provided\s+to\s+the\s+above\s+parties\s+on\s+(?P<when>"
    + DATE_PATTERN
    + ")",
    re.IGNORECASE | re.DOTALL,
)
_CASE_SUMMARY = re.compile(r"\bCase\s+Summary\s*:\s*", re.IGNORECASE)
_QUALIFICATIONS = re.compile(
    r"Medical\s+Qualifications\s+of\s+the\s+Expert\s+Reviewer\s*:", re.IGNORECASE
)
_DISCLAIMER = re.compile(r"^Disclaimer\s*:.*?\.\s+(?=\S)", re.IGNORECASE)
_REGARDING = re.compile(
    r"(?<![\w)])(?P<no>\d{1,2})\s*\)\s*Regarding\s+the\s+request\s+for\s+(?P<item>.+?)\s*:\s",
    re.IGNORECASE,
)
_CA_USED = re.compile(
    r"Medical\s+Treatment\s+Guidelines?\s*\(?s?\)?\s+Used\s+by\s+the\s+Claims\s+Administrator\s*:\s*",
    re.IGNORECASE,
)
_RV_USED = re.compile(
    r"Medical\s+Treatment\s+Guidelines?\s*\(?s?\)?\s+Used\s+by\s+the\s+(?:Expert|Physician)\s+Reviewer\s*:\s*",
    re.IGNORECASE,
)
_RATIONALE = re.compile(r"Rationale\s+for\s+the\s+Decision\s*:\s*", re.IGNORECASE)


def parse_a(lines: list[str]) -> Letter | ParseFailure:
    flat = join_wrapped(lines)
    dec_at = DECISION_HEADING.search(flat)
    front = flat[: dec_at.start()] if dec_at else flat
    back = flat[dec_at.end() :] if dec_at else ""

    determinations: dict[int, tuple[str, str]] = {}
    for m in _DETERMINED.finditer(flat):
        no = int(m.group("no"))
        if no not in determinations:
            item = " ".join(m.group("item").split())
            determinations[no] = (item, "upheld" if m.group("neg") else "overturned")
    if not determinations:
        return ParseFailure(
            "no_items",
            "no numbered 'MAXIMUS Federal Services, Inc. has determined the request for …' sentence",
            LAYOUT,
        )

    warnings: list[str] = []
    decision_date = _date(_DATED, front)
    pivot = decision_date.year if decision_date else None
    blocks = _per_item_blocks(back)
    if not blocks:
        warnings.append("2013 layout: no per-item guideline blocks found; guidelines left unknown")

    items = []
    for k, no in enumerate(sorted(determinations)):
        item_text, decision = determinations[no]
        ca_text, rv_text, rationale = blocks.get(no, (None, None, None))
        item, item_warnings = build_item(k + 1, item_text, decision, ca_text, rv_text, rationale)
        items.append(item)
        warnings += item_warnings

    qual = _QUALIFICATIONS.search(front)
    specialties, states, _ = parse_credentials(front[qual.end() :] if qual else front)
    summary = None
    sm = _CASE_SUMMARY.search(front)
    if sm:
        summary = _DISCLAIMER.sub("", front[sm.end() :].strip()).strip(' "“”') or None
    case = CASE_NUMBER_RE.search(front)
    header = {
        "case_number": case.group(0) if case else None,
        "date_assigned": _date(_ASSIGNED, front, pivot),
        "decision_date": decision_date,
        "ur_denial_date": _date(_UR_DENIAL, front, pivot),
        "application_received": _date(_APPLICATION, front, pivot),
    }
    return letter_from_parts(
        LAYOUT,
        header,
        summary=summary,
        specialties=specialties,
        states=states,
        items=items,
        warnings=warnings,
    )


def _date(pattern: re.Pattern[str], text: str, pivot: int | None = None) -> date | None:
    m = pattern.search(text)
    return parse_date(m.group("when"), pivot_year=pivot) if m else None


def _per_item_blocks(back: str) -> dict[int, tuple[str | None, str | None, str | None]]:
    starts = list(_REGARDING.finditer(back))
    blocks: dict[int, tuple[str | None, str | None, str | None]] = {}
    for i, m in enumerate(starts):
        body = back[m.end() : starts[i + 1].start() if i + 1 < len(starts) else len(back)]
        ca = _between(body, _CA_USED, (_RV_USED, _RATIONALE))
        rv = _between(body, _RV_USED, (_RATIONALE,))
        ra = _between(body, _RATIONALE, (_DETERMINED,))
        blocks.setdefault(int(m.group("no")), (ca, rv, ra))
    return blocks


def _between(text: str, start: re.Pattern[str], stops: tuple[re.Pattern[str], ...]) -> str | None:
    m = start.search(text)
    if not m:
        return None
    end = len(text)
    for stop in stops:
        s = stop.search(text, m.end())
        if s:
            end = min(end, s.start())
    value = text[m.end() : end].strip()
    return value or None
