"""Reviewer specialties and licensure states onto their canonical names."""

from __future__ import annotations

import pytest

from imr_analytics.vocab import (
    VOCAB_VERSION,
    normalize_specialties,
    normalize_state,
    normalize_states,
)
from imr_analytics.vocab._data import data_path, versions
from imr_analytics.vocab._specialties import canonical_specialties
from imr_analytics.vocab._states import state_names


def test_both_vocabulary_files_carry_the_same_version() -> None:
    for name in ("specialties.csv", "states.csv"):
        assert versions(data_path(name).read_text("utf-8"))["vocab_version"] == VOCAB_VERSION


# --- specialties ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Physical Medicine & Rehabilitation", "Physical Medicine & Rehabilitation"),
        ("Physical Medicine and Rehabilitation", "Physical Medicine & Rehabilitation"),
        ("physical medicine AND rehabilitation", "Physical Medicine & Rehabilitation"),
        ("Physical  Medicine &Rehabilitation.", "Physical Medicine & Rehabilitation"),
        ("PM&R", "Physical Medicine & Rehabilitation"),
        ("Hospice and Palliative Medicine", "Hospice & Palliative Medicine"),
        (
            "Public Health and General Preventive Medicine",
            "Public Health & General Preventive Medicine",
        ),
        ("Sports Medicinea", "Sports Medicine"),
        ("Sports Medicne", "Sports Medicine"),  # an unseen typo
        ("OCCUPATIONAL MEDICINE", "Occupational Medicine"),
        ("Preventative Medicine", "Preventive Medicine"),
        ("Family Medicine", "Family Practice"),
        ("Orthopaedic Surgery", "Orthopedic Surgery"),
        ("Board Certified in Anesthesiology", "Anesthesiology"),
        ("Neurosurgery", "Neurological Surgery"),
    ],
)
def test_specialty_variants(raw: str, canonical: str) -> None:
    assert normalize_specialties([raw]) == [canonical]


def test_every_specialty_in_the_labelled_letters_is_canonical(labelled_letters) -> None:
    known = set(canonical_specialties())
    for letter in labelled_letters:
        for name in normalize_specialties(letter["reviewer_specialties"]):
            assert name in known, (letter["file"], name)


def test_specialty_spellings_seen_in_the_layout_doc_are_canonical() -> None:
    seen = [
        "Occupational Medicine",
        "Preventive Medicine",
        "Family Practice",
        "Physical Medicine & Rehabilitation",
        "Pain Management",
        "Internal Medicine",
        "Orthopedic Surgery",
        "Sports Medicine",
        "Anesthesiology",
        "Hospice & Palliative Medicine",
        "Medical Toxicology",
        "Emergency Medicine",
        "Public Health & General Preventive Medicine",
        "Neurology",
        "Chiropractor",
        "Surgery",
        "Neuromuscular Medicine",
        "Psychiatry",
        "Surgical Critical Care",
        "Pediatric Rehabilitation Medicine",
        "Neurological Surgery",
        "Rheumatology",
        "Hand Surgery",
    ]
    assert normalize_specialties(seen) == seen


def test_canonical_names_map_to_themselves_and_use_ampersands() -> None:
    for name in canonical_specialties():
        assert normalize_specialties([name]) == [name]
        assert " and " not in name.lower(), name


def test_order_is_kept_and_duplicates_removed() -> None:
    raw = [
        "Preventive Medicine",
        "Occupational Medicine",
        "preventive medicine",
        "Occupational Med",
    ]
    assert normalize_specialties(raw) == ["Preventive Medicine", "Occupational Medicine"]


def test_unknown_specialty_is_kept_as_cleaned_text() -> None:
    assert normalize_specialties(["  Aerospace   Medicine ;", "Family Practice"]) == [
        "Aerospace Medicine",
        "Family Practice",
    ]


def test_distinct_specialties_are_not_merged_by_typo_matching() -> None:
    assert normalize_specialties(["Urology", "Neurology", "Nephrology"]) == [
        "Urology",
        "Neurology",
        "Nephrology",
    ]


def test_a_wrapped_specialty_is_joined_again() -> None:
    raw = ["Preventive Medicine", "Public Health &", "General Preventive Medicine"]
    assert normalize_specialties(raw) == [
        "Preventive Medicine",
        "Public Health & General Preventive Medicine",
    ]


def test_a_comma_joined_entry_is_split() -> None:
    assert normalize_specialties(["Preventive Medicine, Occupational Medicine"]) == [
        "Preventive Medicine",
        "Occupational Medicine",
    ]
    assert normalize_specialties("Family Practice") == ["Family Practice"]  # type: ignore[arg-type]


def test_empty_and_non_text_entries_are_skipped() -> None:
    assert normalize_specialties(["", "  ", None, "Neurology"]) == ["Neurology"]  # type: ignore[list-item]
    assert normalize_specialties([]) == []


# --- states --------------------------------------------------------------------------------


def test_fifty_states_and_dc_are_present() -> None:
    names = state_names()
    assert len([n for n in names]) >= 51
    assert {"California", "District of Columbia", "Wyoming", "Hawaii"} <= set(names)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("California", "California"),
        ("california", "California"),
        ("CALIFORNIA", "California"),
        ("CA", "California"),
        ("ca", "California"),
        ("Calif.", "California"),
        (" North  Carolina ", "North Carolina"),
        ("N.C.", "North Carolina"),
        ("N. Carolina", "North Carolina"),
        ("West Virginia", "West Virginia"),
        ("Virginia", "Virginia"),
        ("Washington", "Washington"),
        ("Washington, DC", "District of Columbia"),
        ("D.C.", "District of Columbia"),
        ("State of New York", "New York"),
        ("Commonwealth of Pennsylvania", "Pennsylvania"),
        ("Washington State", "Washington"),
        ("Pennsylvannia", "Pennsylvania"),
        ("Californa", "California"),
        ("Puerto Rico", "Puerto Rico"),
        ("Texas.", "Texas"),
    ],
)
def test_state_variants(raw: str, name: str) -> None:
    assert normalize_state(raw) == name


@pytest.mark.parametrize("raw", ["Narnia", "XX", "", "   ", "Ontario", "Mexico"])
def test_unknown_state_is_none(raw: str) -> None:
    assert normalize_state(raw) is None


def test_states_list_keeps_order_drops_unknowns_and_duplicates() -> None:
    raw = ["Iowa", "Montana", "california", "Narnia", "CA", "Iowa"]
    assert normalize_states(raw) == ["Iowa", "Montana", "California"]


def test_states_joined_with_or_without_spaces_are_split() -> None:
    assert normalize_states(["California,North Carolina"]) == ["California", "North Carolina"]
    assert normalize_states(["Iowa, Montana, California"]) == ["Iowa", "Montana", "California"]


def test_every_state_in_the_labelled_letters_is_recognised(labelled_letters) -> None:
    for letter in labelled_letters:
        assert normalize_states(letter["reviewer_licensure"]) == letter["reviewer_licensure"]
