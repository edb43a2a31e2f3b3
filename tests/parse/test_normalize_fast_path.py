"""``normalize_text``'s fast paths give what the plain regex passes gave, character for character.

The fast version tests presence with ``in`` and collapses spaces with ``str.split``; both are
only valid because of which whitespace characters ``_SPACES`` covers, so the reference below
is the earlier regex-only definition (tests/normalize_reference.py) and the texts are drawn from every awkward character.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from normalize_reference import normalize_reference as _reference

from imr_analytics.parse import citations as G
from imr_analytics.parse import credentials as C
from imr_analytics.parse import items as I
from imr_analytics.parse import normalize as N
from imr_analytics.parse.normalize import lowered_for_search, normalize_text, search_from

_AWKWARD = (
    " \t\n\r\f\v\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2005\u200a\u200b\u200c\u200d"
    "\u2028\u2029\u202f\u205f\u3000\ufeff\ufffe\u00ad|#\\*_<>-:.aZ9’"
)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_AWKWARD + "bold", max_size=60))
def test_same_as_regex_passes(raw: str) -> None:
    assert normalize_text(raw) == _reference(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=" \tab\r\n|#", max_size=60))
def test_same_as_regex_passes_ascii(raw: str) -> None:
    assert normalize_text(raw) == _reference(raw)


def test_examples() -> None:
    for raw in (
        "a  b\t\tc\r\nd\u00a0\u00a0e",
        "x\x1cy  z",  # an information separator: str.split would split on it, _SPACES does not
        "<b>HOW</b>  THE **IMR**\u2028next\fpage",
        "| a | b |\n|---|---|\n# Title\n\\hard",
        N.SYNTHETIC_MARKER + " (seed 1)\nbody",
    ):
        assert normalize_text(raw) == _reference(raw)


_CASES = [
    (C._BLOCK_SPECIALTIES, ("certification",)),
    (C._BLOCK_STATES, ("state",)),
    (C._SENTENCE, C._SENTENCE_STARTS),
    (G._DECISION_BASED, ("decision",)),
    (G._NO_EVIDENCE, ("did",)),
    *((pattern, G._MARKER_STARTS[family]) for family, pattern in G._FAMILY_MARKERS),
    (G._MTUS_WORD, G._MARKER_STARTS["MTUS"]),
    *((pattern, starts) for _, pattern, starts in I._LABELS_ANYWHERE),
]
_PIECES = st.sampled_from(
    [
        "State(s) of Licensure: ",
        "Certification(s)/Specialty: ",
        "expert reviewer is Board Certified in ",
        " and is licensed to practice in ",
        "Decision based on MTUS ",
        "Non-MTUS",
        "did not cite any evidence",
        "ODG",
        "Official Disability Guidelines",
        "ACOEM",
        "Harris J",
        "Medical Treatment Utilization Schedule",
        "STATE",
        "ſtate",
        "İ",
        "ı",
        "Kelvin \u212a",
        " x ",
        ". ",
        "California",
        "Claims Administrator guideline: ",
        "MAXIMUS guideline: ",
        "non-IMR guideline:",
        "Expert Reviewer guideline: ",
        "Decision rationale: ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=8).map("".join))
def test_search_from_same_as_search(text: str) -> None:
    low = lowered_for_search(text)
    for pattern, starts in _CASES:
        want = pattern.search(text)
        got = search_from(pattern, text, low, starts)
        assert (want and (want.span(), want.groupdict())) == (got and (got.span(), got.groupdict()))
        for pos in (1, 5, 17):
            want = pattern.search(text, pos)
            got = search_from(pattern, text, low, starts, pos)
            assert (want and want.span()) == (got and got.span())


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["and", ",", " ", "\n", "x", "band", "."]), max_size=8).map("".join)
)
def test_trailing_and_shortcuts_same_as_regex(text: str) -> None:
    assert G._drop_trailing_and(text) == re.sub(r"(?:,\s*)?\band\s*$", "", text)
    want = re.sub(r"(?:,\s*)?(?:and\s*)?$", "", text.strip()).strip()
    assert G._clean_sections(text) == want.strip(" ,;").rstrip(".").strip()
