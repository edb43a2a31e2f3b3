"""The loader calls these on every item of every letter: no text may make them raise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from imr_analytics.vocab import (
    DRUG_CLASSES,
    ITEM_CATEGORIES,
    classify_item,
    item_pattern,
    normalize_specialties,
    normalize_state,
    normalize_states,
)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_classify_item_never_raises_and_returns_the_vocabulary(text: str) -> None:
    category, drug_class = classify_item(text)
    assert category in ITEM_CATEGORIES
    if category == "Pharmaceuticals":
        assert drug_class in DRUG_CLASSES
    else:
        assert drug_class is None


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_item_pattern_never_raises_and_is_folded(text: str) -> None:
    pattern = item_pattern(text)
    assert isinstance(pattern, str)
    assert pattern == pattern.strip()
    assert "  " not in pattern


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=5))
def test_specialty_and_state_normalisation_never_raise(raw: list[str]) -> None:
    specialties = normalize_specialties(raw)
    assert len(specialties) == len(set(specialties))
    states = normalize_states(raw)
    assert all(isinstance(s, str) for s in states)
    for entry in raw:
        normalize_state(entry)
