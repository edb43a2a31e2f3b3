"""The naming rules skip a regex when the words every match of it holds are absent; what they
give must be what running every regex gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from imr_analytics.parse import naming as N

_WORDS = st.sampled_from(
    [
        "physical therapy",
        "2x6",
        "2 times 8",
        "3 x 4",
        "x 6",
        "×6",
        "twice a week for 4 weeks",
        "1 to 2 times per week for 3 weeks",
        "once per week x 6 wks",
        "eight sessions",
        "sessions, 6",
        "visits #12",
        "treatments x 4",
        "12",
        "6",
        "7 days rental",
        "30 day supply",
        "qty: 60",
        "quantity of 2",
        "#90",
        "acupuncture",
        "week",
        "wk",
        "ı",
        "ſessions",
        "twelve",
        "(8)",
        ",",
        " ",
    ]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=6), st.sampled_from([" ", ""]))
def test_service_quantity_same_as_every_regex(words: list[str], sep: str) -> None:
    text = sep.join(words).lower()
    got = N._service_quantity(text)
    gate = N._absent
    N._absent = lambda *_: False  # every regex runs
    try:
        want = N._service_quantity(text)
    finally:
        N._absent = gate
    assert got == want
