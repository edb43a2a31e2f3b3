"""Naming rules, one family at a time (treatment-names.md), and that no text makes them raise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imr_analytics.parse.naming import Naming, name_item, naming_of
from imr_analytics.vocab import BODY_REGIONS, ITEM_CATEGORIES

RX = "Pharmaceuticals"


def _drug(text: str) -> tuple[tuple[str, ...], str | None]:
    n = naming_of(text, RX)
    return n.ingredients, n.treatment


@pytest.mark.parametrize(
    ("text", "ingredients", "treatment"),
    [
        # brands, generics and salts: one name
        ("Ultram 50mg #60", ("tramadol",), "tramadol · oral"),
        ("Tramadol HCl ER 150 mg", ("tramadol",), "tramadol · oral"),
        ("Retrospective request for tramadol (Ultram)", ("tramadol",), "tramadol · oral"),
        ("Flexeril 10mg #60", ("cyclobenzaprine",), "cyclobenzaprine · oral"),
        ("Prilosec 20mg #30", ("omeprazole",), "omeprazole · oral"),
        ("Naproxen sodium 550mg #60", ("naproxen",), "naproxen · oral"),
        ("Anaprox DS 550mg", ("naproxen",), "naproxen · oral"),
        ("Morphine sulfate ER 30mg", ("morphine",), "morphine · oral"),
        # combinations and abbreviations
        (
            "Norco 10/325 #120",
            ("acetaminophen", "hydrocodone"),
            "acetaminophen / hydrocodone · oral",
        ),
        ("Hydrocodone/APAP 5/325mg", ("acetaminophen", "hydrocodone"), None),
        ("Hydrocodone 10/325mg #90", ("acetaminophen", "hydrocodone"), None),
        ("Tylenol #3 #60", ("acetaminophen", "codeine"), "acetaminophen / codeine · oral"),
        ("Tylenol 500mg", ("acetaminophen",), "acetaminophen · oral"),
        ("Percocet 10/325mg", ("acetaminophen", "oxycodone"), None),
        ("Ultracet 37.5/325mg", ("acetaminophen", "tramadol"), None),
        ("Vicoprofen 7.5/200mg", ("hydrocodone", "ibuprofen"), None),
        ("Fioricet #30", ("acetaminophen", "butalbital", "caffeine"), None),
        ("Suboxone 8/2mg film", ("buprenorphine", "naloxone"), None),
        # misspellings, listed and not
        ("Cyclobenzeprine 7.5mg", ("cyclobenzaprine",), None),
        ("Trazadone 50mg #30", ("trazodone",), None),
        ("Buproprion XL 150mg", ("bupropion",), None),
        ("Gabapentn 600 mg", ("gabapentin",), None),
        ("Omeprazol 20mg", ("omeprazole",), None),
        # topicals: the route family keeps them apart from the tablets
        ("Lidoderm 5% patch #30", ("lidocaine",), "lidocaine · topical"),
        ("Lidocaine ointment 5% 106.32gm", ("lidocaine",), "lidocaine · topical"),
        ("Voltaren gel 1% 100gm", ("diclofenac",), "diclofenac · topical"),
        ("Voltaren 75mg #60", ("diclofenac",), "diclofenac · oral"),
        ("Flector patch 1.3%", ("diclofenac",), "diclofenac · topical"),
        ("Diclofenac sodium 1.5% solution 60gm", ("diclofenac",), "diclofenac · topical"),
        ("Butrans 10mcg/hr #4", ("buprenorphine",), "buprenorphine · topical"),
        ("Terocin patch #30", ("lidocaine", "menthol"), "lidocaine / menthol · topical"),
        ("Salonpas patches", ("menthol", "methyl salicylate"), None),
        # compounds list every named ingredient; unnamed ones none
        (
            "Flurbiprofen/Baclofen/Lidocaine cream",
            ("baclofen", "flurbiprofen", "lidocaine"),
            "baclofen / flurbiprofen / lidocaine · topical",
        ),
        (
            "Ketoprofen 10%/Cyclobenzaprine 3%/Lidocaine 5% 120gm",
            ("cyclobenzaprine", "ketoprofen", "lidocaine"),
            "cyclobenzaprine / ketoprofen / lidocaine · topical",
        ),
        ("Compound cream 240gm", (), "compound · topical"),
        # oral compounding kits by their active drug, and kits sold as creams
        ("Synapryn 10mg/ml oral suspension 500ml", ("tramadol",), "tramadol · oral"),
        ("Tabradol 1mg/ml oral suspension, 250ml", ("cyclobenzaprine",), "cyclobenzaprine · oral"),
        ("Ketophene 20% cream 165gm", ("ketoprofen",), "ketoprofen · topical"),
        # medical foods keep their product name
        ("Theramine #90", ("theramine",), "theramine · oral"),
        ("Sentra PM #60", ("sentra pm",), "sentra pm · oral"),
        # injected and dispensed for a pump
        ("Toradol 60mg IM injection", ("ketorolac",), "ketorolac · injection"),
        ("Morphine sulfate 25mg/ml for pump refill", ("morphine",), "morphine · injection"),
        ("Bupivacaine HCL 20mg", ("bupivacaine",), "bupivacaine · injection"),
    ],
)
def test_drug_names(text: str, ingredients: tuple[str, ...], treatment: str | None) -> None:
    got_ingredients, got_treatment = _drug(text)
    assert got_ingredients == ingredients
    if treatment is not None:
        assert got_treatment == treatment


def test_an_unknown_drug_keeps_a_cleaned_name_and_is_flagged() -> None:
    n = naming_of("Retrospective Zyxorin ER 10mg #30 (DOS 1/2/16)", RX)
    assert n.ingredients == ("zyxorin",) and n.unknown_drug
    assert n.treatment == "zyxorin · oral"
    assert not naming_of("Norco 10/325 #90", RX).unknown_drug


def test_strength_and_quantity_are_kept_apart() -> None:
    n = naming_of("Norco 10/325 mg #120", RX)
    assert (n.strength, n.quantity, n.quantity_unit) == ("10/325 mg", 120.0, "tablets")
    n = naming_of("Lidoderm 5% patches #30", RX)
    assert (n.strength, n.quantity, n.quantity_unit) == ("5%", 30.0, "patches")
    n = naming_of(
        "Physical therapy 2 times a week for 6 weeks, lumbar spine", "Rehabilitation Services"
    )
    assert (n.quantity, n.quantity_unit) == (12.0, "sessions")
    n = naming_of("Eight physical therapy sessions", "Rehabilitation Services")
    assert (n.quantity, n.quantity_unit) == (8.0, "sessions")
    n = naming_of(
        "Chiropractic treatment for the lumbar spine, 12 visits", "Rehabilitation Services"
    )
    assert (n.quantity, n.quantity_unit) == (12.0, "visits")
    n = naming_of("30 day rental of IF unit", "DMEPOS")
    assert (n.quantity, n.quantity_unit, n.treatment) == (30.0, "days", "interferential unit")


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("MRI of the right shoulder", ("shoulder",)),
        ("L4-5 epidural steroid injection", ("lumbar spine",)),
        ("Right L5-S1 transforaminal epidural steroid injection", ("lumbar spine",)),
        ("Cervical facet injections C4-C6, bilateral", ("cervical spine",)),
        ("Bilateral S1 joint injection", ("sacroiliac/pelvis",)),
        ("EMG/NCV bilateral upper extremities", ("upper extremity",)),
        ("MRI cervical and lumbar spine", ("cervical spine", "lumbar spine")),
        ("Carpal tunnel release, right", ("wrist/hand",)),
        ("Physical therapy for the low back and neck", ("cervical spine", "lumbar spine")),
        ("MRI of the brain", ("head",)),
        ("X-rays of the left ankle and foot", ("ankle/foot",)),
        ("Follow-up visit in 6 weeks", ()),
        ("Gym membership x 6 months", ()),
        ("Urine drug screen", ()),
    ],
)
def test_body_regions(text: str, regions: tuple[str, ...]) -> None:
    assert naming_of(text, "Other").body_regions == regions


def test_drugs_have_no_region() -> None:
    assert naming_of("Lidoderm patch for the lumbar spine", RX).body_regions == ()


@pytest.mark.parametrize(
    ("text", "treatment"),
    [
        ("MRI of the lumbar spine without contrast", "mri"),
        ("MR Arthrogram of the right shoulder", "mr arthrogram"),
        ("CT scan of the head", "ct"),
        ("X-Ray of the lumbar spine, 3 views", "x-ray"),
        ("NCV of the bilateral lower extremities", "emg/ncs"),
        ("Urine toxicology screen", "urine drug screen"),
        ("Additional physical therapy 2x6 for the knee", "physical therapy"),
        ("Aquatic therapy x 6", "aquatic therapy"),
        ("Ultrasound 1 times 8", "therapeutic ultrasound"),
        ("Diagnostic ultrasound of the right shoulder", "ultrasound"),
        ("Chiropractic evaluation", "chiropractic evaluation"),
        ("Chiropractic re-evaluation", "chiropractic evaluation"),
        ("Referral to chiropractor for evaluation, twice a week for 3 weeks", "chiropractic"),
        ("Physical therapy evaluation and treatment for the knee", "physical therapy"),
        ("Lumbar ESI L4-5", "epidural steroid injection"),
        ("Bilateral L4-L5 medial branch blocks", "medial branch block"),
        ("Radiofrequency ablation bilateral L3-L5", "radiofrequency ablation"),
        ("TENS unit", "tens unit"),
        ("TENS unit supplies (electrodes and batteries) x 3 months", "tens supplies"),
        ("Hinged knee brace, left", "brace"),
        ("Lumbosacral orthosis (LSO) brace", "brace"),
        ("Cold compression therapy 30 day rental", "cold therapy unit"),
        ("Left knee arthroscopy with partial medial meniscectomy", "knee arthroscopy"),
        ("Right total knee arthroplasty", "total knee arthroplasty"),
        ("L4-L5 lumbar fusion", "lumbar fusion"),
        ("Left carpal tunnel release, endoscopic", "carpal tunnel release"),
        ("Orthopedic surgery consultation", "orthopedic consultation"),
        ("Follow-up visit in 6 weeks", "office visit"),
        ("Cognitive behavioral therapy 6 sessions", "psychotherapy"),
        ("28 day functional restoration program", "functional restoration program"),
        ("Home health aide 4 hours a day", "home health care"),
        ("IT Pain Pump Trial", "intrathecal pump trial"),
        ("Permanent spinal cord stimulator implant", "spinal cord stimulator implantation"),
        ("Spinal cord stimulator trial", "spinal cord stimulator trial"),
    ],
)
def test_modalities(text: str, treatment: str) -> None:
    assert naming_of(text, "Other").treatment == treatment


def test_context_settles_what_the_disputed_text_leaves_open() -> None:
    # the remainder of a modified request inherits the original request's regions
    n = naming_of(
        "Chiropractic treatment 6 visits",
        "Rehabilitation Services",
        item_text="Chiropractic treatment 12 visits for the neck was the original request. "
        "Chiropractic treatment 6 visits was authorized.",
    )
    assert n.body_regions == ("cervical spine",)
    # a bare "spine" is the part of the spine whose guideline chapter the reviewer used
    n = naming_of(
        "MRI of the spine",
        "Diagnostic Tests",
        guideline_text="MTUS ACOEM Low Back Complaints 2004, Chapter 12",
    )
    assert n.body_regions == ("lumbar spine",)
    # ... but "spinal" in a modality's name is no place
    low_back = "MTUS ACOEM Low Back Complaints 2004"
    assert naming_of("Spinal manipulation 8", "Other", guideline_text=low_back).body_regions == ()
    # a drug with no dose form, judged as an intrathecal pump refill, is an injection
    pump = "Decision based on MTUS Chronic Pain 2009, Section(s): Intrathecal drug delivery systems"
    assert naming_of("Hydromorphone 40mg", RX, guideline_text=pump).treatment == (
        "hydromorphone · injection"
    )
    # ... but not tablets counted out, nor a named dose form
    assert naming_of("Hydromorphone 4mg #60", RX, guideline_text=pump).treatment.endswith("oral")
    assert naming_of("Hydromorphone 40mg", RX).treatment == "hydromorphone · oral"


@settings(max_examples=400, deadline=None)
@given(
    st.text(),
    st.sampled_from(ITEM_CATEGORIES),
    st.one_of(st.none(), st.text()),
    st.one_of(st.none(), st.text()),
)
def test_naming_never_raises(text: str, category: str, heading, guideline) -> None:
    n = naming_of(text, category, item_text=heading, guideline_text=guideline, rationale=guideline)
    assert isinstance(n, Naming)
    assert set(n.body_regions) <= set(BODY_REGIONS)
    assert list(n.body_regions) == sorted(n.body_regions)
    assert list(n.ingredients) == sorted(set(n.ingredients))
    assert n.treatment is None or (n.treatment and n.treatment == n.treatment.strip())
    if n.ingredients or (n.treatment and "·" in n.treatment):
        assert n.body_regions == ()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Norco",
                "10/325mg",
                "#",
                "60",
                "MRI",
                "L4-5",
                "cream",
                "%",
                "x",
                "2",
                "times",
                "(",
                "lumbar",
                "spine",
                "Tylenol",
                "#3",
                "with",
                "-",
                "/",
                "evaluation",
                "pump",
                "ER",
            ]
        ),
        max_size=12,
    ).map(" ".join),
    st.sampled_from(ITEM_CATEGORIES),
)
def test_naming_never_raises_on_item_like_text(text: str, category: str) -> None:
    assert isinstance(naming_of(text, category), Naming)


def test_the_guard_returns_an_empty_naming_for_non_text() -> None:
    assert name_item(None, RX) == Naming()  # type: ignore[arg-type]


def test_a_salt_is_not_a_second_ingredient_but_a_supplement_is_itself() -> None:
    assert naming_of("Fenoprofen calcium 400mg #120", RX).ingredients == ("fenoprofen",)
    assert naming_of("Calcium 600mg #60", RX).ingredients == ("calcium",)


def test_an_injection_procedure_is_named_by_its_joint_or_its_drug() -> None:
    knee = naming_of(
        "Injection 5cc of lidocaine and 1cc of dexamethasone to the left knee", "Injections"
    )
    assert (knee.treatment, knee.ingredients, knee.body_regions) == (
        "joint injection",
        (),
        ("knee",),
    )
    toradol = naming_of("Toradol 60mg IM injection", "Injections")
    assert (toradol.treatment, toradol.ingredients) == ("ketorolac injection", ())
    assert naming_of("B12 injection", "Injections").treatment == "vitamin b12 injection"


def test_a_name_ending_in_a_digit_does_not_run_into_a_strength() -> None:
    assert naming_of("Tylenol 325mg #60", RX).ingredients == ("acetaminophen",)
    assert naming_of("Tylenol 3 #60", RX).ingredients == ("acetaminophen", "codeine")
