"""``item_pattern`` skips a step whose gate words are absent; the result must be what running
every step gives. Texts are drawn from the words the steps look for, in any case, with the
characters whose case folding differs from ``str.lower`` (dotless i, long s, Kelvin sign)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from imr_analytics.vocab import _pattern as P

_WORDS = st.sampled_from(
    [
        "Tylenol #3",
        "tylenol with codeine",
        "Associated surgical service: ",
        "Retrospective",
        "requested for",
        "Two refills of",
        "with refills",
        "additional",
        "continuation of",
        "DOS 11/18/16",
        "date of service: 1/2/2017 - 1/5/2017",
        "(Mobic)",
        "[x]",
        "twice a week",
        "for the next 6 weeks",
        "2x/week",
        "3 x 4",
        "times 8",
        "×6",
        "twenty-four",
        "one to two",
        "by mouth",
        "po",
        "bid",
        "q 8 hrs",
        "every 4 hours",
        "as needed",
        "per day",
        "/ day",
        "day supply: 30",
        "qty 60",
        "8 sessions",
        "visits",
        "tabs",
        "10/325mg",
        "5%",
        "#60",
        "HCl",
        "bitartrate",
        "L4-L5",
        "C5 - 6",
        "levels",
        "left",
        "B/L",
        "bilaterally",
        "Norco",
        "physical therapy",
        "lumbar spine",
        "ſeſſions",
        "bıd",
        "\u212aenalog",
        "\u0663 sessions",
        "MRI",
        "2x6",
        "twox",
        "x 4",
        "x3",
        "fortwo weeks",
        "twoweeks",
        "6-week",
        "3 d",
        "oxycodone",
        "flexeril",
        "exam",
        "hundred h",
        "1 to 2 times",
        ",",
        " ",
        "-",
        ".",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=7), st.sampled_from([" ", "", "-"]), st.booleans())
def test_gated_same_as_every_step(words: list[str], sep: str, upper: bool) -> None:
    text = sep.join(words)
    text = text.upper() if upper else text
    assert P._pattern(text, gated=True) == P._pattern(text, gated=False)
