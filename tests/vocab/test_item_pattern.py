"""item_pattern: one key per kind of request, whatever the quantities, sides and labels."""

from __future__ import annotations

import pytest

from imr_analytics.vocab import item_pattern


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("Norco 10/325mg #120", "norco"),
        ("Norco 7.5-325mg #112", "norco"),
        ("MRI of the lumbar spine without contrast", "mri of the lumbar spine without contrast"),
        ("MRI (magnetic resonance imaging) of the lumbar spine", "mri of the lumbar spine"),
        (
            "Retrospective CT scan of the cervical spine (DOS 11/18/16)",
            "ct scan of the cervical spine",
        ),
        ("Retrospective Cyclobenzaprine 5mg tab #30 DOS: 11/14/16", "cyclobenzaprine"),
        ("Oxycodone HCL ER 20mg #60 day supply: 30", "oxycodone er"),
        ("Pantoprazole 40mg, one by mouth, twice a day #60 with one refill", "pantoprazole"),
        ("Two refills of Ibuprofen 600mg #90", "ibuprofen"),
        ("Meloxicam (Mobic) 7.5mg #30", "meloxicam"),
        ("Acupuncture x 6", "acupuncture"),
        ("Acupuncture 2x/week x 4 weeks", "acupuncture"),
        ("Physical therapy 3x4", "physical therapy"),
        ("Eight (8) physical therapy sessions", "physical therapy"),
        ("2 sessions of physical therapy", "physical therapy"),
        (
            "Physical therapy, 6 sessions, cervical and thoracic spine",
            "physical therapy cervical and thoracic spine",
        ),
        (
            "Physical therapy for the lumbar spine 2 times a week for 3 weeks",
            "physical therapy for the lumbar spine",
        ),
        (
            "Additional physical therapy, 1 to 2 times per week for 3 weeks, for the neck",
            "physical therapy for the neck",
        ),
        (
            "Twelve sessions of physical therapy for the right shoulder, right wrist and right hand, three times a week for four weeks",
            "physical therapy for the shoulder wrist and hand",
        ),
        ("Facet joint injections L4-5, L5-S1", "facet joint injections"),
        ("Left L5-S1 epidural steroid injection", "epidural steroid injection"),
        ("EMG/NCV bilateral lower extremities", "emg/ncv lower extremities"),
        ("NCV bilateral lower extremities QTY: 2", "ncv lower extremities"),
        ("Associated surgical service: Shoulder Brace", "shoulder brace"),
        ("30 day rental of IF unit", "rental of if unit"),
        ("Gym membership x 6 months", "gym membership"),
        (
            "Flurbiprofen 10%/Dextromethorphan 5%/Lidocaine 5%, 120grams #1",
            "flurbiprofen/dextromethorphan/lidocaine",
        ),
        ("Tylenol #3 #60", "tylenol with codeine"),
        ("Intrathecal pump refill", "intrathecal pump refill"),
        ("Office visit with pain management", "office visit with pain management"),
        ("Home health care 4 hours a day", "home health care"),
    ],
)
def test_quantities_sides_and_labels_are_removed(text: str, pattern: str) -> None:
    assert item_pattern(text) == pattern


@pytest.mark.parametrize(
    "variants",
    [
        ["Norco 10/325mg #120", "NORCO 5/325 MG #60", "norco 7.5/325mg, #90"],
        ["MRI of the right knee", "MRI of the left knee", "MRI of the bilateral knee"],
        ["Physical therapy 2x6", "Physical therapy 12 sessions", "Additional physical therapy x 8"],
        ["Lumbar ESI L4-5", "Lumbar ESI L5-S1", "Retrospective lumbar ESI (DOS 1/2/2016)"],
    ],
)
def test_the_same_kind_of_request_gets_one_key(variants: list[str]) -> None:
    assert len({item_pattern(v) for v in variants}) == 1, [item_pattern(v) for v in variants]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("MRI of the lumbar spine with contrast", "MRI of the lumbar spine without contrast"),
        ("Voltaren gel 1%", "Voltaren 75mg"),
        ("Tylenol #3", "Tylenol 500mg"),
        ("Physical therapy", "Occupational therapy"),
    ],
)
def test_different_requests_keep_different_keys(a: str, b: str) -> None:
    assert item_pattern(a) != item_pattern(b)


def test_an_item_that_is_all_quantity_keeps_its_folded_text() -> None:
    assert item_pattern("#60") == "#60"
    assert item_pattern("") == ""


def test_non_text_gives_an_empty_key() -> None:
    assert item_pattern(None) == ""  # type: ignore[arg-type]
