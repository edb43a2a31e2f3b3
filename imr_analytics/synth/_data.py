"""Static vocabulary the synthetic letters are drawn from.

Everything here was taken from the real letters and the layout notes
(``letter-formats.md``): specialty and state spellings, MTUS chapter names with their
years, section names (which contain commas, periods and colons on purpose), ODG/ACOEM/other
free-text citations and narrative phrasing. Keeping it as plain data, apart from the
code that assembles it, lets a reader check realism at a glance and lets tests walk the
pools.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------
# Reviewer credentials
# ---------------------------------------------------------------------------------------

# (canonical specialties, weight). Canonical = the spelling the database must hold
# (block form, with "&"). Weights follow the item-weighted counts of the 194 B4 letters.
SPECIALTY_SETS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("Family Practice",), 40),
    (("Preventive Medicine", "Occupational Medicine"), 30),
    (("Physical Medicine & Rehabilitation",), 18),
    (("Physical Medicine & Rehabilitation", "Pain Management"), 10),
    (("Preventive Medicine", "Occupational Medicine", "Medical Toxicology"), 5),
    (("Orthopedic Surgery", "Sports Medicine"), 6),
    (("Internal Medicine",), 7),
    (
        (
            "Preventive Medicine",
            "Occupational Medicine",
            "Public Health & General Preventive Medicine",
        ),
        4,
    ),
    (("Physical Medicine & Rehabilitation", "Neuromuscular Medicine"), 2),
    (("Orthopedic Surgery",), 6),
    (("Anesthesiology", "Pain Management"), 6),
    (("Preventive Medicine", "Occupational Medicine", "Family Practice"), 3),
    (("Preventive Medicine",), 2),
    (("Physical Medicine & Rehabilitation", "Pain Management", "Occupational Medicine"), 2),
    (("Neurology", "Pain Management"), 2),
    (("Neurological Surgery",), 1),
    (("Internal Medicine", "Hospice & Palliative Medicine"), 3),
    (("Family Practice", "Sports Medicine"), 4),
    (("Emergency Medicine",), 3),
    (("Anesthesiology", "Pain Management", "Hospice & Palliative Medicine"), 2),
    (("Emergency Medicine", "Medical Toxicology"), 1),
    (("Chiropractor",), 2),
    (("Surgery", "Surgical Critical Care"), 1),
    (("Psychiatry",), 1),
    (("Physical Medicine & Rehabilitation", "Pediatric Rehabilitation Medicine"), 1),
    (("Rheumatology",), 1),
    (("Orthopedic Surgery", "Hand Surgery"), 1),
    (("Occupational Medicine",), 4),
    (("Anesthesiology",), 2),
    (("Neurology",), 1),
)

# Specialties of the board-certified *sentence* (one specialty only), canonical spelling.
SENTENCE_SPECIALTIES: tuple[tuple[str, float], ...] = (
    ("Occupational Medicine", 20),
    ("Physical Medicine & Rehabilitation", 18),
    ("Family Practice", 14),
    ("Anesthesiology", 10),
    ("Internal Medicine", 8),
    ("Orthopedic Surgery", 8),
    ("Preventive Medicine", 6),
    ("Pain Management", 6),
    ("Emergency Medicine", 4),
    ("Neurology", 3),
    ("Psychiatry", 2),
    ("Hospice & Palliative Medicine", 1),
    ("Public Health & General Preventive Medicine", 1),
)

# (state, weight) for licensure; California is drawn separately (63% of letters).
STATES: tuple[tuple[str, float], ...] = (
    ("Texas", 41),
    ("New York", 24),
    ("Florida", 21),
    ("North Carolina", 15),
    ("Arizona", 9),
    ("Pennsylvania", 8),
    ("Ohio", 7),
    ("New Jersey", 7),
    ("Illinois", 6),
    ("Georgia", 6),
    ("Virginia", 5),
    ("Maryland", 5),
    ("Massachusetts", 5),
    ("Washington", 4),
    ("Colorado", 4),
    ("Michigan", 4),
    ("Connecticut", 3),
    ("New Mexico", 3),
    ("Oregon", 3),
    ("Nevada", 3),
    ("Tennessee", 3),
    ("South Carolina", 3),
    ("Iowa", 2),
    ("Montana", 2),
    ("Minnesota", 2),
    ("Wisconsin", 2),
    ("Missouri", 2),
    ("Indiana", 2),
    ("Kentucky", 1),
    ("Louisiana", 1),
    ("Utah", 1),
    ("Alabama", 1),
    ("Oklahoma", 1),
    ("Hawaii", 1),
    ("District of Columbia", 1),
)

# ---------------------------------------------------------------------------------------
# MTUS chapters and sections
# ---------------------------------------------------------------------------------------

CP_2016 = "Chronic Pain Medical Treatment 2016"
CP_2009 = "Chronic Pain Medical Treatment 2009"
OPIOID_2016 = "Opioid Treatment 2016"
POSTSURG = "Postsurgical Treatment 2009"
ACUPUNCTURE = "Acupuncture Treatment 2007"
GENERAL = "General Approaches 2004"
STRESS = "Stress-Related Conditions 2004"
# Written in the pages-era form (no year); see citations.py.
CP_PAGES_CHAPTER = "Chronic Pain Medical Treatment"

# ACOEM body-region chapter of MTUS for each region key (hip has none in MTUS).
REGION_CHAPTER: dict[str, str | None] = {
    "low_back": "Low Back Complaints 2004",
    "neck": "Neck and Upper Back Complaints 2004",
    "thoracic": "Neck and Upper Back Complaints 2004",
    "shoulder": "Shoulder Complaints 2004",
    "knee": "Knee Complaints 2004",
    "hand": "Forearm, Wrist, and Hand Complaints 2004",
    "elbow": "Elbow Complaints 2007",
    "ankle": "Ankle and Foot Complaints 2004",
    "hip": None,
    "head": None,
    "general": None,
}

# Opioid Treatment 2016 section names: dotted numbers and colons inside the names.
OPIOID_2016_SECTIONS = (
    "3.3.9 Opioids for Chronic Pain and Chronic Opioid Treatment: Maintenance of Chronic "
    "Opioid Treatment",
    "4.1 Tapering Opioids: Indications for Tapering Opioids",
    "4.2 Tapering Opioids: Methods for Tapering Opioids",
    "3.3.7.2 Opioids for Chronic Pain and Chronic Opioid Treatment: Monitoring "
    "Effectiveness of Chronic Opioid Treatment: Clinically Meaningful Improvement of Pain "
    "and Function",
    "3.3.6 Opioids for Chronic Pain and Chronic Opioid Treatment: Use of Urine Drug Testing (UDT)",
)

# ---------------------------------------------------------------------------------------
# Guideline profiles: what each kind of item is cited and reasoned with.
#   cp:        Chronic Pain chapter section names (2009 and 2016 editions share them)
#   acoem:     section names used with the body-region ACOEM chapter (None: not cited)
#   pages:     (topic, pages) for the 2014-15 "Chronic Pain Treatment Guidelines" form
#   odg:       ODG topic phrases
#   extra:     other MTUS chapters this kind of item is cited under
#   says:      what guidelines say, to open a rationale
# ---------------------------------------------------------------------------------------

PROFILES: dict[str, dict] = {
    "opioid": {
        "cp": (
            "Opioids, criteria for use",
            "Opioids for chronic pain",
            "Opioids, specific drug list",
            "Opioids, long-term assessment",
            "Weaning of Medications",
        ),
        "acoem": None,
        "pages": (
            ("Opioids, criteria for use", "76-80"),
            ("Opioids, On-Going Management", "78"),
            ("Opioids for chronic pain", "80-82"),
            ("Weaning of Medications", "124"),
        ),
        "odg": (
            "Opioids, criteria for use",
            "Opioids for chronic pain",
            "Opioids, specific drug list",
        ),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "recommend ongoing review and documentation of pain relief, functional status, "
            "appropriate medication use, and side effects for patients on chronic opioid therapy",
            "state that opioids may be continued if the patient has returned to work or has "
            "improved functioning and pain",
            "recommend the lowest possible dose be prescribed to improve pain and function, "
            "with a documented pain assessment and urine drug screening",
        ),
    },
    "muscle_relaxant": {
        "cp": (
            "Muscle relaxants (for pain)",
            "Cyclobenzaprine (Flexeril)",
            "Antispasmodics",
            "Carisoprodol (Soma)",
        ),
        "acoem": None,
        "pages": (
            ("Muscle relaxants (for pain)", "63-66"),
            ("Cyclobenzaprine (Flexeril)", "41-42"),
        ),
        "odg": ("Muscle relaxants (for pain)", "Cyclobenzaprine (Flexeril®)"),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "recommend non-sedating muscle relaxants with caution as a second-line option for "
            "short-term treatment of acute exacerbations in patients with chronic low back pain",
            "do not recommend muscle relaxants for long-term use, as efficacy appears to diminish "
            "over time and prolonged use may lead to dependence",
        ),
    },
    "nsaid": {
        "cp": (
            "NSAIDs (non-steroidal anti-inflammatory drugs)",
            "NSAIDs, GI symptoms & cardiovascular risk",
            "NSAIDs, specific drug list & adverse effects",
            "NSAIDs, hypertension and renal function",
            "Anti-inflammatory medications",
            "Celebrex (celecoxib)",
        ),
        "acoem": None,
        "pages": (
            ("NSAIDs (non-steroidal anti-inflammatory drugs)", "67-73"),
            ("Anti-inflammatory medications", "22"),
        ),
        "odg": ("NSAIDs (non-steroidal anti-inflammatory drugs)", "NSAIDs, specific drug list"),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "recommend NSAIDs at the lowest dose for the shortest period in patients with "
            "moderate to severe pain",
            "state that anti-inflammatory medications are the traditional first line of "
            "treatment to reduce pain so activity and functional restoration can resume",
        ),
    },
    "ppi": {
        "cp": (
            "NSAIDs, GI symptoms & cardiovascular risk",
            "Proton Pump Inhibitors (PPIs)",
        ),
        "acoem": None,
        "pages": (("NSAIDs, GI symptoms & cardiovascular risk", "68-69"),),
        "odg": ("Proton pump inhibitors (PPIs)",),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "recommend a proton pump inhibitor for patients at intermediate risk for "
            "gastrointestinal events who are taking NSAIDs",
            "state that the patient's risk for gastrointestinal events should be determined "
            "before a proton pump inhibitor is prescribed",
        ),
    },
    "topical": {
        "cp": ("Topical analgesics", "Lidoderm (lidocaine patch)", "Capsaicin, topical"),
        "acoem": None,
        "pages": (("Topical Analgesics", "111-113"), ("Lidoderm (lidocaine patch)", "56-57")),
        "odg": ("Topical analgesics", "Lidoderm® (lidocaine patch)", "Voltaren® Gel (diclofenac)"),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "state that topical analgesics are largely experimental in use with few randomized "
            "controlled trials to determine efficacy or safety",
            "recommend topical lidocaine only for localized peripheral pain after there has been "
            "evidence of a trial of first-line therapy",
        ),
    },
    "compound": {
        "cp": ("Topical analgesics", "Compound drugs"),
        "acoem": None,
        "pages": (("Topical Analgesics", "111-113"),),
        "odg": ("Compound drugs", "Topical analgesics, compounded"),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "state that any compounded product that contains at least one drug (or drug class) "
            "that is not recommended is not recommended",
            "do not recommend compounded medications as a first-line therapy, and there is no "
            "evidence for the oral suspension formulations requested here",
        ),
    },
    "anticonvulsant": {
        "cp": (
            "Antiepilepsy drugs (AEDs) for pain",
            "Gabapentin (Neurontin)",
            "Pregabalin (Lyrica)",
        ),
        "acoem": None,
        "pages": (("Antiepilepsy drugs (AEDs)", "16-22"), ("Gabapentin (Neurontin)", "18-19")),
        "odg": ("Anti-epilepsy drugs (AEDs) for pain",),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "recommend antiepilepsy drugs for neuropathic pain, with a good response defined as a "
            "50% reduction in pain",
            "state that after initiation of treatment there should be documentation of pain relief "
            "and improvement in function as well as side effects",
        ),
    },
    "antidepressant": {
        "cp": ("Antidepressants for chronic pain", "Tricyclics", "Duloxetine (Cymbalta)"),
        "acoem": None,
        "pages": (("Antidepressants for chronic pain", "13-16"),),
        "odg": ("Antidepressants for chronic pain", "TCA's"),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "recommend tricyclic antidepressants as a first-line option for neuropathic pain",
            "state that assessment of treatment efficacy should include pain outcomes, function, "
            "changes in use of other analgesics, sleep quality and duration, and psychological "
            "assessment",
        ),
    },
    "sleep": {
        "cp": ("Insomnia treatment",),
        "acoem": None,
        "pages": (),
        "odg": ("Insomnia treatment", "Zolpidem (Ambien®)"),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "recommend that pharmacological agents for insomnia only be used after careful "
            "evaluation of potential causes of sleep disturbance",
            "state that zolpidem is approved for the short-term (usually two to six weeks) "
            "treatment of insomnia",
        ),
    },
    "anesthetic": {
        "cp": (
            "Intrathecal drug delivery systems, medications",
            "Implantable drug-delivery systems (IDDSs)",
        ),
        "acoem": None,
        "pages": (("Implantable drug-delivery systems (IDDSs)", "52-54"),),
        "odg": ("Implantable drug-delivery systems (IDDSs)",),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "recommend implantable drug-delivery systems only as an end-stage treatment "
            "alternative for selected patients, after failure of at least 6 months of less "
            "invasive methods",
        ),
    },
    "other_drug": {
        "cp": ("Benzodiazepines", "Medications for chronic pain"),
        "acoem": None,
        "pages": (("Benzodiazepines", "24"), ("Medications for chronic pain", "60")),
        "odg": ("Benzodiazepines", "Medical food", "Erectile dysfunction"),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "state that medications should be started individually while other treatments are "
            "held constant, with careful assessment of function",
            "do not recommend benzodiazepines for long-term use because long-term efficacy is "
            "unproven and there is a risk of dependence",
        ),
    },
    "pt": {
        "cp": ("Physical medicine treatment", "Physical Medicine"),
        "acoem": ("Initial Care", "Physical Methods", "Summary"),
        "pages": (("Physical Medicine", "98-99"),),
        "odg": ("Physical therapy", "Physical Therapy Guidelines", "Preface/Physical therapy"),
        "odg_chapter": "region",
        "extra": (GENERAL,),
        "says": (
            "recommend 9-10 visits over 8 weeks for myalgia and myositis, and 8-10 visits over 4 "
            "weeks for neuralgia, neuritis, and radiculitis",
            "recommend allowing for fading of treatment frequency plus active self-directed home "
            "physical medicine",
        ),
    },
    "postop_pt": {
        "cp": ("Physical medicine treatment",),
        "acoem": None,
        "pages": (("Physical Medicine", "98-99"),),
        "odg": ("Physical therapy", "Preface/Physical therapy"),
        "odg_chapter": "region",
        "extra": (POSTSURG,),
        "says": (
            "recommend an initial course of therapy of one half of the number of visits "
            "specified in the general course of therapy for the specific surgery",
        ),
    },
    "chiro": {
        "cp": ("Manual therapy & manipulation",),
        "acoem": ("Initial Care", "Physical Methods"),
        "pages": (("Manual therapy & manipulation", "58-59"),),
        "odg": ("Manipulation", "Chiropractic Guidelines"),
        "odg_chapter": "region",
        "extra": (),
        "says": (
            "recommend manual therapy for chronic pain if caused by musculoskeletal conditions, "
            "with a trial of 6 visits over 2 weeks and, with evidence of objective functional "
            "improvement, a total of up to 18 visits over 6-8 weeks",
        ),
    },
    "acupuncture": {
        "cp": (),
        "acoem": None,
        "pages": (),
        "odg": ("Acupuncture",),
        "odg_chapter": "pain",
        "extra": (ACUPUNCTURE,),
        "says": (
            "state that acupuncture may be extended if functional improvement is documented, "
            "with a time to produce functional improvement of 3 to 6 treatments",
        ),
    },
    "massage": {
        "cp": ("Massage therapy", "Aquatic therapy", "Ultrasound, therapeutic"),
        "acoem": None,
        "pages": (("Massage therapy", "60"), ("Aquatic therapy", "22")),
        "odg": ("Massage", "Aquatic therapy"),
        "odg_chapter": "region",
        "extra": (),
        "says": (
            "recommend massage as an option only in adjunct to other recommended treatment and "
            "limited to 4-6 visits in most cases",
        ),
    },
    "work_hardening": {
        "cp": ("Work conditioning, work hardening",),
        "acoem": None,
        "pages": (("Work conditioning, work hardening", "125-126"),),
        "odg": ("Work conditioning (WC) physical therapy",),
        "odg_chapter": "region",
        "extra": (),
        "says": (
            "recommend work hardening only for patients with a defined return to work goal agreed "
            "to by the employer and employee",
        ),
    },
    "imaging": {
        "cp": (),
        "acoem": ("Special Studies", "Diagnostic Criteria", "Summary"),
        "pages": (),
        "odg": (
            "MRIs (magnetic resonance imaging)",
            "MRI",
            "Magnetic Resonance Imaging (MRI)",
            "Indications for imaging",
        ),
        "odg_chapter": "region",
        "extra": (),
        "says": (
            "state that unequivocal objective findings that identify specific nerve compromise on "
            "the neurologic examination are sufficient evidence to warrant imaging in patients who "
            "do not respond to treatment",
            "do not recommend imaging in the absence of red flags or a failure of conservative care",
        ),
    },
    "ct_xray": {
        "cp": (),
        "acoem": ("Special Studies", "Diagnostic Criteria"),
        "pages": (),
        "odg": ("CT (computed tomography)", "Radiography (x-rays)", "X-ray"),
        "odg_chapter": "region",
        "extra": (),
        "says": (
            "recommend radiographs only for patients with red flags for fracture or serious "
            "systemic illness",
        ),
    },
    "emg": {
        "cp": ("Electrodiagnostic testing (EMG/NCS)",),
        "acoem": ("Special Studies",),
        "pages": (),
        "odg": ("EMGs (electromyography)", "Nerve conduction studies (NCS)", "EMG, NCV"),
        "odg_chapter": "region",
        "extra": (),
        "says": (
            "state that electromyography may be useful to identify subtle, focal neurologic "
            "dysfunction in patients with symptoms lasting more than three or four weeks",
        ),
    },
    "udt": {
        "cp": ("Drug testing", "Opioids, steps to avoid misuse/addiction"),
        "acoem": None,
        "pages": (("Drug testing", "43"),),
        "odg": ("Urine drug testing (UDT)",),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "recommend urine drug testing as an option to assess for the use or the presence of "
            "illegal drugs, with frequency based on the documented risk of aberrant behavior",
        ),
    },
    "labs": {
        "cp": (),
        "acoem": None,
        "pages": (),
        "odg": (
            "Preoperative lab testing",
            "Preoperative electrocardiogram (ECG)",
            "Polysomnography",
            "Functional capacity evaluation (FCE)",
        ),
        "odg_chapter": "low_back",
        "extra": (GENERAL,),
        "says": (
            "recommend preoperative testing guided by the patient's clinical history, "
            "comorbidities, and physical examination findings",
        ),
    },
    "tens": {
        "cp": (
            "TENS, chronic pain (transcutaneous electrical nerve stimulation)",
            "Interferential Current Stimulation (ICS)",
            "H-wave stimulation (HWT)",
        ),
        "acoem": None,
        "pages": (
            ("Interferential Current Stimulation", "118-120"),
            ("Transcutaneous electrotherapy", "114-116"),
            ("H-wave stimulation", "117-118"),
        ),
        "odg": (
            "TENS (transcutaneous electrical nerve stimulation)",
            "Interferential current stimulation (ICS)",
        ),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "do not recommend TENS as a primary treatment modality, but a one-month home-based "
            "trial may be considered as a noninvasive conservative option",
            "do not recommend interferential current stimulation as an isolated intervention",
        ),
    },
    "dme": {
        "cp": (),
        "acoem": ("Initial Care", "Physical Methods"),
        "pages": (),
        "odg": (
            "Durable medical equipment (DME)",
            "Lumbar supports",
            "Splinting",
            "Continuous-flow cryotherapy",
            "Cervical pillow",
            "Walking aids (canes, crutches, braces, orthoses, & walkers)",
        ),
        "odg_chapter": "region",
        "extra": (),
        "says": (
            "recommend durable medical equipment generally if there is a medical need and if the "
            "device or system meets Medicare's definition of durable medical equipment",
            "do not recommend lumbar supports beyond the acute phase of symptom relief",
        ),
    },
    "pump": {
        "cp": (
            "Implantable drug-delivery systems (IDDSs)",
            "Intrathecal drug delivery systems, medications",
            "Spinal cord stimulators (SCS)",
        ),
        "acoem": None,
        "pages": (
            ("Pain Pump Section", "52-54"),
            ("Indicators for Stimulator Implantation", "107"),
            ("Spinal cord stimulators (SCS)", "105-107"),
        ),
        "odg": ("Implantable Drug-Delivery Systems/Pain Pumps", "Spinal cord stimulators (SCS)"),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "recommend implantable drug-delivery systems only as an end-stage treatment "
            "alternative for selected patients for specific conditions, after failure of at least "
            "6 months of less invasive methods, and following a successful temporary trial",
        ),
    },
    "surgery": {
        "cp": (),
        "acoem": ("Surgical Considerations", "Summary"),
        "pages": (),
        "odg": (
            "Indications for surgery",
            "Surgery for rotator cuff repair",
            "Fusion (spinal)",
            "Discectomy/laminectomy",
            "Meniscectomy",
            "Carpal tunnel release surgery (CTR)",
        ),
        "odg_chapter": "region",
        "extra": (),
        "says": (
            "state that surgical consultation is indicated for patients who have activity "
            "limitation for more than four months, failure to increase range of motion and "
            "strength after exercise programs, and clear clinical and imaging evidence of a lesion",
            "recommend surgery only when there is clear clinical and imaging evidence of a lesion "
            "that has been shown to benefit from surgical repair",
        ),
    },
    "esi": {
        "cp": ("Epidural steroid injections (ESIs)",),
        "acoem": ("Physical Methods", "Initial Care"),
        "pages": (("Epidural steroid injections (ESIs)", "46"),),
        "odg": ("Epidural steroid injections (ESIs)", "Epidural steroid injections, diagnostic"),
        "odg_chapter": "region",
        "extra": (),
        "says": (
            "recommend epidural steroid injections as an option for treatment of radicular pain, "
            "where radiculopathy is documented by physical examination and corroborated by imaging "
            "studies and/or electrodiagnostic testing",
        ),
    },
    "facet": {
        "cp": ("Facet blocks", "Radiofrequency ablation"),
        "acoem": ("Summary", "Physical Methods"),
        "pages": (),
        "odg": (
            "Facet joint diagnostic blocks (injections)",
            "Facet joint radiofrequency neurotomy",
            "Facet joint intra-articular injections (therapeutic blocks)",
        ),
        "odg_chapter": "region",
        "extra": (),
        "says": (
            "state that invasive techniques such as facet joint injections are of questionable "
            "merit",
            "limit diagnostic medial branch blocks to patients with low-back pain that is "
            "non-radicular and at no more than two levels bilaterally",
        ),
    },
    "tpi": {
        "cp": ("Trigger point injections", "Botulinum toxin (Botox®)"),
        "acoem": None,
        "pages": (("Trigger point injections", "122"),),
        "odg": ("Trigger point injections", "Botulinum toxin (Botox®)"),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "recommend trigger point injections only for myofascial pain syndrome with "
            "documentation of circumscribed trigger points with evidence upon palpation of a "
            "twitch response as well as referred pain",
        ),
    },
    "joint_injection": {
        "cp": (),
        "acoem": ("Physical Methods", "Initial Care"),
        "pages": (),
        "odg": (
            "Platelet-rich plasma (PRP)",
            "Corticosteroid injections",
            "Hyaluronic acid injections",
        ),
        "odg_chapter": "region",
        "extra": (),
        "says": (
            "recommend corticosteroid injections for short-term use only, with the number of "
            "injections limited to three",
            "do not recommend platelet-rich plasma injections except in a research setting",
        ),
    },
    "pump_trial": {
        "cp": (
            "Implantable drug-delivery systems (IDDSs)",
            "Spinal cord stimulators (SCS)",
            "Psychological evaluations, IDDS & SCS (intrathecal drug delivery systems & spinal cord stimulators)",
        ),
        "acoem": None,
        "pages": (
            ("Pain Pump Section", "52-54"),
            ("Indicators for Stimulator Implantation", "107"),
        ),
        "odg": ("Implantable Drug-Delivery Systems/Pain Pumps", "Spinal cord stimulators (SCS)"),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "require a psychological evaluation and failure of at least 6 months of other "
            "conservative treatment modalities before a temporary trial",
        ),
    },
    "visit": {
        "cp": ("Office visits",),
        "acoem": None,
        "pages": (),
        "odg": ("Office visits", "Evaluation & management (E&M)"),
        "odg_chapter": "pain",
        "extra": (GENERAL,),
        "says": (
            "state that the need for a clinical office visit with a health care provider is "
            "individualized based upon a review of the patient concerns, signs and symptoms, "
            "clinical stability, and reasonable physician judgment",
            "state that a referral may be appropriate if the practitioner is uncomfortable with "
            "the line of inquiry or when the plan or course of care may benefit from additional "
            "expertise",
        ),
    },
    "psych": {
        "cp": (
            "Psychological evaluations",
            "Psychological treatment",
            "Behavioral interventions",
            "Biofeedback",
        ),
        "acoem": None,
        "pages": (
            ("Psychological evaluations", "100-101"),
            ("Psychological treatment", "101-102"),
            ("Behavioral interventions", "23"),
        ),
        "odg": ("Cognitive therapy for depression", "Psychotherapy guidelines", "Biofeedback"),
        "odg_chapter": "mental",
        "extra": (STRESS,),
        "says": (
            "recommend an initial trial of 3-4 psychotherapy visits over 2 weeks, and with "
            "evidence of objective functional improvement, a total of up to 6-10 visits",
            "recommend psychological evaluations as a generally well-established diagnostic "
            "procedure in chronic pain populations",
        ),
    },
    "program": {
        "cp": (
            "Functional restoration programs (FRPs)",
            "Chronic pain programs (functional restoration programs)",
        ),
        "acoem": None,
        "pages": (
            ("Functional restoration programs (FRPs)", "30-32"),
            ("Chronic pain programs", "30-34"),
        ),
        "odg": ("Functional restoration programs (FRPs)", "Chronic pain programs"),
        "odg_chapter": "pain",
        "extra": (),
        "says": (
            "recommend functional restoration programs where there is access to programs with "
            "proven successful outcomes, for patients with conditions that put them at risk of "
            "delayed recovery",
            "state that treatment in a functional restoration program is not suggested for longer "
            "than 2 weeks without evidence of demonstrated efficacy",
        ),
    },
    "home_health": {
        "cp": ("Home health services",),
        "acoem": None,
        "pages": (("Home health services", "51"),),
        "odg": (
            "Home health services",
            "Skilled nursing facility (SNF) care",
            "Transportation (to & from appointments)",
        ),
        "odg_chapter": "knee",
        "extra": (),
        "says": (
            "recommend home health services only for otherwise recommended medical treatment for "
            "patients who are homebound, generally up to no more than 35 hours per week",
        ),
    },
}

# ODG chapter spellings, by key ("region" profiles use the item's region).
ODG_CHAPTERS: dict[str, tuple[str, ...]] = {
    "low_back": (
        "Low Back",
        "Low Back Chapter",
        "Low Back - Lumbar & Thoracic (Acute & Chronic)",
        "Low back chapter",
        "Lower Back section",
        "Low Back (Thoracic and Lumbar, Acute and Chronic) Chapter",
    ),
    "neck": (
        "Neck and Upper Back",
        "Neck and Upper Back (Acute & Chronic)",
        "Neck & Upper Back Chapter",
        "Neck and Upper back",
    ),
    "thoracic": ("Low Back - Lumbar & Thoracic (Acute & Chronic)", "Neck and Upper Back"),
    "shoulder": ("Shoulder", "Shoulder (Acute & Chronic)", "Shoulder Chapter"),
    "knee": ("Knee & Leg (Acute & Chronic)", "Knee Chapter", "Knee and Leg Chapter"),
    "hand": (
        "Forearm, Wrist, & Hand (Acute & Chronic)",
        "Forearm, Wrist, and hand",
        "Carpal Tunnel Syndrome Chapter",
    ),
    "elbow": ("Elbow (Acute & Chronic)", "Elbow"),
    "hip": (
        "Hip & Pelvis (Acute & Chronic)",
        "Hip & Pelvis Chapter",
        "Hips and Pelvis (Acute and Chronic)",
    ),
    "ankle": ("Ankle & Foot (Acute & Chronic)", "Ankle and Foot Chapter"),
    "pain": ("Pain (Chronic)", "Pain Chapter", "Pain"),
    "mental": ("Mental Illness & Stress", "Mental Illness and Stress Chapter"),
    "head": ("Head", "Head Chapter"),
    "general": ("Pain (Chronic)", "Preface"),
}

# ACOEM outside MTUS: (text, page or None, region or None).
ACOEM_CITATIONS: tuple[tuple[str, str | None, str | None], ...] = (
    (
        "ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back Disorders, pg. 607.",
        "607",
        "low_back",
    ),
    (
        "ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back Disorders, pg. 564.",
        "564",
        "low_back",
    ),
    (
        "ACOEM Guidelines, Chapter 7, Independent Medical Examinations and Consultations, page 137.",
        "137",
        None,
    ),
    (
        "ACOEM Guidelines, Chapter 7, Independent Medical Examinations and Consultations, page 127.",
        "127",
        None,
    ),
    (
        "ACOEM: Low back disorders, diagnostic and treatment recommendations, low back pain/radicular "
        "pain, diagnostic recommendations, MRI.",
        None,
        "low_back",
    ),
    ("ACOEM Hip and Groin Chapter/Diagnostic Testing, MRI.", None, "hip"),
    (
        "ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Shoulder Disorders, pg. 198.",
        "198",
        "shoulder",
    ),
    (
        "ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Knee Disorders, pg. 1010.",
        "1010",
        "knee",
    ),
    (
        "ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Chronic Pain, pg. 857.",
        "857",
        None,
    ),
    (
        "Harris J. Occupational medicine practice guidelines, 2nd edition. Elk Grove Village, IL: "
        "American College of Occupational and Environmental Medicine, 2004.",
        None,
        None,
    ),
)

# Other sources (family "other"); {drug} and {date} are filled in.
OTHER_CITATIONS: tuple[str, ...] = (
    "{Drug}: Drug information, accessed from UpToDate.com on {date}.",
    "http://www.drugs.com/{drug}.html.",
    "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/downloads/clm104c12.pdf",
    "http://www.aetna.com/cpb/medical/data/1_99/0016.html.",
    "Centers for Medicare and Medicaid services, Physician Fee Schedule Search.",
    "Medicare Physicians Fee Schedule (MPFS); Chapter 12-Physicians/Nonphysician Practitioners.",
    "University of Michigan Health System. Gastroesophageal reflux disease (GERD). Ann Arbor (MI): "
    "University of Michigan Health System; 2007 Jan. 10.",
    "http://www.slideshare.net/painmedicine/intrathecal-pump-refill-protocol.",
    "National Guideline Clearinghouse, Preoperative evaluation, accessed {date}.",
)

# ---------------------------------------------------------------------------------------
# Narrative
# ---------------------------------------------------------------------------------------

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

REGION_WORDS: dict[str, tuple[str, ...]] = {
    "low_back": ("lumbar spine", "low back", "lower back"),
    "neck": ("cervical spine", "neck"),
    "thoracic": ("thoracic spine", "mid back"),
    "shoulder": ("right shoulder", "left shoulder", "bilateral shoulder"),
    "knee": ("right knee", "left knee", "bilateral knee"),
    "hand": ("right wrist", "left hand", "right hand", "bilateral wrist"),
    "elbow": ("right elbow", "left elbow"),
    "hip": ("right hip", "left hip"),
    "ankle": ("left ankle", "right foot", "right ankle"),
    "head": ("head",),
    "general": ("low back", "neck", "right shoulder"),
}

DIAGNOSES: dict[str, tuple[str, ...]] = {
    "low_back": (
        "lumbar radiculopathy",
        "lumbar disc displacement",
        "lumbago with sciatica",
        "lumbar sprain/strain",
        "post lumbar laminectomy syndrome",
        "degenerative disc disease of the lumbar spine",
    ),
    "neck": (
        "cervicalgia",
        "cervical radiculopathy",
        "cervical sprain/strain",
        "cervical disc herniation",
    ),
    "thoracic": ("thoracic sprain/strain", "pain in thoracic spine"),
    "shoulder": (
        "rotator cuff syndrome",
        "impingement syndrome of the shoulder",
        "partial rotator cuff tear",
    ),
    "knee": ("internal derangement of the knee", "medial meniscus tear", "chondromalacia patellae"),
    "hand": ("carpal tunnel syndrome", "de Quervain's tenosynovitis", "wrist sprain"),
    "elbow": ("lateral epicondylitis", "cubital tunnel syndrome"),
    "hip": ("hip sprain", "trochanteric bursitis"),
    "ankle": ("ankle sprain", "plantar fasciitis"),
    "head": ("post-concussion syndrome", "headache"),
    "general": ("chronic pain syndrome", "myofascial pain syndrome"),
}

MECHANISMS = (
    "a trip and fall",
    "lifting a heavy box",
    "a motor vehicle accident",
    "repetitive work duties",
    "a slip and fall at work",
    "pushing a heavy cart",
    "cumulative trauma",
)

TREATMENTS = (
    "physical therapy",
    "chiropractic care",
    "acupuncture",
    "medications",
    "a home exercise program",
    "activity modification",
    "epidural steroid injections",
    "TENS unit",
    "diagnostic studies",
    "psychotherapy",
    "cortisone injections",
    "work restrictions",
)

MEDS_MENTIONED = (
    "Norco",
    "Flexeril",
    "Motrin",
    "Naproxen",
    "Gabapentin",
    "Omeprazole",
    "Tramadol",
    "Lidoderm patch",
    "Soma",
    "Ambien",
    "Cymbalta",
    "Celebrex",
    "Percocet",
    "Xanax",
    "Colace",
    "Butrans patch",
    "Mobic",
    "Ultram",
)

PROVIDERS = (
    "the primary treating physician",
    "the orthopedic surgeon",
    "the pain management physician",
    "the chiropractor",
    "the physical therapist",
    "the acupuncturist",
    "the psychologist",
    "the internist",
    "the spine surgeon",
    "the neurologist",
)
