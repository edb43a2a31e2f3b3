"""Each layout and extraction artefact of letter-formats.md, on small hand-written letters."""

from __future__ import annotations

from datetime import date

import pytest

from imr_analytics.parse import Letter, ParseFailure, parse_letter

HOW = """HOW THE IMR FINAL DETERMINATION WAS MADE
MAXIMUS Federal Services sent the complete case file to an expert reviewer. He/she has no
affiliation with the employer, employee, providers or the claims administrator.
The Expert Reviewer has the following credentials:
State(s) of Licensure: California,North Carolina
Certification(s)/Specialty: Preventive Medicine, Occupational Medicine, Public Health &
General Preventive Medicine
CLINICAL CASE SUMMARY
The expert reviewer developed the following clinical case summary based on a review of the
case file, including all medical records:
The injured worker is a 48 year old male, who sustained an industrial injury on 10-13-16. He
reports low back pain.
IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:
"""

HEADER_RAW = """Case Number: CM16-0213037
Date Assigned: 11/09/2016 Date of Injury: 10/13/2016
Decision Date: 12/09/2016 UR Denial Date: 11/03/2016
Priority: Standard Application
Received:
11/04/2016
"""

HEADER_COLUMNS = """Case Number:
Date Assigned:
Decision Date:
Priority:
CM16-0213037
11/09/2016
12/09/2016
Standard
Date of Injury:
UR Denial Date:
Application
Received:
10/13/2016
11/03/2016
11/04/2016
"""

ITEMS = """Lumbar MRI without contrast: Upheld
Claims Administrator guideline: The Claims Administrator did not cite any medical evidence for its
decision.
MAXIMUS guideline: Decision based on MTUS Low Back Complaints 2004, Section(s): Special Studies,
Summary, and Forearm, Wrist, and Hand Complaints 2004, Section(s): 3.3.9 Opioids: Maintenance.
Decision rationale: Imaging is not indicated. The request is not medically necessary.
Oxycodone HCL ER 20mg #60 day supply: 30 was the original request. Oxycodone HCL ER 20mg #30
was authorized by the Claims Administrator. The remaining IMR eligible portion of the original
request, Oxycodone HCL ER 20mg #30 is: Overturned
Claims Administrator guideline: The Claims Administrator based their decision on recommendation(s)
outside of the MTUS Guidelines. Decision based on Non-MTUS Citation Official Disability Guidelines
(ODG), Pain Chapter.
MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Opioids,
criteria for use. Decision based on Non-MTUS Citation ACOEM Occupational Medicine Practice
Guidelines, 3rd ed., Low Back Disorders, pg. 607.
Decision rationale: Function improved. The request is medically necessary.
Associated surgical service: Shoulder sling with abduction pillow for the right
shoulder:
Upheld
Claims Administrator guideline: Decision based on Non-MTUS Citation http://www.drugs.com/sling.html.
MAXIMUS guideline: The Expert Reviewer did not cite any medical evidence for its decision.
Decision rationale: As the surgery is not medically necessary, neither is the sling.
"""


def _ok(text: str) -> Letter:
    result = parse_letter(text)
    assert isinstance(result, Letter), result
    return result


@pytest.mark.parametrize(
    "header", [HEADER_RAW, HEADER_COLUMNS], ids=["label-value", "column-major"]
)
def test_b4_header_pairs_labels_and_values_in_either_order(header: str) -> None:
    letter = _ok(header + HOW + ITEMS)
    assert letter.layout.startswith("B4")
    assert letter.case_number == "CM16-0213037"
    assert letter.date_assigned == date(2016, 11, 9)
    assert letter.decision_date == date(2016, 12, 9)
    assert letter.injury_date == date(2016, 10, 13)
    assert letter.ur_denial_date == date(2016, 11, 3)
    assert letter.application_received == date(2016, 11, 4)
    assert letter.priority == "standard"


def test_credentials_block_with_wrapped_specialty_and_unspaced_states() -> None:
    letter = _ok(HEADER_RAW + HOW + ITEMS)
    assert letter.reviewer_licensure == ("California", "North Carolina")
    assert letter.reviewer_specialties == (
        "Preventive Medicine",
        "Occupational Medicine",
        "Public Health & General Preventive Medicine",
    )
    assert (letter.patient_age, letter.patient_sex) == (48, "male")
    assert letter.case_summary.startswith("The injured worker is a 48 year old male")


def test_items_colons_modified_request_and_outcome_on_next_line() -> None:
    items = _ok(HEADER_RAW + HOW + ITEMS).items
    assert [i.decision for i in items] == ["upheld", "overturned", "upheld"]
    first, second, third = items
    assert first.item_text == "Lumbar MRI without contrast"
    assert first.ca_guideline_sources == ["none"]
    assert first.mtus_chapters("reviewer") == [
        "Low Back Complaints 2004",
        "Forearm, Wrist, and Hand Complaints 2004",
    ]
    assert first.reviewer_citations[0].sections == "Special Studies, Summary"
    assert first.reviewer_citations[1].sections == "3.3.9 Opioids: Maintenance"
    assert second.modified_request is True
    assert second.item_text.endswith("Oxycodone HCL ER 20mg #30 is")
    assert second.disputed_text == "Oxycodone HCL ER 20mg #30"
    assert second.ca_guideline_sources == ["ODG"]
    assert second.reviewer_guideline_sources == ["MTUS", "ACOEM"]
    assert second.reviewer_guideline_pages == "607"
    assert (
        third.item_text
        == "Associated surgical service: Shoulder sling with abduction pillow for the right shoulder"
    )
    assert third.ca_guideline_sources == ["other"]
    assert third.reviewer_guideline_sources == ["none"]
    assert third.rationale.startswith("As the surgery")


def test_form_feed_inside_heading_and_crlf() -> None:
    text = (HEADER_RAW + HOW + ITEMS).replace(
        "Oxycodone HCL ER 20mg #30\nwas", "Oxycodone HCL ER 20mg #30\fwas"
    )
    letter = _ok(text.replace("\n", "\r\n"))
    assert letter.items[1].disputed_text == "Oxycodone HCL ER 20mg #30"


def test_seed_style_double_spacing_without_header() -> None:
    body = HOW + ITEMS
    spaced = "".join(f" {line} \n\n" for line in body.split("\n")) + " \n"
    letter = _ok(spaced)
    assert letter.case_number is None and letter.decision_date is None
    assert letter.injury_date == date(2016, 10, 13)  # from the narrative, 2-digit year
    assert len(letter.items) == 3


def test_markdown_conversion() -> None:
    md = """|                       |              |  |  |
|-----------------------|--------------|--|--|
| <b>Case Number:</b>   | CM15-0171547 |  |  |
| <b>Date Assigned:</b> | 09/11/2015   | <b>Date of Injury:</b>       | 06/27/2000 |
| <b>Decision Date:</b> | 10/13/2015   | <b>UR Denial Date:</b>       | 08/05/2015 |
| <b>Priority:</b>      | Standard     | <b>Application Received:</b> | 08/31/2015 |

### HOW THE IMR FINAL DETERMINATION WAS MADE

The Expert Reviewer has the following credentials:<BR>
 State(s) of Licensure: Connecticut, California, Virginia<BR>
 Certification(s)/Specialty: Preventive Medicine, Occupational Medicine

### CLINICAL CASE SUMMARY

The injured worker is a 58 year old female, who sustained an industrial injury on 6-27-2000.

### IMR ISSUES, DECISIONS AND RATIONALES

**IT Pain Pump Trial:** Upheld

**Claims Administrator guideline:** Decision based on MTUS Chronic Pain Medical Treatment 2009.

**MAXIMUS guideline:** Decision based on MTUS Chronic Pain Medical Treatment 2009, Section(s): Implantable drug-delivery systems (IDDSs), Intrathecal drug delivery systems, medications.

**Decision rationale:** Not medically necessary.
""".replace("<BR>", "  ")  # markdown line breaks: two trailing spaces
    letter = _ok(md)
    assert letter.layout.startswith("B3")
    assert letter.case_number == "CM15-0171547"
    assert letter.application_received == date(2015, 8, 31)
    assert letter.injury_date == date(2000, 6, 27)
    assert letter.reviewer_licensure == ("Connecticut", "California", "Virginia")
    item = letter.items[0]
    assert item.item_text == "IT Pain Pump Trial"
    assert item.mtus_chapters("reviewer") == ["Chronic Pain Medical Treatment 2009"]


def test_b1_board_sentence_and_pages_form() -> None:
    text = """HOW THE IMR FINAL DETERMINATION WAS MADE
MAXIMUS Federal Services sent the complete case file to an expert reviewer. The expert
reviewer is Board Certified in Physical Medicine and Rehabilitation and is licensed to practice in
California. He/she has been in active clinical practice for more than five years.
CLINICAL CASE SUMMARY
This 43 year-old female sustained an injury on 12/3/2001 while employed by the . Request under
consideratin include OUTPATIENT ITT PUMP IMPLANT.
IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:
OUTPATIENT ITT PUMP IMPLANT:  Upheld
Claims Administrator guideline: Decision based on MTUS Chronic Pain Treatment Guidelines
Pain Pump Section.
MAXIMUS guideline: Decision based on MTUS Chronic Pain Treatment Guidelines Pain
Pump Section Page(s): 52-54.
Decision rationale: The outpatient itt pump implant is not medically necessary and
appropriate.
"""
    letter = _ok(text)
    assert letter.layout.startswith("B1")
    assert letter.reviewer_specialties == ("Physical Medicine and Rehabilitation",)
    assert letter.reviewer_licensure == ("California",)
    assert (letter.patient_age, letter.patient_sex, letter.injury_date) == (
        43,
        "female",
        date(2001, 12, 3),
    )
    assert letter.items[0].item_text == "OUTPATIENT ITT PUMP IMPLANT"
    assert letter.items[0].reviewer_guideline_pages == "52-54"


@pytest.mark.parametrize(
    ("sentence", "age", "sex"),
    [
        ("The injured worker is a 54-year-old female who was injured on 3/15/12.", 54, "female"),
        (
            "This case involves a now 36-year-old female with a history of an occupational claim.",
            36,
            "female",
        ),
        ("The applicant is a 34-year-old male who has filed a claim.", 34, "male"),
        (
            "The injured worker is a male, who sustained an industrial injury on 7-4-2001.",
            None,
            "male",
        ),
        ("The applicant is a represented  employee who has filed a claim.", None, None),
        ("The injured worker is a(n) 46 year old female.", 46, "female"),
    ],
)
def test_patient_age_and_sex_phrasings(sentence: str, age: int | None, sex: str | None) -> None:
    letter = _ok(
        HEADER_RAW
        + HOW.replace(
            "The injured worker is a 48 year old male, who sustained an industrial injury on 10-13-16. He",
            sentence,
        )
        + ITEMS
    )
    assert (letter.patient_age, letter.patient_sex) == (age, sex)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("an industrial injury of October 10, 2015.", date(2015, 10, 10)),
        ("an industrial injury on September 6,\n2013.", date(2013, 9, 6)),
        ("an industrial injury on 10/14/ 2016.", date(2016, 10, 14)),
        ("an industrial injury on 10-1-2016.", date(2016, 10, 1)),
    ],
)
def test_narrative_injury_dates_when_no_header(phrase: str, expected: date) -> None:
    body = HOW.replace("an industrial injury on 10-13-16. He", phrase)
    assert _ok(body + ITEMS).injury_date == expected


def test_layout_a_2013_notice() -> None:
    text = """MAXIMUS FEDERAL SERVICES, INC.
Independent Medical Review
Notice of Independent Medical Review Determination
Dated: 9/26/2013
IMR Case Number: CM13-0012345
1) MAXIMUS Federal Services, Inc. has determined the request for lumbar MRI is notmedically
necessary and appropriate.
2) MAXIMUS Federal Services, Inc. has determined the request for physical therapy x 6 is medically
necessary and appropriate.
An application for Independent Medical Review was filed on 9/6/2013 disputing the Utilization
Review Denial dated 8/30/2013. A Notice of Assignment and Request for Information was provided to
the above parties on 9/23/2013.
Medical Qualifications of the Expert Reviewer:
The physician reviewer is Board Certified in Occupational Medicine and is licensed to practice in
California.
Case Summary:
Disclaimer: The following case summary was taken directly from the utilization review
denial/modification dated August 30, 2013.
"The patient is a 44 year-old female with a date of Injury of 8/28/2001."
INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE
1) Regarding the request for lumbar MRI:
Medical Treatment Guideline(s) Used by the Claims Administrator:
Decision based on MTUS Low Back Complaints 2004.
Medical Treatment Guideline(s) Used by the Expert Reviewer:
Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Low Back.
Rationale for the Decision:
No red flags. The request is not medically necessary.
1) MAXIMUS Federal Services, Inc. has determined the request for lumbar MRI is not medically
necessary and appropriate.
"""
    letter = _ok(text)
    assert letter.layout.startswith("A_2013")
    assert letter.case_number == "CM13-0012345"
    assert letter.decision_date == date(2013, 9, 26)
    assert (letter.application_received, letter.ur_denial_date, letter.date_assigned) == (
        date(2013, 9, 6),
        date(2013, 8, 30),
        date(2013, 9, 23),
    )
    assert [(i.item_text, i.decision) for i in letter.items] == [
        ("lumbar MRI", "upheld"),
        ("physical therapy x 6", "overturned"),
    ]
    assert letter.items[0].ca_guideline_sources == ["MTUS"]
    assert letter.items[0].reviewer_guideline_sources == ["ODG"]
    assert letter.items[1].reviewer_guideline_sources == []  # no block: unknown, not "none"
    assert (letter.patient_age, letter.patient_sex, letter.injury_date) == (
        44,
        "female",
        date(2001, 8, 28),
    )
    assert letter.reviewer_specialties == ("Occupational Medicine",)


def test_layout_c_documents_reviewed() -> None:
    text = (
        "MAXIMUS FEDERAL SERVICES, INC.\nIndependent Medical Review\n"
        + HEADER_RAW.replace("UR Denial Date: ", "UR Denial Date:  ")
        + HOW.split("CLINICAL CASE SUMMARY")[0]
        + "DOCUMENTS REVIEWED\nDr. A, 01/02/2015 - 03/04/2015\nCLINICAL CASE SUMMARY"
        + HOW.split("CLINICAL CASE SUMMARY")[1].replace(
            "IMR ISSUES, DECISIONS AND RATIONALES", "IMR DECISION(S) AND RATIONALE(S)"
        )
        + ITEMS
    )
    letter = _ok(text)
    assert letter.layout.startswith("C_")
    assert len(letter.items) == 3 and letter.ur_denial_date == date(2016, 11, 3)


def test_layout_d_infers_outcome_from_rationale_or_refuses() -> None:
    text = """MEDICAL PROFESSIONAL REVIEW
Case Number: CM15-0123456
ISSUE AT DISPUTE:
Acupuncture x 6
CASE SUMMARY:
The injured worker is a 51 year old female.
DOCUMENTS REVIEWED FOR DETERMINATION:
Reports.
MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL
REVIEWER AND WHY:
Decision based on MTUS Acupuncture Treatment 2007.
RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT
MEDICALLY NECESSARY:
Guidelines allow a trial. The request is medically necessary.
MEDICAL REVIEWER QUALIFICATIONS:
The physician reviewer is Board Certified in Family Practice and is licensed to practice in Texas.
"""
    letter = _ok(text)
    assert letter.layout.startswith("D_")
    assert letter.items[0].decision == "overturned"
    assert letter.items[0].ca_guideline_sources == []
    assert letter.reviewer_licensure == ("Texas",)
    silent = parse_letter(text.replace("The request is medically necessary.", "See above."))
    assert isinstance(silent, ParseFailure) and silent.reason == "outcome_not_stated"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty_text"),
        ("   \n\f  ", "empty_text"),
        ("Quarterly sales report\nRevenue rose.", "not_an_imr_letter"),
        ("Independent Medical Review summary with no structure", "unknown_layout"),
        (
            HEADER_RAW + "HOW THE IMR FINAL DETERMINATION WAS MADE\nCLINICAL CASE SUMMARY\nText.",
            "missing_section",
        ),
        (HEADER_RAW + HOW + "Nothing here.", "no_items"),
        (HEADER_RAW + HOW + ITEMS.replace(": Upheld", ": Modified", 1), "unknown_outcome"),
    ],
)
def test_failures_are_named_not_guessed(text: str, reason: str) -> None:
    result = parse_letter(text)
    assert isinstance(result, ParseFailure)
    assert result.reason == reason
    assert result.detail


def test_heading_after_abbreviation_and_after_a_rationale_missing_its_period() -> None:
    items = ITEMS.replace(
        "Decision rationale: Imaging is not indicated. The request is not medically necessary.\n",
        "Decision rationale: Imaging is not indicated. The request is not medically\nnecessary\n"
        "Lidoderm 5% patches, Qty.\n30 with 2 refills: Upheld\n"
        "Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016.\n"
        "MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016.\n"
        "Decision rationale: Not indicated. The request is not medically necessary.\n",
    )
    letter = _ok(HEADER_RAW + HOW + items)
    assert [i.item_text for i in letter.items[:2]] == [
        "Lumbar MRI without contrast",
        "Lidoderm 5% patches, Qty. 30 with 2 refills",
    ]
    assert letter.items[0].rationale.endswith("not medically necessary")


def test_pdfium_line_end_hyphen_mark_becomes_a_hyphen() -> None:
    text = (
        HEADER_RAW
        + HOW
        + ITEMS.replace(
            "Decision based on Non-MTUS Citation Official",
            "Decision based on Non\ufffeMTUS Citation Official",
        )
    )
    letter = _ok(text.replace("He\nreports", "He x\uffferay\nreports"))
    assert letter.items[1].ca_guideline_sources == ["ODG"]
    assert "\ufffe" not in letter.case_summary and "x-ray" in letter.case_summary


def test_second_modified_template_wrapped_before_the_original_request() -> None:
    items = (
        "Psychiatric evaluation was the original request. The Claims Administrator authorized an Evaluation\n"
        "only for a Psychiatric evaluation, leaving the original request IMR eligible.\n"
        "The original request, Psychiatric evaluation is: Overturned\n"
        "Claims Administrator guideline: Decision based on MTUS Stress-Related Conditions 2004.\n"
        "MAXIMUS guideline: Decision based on MTUS Stress-Related Conditions 2004.\n"
        "Decision rationale: Indicated. The request is medically necessary.\n"
    )
    item = _ok(HEADER_RAW + HOW + ITEMS + items).items[3]
    assert item.item_text.startswith("Psychiatric evaluation was the original request.")
    assert item.item_text.endswith("The original request, Psychiatric evaluation is")
    assert (item.disputed_text, item.modified_request, item.decision) == (
        "Psychiatric evaluation",
        True,
        "overturned",
    )
