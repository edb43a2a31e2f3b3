"""Guideline lines (``Claims Administrator guideline:``, ``MAXIMUS guideline:``) into citations.

A line holds zero or more ``Decision based on MTUS …`` / ``Decision based on Non-MTUS
…`` sentences, or a no-evidence sentence. MTUS citations name chapters whose own names
contain commas and "and" (``Forearm, Wrist, and Hand Complaints 2004``) and sections
whose names contain commas, periods and colons, so chapters are found by matching known
chapter names followed by a year, never by splitting on punctuation. Non-MTUS free text
is sorted into families (ODG, ACOEM, other) by the markers it contains, in the order
they appear, because a single sentence can cite several.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .normalize import finditer_from, lowered_for_search, search_from
from .records import Citation

# MTUS chapter names seen 2014-2017 (letter-formats.md §1.5), longest first so that
# "Chronic Pain Medical Treatment" wins over shorter overlaps. A chapter that is not in
# this list is still read by the generic "<Name> <Year>" rule below.
MTUS_CHAPTERS: tuple[str, ...] = (
    "Chronic Pain Medical Treatment",
    "Low Back Complaints",
    "Neck and Upper Back Complaints",
    "Shoulder Complaints",
    "Opioid Treatment",
    "Opioids Treatment",
    "Acupuncture Treatment",
    "Acupuncture Medical Treatment",
    "Knee Complaints",
    "Forearm, Wrist, and Hand Complaints",
    "Forearm, Wrist and Hand Complaints",
    "General Approaches",
    "Elbow Complaints",
    "Elbow Disorders",
    "Postsurgical Treatment",
    "Ankle and Foot Complaints",
    "Stress-Related Conditions",
    "Eye Complaints",
    "Hip and Groin Complaints",
    "Occupational Medicine Practice Guidelines",
)
# Spellings that name a known chapter another way.
_CHAPTER_ALIASES = {
    "chronic pain guidelines": "Chronic Pain Medical Treatment",
    "chronic pain treatment guidelines": "Chronic Pain Medical Treatment",
    "chronic pain medical treatment guidelines": "Chronic Pain Medical Treatment",
    "opioids treatment": "Opioid Treatment",
    "forearm, wrist and hand complaints": "Forearm, Wrist, and Hand Complaints",
}
_CANONICAL = {name.lower(): name for name in MTUS_CHAPTERS}

_YEAR = r"(?:19|20)\d{2}"
_KNOWN_NAMES = "|".join(
    re.escape(n).replace(r"\ ", r"\s+")
    for n in sorted({*MTUS_CHAPTERS, *(a.title() for a in _CHAPTER_ALIASES)}, key=len, reverse=True)
)
# The first word of every known name: each match of _CHAPTER_RE begins with one.
_CHAPTER_STARTS = tuple(
    sorted({re.match(r"[a-z]+", n.lower()).group() for n in (*MTUS_CHAPTERS, *_CHAPTER_ALIASES)})  # type: ignore[union-attr]
)
_CHAPTER_RE = re.compile(
    rf"(?P<name>{_KNOWN_NAMES})(?:\s+Guidelines?)?\s*,?\s*(?P<year>{_YEAR})?(?:\s+Guidelines?)?",
    re.IGNORECASE,
)
_GENERIC_CHAPTER_RE = re.compile(
    rf"^(?P<name>[A-Z][A-Za-z,&/'\- ]{{2,80}}?)\s+(?P<year>{_YEAR})\b(?:\s+Guidelines?)?"
)
_DECISION_BASED = re.compile(
    r"Decision\s+based\s+on\s+(?P<kind>Non-?\s?MTUS|MTUS)\b\s*(?:Citation\b)?\s*:?\s*",
    re.IGNORECASE,
)
_NO_EVIDENCE = re.compile(r"did\s+not\s+cite\s+any\s+(?:medical\s+)?evidence", re.IGNORECASE)
_SECTIONS = re.compile(r"Section\(?s\)?\s*:\s*", re.IGNORECASE)
_MTUS_PAGES = re.compile(
    r"Pages?\s*(?:\(s\))?\s*:\s*(?P<pages>\d+(?:\s*(?:-|–|,|and)\s*\d+)*)", re.IGNORECASE
)
_FREE_PAGES = re.compile(
    r"\b(?:pg|pgs|pp|p|pages?)\.?\s*(?P<pages>\d+(?:\s*(?:-|–)\s*\d+)?)\b", re.IGNORECASE
)

# Families a Non-MTUS citation can name. "other" is not searched for: it is the family of
# a Non-MTUS citation that names neither ODG nor ACOEM (a URL, UpToDate, CMS). A URL or
# "Other Medical Treatment Guidelines" riding along inside an ODG or ACOEM citation does
# not add "other" — that is how the checked letters are labelled.
_FAMILY_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ODG",
        re.compile(
            r"Official\s+Disability\s+Guidelines?|\bODG\b|Work\s+Loss\s+Data\s+Institute",
            re.IGNORECASE,
        ),
    ),
    (
        "ACOEM",
        re.compile(
            r"\bACOEM\b|American\s+College\s+of\s+Occupational|Occupational\s+Medicine\s+Practice\s+Guidelines"
            r"|\bHarris\s+J\b",
            re.IGNORECASE,
        ),
    ),
)
_MTUS_WORD = re.compile(r"\bMTUS\b|Medical\s+Treatment\s+Utilization\s+Schedule", re.IGNORECASE)
_TRAILING_AND = re.compile(r"(?:,\s*)?\band\s*$")
_TRAILING_COMMA_AND = re.compile(r"(?:,\s*)?(?:and\s*)?$")
# Words every match of a family's marker begins with, for search_from.
_MARKER_STARTS: dict[str, tuple[str, ...]] = {
    "ODG": ("official", "odg", "work"),
    "ACOEM": ("acoem", "american", "occupational", "harris"),
    "MTUS": ("mtus", "medical"),
}


def parse_guideline(text: str | None) -> tuple[tuple[Citation, ...], list[str]]:
    """Citations of one party's guideline line, and warnings for forms not understood.

    ``None`` or empty text gives no citations (the letter does not say); the
    no-evidence sentence gives one ``none`` citation.
    """
    citations, warnings = _cached_guideline(text)
    return citations, list(warnings)


def _guideline(text: str | None) -> tuple[tuple[Citation, ...], tuple[str, ...]]:
    citations, warnings = _read_guideline(text)
    return citations, tuple(warnings)


# Guideline lines are boilerplate ("Decision based on MTUS Chronic Pain Medical Treatment
# Guidelines, ...") that a corpus repeats thousands of times, and the reading is a pure
# function of the line, so it is cached per process. Citations are frozen, the warnings a
# tuple: nothing handed out can change what is cached.
_cached_guideline = lru_cache(maxsize=1 << 12)(_guideline)


def _read_guideline(text: str | None) -> tuple[tuple[Citation, ...], list[str]]:
    if not text or not text.strip():
        return (), []
    text = " ".join(text.split())
    low = lowered_for_search(text)
    first = search_from(_DECISION_BASED, text, low, ("decision",))
    if first is None and search_from(_NO_EVIDENCE, text, low, ("did",)):
        return (Citation(source="none", text=text),), []
    starts = (
        []
        if first is None
        else list(finditer_from(_DECISION_BASED, text, low, ("decision",), first.start()))
    )
    if not starts:
        return _keyword_fallback(text)
    citations: list[Citation] = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        body = text[m.end() : end].strip()
        if m.group("kind").upper().startswith("NON"):
            citations.extend(_non_mtus(body))
        else:
            citations.extend(_mtus(body))
    return tuple(citations), []


def _keyword_fallback(text: str) -> tuple[tuple[Citation, ...], list[str]]:
    """A line in no known form: name the families it mentions, and say so."""
    families = _families_in(text, (("MTUS", _MTUS_WORD), *_FAMILY_MARKERS))
    warning = f"guideline line in an unknown form, families guessed from keywords: {text[:120]!r}"
    return tuple(Citation(source=f, text=text) for f in families), [warning]


def _families_in(text: str, markers: tuple[tuple[str, re.Pattern[str]], ...]) -> list[str]:
    """Families whose markers the text contains, in order of first appearance; "other"
    when it names none of them."""
    low = lowered_for_search(text)
    hits = sorted(
        (m.start(), family)
        for family, pattern in markers
        if (m := search_from(pattern, text, low, _MARKER_STARTS[family]))
    )
    return list(dict.fromkeys(family for _, family in hits)) or ["other"]


def _mtus(body: str) -> list[Citation]:
    chapters = _find_chapters(body)
    if not chapters:
        pages = _pages(_MTUS_PAGES, body)
        return [
            Citation(
                source="MTUS",
                chapter=None,
                sections=_clean_sections(body) or None,
                pages=pages,
                text=body,
            )
        ]
    out: list[Citation] = []
    for i, (start, end_name, chapter) in enumerate(chapters):
        stop = chapters[i + 1][0] if i + 1 < len(chapters) else len(body)
        span = body[start:stop]
        rest = body[end_name:stop]
        sections = None
        sm = _SECTIONS.search(rest)
        if sm:
            sections = _clean_sections(rest[sm.end() :])
        else:
            topic = _clean_sections(_MTUS_PAGES.sub("", rest))
            sections = topic or None
        pages = _pages(_MTUS_PAGES, rest)
        if sections and pages and _MTUS_PAGES.search(sections):
            sections = _clean_sections(_MTUS_PAGES.sub("", sections)) or None
        out.append(
            Citation(
                source="MTUS",
                chapter=chapter,
                sections=sections or None,
                pages=pages,
                text=_drop_trailing_and(span.strip()).strip(" ,."),
            )
        )
    return out


def _find_chapters(body: str) -> list[tuple[int, int, str]]:
    """(start, end of chapter name, canonical chapter) for each chapter the citation names.

    A chapter counts only at the start of the citation or after ``, and`` / ``and`` /
    ``,`` — inside a section list the same words are a section title, not a chapter.
    """
    found: list[tuple[int, int, str]] = []
    for m in finditer_from(_CHAPTER_RE, body, lowered_for_search(body), _CHAPTER_STARTS):
        before = body[: m.start()].rstrip()
        at_boundary = (
            not before
            or before.endswith((",", ";"))
            # "(?:,|^)\s*and$": "and" alone or after a comma
            or (before.endswith("and") and (not (rest := before[:-3].rstrip()) or rest[-1] == ","))
        )
        if not at_boundary:
            continue
        if found and not m.group("year"):
            continue  # a later chapter without a year is a section title, not a chapter
        name = _canonical_chapter(m.group("name"))
        chapter = f"{name} {m.group('year')}" if m.group("year") else name
        found.append((m.start(), m.end(), chapter))
    if not found:
        g = _GENERIC_CHAPTER_RE.match(body)
        if g:
            name = " ".join(g.group("name").split())
            found.append((0, g.end(), f"{name} {g.group('year')}"))
    return found


def _canonical_chapter(name: str) -> str:
    key = " ".join(name.lower().split())
    key = _CHAPTER_ALIASES.get(key, key).lower()
    return _CANONICAL.get(key, " ".join(name.split()))


def _non_mtus(body: str) -> list[Citation]:
    out = []
    for family in _families_in(body, _FAMILY_MARKERS):
        pages = _pages(_FREE_PAGES, body) if family == "ACOEM" else None
        out.append(Citation(source=family, pages=pages, text=body.strip()))
    return out


def _pages(pattern: re.Pattern[str], text: str) -> str | None:
    found = [" ".join(m.group("pages").split()).replace("–", "-") for m in pattern.finditer(text)]
    found = [p.replace(" - ", "-") for p in found]
    return ", ".join(dict.fromkeys(found)) if found else None


def _drop_trailing_and(text: str) -> str:
    # The regex is tried at every position of the text; only a text ending in "and"
    # can match anything but the empty string at its end, so test that first.
    if not text.rstrip().endswith("and"):
        return text
    return _TRAILING_AND.sub("", text)


def _clean_sections(text: str) -> str:
    text = text.strip()
    if text.rstrip().endswith((",", "and")):  # else the regex only matches "" at the end
        text = _TRAILING_COMMA_AND.sub("", text)
    text = text.strip()
    return text.strip(" ,;").rstrip(".").strip()
