"""What a synthetic letter says, before any layout or extraction style is applied.

:func:`build_spec` draws the facts of one case (dates, patient, reviewer, disputed
items, decisions, citations) together with the prose that carries them (case summary,
rationales). Layouts (``layouts.py``) arrange the pieces; styles (``render.py``) imitate
an extraction tool. Facts are drawn once, so every rendering of the same spec has the
same truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..parse.records import (
    LAYOUT_A,
    LAYOUT_B1,
    LAYOUT_B2,
    LAYOUT_B3,
    LAYOUT_B4,
    LAYOUT_C,
    LAYOUT_D,
)
from . import _data as D
from . import citations as C
from .items import OVERTURN_P, SURGERY, Draft, ancillary, draw_item

# Decision-date windows and citation era per layout.
_ERA: dict[str, tuple[date, date, str]] = {
    LAYOUT_B1: (date(2014, 1, 6), date(2015, 3, 31), "pages"),
    LAYOUT_B2: (date(2015, 2, 1), date(2015, 8, 31), "pages"),
    LAYOUT_B3: (date(2015, 9, 1), date(2015, 12, 31), "sections2009"),
    LAYOUT_B4: (date(2016, 9, 1), date(2017, 11, 30), "mtus2016"),
    LAYOUT_A: (date(2013, 8, 1), date(2013, 12, 31), "pages"),
    LAYOUT_C: (date(2015, 4, 1), date(2015, 10, 31), "pages"),
    LAYOUT_D: (date(2015, 1, 5), date(2015, 12, 31), "sections2009"),
}

# Items per letter in the 194 real B4 letters, smoothed over the gaps.
_N_ITEMS = (
    (1, 115),
    (2, 34),
    (3, 12),
    (4, 7),
    (5, 7),
    (6, 8),
    (7, 2.5),
    (8, 4),
    (9, 1.5),
    (10, 1.2),
    (11, 0.8),
    (12, 0.7),
    (13, 0.5),
    (14, 0.4),
    (15, 0.4),
    (16, 0.3),
    (17, 0.2),
    (18, 0.2),
    (19, 0.15),
    (20, 0.15),
    (21, 0.15),
)


@dataclass(slots=True)
class ItemSpec:
    heading: str  # item_text: the heading as written, without ": <Outcome>"
    disputed: str
    modified: bool
    draft: Draft
    decision: str  # "upheld" | "overturned"
    ca: C.Cite
    reviewer: C.Cite
    rationale: str
    rationale_tail: str = ""  # opioid taper advisory, after the conclusion


@dataclass(slots=True)
class Spec:
    layout: str
    era: str
    case_number: str
    decision_date: date
    date_assigned: date
    application_received: date
    ur_denial_date: date
    injury_date: date
    priority: str
    age: int | None
    sex: str | None
    specialties: list[str]  # canonical
    specialties_written: list[str]  # as the letter prints them
    states: list[str]
    sentence_form: bool  # board-certified sentence instead of the credentials block
    patient_sentence: str  # first narrative sentence (age, sex, injury date)
    narrative: list[str]  # further narrative sentences
    narrative_injury_date: date  # what the narrative states (may differ from header)
    items: list[ItemSpec] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)  # C and D


def _weighted(rng: random.Random, table) -> object:
    total = 0.0
    for _, w in table:
        total += w
    x = rng.random() * total
    for v, w in table:
        x -= w
        if x < 0:
            return v
    return table[-1][0]


def _day_between(rng: random.Random, a: date, b: date) -> date:
    return date.fromordinal(rng.randint(a.toordinal(), b.toordinal()))


# ---------------------------------------------------------------------------------------
# Dates in the narrative
# ---------------------------------------------------------------------------------------


def narrative_date(rng: random.Random, d: date) -> str:
    """A date as case summaries write it (all forms seen in the real letters).

    Two-digit years are only used for 2000-2029 so that the century is never a guess.
    """
    r = rng.random()
    two_digit_ok = 2000 <= d.year <= 2029
    if r < 0.30 and two_digit_ok:
        return f"{d.month:02d}-{d.day:02d}-{d.year % 100:02d}"
    if r < 0.50:
        return f"{d.month}-{d.day}-{d.year}"
    if r < 0.70:
        return f"{d:%m/%d/%Y}"
    if r < 0.78 and two_digit_ok:
        return f"{d.month}/{d.day}/{d.year % 100:02d}"
    if r < 0.86:
        return f"{d.month}/{d.day}/{d.year}"
    if r < 0.88:
        return f"{d.month:02d}/{d.day:02d}/ {d.year}"  # stray space, seen once
    return f"{D.MONTHS[d.month - 1]} {d.day}, {d.year}"


# ---------------------------------------------------------------------------------------
# Patient sentence
# ---------------------------------------------------------------------------------------


def _patient_sentence(
    rng: random.Random, layout: str, age: int | None, sex: str | None, inj: str, region: str
) -> str:
    diag = rng.choice(D.DIAGNOSES.get(region, D.DIAGNOSES["general"]))
    where = rng.choice(D.REGION_WORDS.get(region, D.REGION_WORDS["general"]))
    if layout == LAYOUT_A:
        hy = rng.choice(("year-old", "year old", "-year-old"))
        a = f"{age}-year-old" if hy == "-year-old" else f"{age} {hy}"
        return f"The patient is a {a} {sex} with a date of Injury of {inj}."
    if age is None and sex is None:
        return (
            f"The applicant is a represented  employee who has filed a claim for chronic {where} "
            f"pain reportedly associated with an industrial injury of {inj}."
        )
    if age is None:
        return f"The injured worker is a {sex}, who sustained an industrial injury on {inj}."
    r = rng.random()
    if r < 0.40:
        return f"The injured worker is a {age} year old {sex}, who sustained an industrial injury on {inj}."
    if r < 0.55:
        return f"The injured worker is a {age}-year-old {sex}, who sustained an industrial injury on {inj}."
    if r < 0.62:
        return f"The injured worker is a {age} year-old {sex} who sustained an industrial injury on {inj}."
    if r < 0.72:
        return f"This case involves a now {age}-year-old {sex} with a history of an occupational claim from {inj}."
    if r < 0.80:
        return (
            f"The applicant is a {age}-year-old {sex} who has filed a claim for chronic {where} pain "
            f"reportedly associated with an industrial injury of {inj}."
        )
    if r < 0.86:
        return f"This is a {age} year old {sex} who sustained an industrial injury on {inj}."
    if r < 0.92:
        return (
            f"According to medical records available for review, the injured worker is a "
            f"{age}-year-old {sex} who sustained a work-related injury on {inj}."
        )
    if r < 0.97:
        pron = "her" if sex == "female" else "his"
        return (
            f"This {age} year-old {sex} sustained an injury to {pron} {where} on {inj} while "
            f"employed by the ."
        )
    art = "an" if str(age)[0] == "8" or age in (11, 18) else "a"
    return f"The injured worker is {art} {age} year old {sex} with a diagnosis of {diag}, injured on {inj}."


def _series(words: list[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + ", and " + words[-1]


def _narrative(rng: random.Random, spec: Spec, drafts: list[Draft]) -> list[str]:
    he = {"male": "he", "female": "she"}.get(spec.sex or "", "the applicant")
    region = drafts[0].region if drafts[0].region in D.REGION_WORDS else "general"
    where = rng.choice(D.REGION_WORDS[region])
    diag = rng.choice(D.DIAGNOSES.get(region, D.DIAGNOSES["general"]))
    visit1 = _day_between(
        rng, max(spec.injury_date, spec.ur_denial_date - timedelta(days=400)), spec.ur_denial_date
    )
    visit2 = _day_between(rng, visit1, spec.ur_denial_date)
    meds = rng.sample(D.MEDS_MENTIONED, rng.randint(2, 5))
    tx = rng.sample(D.TREATMENTS, rng.randint(2, 4))
    sents: list[str] = []
    pool = [
        f"The mechanism of injury is detailed as {rng.choice(D.MECHANISMS)}.",
        f"The current diagnoses are documented as {diag} and {rng.choice(D.DIAGNOSES['general'])}.",
        f"Treatment to date has included {_series(tx)}.",
        f"Medications have included {_series(meds)}.",
        f"On {narrative_date(rng, visit1)}, {he} reported ongoing {where} pain rated {rng.randint(4, 9)}/10.",
        f"Physical examination revealed tenderness to palpation of the {where} with restricted range of motion.",
        f"Range of motion was noted with forward flexion at {rng.choice((90, 120, 150, 170))}° and extension at {rng.choice((10, 20, 30))}°.",
        f"Per the progress report dated {narrative_date(rng, visit2)}, the injured worker presented for follow-up regarding {where} pain.",
        f"An MRI of the {where} documented “mild degenerative changes without acute findings”.",
        f"Work status is {rng.choice(('modified duty', 'temporarily totally disabled', 'full duty', 'not specified'))}.",
        f"Sensation was decreased over the lateral forearm and strength was {rng.choice(('4/5', '5/5', '4+/5'))}.",
        "The note was handwritten and not altogether legible.",
        "Though the medical records were typed, it was blurry.",
        f"The treating provider noted that {he} had failed conservative treatment – including medications and therapy – over several months.",
        "The patient’s pain was reported as unchanged since the last visit.",
    ]
    if rng.random() < 0.03:
        pool.append("Request under consideratin include the treatment listed below.")
    k = rng.randint(3, 7)
    sents = rng.sample(pool, k)
    req = "; ".join(d.text for d in drafts[:3])
    sents.append(f"The treating physician requested authorization for the following: {req}.")
    sents.append(
        f"On {narrative_date(rng, spec.ur_denial_date)}, Utilization Review non-certified the request"
        + (
            " citing guidelines criteria and lack of medical necessity."
            if rng.random() < 0.5
            else "."
        )
    )
    return sents


# ---------------------------------------------------------------------------------------
# Rationales
# ---------------------------------------------------------------------------------------

_UPHELD_FINDINGS = (
    "There was no documentation of objective functional improvement with prior use.",
    "The records do not document a failed trial of first-line treatment.",
    "There was a lack of significant objective findings to support the request.",
    "The documentation does not establish that the patient has exhausted conservative care.",
    "The clinical information indicated the patient complained of continued pain without a change in symptoms.",
    "There were no exceptional factors to warrant the request outside of guidelines.",
    "The requested quantity exceeds guideline recommendations.",
    "No rationale for the request was proffered in the progress notes reviewed.",
)
_OVERTURNED_FINDINGS = (
    "The documentation supports objective functional improvement and reduction in pain with this treatment.",
    "The guideline criteria have been met in this case.",
    "The clinical findings are consistent with the indications outlined in the guidelines.",
    "The patient has failed an adequate course of conservative care, as documented in the records.",
    "There is documentation of specific functional goals and a plan for reassessment.",
)
_TAPER = (
    "This decision addresses the medical necessity of opioids as they have been prescribed to this "
    "injured worker. The medical necessity decision should not be interpreted as a recommendation "
    "to stop long-term opioids abruptly and the injured worker is advised to speak with their "
    "treating physician. The treating physician and the injured worker are advised to consult the "
    'MTUS Opioids Treatment Guidelines ("Tapering opioids"), and if necessary, other relevant '
    "guidelines, regarding the most appropriate method for weaning and terminating opioids for this "
    "injured worker."
)


def conclusion(rng: random.Random, decision: str, disputed: str, layout: str) -> str:
    """The rationale's conclusion sentence, always the same direction as the decision."""
    neg = "not " if decision == "upheld" else ""
    if layout == LAYOUT_A:
        return (
            f"MAXIMUS Federal Services, Inc. has determined the request for {disputed} is "
            f"{neg}medically necessary and appropriate."
        )
    r = rng.random()
    if r < 0.45:
        return f"Therefore, the request is {neg}medically necessary."
    if r < 0.75:
        return f"As such, the request for {disputed} is {neg}medically necessary."
    return f"Based on the above, the request for {disputed} is {neg}medically necessary."


# What a rationale calls the request, where the kind of request matters to the reader: a drug
# dispensed for an implanted pump says so (real letters do), or its route is unknowable.
_REQUEST_NOUN = {"anesthetic": "intrathecal pump refill"}


def _rationale(rng: random.Random, spec_layout: str, era: str, item: ItemSpec) -> str:
    d = item.draft
    if item.reviewer.primary == "none":  # always upheld
        a_or_d = spec_layout in (LAYOUT_A, LAYOUT_D)
        if d.ancillary and not a_or_d:
            return (
                "As the requested surgical intervention is not medically necessary per the "
                "documentation, the requested ancillary service is not medically necessary."
            )
        lead = (
            "As the requested surgical intervention is not medically necessary per the "
            "documentation, the associated service is not supported."
            if d.ancillary
            else "The submitted records do not provide sufficient information to establish the "
            f"need for this {_REQUEST_NOUN.get(d.profile, 'request')}."
        )
        return lead + " " + conclusion(rng, "upheld", item.disputed, spec_layout)
    profile = D.PROFILES[d.profile]
    says = rng.choice(profile["says"])
    parts = [f"{C.guideline_name(item.reviewer, era)} {says}."]
    pool = _UPHELD_FINDINGS if item.decision == "upheld" else _OVERTURNED_FINDINGS
    parts.extend(rng.sample(pool, rng.randint(1, 3)))
    parts.append(conclusion(rng, item.decision, item.disputed, spec_layout))
    return " ".join(parts)


# ---------------------------------------------------------------------------------------
# Modified requests
# ---------------------------------------------------------------------------------------


def _heading(rng: random.Random, d: Draft, allow_modified: bool) -> tuple[str, str, bool]:
    """(item_text, disputed_text, modified) for one draft."""
    if allow_modified and (d.mod1 or d.mod2) and rng.random() < 0.2:
        if d.mod1 and rng.random() < 0.8:
            x, y, z = d.mod1
            if rng.random() < 0.85:
                text = (
                    f"{x} was the original request. {y} was authorized by the Claims "
                    f"Administrator. The remaining IMR eligible portion of the original request, "
                    f"{z} is"
                )
            else:  # the " is" is sometimes missing
                text = (
                    f"{x} was the original request. {y} was authorized by the Claims "
                    f"Administrator. The remaining IMR eligible portion of the original request, {z}"
                )
            return text, z, True
        if d.mod2:
            x = d.text
            text = (
                f"{x} was the original request. The Claims Administrator authorized {d.mod2}, "
                f"leaving the original request IMR eligible. The original request, {x} is"
            )
            return text, x, True
    return d.text, d.text, False


# ---------------------------------------------------------------------------------------
# The spec
# ---------------------------------------------------------------------------------------


def _reviewer(
    rng: random.Random, layout: str, era: str
) -> tuple[list[str], list[str], list[str], bool]:
    sentence = layout in (LAYOUT_B1, LAYOUT_A, LAYOUT_D)
    if sentence:
        spec_ = _weighted(rng, D.SENTENCE_SPECIALTIES)
        written = spec_.replace(" & ", " and ")
        states = ["California"] if rng.random() < 0.75 else [_weighted(rng, D.STATES)]
        return [spec_], [written], states, True
    specs = list(_weighted(rng, D.SPECIALTY_SETS))
    written = list(specs)
    if "Sports Medicine" in written and rng.random() < 0.1:
        written[written.index("Sports Medicine")] = "Sports Medicinea"  # typo seen once
    n = _weighted(rng, ((1, 32), (2, 21), (3, 21)))
    states: list[str] = []
    if rng.random() < 0.63:
        states.append("California")
    while len(states) < n:
        s = _weighted(rng, D.STATES)
        if s not in states:
            states.append(s)
    rng.shuffle(states)
    return specs, written, states, False


def build_spec(rng: random.Random, layout: str) -> Spec:
    lo, hi, era = _ERA[layout]
    decided = _day_between(rng, lo, hi)
    assigned = decided - timedelta(days=int(rng.triangular(21, 39, 26)))
    received = assigned - timedelta(days=rng.randint(0, 18))
    ur = received - timedelta(days=rng.choice((0, 1, 3, 5, 7, 10, 14, 21, 28)))
    true_age = int(rng.triangular(21, 74, 47))
    if rng.random() < 0.4:
        inj = ur - timedelta(days=rng.randint(20, 360))
    else:  # an older claim, but never before the worker was 18
        inj = ur - timedelta(days=rng.randint(365, 365 * max(2, min(22, true_age - 18))))
    case_number = f"CM{decided.year % 100:02d}-{rng.randint(0, 9_999_999):07d}"
    sex = "male" if rng.random() < 0.56 else "female"
    age: int | None = true_age
    r = rng.random()
    if layout != LAYOUT_A:
        if r < 0.015:
            age, sex = None, None
        elif r < 0.035:
            age = None
    specs, written, states, sentence = _reviewer(rng, layout, era)

    # Items: D has one; others follow the real distribution.
    n = 1 if layout == LAYOUT_D else int(_weighted(rng, _N_ITEMS))
    ctx = {"dos": _day_between(rng, max(inj, ur - timedelta(days=300)), ur)}
    drafts: list[Draft] = []
    used_ancillaries: set[str] = set()
    seen: set[str] = set()
    while len(drafts) < n:
        if drafts and drafts[0].category == SURGERY and rng.random() < 0.7:
            d = ancillary(rng, drafts[0].region, used_ancillaries)
        else:
            d = draw_item(rng, ctx)
        if d.text in seen:
            continue
        seen.add(d.text)
        drafts.append(d)

    spec = Spec(
        layout=layout,
        era=era,
        case_number=case_number,
        decision_date=decided,
        date_assigned=assigned,
        application_received=received,
        ur_denial_date=ur,
        injury_date=inj,
        priority="expedited" if rng.random() < 0.01 else "standard",
        age=age,
        sex=sex,
        specialties=specs,
        specialties_written=written,
        states=states,
        sentence_form=sentence,
        patient_sentence="",
        narrative=[],
        narrative_injury_date=inj,
    )
    region0 = drafts[0].region if drafts[0].region in D.REGION_WORDS else "general"
    inj_text = narrative_date(rng, inj)
    if layout == LAYOUT_A:
        inj_text = f"{inj.month}/{inj.day}/{inj.year}"  # A: as in the 2013 letter
    spec.patient_sentence = _patient_sentence(rng, layout, age, sex, inj_text, region0)
    spec.narrative = _narrative(rng, spec, drafts)

    surgery_upheld = True
    allow_modified = layout not in (LAYOUT_A, LAYOUT_D)
    for d in drafts:
        heading, disputed, modified = _heading(rng, d, allow_modified)
        if d.ancillary:
            rv_kind = (
                "none"
                if (surgery_upheld and rng.random() < 0.85)
                else C.draw_kind(rng, C.REVIEWER_KINDS)
            )
            ca_kind = "none" if rng.random() < 0.8 else C.draw_kind(rng, C.CA_KINDS)
        else:
            rv_kind = "none" if rng.random() < 0.012 else C.draw_kind(rng, C.REVIEWER_KINDS)
            ca_kind = C.draw_kind(rng, C.CA_KINDS)
        if layout == LAYOUT_D:
            ca_kind = "none"  # D does not state the claims administrator's guideline
        ca = C.build(rng, era, "ca", ca_kind, d.profile, d.region, d.drug, decided)
        rv = C.build(rng, era, "reviewer", rv_kind, d.profile, d.region, d.drug, decided)
        if rv.primary == "none":
            decision = "upheld"  # every no-evidence item in the real letters was upheld
        elif d.ancillary:
            decision = "upheld" if surgery_upheld or rng.random() < 0.3 else "overturned"
        else:
            decision = "overturned" if rng.random() < OVERTURN_P[d.category] else "upheld"
        if d.category == SURGERY and not d.ancillary and d is drafts[0]:
            surgery_upheld = decision == "upheld"
        item = ItemSpec(heading, disputed, modified, d, decision, ca, rv, "")
        item.rationale = _rationale(rng, layout, era, item)
        if (
            era == "mtus2016"
            and d.drug_class == "opioid"
            and decision == "upheld"
            and rng.random() < 0.6
        ):
            item.rationale_tail = _TAPER
        spec.items.append(item)

    # Sometimes the narrative states a different injury date than the header; the header
    # wins where it is printed (decided by the renderer, which knows the style).
    if rng.random() < 0.02:
        spec.narrative_injury_date = (
            inj.replace(year=inj.year - 1) if not (inj.month == 2 and inj.day == 29) else inj
        )

    if layout in (LAYOUT_C, LAYOUT_D):
        spec.documents = _documents(rng, spec)
    return spec


def _documents(rng: random.Random, spec: Spec) -> list[str]:
    out = []
    for prov in rng.sample(D.PROVIDERS, rng.randint(2, 5)):
        a = _day_between(
            rng,
            max(spec.injury_date, spec.ur_denial_date - timedelta(days=700)),
            spec.ur_denial_date,
        )
        b = _day_between(rng, a, spec.ur_denial_date)
        out.append(f"Medical records from {prov}, dates of service {a:%m/%d/%Y} – {b:%m/%d/%Y}")
    out.append(f"Utilization review determination dated {spec.ur_denial_date:%m/%d/%Y}")
    out.append(
        f"Application for Independent Medical Review received {spec.application_received:%m/%d/%Y}"
    )
    return out
