"""The fifth round's parser shortcuts give what their plain definitions give.

Each reference below is the definition a shortcut replaced, compared on texts drawn from the
pieces the shortcut's reasoning depends on (decoy words, colons, case folding traps).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from imr_analytics.parse import items as I
from imr_analytics.parse import normalize as N
from imr_analytics.parse.normalize import lowered_for_search, search_from

# Start words that occur outside a match ("decision" of "Decision based on"), often enough to
# use up search_from's anchored tries and reach its plain search of the rest.
_LABEL_PIECES = st.sampled_from(
    [
        "Decision based on MTUS. ",
        "decision ",
        "claims ",
        "imr ",
        "IMR guideline: ",
        "non-IMR guideline: ",
        "expert opinion ",
        "Claims Administrator guideline: ",
        "Claims  administrator\nGUIDELINE : ",
        "MAXIMUS guideline: ",
        "Independent Reviewer guideline:",
        "Decision rationale: ",
        "DECISION\nRATIONALE:",
        "İmr ",
        "ſ",
        "x",
        "\n",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_LABEL_PIECES, max_size=30).map("".join), st.integers(0, 40))
def test_search_from_tries_anchored_then_searches_same_as_search(text: str, pos: int) -> None:
    low = lowered_for_search(text)
    for _, pattern, starts in I._LABELS_ANYWHERE:
        want = pattern.search(text, pos)
        got = search_from(pattern, text, low, starts, pos)
        assert (want and want.span()) == (got and got.span())


def test_search_from_reaches_its_plain_search() -> None:
    text = "decision " * (N._ANCHORED_TRIES + 3) + "Decision rationale: yes"
    m = search_from(I._RATIONALE_LABEL_ANYWHERE, text, text.lower(), ("decision",))
    assert m is not None and m.span() == I._RATIONALE_LABEL_ANYWHERE.search(text).span()


_HEADING_PIECES = st.sampled_from(
    [
        "Norco 10/325mg #60",
        " was the original request. ",
        "was authorized by the Claims Administrator",
        "The Claims Administrator AUTHORIZED ",
        "The remaining IMR eligible portion of the original request, ",
        "leaving the original request",
        "The original request, ",
        "AUTHORİZED",
        "ORİGİNAL",
        "remaınıng",
        "original",
        " is",
        "\n",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_HEADING_PIECES, max_size=6).map("".join))
def test_gated_modified_search_same_as_search(text: str) -> None:
    assert I._modified(text) == (I._MODIFIED_MARKERS.search(text) is not None)
