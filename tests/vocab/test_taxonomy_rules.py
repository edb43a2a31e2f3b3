"""Unit tests of the taxonomy rules: the doc's examples, its doubt rules, and realistic requests.

The strings are written from docs/treatment-taxonomy.md and common US workers' comp requests,
not copied from the labelled letters: several per rule, to show each rule is general.
"""

from __future__ import annotations

import pytest

from imr_analytics.vocab import DRUG_CLASSES, ITEM_CATEGORIES, classify_item

RX = "Pharmaceuticals"
REHAB = "Rehabilitation Services"
DIAG = "Diagnostic Tests"
DME = "DMEPOS"
SURG = "Surgery"
INJ = "Injections"
EM = "Evaluation and Management"
BMH = "Behavioral and Mental Health"
PROG = "Programs"
HHT = "Home Health and Transportation"

DOC_TABLE_EXAMPLES = [
    ("Norco 10/325mg #120", RX, "opioid"),
    ("Hydromorphone 40mg", RX, "opioid"),
    ("Flector patch", RX, "topical analgesic"),
    ("Compound cream: Flurbiprofen/Lidocaine", RX, "compound"),
    ("Bupivacaine HCL 20mg", RX, "anesthetic"),
    ("Post-op physical therapy 2 times a week for 4 weeks", REHAB, None),
    ("Acupuncture x 6", REHAB, None),
    ("Chiropractic manipulation 8 sessions", REHAB, None),
    ("MRI of the right shoulder without contrast", DIAG, None),
    ("EMG/NCV bilateral lower extremities", DIAG, None),
    ("Labs to include: EKG", DIAG, None),
    ("Urine drug screen", DIAG, None),
    ("30 day rental of IF unit", DME, None),
    ("Associated surgical service: Shoulder sling with abduction pillow", DME, None),
    ("Pump kit and Analy pump", DME, None),
    ("Purchase of Pain pump", DME, None),
    ("Cold compression therapy 30 day rental", DME, None),
    ("Right shoulder arthroscopy RCR (rotator cuff repair) and decompression", SURG, None),
    ("OUTPATIENT ITT PUMP IMPLANT", SURG, None),
    ("L4-L5 lumbar fusion", SURG, None),
    ("Pain pump for the lumbar spine", SURG, None),
    ("Lumbar ESI L4-5", INJ, None),
    ("Trigger point injections x 4", INJ, None),
    ("IT Pain Pump Trial", INJ, None),
    ("Follow-up visit in 6 weeks", EM, None),
    ("Referral to pain management", EM, None),
    ("Medical Clearance", EM, None),
    ("Cognitive behavioral therapy 6 sessions", BMH, None),
    ("Psychological evaluation", BMH, None),
    ("28 day functional restoration program", PROG, None),
    ("Weight loss program", PROG, None),
    ("Home health care 4 hours a day", HHT, None),
    ("Transportation to and from appointments", HHT, None),
]

# (text, category, drug_class, the doubt it settles)
DOUBT_RULES = [
    (
        "Hydromorphone 40mg for pump refill",
        RX,
        "opioid",
        "dispensed drug is Pharmaceuticals whatever the route",
    ),
    ("Intrathecal pump refill with bupivacaine", RX, "anesthetic", "pump refill names its drug"),
    ("Intrathecal pump refill", RX, "other", "pump refill without a drug"),
    (
        "injection 5cc of lidocaine and 1cc of dexamethasone to the right knee",
        INJ,
        None,
        "injection procedure naming its drug",
    ),
    ("Toradol 60mg IM injection", INJ, None, "injection procedure naming its drug"),
    (
        "Kenalog 40mg injection to the left shoulder",
        INJ,
        None,
        "injection procedure naming its drug",
    ),
    ("Synapryn 10mg/ml oral suspension 500ml", RX, "compound", "oral compounding kit is compound"),
    ("Tabradol 1mg/ml oral suspension 250ml", RX, "compound", "oral compounding kit is compound"),
    ("Ketophene 20% cream 165gm", RX, "compound", "compounding kit is compound"),
    ("Fanatrex 25mg/ml 420ml", RX, "compound", "compounding kit is compound"),
    ("Terocin patches #30", RX, "topical analgesic", "manufactured multi-ingredient topical"),
    (
        "Terocin lotion (methyl salicylate 25%/capsaicin 0.025%/menthol 10%/lidocaine 2.5%)",
        RX,
        "topical analgesic",
        "manufactured, even with its ingredients listed",
    ),
    ("Lidopro ointment 121gm", RX, "topical analgesic", "manufactured multi-ingredient topical"),
    ("Salonpas patches #20", RX, "topical analgesic", "manufactured multi-ingredient topical"),
    ("Butrans 10mcg/hr patch #4", RX, "opioid", "buprenorphine patch is opioid"),
    ("Lidoderm 5% patch #30", RX, "topical analgesic", "Lidoderm is topical"),
    ("Voltaren gel 1% 100gm", RX, "topical analgesic", "topical diclofenac"),
    ("Diclofenac sodium 1.5% topical solution", RX, "topical analgesic", "topical diclofenac"),
    ("Diclofenac ER 100mg #60", RX, "NSAID", "oral diclofenac"),
    ("Voltaren 75mg #60", RX, "NSAID", "oral Voltaren"),
    ("Ativan 1mg #30", RX, "other", "benzodiazepine is other"),
    ("Clonazepam 0.5mg #60", RX, "other", "benzodiazepine is other"),
    ("Famotidine 20mg #60", RX, "other", "H2 blocker is other"),
    ("Pepcid 40mg #30", RX, "other", "H2 blocker is other"),
    ("Ranitidine 150mg #60", RX, "other", "H2 blocker is other"),
    ("Nortriptyline 10mg #30", RX, "antidepressant", "nortriptyline is antidepressant"),
    ("Chiropractic re-evaluation", REHAB, None, "chiropractor evaluation is Rehabilitation"),
    (
        "Physical therapy evaluation of the lumbar spine",
        REHAB,
        None,
        "PT evaluation is Rehabilitation",
    ),
    ("Referral to a physical therapist", REHAB, None, "PT referral is Rehabilitation"),
    ("Referral to orthopedic surgeon", EM, None, "physician referral is E&M"),
    ("Dental evaluation and treatment", EM, None, "dental is E&M"),
    (
        "Electrical stimulation 2 times a week for 4 weeks",
        REHAB,
        None,
        "in-office e-stim is a session",
    ),
    ("Extracorporeal shockwave therapy x 3", REHAB, None, "shockwave is a session"),
    ("Gym membership x 6 months", REHAB, None, "gym membership is Rehabilitation"),
    ("TENS unit purchase", DME, None, "the unit is DMEPOS"),
    ("Interferential unit 30 day rental", DME, None, "the unit is DMEPOS"),
    ("Ergonomic workstation", DME, None, "a workstation is DMEPOS"),
    ("Biofeedback 6 sessions", BMH, None, "biofeedback is Behavioral"),
    (
        "Physical therapy with biofeedback 12 sessions",
        BMH,
        None,
        "biofeedback inside a therapy package",
    ),
    (
        "Psychiatric partial hospitalization program",
        BMH,
        None,
        "partial hospitalization is Behavioral",
    ),
    (
        "Skilled nursing facility stay with physical therapy x 14 days",
        HHT,
        None,
        "SNF stay even naming therapy",
    ),
    ("Inpatient rehabilitation facility admission", HHT, None, "inpatient rehab stay"),
    ("Grip strength testing", DIAG, None, "measurement is Diagnostic"),
    ("Computerized range of motion testing", DIAG, None, "measurement is Diagnostic"),
    (
        "Associated surgical service: Pre-op labs: CBC, CMP",
        DIAG,
        None,
        "ancillary classified by what it is",
    ),
    (
        "Associated surgical service: Cold therapy unit, 7 day rental",
        DME,
        None,
        "ancillary classified by what it is",
    ),
    (
        "Associated surgical service: Post-operative physical therapy x 12",
        REHAB,
        None,
        "ancillary classified by what it is",
    ),
    ("Associated surgical service: Assistant surgeon", SURG, None, "surgical assistant is Surgery"),
    (
        "Associated surgical service: Medical clearance",
        EM,
        None,
        "ancillary classified by what it is",
    ),
    ("Spinal cord stimulator trial", INJ, None, "trial of an implanted device"),
    ("Trial of intrathecal morphine pump", INJ, None, "trial of an implanted device"),
    ("Spinal cord stimulator implant", SURG, None, "permanent implant is Surgery"),
    ("Permanent intrathecal pump placement", SURG, None, "permanent implant is Surgery"),
    ("H-wave unit 30 day trial", DME, None, "a trial of a rented device is still DMEPOS"),
    ("Pump refill kit", DME, None, "pump kits are DMEPOS"),
    ("Intrathecal pump refill kit", DME, None, "pump kits are DMEPOS"),
    ("Refill kit for the pain pump", DME, None, "pump kits are DMEPOS"),
]

# Realistic requests per category and class, beyond the doc's own examples.
GENERAL_EXAMPLES = [
    # opioids
    ("Oxycodone HCL ER 20mg #60 day supply: 30", RX, "opioid"),
    ("Oxycodone extended release 20mg #60", RX, "opioid"),
    ("Percocet 5/325mg #90", RX, "opioid"),
    ("OxyContin 40mg #60", RX, "opioid"),
    ("Ultram 50mg #120", RX, "opioid"),
    ("Nucynta ER 100mg #60", RX, "opioid"),
    ("MS Contin 30mg #60", RX, "opioid"),
    ("Fentanyl patch 25mcg #10", RX, "opioid"),
    ("Methadone 10mg #90", RX, "opioid"),
    ("Tylenol #3 #60", RX, "opioid"),
    ("Hydrocodone/APAP 10/325mg #90", RX, "opioid"),
    ("Trezix capsule 320.5/30/16mg #60", RX, "opioid"),
    ("Suboxone 8/2mg film #30", RX, "opioid"),
    # muscle relaxants
    ("Retrospective Cyclobenzaprine 5mg tab #30 DOS: 11/14/16", RX, "muscle relaxant"),
    ("Flexeril 10mg #30", RX, "muscle relaxant"),
    ("Fexmid 7.5mg #60", RX, "muscle relaxant"),
    ("Soma 350mg #60", RX, "muscle relaxant"),
    ("Tizanidine 4mg #60", RX, "muscle relaxant"),
    ("Robaxin 750mg #90", RX, "muscle relaxant"),
    ("Orphenadrine ER 100mg #60", RX, "muscle relaxant"),
    # oral NSAIDs
    ("Anaprox DS 550mg #60", RX, "NSAID"),
    ("Celebrex 200mg #30", RX, "NSAID"),
    ("Mobic 15mg #30", RX, "NSAID"),
    ("Etodolac ER 400mg #30", RX, "NSAID"),
    ("Nabumetone 750mg #60", RX, "NSAID"),
    ("Ketoprofen 75mg #90", RX, "NSAID"),
    # topicals
    ("Pennsaid 2% solution", RX, "topical analgesic"),
    ("Lidocaine 5% patches #30", RX, "topical analgesic"),
    ("Menthoderm gel 120ml", RX, "topical analgesic"),
    ("Capsaicin 0.075% cream", RX, "topical analgesic"),
    # compounds: several ingredients with percentages, or an oral-only drug in a cream
    ("Flurbiprofen 20%/Baclofen 5%/Lidocaine 4% cream 180gm", RX, "compound"),
    ("Gabapentin 10%, Cyclobenzaprine 5%, Lidocaine 5% in cream base", RX, "compound"),
    ("Cyclobenzaprine 2% / Flurbiprofen 25% 180gm", RX, "compound"),
    ("Ketoprofen 20% cream 120gm", RX, "compound"),
    (
        "Amitriptyline 10%/Gabapentin 10%/Bupivacaine 5%/Hyaluronic acid 0.2% in cream base",
        RX,
        "compound",
    ),
    # other classes
    ("Gabapentin 600mg #90", RX, "anticonvulsant"),
    ("Lyrica 75mg #60", RX, "anticonvulsant"),
    ("Topamax 25mg #60", RX, "anticonvulsant"),
    ("Cymbalta 60mg #30", RX, "antidepressant"),
    ("Amitriptyline 25mg #30", RX, "antidepressant"),
    ("Trazodone 50mg #30", RX, "antidepressant"),
    ("Ambien 10mg #30", RX, "sleep aid"),
    ("Zolpidem ER 12.5mg #30", RX, "sleep aid"),
    ("Lunesta 3mg #30", RX, "sleep aid"),
    ("Omeprazole 20mg #60", RX, "proton pump inhibitor"),
    ("Prilosec 20mg #30", RX, "proton pump inhibitor"),
    ("Nexium 40mg #30", RX, "proton pump inhibitor"),
    ("Marcaine 0.5% for pump", RX, "anesthetic"),
    ("Sildenafil 100mg #10", RX, "other"),
    ("Colace 100mg #60", RX, "other"),
    ("Ondansetron ODT 4mg #10", RX, "other"),
    ("Theramine #120", RX, "other"),
    ("Movantik 25mg #30", RX, "other"),
    ("Unknownium 10mg #30", RX, "other"),
    # injections
    ("Bilateral L4-5 medial branch blocks", INJ, None),
    ("Radiofrequency ablation L3-L5", INJ, None),
    ("Synvisc-One injection right knee", INJ, None),
    ("Botox 200 units", INJ, None),
    ("Right SI joint injection under fluoroscopy", INJ, None),
    ("Stellate ganglion block", INJ, None),
    ("Ultrasound guided injection of the right shoulder", INJ, None),
    ("Percutaneous epidural neuroplasty", INJ, None),
    ("Lumbar facet rhizotomy", INJ, None),
    ("Injection of neurolytic substance, cervical spine", INJ, None),
    # surgery
    ("Left carpal tunnel release", SURG, None),
    ("Right total knee arthroplasty", SURG, None),
    ("L5-S1 microdiscectomy", SURG, None),
    ("Inpatient stay x 2 days", SURG, None),
    ("ACDF C5-6", SURG, None),
    ("Removal of hardware, right ankle", SURG, None),
    ("Manipulation under anesthesia of the left shoulder", SURG, None),
    ("Right knee partial meniscectomy", SURG, None),
    ("PA-C assist", SURG, None),
    ("Right lateral epicondyle release", SURG, None),
    ("Extensor tendon release, left elbow", SURG, None),
    ("Release of the first dorsal compartment", SURG, None),
    ("Left carpal tunnel release, endoscopic", SURG, None),
    ("Endoscopic cubital tunnel release", SURG, None),
    ("Surgical assistant", SURG, None),
    # DMEPOS
    ("Front wheeled walker", DME, None),
    ("Shower chair", DME, None),
    ("Lumbosacral orthosis", DME, None),
    ("Custom orthotics", DME, None),
    ("Continuous passive motion (CPM) machine rental x 21 days", DME, None),
    ("Bone growth stimulator", DME, None),
    ("Hospital bed rental", DME, None),
    ("Knee immobilizer", DME, None),
    ("Cervical traction unit", DME, None),
    # rehabilitation
    ("Occupational therapy 2x6 for the right hand", REHAB, None),
    ("Aquatic therapy 2 x 4", REHAB, None),
    ("Work hardening program 10 sessions", REHAB, None),
    ("Home exercise kit for the shoulder", REHAB, None),
    ("Infrared therapy 2 times 8", REHAB, None),
    ("Therapeutic ultrasound 2 times 6", REHAB, None),
    ("Re-exam 1 times 4", REHAB, None),
    ("Myofascial release 6 visits", REHAB, None),
    ("Active release technique 6 sessions", REHAB, None),
    ("Hand therapy for 8 sessions", REHAB, None),
    # diagnostics
    ("Functional capacity evaluation", DIAG, None),
    ("X-rays of the right knee, 3 views", DIAG, None),
    ("Ultrasound of the left shoulder", DIAG, None),
    ("Sleep study", DIAG, None),
    ("NCV bilateral lower extremities QTY: 2", DIAG, None),
    ("CT myelogram of the lumbar spine", DIAG, None),
    ("Genetic testing for opioid metabolism", DIAG, None),
    ("Urine toxicology screen", DIAG, None),
    ("Upper endoscopy", DIAG, None),
    ("EGD with biopsy", DIAG, None),
    # evaluation and management
    ("Orthopedic consultation", EM, None),
    ("Neurology consultation for the headaches", EM, None),
    ("Office visit with pain management", EM, None),
    ("Internal medicine evaluation", EM, None),
    ("Follow-up with the primary treating physician", EM, None),
    ("Initial evaluation", EM, None),
    ("Pre-operative medical clearance with internist", EM, None),
    # behavioral, programs, home health
    ("Psychotherapy x 6", BMH, None),
    ("Psych testing", BMH, None),
    ("Consultation with a psychologist", BMH, None),
    ("Functional restoration program x 80 hours", PROG, None),
    ("HELP program evaluation", PROG, None),
    ("Detoxification program", PROG, None),
    ("Home health aide 4 hours/day 5 days/week", HHT, None),
    ("Taxi to and from appointments", HHT, None),
    ("In-home care 8 hours per day", HHT, None),
]


@pytest.mark.parametrize(("text", "category", "drug_class"), DOC_TABLE_EXAMPLES)
def test_doc_table_examples(text: str, category: str, drug_class: str | None) -> None:
    assert classify_item(text) == (category, drug_class)


@pytest.mark.parametrize(
    ("text", "category", "drug_class"),
    [pytest.param(t, c, d, id=f"{why}: {t}") for t, c, d, why in DOUBT_RULES],
)
def test_doubt_rules(text: str, category: str, drug_class: str | None) -> None:
    assert classify_item(text) == (category, drug_class)


@pytest.mark.parametrize(("text", "category", "drug_class"), GENERAL_EXAMPLES)
def test_general_examples(text: str, category: str, drug_class: str | None) -> None:
    assert classify_item(text) == (category, drug_class)


@pytest.mark.parametrize("text", ["", "   ", "#60", "zzz qqq", "Request for the thing", "\f\n"])
def test_nothing_matching_is_other(text: str) -> None:
    assert classify_item(text) == ("Other", None)


@pytest.mark.parametrize("bad", [None, 42, b"Norco 10mg", ["MRI"]])
def test_non_text_is_other_not_an_error(bad) -> None:
    assert classify_item(bad) == ("Other", None)


def test_case_and_whitespace_do_not_matter() -> None:
    assert classify_item("  NORCO\n10/325MG   #120 ") == ("Pharmaceuticals", "opioid")
    assert classify_item("mri OF the LUMBAR spine") == ("Diagnostic Tests", None)


def test_every_example_uses_the_documented_vocabulary() -> None:
    for _text, category, drug_class, *_ in DOC_TABLE_EXAMPLES + DOUBT_RULES + GENERAL_EXAMPLES:
        assert category in ITEM_CATEGORIES
        assert drug_class is None or drug_class in DRUG_CLASSES
