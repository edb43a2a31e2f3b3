"""normalize_specialties / normalize_states cached per whole list give what the piece-by-piece
definition gives, hand out fresh lists, and still take lists holding non-strings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from imr_analytics.vocab import _specialties as S
from imr_analytics.vocab import _states as T
from imr_analytics.vocab import normalize_specialties, normalize_states

_ENTRIES = st.sampled_from(
    [
        "Physical Medicine & Rehabilitation",
        "Public Health &",
        "General Preventive Medicine",
        "Pain Medicine, Anesthesiology",
        "Sports Medicinea",
        "Orthopaedic Surgery",
        "Texas,New York,California",
        "Washington, DC",
        "CA",
        "Californa",
        "the State of Ohio",
        "",
        " ",
        "Nowhere",
    ]
)


def _plain_specialties(raw: list[str]) -> list[str]:
    out: dict[str, None] = {}
    for piece in S._pieces(raw):
        name = S.normalize_specialty(piece)
        if name:
            out[name] = None
    return list(out)


def _plain_states(raw: list[str]) -> list[str]:
    out: dict[str, None] = {}
    for piece in T._pieces(raw):
        name = T.normalize_state(piece)
        if name:
            out[name] = None
    return list(out)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ENTRIES, max_size=5))
def test_cached_lists_same_as_piece_by_piece(raw: list[str]) -> None:
    for _ in range(2):  # the second call is answered from the cache
        assert normalize_specialties(raw) == _plain_specialties(raw)
        assert normalize_states(raw) == _plain_states(raw)
    for entry in raw:  # a bare string is one entry
        assert normalize_specialties(entry) == _plain_specialties([entry])
        assert normalize_states(entry) == _plain_states([entry])


def test_cached_lists_are_fresh_and_unhashable_entries_pass() -> None:
    first = normalize_states(["CA", "Texas"])
    first.append("changed")
    assert normalize_states(["CA", "Texas"]) == ["California", "Texas"]
    first = normalize_specialties(["Orthopaedic Surgery"])
    first.clear()
    assert normalize_specialties(["Orthopaedic Surgery"]) == ["Orthopedic Surgery"]
    assert normalize_states(["CA", ["not", "a", "string"]]) == ["California"]  # type: ignore[list-item]
    assert normalize_specialties(iter(["Orthopaedic Surgery"])) == ["Orthopedic Surgery"]  # type: ignore[arg-type]
