"""Header-table letters, 2014-2017 (B1-B4), and the crawler's "Format2" (C).

Both have a header table, ``HOW THE IMR FINAL DETERMINATION WAS MADE`` with the
reviewer's credentials, ``CLINICAL CASE SUMMARY`` and an items section. C adds
``DOCUMENTS REVIEWED`` and names its items section ``IMR DECISION(S) AND RATIONALE(S)``.
The sub-era (B1-B4) is read from the credentials form and the citation wording, which
changed over the years, falling back on the decision date.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import date
from functools import lru_cache

from .assemble import letter_from_parts
from .credentials import parse_credentials
from .header import CASE_NUMBER_RE, header_dates_consistent, parse_header
from .items import ItemsError, parse_items
from .normalize import join_wrapped, lowered_for_search, search_from
from .records import LAYOUT_B1, LAYOUT_B2, LAYOUT_B3, LAYOUT_B4, LAYOUT_C, Letter, ParseFailure

B1, B2, B3, B4, C = LAYOUT_B1, LAYOUT_B2, LAYOUT_B3, LAYOUT_B4, LAYOUT_C

HOW_MADE = re.compile(r"^HOW\s+THE\s+IMR\s+FINAL\s+DETERMINATION\s+WAS\s+MADE\b", re.IGNORECASE)
SUMMARY = re.compile(r"^CLINICAL\s+CASE\s+SUMMARY\b", re.IGNORECASE)
ITEMS_B = re.compile(r"^IMR\s+ISSUES\s*,?\s+DECISIONS\s*,?\s+AND\s+RATIONALES?\b", re.IGNORECASE)
ITEMS_C = re.compile(r"^IMR\s+DECISION\s*\(?S\)?\s+AND\s+RATIONALE\s*\(?S\)?", re.IGNORECASE)
DOCUMENTS = re.compile(r"^DOCUMENTS\s+REVIEWED\b", re.IGNORECASE)

# The characters a line each heading matches can start with: its first letter in either case,
# and the letters re.IGNORECASE also takes for "i" (dotted capital I, dotless i). Most
# heading-like lines fail this one-character test, so their regex match is never tried.
_FIRST_LETTERS: dict[re.Pattern[str], str] = {
    HOW_MADE: "Hh",
    SUMMARY: "Cc",
    ITEMS_B: "Ii\u0130\u0131",
    ITEMS_C: "Ii\u0130\u0131",
    DOCUMENTS: "Dd",
}
# Citation wording of the sub-eras (_b_era); the words after each are what a match begins with.
_B2_WORDING = re.compile(
    r"Page\(s\)\s*:|did\s+not\s+base\s+their\s+decision\s+on\s+the\s+MTUS", re.IGNORECASE
)
_B4_WORDING = re.compile(r"\b2016\b|outside\s+of\s+the\s+MTUS", re.IGNORECASE)
_B3_WORDING = re.compile(r"Medical\s+Treatment\s+2009", re.IGNORECASE)
_SUMMARY_INTRO = re.compile(
    r"^The\s+expert\s+reviewer\s+developed\s+the\s+following\s+clinical\s+case\s+summary\s+based\s+on\s+a\s+"
    r"review\s+of\s+the\s+case\s+file,?\s+including\s+all\s+medical\s+records\s*:\s*",
    re.IGNORECASE,
)

# The intro as nearly every letter words it: a text starting with it is matched by
# _SUMMARY_INTRO up to its end and then any white space (tests hold this), without the
# regex's case-insensitive walk over its 130 characters.
SUMMARY_INTRO_TEXT = (
    "The expert reviewer developed the following clinical case summary based on a review of the "
    "case file, including all medical records:"
)


def _without_summary_intro(text: str) -> str:
    """``_SUMMARY_INTRO.sub("", text)``: the anchored pattern can only match at the start."""
    if text.startswith(SUMMARY_INTRO_TEXT):
        return text[len(SUMMARY_INTRO_TEXT) :].lstrip()  # str.isspace, what \s matches
    return _SUMMARY_INTRO.sub("", text)


class Headings(list):
    """``heading_lines``' (index, line) pairs, and where each heading pattern matches among
    them, found in one pass over the pairs the first time a pattern is asked for: a
    letter's dozen heading searches then cost a bisect each instead of a scan."""

    __slots__ = ("_places",)

    def __init__(self, pairs: list[tuple[int, str]]) -> None:
        super().__init__(pairs)
        # keyed by id(pattern), the pattern kept beside its places: hashing a compiled
        # pattern hashes its whole compiled code (about a microsecond for these), and a
        # letter asks a dozen times
        self._places: dict[int, tuple[re.Pattern[str], list[int]]] | None = None

    def places(self, pattern: re.Pattern[str]) -> list[int]:
        """Ascending indices of the lines among these that are the heading ``pattern``."""
        if self._places is None:
            found: list[list[int]] = [[] for _ in _HEADING_PATTERNS]
            for i, line in self:
                if line[:1] in _BY_FIRST_LETTER:
                    for k in _heading_kinds(line):
                        found[k].append(i)
            self._places = {id(p): (p, f) for p, f in zip(_HEADING_PATTERNS, found, strict=True)}
        entry = self._places.get(id(pattern))
        if entry is not None and entry[0] is pattern:
            return entry[1]
        # a pattern without first letters: every line is tried
        places = [i for i, line in self if pattern.match(line)]
        self._places[id(pattern)] = (pattern, places)
        return places


# _FIRST_LETTERS turned round: the heading patterns (with their place in _HEADING_PATTERNS)
# a line starting with a letter can match.
_HEADING_PATTERNS: tuple[re.Pattern[str], ...] = tuple(_FIRST_LETTERS)
_BY_FIRST_LETTER: dict[str, tuple[tuple[int, re.Pattern[str]], ...]] = {}
for _k, (_pattern, _letters) in enumerate(_FIRST_LETTERS.items()):
    for _c in _letters:
        _BY_FIRST_LETTER[_c] = (*_BY_FIRST_LETTER.get(_c, ()), (_k, _pattern))


# Headings are the same few lines in letter after letter, and each match is a case-insensitive
# walk over up to 40 characters: which patterns a heading-like line is, a pure function of one
# short line, is cached per process (bounded; a letter's case number and dates pass through).
@lru_cache(maxsize=1 << 12)
def _heading_kinds(line: str) -> tuple[int, ...]:
    """The places in _HEADING_PATTERNS of the patterns that match ``line``."""
    return tuple(k for k, p in _BY_FIRST_LETTER.get(line[:1], ()) if p.match(line))


def heading_lines(lines: list[str]) -> Headings:
    """(index, line) of every line that could be a heading: short and upper case.

    Computed once per letter, so that the dozen heading searches of layout detection and
    parsing each look at these few lines instead of the whole letter.
    """
    return Headings(
        [(i, line) for i, line in enumerate(lines) if len(line) <= 60 and line.upper() == line]
    )


def find_heading(
    lines: list[str],
    pattern: re.Pattern[str],
    start: int = 0,
    heads: list[tuple[int, str]] | None = None,
) -> int | None:
    """Index of the first line at or after ``start`` that is the heading ``pattern``.

    Headings are short upper-case lines; requiring upper case keeps a sentence that
    happens to begin with the same words from counting as a heading. ``heads`` is
    ``heading_lines(lines)`` when the caller has it already.
    """
    if heads is None:
        heads = heading_lines(lines)
    if isinstance(heads, Headings):
        places = heads.places(pattern)
        k = bisect_left(places, start)
        return places[k] if k < len(places) else None
    firsts = _FIRST_LETTERS.get(pattern)
    for i, line in heads:
        if i >= start and (firsts is None or line[:1] in firsts) and pattern.match(line):
            return i
    return None


def parse_b(
    lines: list[str],
    *,
    variant_c: bool = False,
    heads: list[tuple[int, str]] | None = None,
) -> Letter | ParseFailure:
    """``heads`` is ``heading_lines(lines)`` when the caller (layout detection) has it."""
    layout_hint = C if variant_c else "B"
    if heads is None:
        heads = heading_lines(lines)
    how = find_heading(lines, HOW_MADE, heads=heads)
    if how is None:
        return ParseFailure(
            "missing_section", "no 'HOW THE IMR FINAL DETERMINATION WAS MADE' heading", layout_hint
        )
    items_at = find_heading(lines, ITEMS_C if variant_c else ITEMS_B, how, heads)
    summary_at = find_heading(lines, SUMMARY, how, heads)
    if items_at is None:
        name = (
            "IMR DECISION(S) AND RATIONALE(S)"
            if variant_c
            else "IMR ISSUES, DECISIONS AND RATIONALES"
        )
        return ParseFailure("missing_section", f"no '{name}' heading", layout_hint)
    if summary_at is None or summary_at > items_at:
        return ParseFailure(
            "missing_section", "no 'CLINICAL CASE SUMMARY' heading before the items", layout_hint
        )
    warnings: list[str] = []

    header, header_warnings = parse_header("\n".join(lines[:how]))
    warnings += header_warnings
    if not header.get("case_number"):
        m = CASE_NUMBER_RE.search("\n".join(lines[: min(len(lines), how + 5)]))
        if m:
            header["case_number"] = m.group(0)
    if not header_dates_consistent(header):
        warnings.append(
            "header dates out of the usual order (UR denial <= application <= assigned <= decision)"
        )

    cred_end = min(
        i for i in (find_heading(lines, DOCUMENTS, how + 1, heads), summary_at) if i is not None
    )
    specialties, states, cred_form = parse_credentials("\n".join(lines[how + 1 : cred_end]))
    if cred_form is None:
        warnings.append("no reviewer credentials found")

    summary_end = items_at
    docs_after = find_heading(lines, DOCUMENTS, summary_at + 1, heads)
    if docs_after is not None and docs_after < items_at:
        summary_end = docs_after
    summary = (
        _without_summary_intro(join_wrapped(lines[summary_at + 1 : summary_end])).strip() or None
    )

    try:
        items, item_warnings = parse_items(lines[items_at + 1 :])
    except ItemsError as exc:
        return ParseFailure(exc.reason, exc.detail, layout_hint)
    warnings += item_warnings

    decision_date = header.get("decision_date")
    layout = C if variant_c else _b_era(cred_form, items, decision_date)
    return letter_from_parts(
        layout,
        header,
        summary=summary,
        specialties=specialties,
        states=states,
        items=items,
        warnings=warnings,
    )


def _b_era(cred_form: str | None, items: list, decision_date: object) -> str:
    """Which B sub-era: credentials form first, then citation wording, then the date."""
    if cred_form == "sentence":
        return B1
    wording, b3_wording = _wording_of(
        " ".join(
            (it.ca_guideline_text or "") + " " + (it.reviewer_guideline_text or "") for it in items
        )
    )
    if wording is not None:
        return wording
    if isinstance(decision_date, date):
        return B4 if decision_date >= date(2016, 1, 1) else B3
    return B3 if b3_wording else B4


@lru_cache(maxsize=1 << 11)
def _wording_of(lines: str) -> tuple[str | None, bool]:
    """(B2 or B4 if the guideline lines use that era's citation wording, else None; whether
    they use B3's). Guideline lines are boilerplate that letters repeat, so this pure
    function of them is cached per process."""
    low = lowered_for_search(lines)
    if search_from(_B2_WORDING, lines, low, ("page(s)", "did")):
        return B2, False
    if search_from(_B4_WORDING, lines, low, ("2016", "outside")):
        return B4, False
    return None, search_from(_B3_WORDING, lines, low, ("medical",)) is not None
