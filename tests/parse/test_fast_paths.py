"""The parser's word-anchored searches and caches give what the plain regex calls gave.

``finditer_from`` tries a pattern only where one of its start words occurs; that is only
valid if every match begins with one of them, so the references here are the plain
``finditer``/``search`` calls, over texts built from the pieces the patterns care about
(including the characters whose case folding differs from ``str.lower``).
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from imr_analytics.parse import citations as G
from imr_analytics.parse import items as I
from imr_analytics.parse import layout_b as B
from imr_analytics.parse.normalize import finditer_from, lowered_for_search, search_from

_PIECES = st.sampled_from(
    [
        "Decision based on MTUS ",
        "Decision based on Non-MTUS Citation: ",
        "decision  BASED on mtus",
        "Chronic Pain Medical Treatment Guidelines",
        "Chronic Pain Guidelines",
        "chronic pain treatment guidelines 2009",
        "Low Back Complaints",
        "LOW  back complaints",
        "Forearm, Wrist and Hand Complaints",
        "Opioids Treatment",
        "Stress-Related Conditions",
        "Occupational Medicine Practice Guidelines",
        "Knee Complaints 2004",
        " 2004",
        " 2016",
        "x2016",
        ", and ",
        " and ",
        ", ",
        "; ",
        "follow ",
        "allowed ",
        "Page(s): 76-80",
        "did not base their decision on the MTUS",
        "outside of the MTUS",
        "Medical Treatment 2009",
        "ſtress",
        "İ",
        "\u212anee Complaints",
        "Shoulder",
        " ",
    ]
)
_TEXTS = st.lists(_PIECES, max_size=10).map("".join)


def _spans(matches) -> list[tuple[tuple[int, int], dict]]:
    return [(m.span(), m.groupdict()) for m in matches]


@settings(max_examples=400, deadline=None)
@given(_TEXTS, st.integers(0, 30))
def test_finditer_from_same_as_finditer(text: str, pos: int) -> None:
    low = lowered_for_search(text)
    for pattern, starts in (
        (G._CHAPTER_RE, G._CHAPTER_STARTS),
        (G._DECISION_BASED, ("decision",)),
    ):
        want = _spans(pattern.finditer(text, pos))
        assert _spans(finditer_from(pattern, text, low, starts, pos)) == want


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_era_wording_same_as_search(text: str) -> None:
    low = lowered_for_search(text)
    for pattern, starts in (
        (B._B2_WORDING, ("page(s)", "did")),
        (B._B4_WORDING, ("2016", "outside")),
        (B._B3_WORDING, ("medical",)),
    ):
        want = pattern.search(text)
        got = search_from(pattern, text, low, starts)
        assert (want and want.span()) == (got and got.span())


def test_every_known_chapter_name_begins_with_a_start_word() -> None:
    names = [*G.MTUS_CHAPTERS, *(a.title() for a in G._CHAPTER_ALIASES)]
    for name in names:
        assert name.lower().startswith(G._CHAPTER_STARTS), name


def _find_chapters_reference(body: str) -> list[tuple[int, int, str]]:
    """``_find_chapters`` as first written: a plain scan and a regex for the boundary."""
    found: list[tuple[int, int, str]] = []
    for m in G._CHAPTER_RE.finditer(body):
        before = body[: m.start()].rstrip()
        if not (
            not before
            or before.endswith(",")
            or re.search(r"(?:,|^)\s*and$", before)
            or before.endswith(";")
        ):
            continue
        if found and not m.group("year"):
            continue
        name = G._canonical_chapter(m.group("name"))
        found.append((m.start(), m.end(), f"{name} {m.group('year')}" if m.group("year") else name))
    if not found:
        g = G._GENERIC_CHAPTER_RE.match(body)
        if g:
            found.append((0, g.end(), f"{' '.join(g.group('name').split())} {g.group('year')}"))
    return found


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_find_chapters_same_as_reference(text: str) -> None:
    assert G._find_chapters(text) == _find_chapters_reference(text)


def test_cached_guideline_hands_out_fresh_warnings() -> None:
    line = "MTUS somewhere, in an unknown form"
    cits, warnings = G.parse_guideline(line)
    assert warnings, "the keyword fallback warns"
    warnings.append("changed by the caller")
    again, warnings_again = G.parse_guideline(line)
    assert again == cits
    assert warnings_again == list(G._read_guideline(line)[1])


_LINES = st.lists(
    st.sampled_from(
        [
            "Norco 10/325mg #60: Upheld",
            "Physical therapy x 6 for the knees:",
            "Upheld",
            "OVERTURNED.",
            "Tramadol ER: Partially Overturned",
            "MRI of the lumbar spine: Modified",
            "Claims Administrator guideline: Decision based on MTUS",
            "MAXIMUS guideline: Decision based on ODG",
            "Decision rationale: the request is not medically necessary.",
            "the treatment was upheld on appeal: upheld",
            "Acupuncture: Withdrawn",
            "Reversed",
            "İbuprofen: Upheld",
            "ſoma: Overturned",
            "text",
            "",
        ]
    ),
    max_size=12,
)


@settings(max_examples=500, deadline=None)
@given(_LINES, st.integers(0, 3))
def test_outcome_lines_found_from_their_words_same_as_every_line(
    lines: list[str], start: int
) -> None:
    low = lowered_for_search("\n".join(lines))
    assert I._merge_lone_outcomes(lines, low) == I._merge_lone_outcomes(lines)
    want = [i for i in range(start, len(lines)) if I._is_outcome(lines, i)]
    got = [i for i in I._outcome_candidates(lines, low, start) if I._is_outcome(lines, i)]
    assert got == want


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "word",
                " ",
                ".",
                "!",
                "?",
                '"',
                "'",
                "”",
                "’",
                ")",
                "]",
                "\n",
                "Qty",
                "approx",
                "e.g",
                "x",
                "etc",
                "no",
                "mg",
                "ſt",
                "İ",
            ]
        ),
        max_size=8,
    ).map("".join)
)
def test_line_end_tests_same_as_regex(line: str) -> None:
    assert I._ends_sentence(line) == bool(I._SENTENCE_END.search(line))
    assert I._ends_abbreviation(line) == bool(I._ABBREVIATION_END.search(line))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "HOW",
                "how",
                "THE",
                "IMR",
                "İMR",
                "ıMR",
                "FINAL",
                "DETERMINATION",
                "WAS",
                "MADE",
                "CLINICAL",
                "CASE",
                "SUMMARY",
                "ISSUES,",
                "DECISIONS",
                "AND",
                "RATIONALES",
                "DECISION(S)",
                "RATIONALE(S)",
                "DOCUMENTS",
                "REVIEWED",
                " ",
                "X",
            ]
        ),
        max_size=7,
    ).map(" ".join)
)
def test_heading_first_letters_hold_every_match(line: str) -> None:
    for pattern, firsts in B._FIRST_LETTERS.items():
        if pattern.match(line):
            assert line[:1] in firsts
