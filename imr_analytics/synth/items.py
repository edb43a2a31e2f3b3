"""Disputed items, drawn from category-labelled pools so that their truth is known.

Each generator returns a :class:`Draft`: the item text as a letter would write it, its
``item_category`` and ``drug_class`` (by construction, following
``treatment-taxonomy.md``), the guideline profile its citations and rationale are drawn
from, and, where the item has a quantity, the three texts a partial certification needs
(original request, authorised part, remainder). Classifying by construction is the point:
a parser or classifier run on the letters can be scored against labels nobody had to
guess.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PHARMA = "Pharmaceuticals"
REHAB = "Rehabilitation Services"
DIAG = "Diagnostic Tests"
DME = "DMEPOS"
SURGERY = "Surgery"
INJECTIONS = "Injections"
EM = "Evaluation and Management"
PSYCH = "Behavioral and Mental Health"
PROGRAMS = "Programs"
HOME = "Home Health and Transportation"

# Share of disputed items by category (statewide IMR mix leans on pharmacy).
CATEGORY_WEIGHTS: tuple[tuple[str, float], ...] = (
    (PHARMA, 36),
    (DIAG, 17),
    (REHAB, 16),
    (DME, 8),
    (INJECTIONS, 7),
    (SURGERY, 5),
    (EM, 4),
    (PSYCH, 3),
    (HOME, 2.5),
    (PROGRAMS, 1.5),
)

# Probability that the reviewer overturns the UR denial, by category.
OVERTURN_P: dict[str, float] = {
    PHARMA: 0.11,
    REHAB: 0.13,
    DIAG: 0.11,
    DME: 0.10,
    SURGERY: 0.13,
    INJECTIONS: 0.04,
    EM: 0.21,
    PSYCH: 0.21,
    PROGRAMS: 0.12,
    HOME: 0.10,
}

NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
)


@dataclass(slots=True)
class Draft:
    """One disputed item before it is placed in a letter."""

    text: str
    category: str
    drug_class: str | None
    profile: str
    region: str
    mod1: tuple[str, str, str] | None = None  # (original, authorised, remainder)
    mod2: str | None = None  # what the CA authorised when the whole request stays disputed
    drug: str | None = None  # drug name, for drug-information citations
    ancillary: bool = False
    # The naming truth (treatment-names.md), by construction; None where not stated.
    ingredients: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None  # the regions the item's own text names
    treatment: str | None = None
    mod1_regions: tuple[str, ...] = ()  # a modified request's remainder inherits these
    mod1_treatment: str | None = None  # the remainder's treatment, when not the item's


def word(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _short_date(rng: random.Random, ctx: dict) -> str:
    d = ctx["dos"]
    return rng.choice((f"{d.month}/{d.day}/{d.year % 100:02d}", f"{d:%m/%d/%Y}", f"{d:%m/%d/%y}"))


# ---------------------------------------------------------------------------------------
# Pharmaceuticals
# ---------------------------------------------------------------------------------------

# (name, drug_class, doses, quantities, profile)
_DRUGS: tuple[tuple[str, str, tuple[str, ...], tuple[int, ...], str], ...] = (
    ("Norco", "opioid", ("5/325mg", "7.5/325mg", "10/325mg"), (60, 90, 112, 120, 180), "opioid"),
    ("Hydrocodone/APAP", "opioid", ("10/325mg", "5/325mg"), (60, 90, 120), "opioid"),
    ("Hydrocodone bitartrate/acetaminophen", "opioid", ("10/325mg",), (90, 120), "opioid"),
    ("Percocet", "opioid", ("5/325mg", "10/325mg"), (60, 90, 120), "opioid"),
    ("Oxycodone HCL", "opioid", ("5mg", "10mg", "15mg"), (60, 90, 120), "opioid"),
    ("Oxycodone HCL ER", "opioid", ("20mg", "40mg"), (60,), "opioid"),
    ("OxyContin", "opioid", ("10mg", "20mg", "40mg"), (60, 90), "opioid"),
    ("Tramadol", "opioid", ("50mg",), (60, 90, 120), "opioid"),
    ("Tramadol ER", "opioid", ("100mg", "150mg", "200mg"), (30, 60), "opioid"),
    ("Tramadol/APAP", "opioid", ("37.5/325mg",), (60, 90), "opioid"),
    ("Ultram", "opioid", ("50mg",), (60, 90), "opioid"),
    ("Nucynta", "opioid", ("50mg", "75mg"), (60, 90), "opioid"),
    ("Nucynta ER", "opioid", ("100mg", "150mg"), (60,), "opioid"),
    ("Butrans patch", "opioid", ("5mcg/hr", "10mcg/hr", "20mcg/hr"), (4, 8), "opioid"),
    ("Fentanyl patch", "opioid", ("25mcg/hr", "50mcg/hr"), (10, 15), "opioid"),
    ("Hydromorphone", "opioid", ("2mg", "4mg"), (60, 90), "opioid"),
    ("MS Contin", "opioid", ("15mg", "30mg"), (60, 90), "opioid"),
    ("Methadone", "opioid", ("5mg", "10mg"), (90, 120), "opioid"),
    (
        "Cyclobenzaprine",
        "muscle relaxant",
        ("5mg", "7.5mg", "10mg"),
        (30, 60, 90),
        "muscle_relaxant",
    ),
    ("Flexeril", "muscle relaxant", ("10mg", "7.5mg"), (30, 60, 90), "muscle_relaxant"),
    ("Fexmid", "muscle relaxant", ("7.5mg",), (60, 90), "muscle_relaxant"),
    ("Baclofen", "muscle relaxant", ("10mg", "20mg"), (30, 60, 90), "muscle_relaxant"),
    ("Tizanidine", "muscle relaxant", ("2mg", "4mg"), (60, 90), "muscle_relaxant"),
    ("Zanaflex", "muscle relaxant", ("4mg",), (60, 90), "muscle_relaxant"),
    ("Soma", "muscle relaxant", ("350mg",), (30, 60, 90), "muscle_relaxant"),
    ("Carisoprodol", "muscle relaxant", ("350mg",), (60, 90), "muscle_relaxant"),
    ("Methocarbamol", "muscle relaxant", ("500mg", "750mg"), (60, 90), "muscle_relaxant"),
    ("Robaxin", "muscle relaxant", ("750mg",), (60, 90), "muscle_relaxant"),
    ("Metaxalone", "muscle relaxant", ("800mg",), (60, 90), "muscle_relaxant"),
    ("Orphenadrine ER", "muscle relaxant", ("100mg",), (60, 90), "muscle_relaxant"),
    ("Naproxen", "NSAID", ("500mg", "550mg"), (60, 90), "nsaid"),
    ("Naproxen sodium", "NSAID", ("550mg",), (60, 90), "nsaid"),
    ("Anaprox DS", "NSAID", ("550mg",), (60,), "nsaid"),
    ("Ibuprofen", "NSAID", ("600mg", "800mg"), (60, 90), "nsaid"),
    ("Motrin", "NSAID", ("600mg", "800mg"), (40, 60, 90), "nsaid"),
    ("Meloxicam", "NSAID", ("7.5mg", "15mg"), (30, 60), "nsaid"),
    ("Meloxicam (Mobic)", "NSAID", ("7.5mg", "15mg"), (30,), "nsaid"),
    ("Celecoxib", "NSAID", ("200mg", "100mg"), (30, 60, 90), "nsaid"),
    ("Celebrex", "NSAID", ("200mg",), (30, 60), "nsaid"),
    ("Diclofenac sodium ER", "NSAID", ("100mg",), (30, 60), "nsaid"),
    ("Diclofenac ER", "NSAID", ("100mg",), (60,), "nsaid"),
    ("Voltaren", "NSAID", ("75mg",), (60,), "nsaid"),
    ("Voltaren XR", "NSAID", ("100mg",), (30, 60), "nsaid"),
    ("Etodolac", "NSAID", ("400mg", "500mg"), (60,), "nsaid"),
    ("Nabumetone", "NSAID", ("500mg", "750mg"), (60, 90), "nsaid"),
    ("Relafen", "NSAID", ("750mg",), (60,), "nsaid"),
    ("Gabapentin", "anticonvulsant", ("300mg", "600mg", "800mg"), (60, 90, 180), "anticonvulsant"),
    ("Neurontin", "anticonvulsant", ("300mg", "600mg"), (90,), "anticonvulsant"),
    ("Lyrica", "anticonvulsant", ("75mg", "150mg"), (60, 90), "anticonvulsant"),
    ("Pregabalin", "anticonvulsant", ("75mg", "50mg"), (60, 90), "anticonvulsant"),
    ("Topiramate", "anticonvulsant", ("25mg", "50mg"), (60,), "anticonvulsant"),
    ("Topamax", "anticonvulsant", ("50mg",), (60,), "anticonvulsant"),
    ("Cymbalta", "antidepressant", ("30mg", "60mg"), (30, 60), "antidepressant"),
    ("Duloxetine", "antidepressant", ("30mg", "60mg"), (30, 60), "antidepressant"),
    ("Amitriptyline", "antidepressant", ("10mg", "25mg"), (30, 60), "antidepressant"),
    ("Nortriptyline HCL", "antidepressant", ("25mg",), (30,), "antidepressant"),
    ("Pamelor", "antidepressant", ("25mg", "10mg"), (30, 60), "antidepressant"),
    ("Wellbutrin", "antidepressant", ("150mg",), (30, 60), "antidepressant"),
    ("Trazodone", "antidepressant", ("50mg", "100mg"), (30, 60), "antidepressant"),
    ("Effexor XR", "antidepressant", ("75mg",), (30,), "antidepressant"),
    ("Ambien", "sleep aid", ("5mg", "10mg"), (30,), "sleep"),
    ("Zolpidem", "sleep aid", ("10mg", "5mg"), (30,), "sleep"),
    ("Ambien CR", "sleep aid", ("12.5mg",), (30,), "sleep"),
    ("Lunesta", "sleep aid", ("2mg", "3mg"), (30,), "sleep"),
    ("Eszopiclone", "sleep aid", ("3mg",), (30,), "sleep"),
    ("Sonata", "sleep aid", ("10mg",), (30,), "sleep"),
    ("Belsomra", "sleep aid", ("10mg", "15mg"), (30,), "sleep"),
    ("Omeprazole", "proton pump inhibitor", ("20mg", "40mg"), (30, 60, 90), "ppi"),
    ("Prilosec", "proton pump inhibitor", ("20mg",), (30, 60), "ppi"),
    ("Pantoprazole", "proton pump inhibitor", ("20mg", "40mg"), (30, 60), "ppi"),
    ("Protonix", "proton pump inhibitor", ("40mg",), (30, 60), "ppi"),
    ("Esomeprazole", "proton pump inhibitor", ("40mg",), (30,), "ppi"),
    ("Nexium", "proton pump inhibitor", ("40mg",), (30,), "ppi"),
    ("Lansoprazole", "proton pump inhibitor", ("30mg",), (30, 60), "ppi"),
    ("Dexilant", "proton pump inhibitor", ("60mg",), (30,), "ppi"),
    ("Viagra", "other", ("50mg", "100mg"), (10, 30), "other_drug"),
    ("Sildenafil", "other", ("100mg", "20mg"), (10, 30), "other_drug"),
    ("Xanax", "other", ("0.5mg", "1mg"), (30, 60), "other_drug"),
    ("Alprazolam", "other", ("0.5mg", "0.25mg"), (30, 60), "other_drug"),
    ("Ativan", "other", ("1mg",), (30, 60), "other_drug"),
    ("Lorazepam", "other", ("1mg", "0.5mg"), (30,), "other_drug"),
    ("Valium", "other", ("5mg", "10mg"), (30,), "other_drug"),
    ("Diazepam", "other", ("5mg",), (30, 60), "other_drug"),
    ("Clonazepam", "other", ("0.5mg",), (30, 60), "other_drug"),
    ("Famotidine", "other", ("20mg", "40mg"), (60,), "other_drug"),
    ("Pepcid", "other", ("20mg",), (60,), "other_drug"),
    ("Ranitidine", "other", ("150mg",), (60,), "other_drug"),
    ("Colace", "other", ("100mg",), (60, 100), "other_drug"),
    ("Docusate sodium", "other", ("100mg",), (60,), "other_drug"),
    ("Senna", "other", ("8.6mg",), (60,), "other_drug"),
    ("Ondansetron", "other", ("4mg", "8mg"), (10, 30), "other_drug"),
    ("Zofran ODT", "other", ("8mg",), (10, 20), "other_drug"),
    ("Medrol dose pak", "other", ("4mg",), (21,), "other_drug"),
    ("Theramine", "other", ("",), (90, 120), "other_drug"),
    ("Sentra PM", "other", ("",), (60,), "other_drug"),
    ("Hydroxyzine", "other", ("25mg",), (30, 60), "other_drug"),
)

# Topical analgesics (manufactured products): (text, quantity suffix options)
_TOPICALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Lidoderm 5% patch", ("#30", "#60", "")),
    ("Lidocaine 5% patches", ("#30", "")),
    ("Flector patch 1.3%", ("#60", "#30", "")),
    ("Flector patch", ("",)),
    ("Voltaren gel 1%", ("100gm", "#1", "")),
    ("Voltaren® Gel 1%", ("100g", "")),
    ("Pennsaid 2% solution", ("#1", "112gm")),
    ("Terocin patch", ("#30", "#20")),
    ("Terocin lotion", ("120ml",)),
    ("Lidopro cream", ("121gm", "")),
    ("Salonpas patches", ("#20", "")),
    ("Capsaicin 0.075% cream", ("60gm", "")),
    ("Menthoderm gel", ("120ml", "240gm")),
    ("Lidocaine ointment 5%", ("106.32gm", "35.44gm")),
    ("Diclofenac sodium 1.5% solution", ("60gm", "150ml")),
)

_COMPOUNDS: tuple[str, ...] = (
    "Flurbiprofen 20%/Lidocaine 5% cream 180gm",
    "Compound cream: Flurbiprofen/Lidocaine",
    "Flurbiprofen 10%/Dextromethorphan 5%/Lidocaine 5%, 120grams #1",
    "Dextromethorphan 5%/Amitriptyline 5%/Lidocaine/Capsaicin 0.025%, 120grams #1",
    "Ketoprofen 10%/Cyclobenzaprine 3%/Lidocaine 5% cream 120gm",
    "Gabapentin 10%/Amitriptyline 10%/Bupivacaine 5% cream 210gm",
    "Capsaicin 0.025%/Flurbiprofen 15%/Gabapentin 10%/Menthol 2%/Camphor 2% 180gm",
    "Baclofen 2%/Flurbiprofen 10%/Lidocaine 5% compound cream",
    "Fanatrex 25mg/ml oral suspension 420ml",
    "Synapryn 10mg/ml oral suspension 500ml",
    "Tabradol 1mg/ml oral suspension, 250ml",
    "Dicopanol 5mg/ml oral suspension, 150ml",
    "Deprizine 15mg/ml oral suspension, 250ml",
    "Ketophene 20% cream 165gm",
    "Compounded topical: Tramadol 8%/Gabapentin 10%/Menthol 2%/Camphor 2%",
)

_ANESTHETICS: tuple[str, ...] = (
    "Bupivacaine HCL 20mg",
    "Bupivacaine HCL 20mg for pump refill",
    "Bupivacaine 0.5% 30ml",
    "Ropivacaine 2mg/ml for intrathecal pump refill",
)

_PUMP_OPIOIDS: tuple[str, ...] = (
    "Hydromorphone 40mg",
    "Fentanyl 20mg",
    "Morphine sulfate 25mg/ml for pump refill",
    "Hydromorphone 40mg for intrathecal pump refill",
)

# What each drug name is, by construction: (generic ingredients, route family).
_ORAL = "oral"
_TOPICAL = "topical"
_INJECTION = "injection"
_GENERIC: dict[str, tuple[tuple[str, ...], str]] = {
    "Norco": (("acetaminophen", "hydrocodone"), _ORAL),
    "Hydrocodone/APAP": (("acetaminophen", "hydrocodone"), _ORAL),
    "Hydrocodone bitartrate/acetaminophen": (("acetaminophen", "hydrocodone"), _ORAL),
    "Percocet": (("acetaminophen", "oxycodone"), _ORAL),
    "Oxycodone HCL": (("oxycodone",), _ORAL),
    "Oxycodone HCL ER": (("oxycodone",), _ORAL),
    "OxyContin": (("oxycodone",), _ORAL),
    "Tramadol": (("tramadol",), _ORAL),
    "Tramadol ER": (("tramadol",), _ORAL),
    "Tramadol/APAP": (("acetaminophen", "tramadol"), _ORAL),
    "Ultram": (("tramadol",), _ORAL),
    "Nucynta": (("tapentadol",), _ORAL),
    "Nucynta ER": (("tapentadol",), _ORAL),
    "Butrans patch": (("buprenorphine",), _TOPICAL),
    "Fentanyl patch": (("fentanyl",), _TOPICAL),
    "Hydromorphone": (("hydromorphone",), _ORAL),
    "MS Contin": (("morphine",), _ORAL),
    "Methadone": (("methadone",), _ORAL),
    "Cyclobenzaprine": (("cyclobenzaprine",), _ORAL),
    "Flexeril": (("cyclobenzaprine",), _ORAL),
    "Fexmid": (("cyclobenzaprine",), _ORAL),
    "Baclofen": (("baclofen",), _ORAL),
    "Tizanidine": (("tizanidine",), _ORAL),
    "Zanaflex": (("tizanidine",), _ORAL),
    "Soma": (("carisoprodol",), _ORAL),
    "Carisoprodol": (("carisoprodol",), _ORAL),
    "Methocarbamol": (("methocarbamol",), _ORAL),
    "Robaxin": (("methocarbamol",), _ORAL),
    "Metaxalone": (("metaxalone",), _ORAL),
    "Orphenadrine ER": (("orphenadrine",), _ORAL),
    "Naproxen": (("naproxen",), _ORAL),
    "Naproxen sodium": (("naproxen",), _ORAL),
    "Anaprox DS": (("naproxen",), _ORAL),
    "Ibuprofen": (("ibuprofen",), _ORAL),
    "Motrin": (("ibuprofen",), _ORAL),
    "Meloxicam": (("meloxicam",), _ORAL),
    "Meloxicam (Mobic)": (("meloxicam",), _ORAL),
    "Celecoxib": (("celecoxib",), _ORAL),
    "Celebrex": (("celecoxib",), _ORAL),
    "Diclofenac sodium ER": (("diclofenac",), _ORAL),
    "Diclofenac ER": (("diclofenac",), _ORAL),
    "Voltaren": (("diclofenac",), _ORAL),
    "Voltaren XR": (("diclofenac",), _ORAL),
    "Etodolac": (("etodolac",), _ORAL),
    "Nabumetone": (("nabumetone",), _ORAL),
    "Relafen": (("nabumetone",), _ORAL),
    "Gabapentin": (("gabapentin",), _ORAL),
    "Neurontin": (("gabapentin",), _ORAL),
    "Lyrica": (("pregabalin",), _ORAL),
    "Pregabalin": (("pregabalin",), _ORAL),
    "Topiramate": (("topiramate",), _ORAL),
    "Topamax": (("topiramate",), _ORAL),
    "Cymbalta": (("duloxetine",), _ORAL),
    "Duloxetine": (("duloxetine",), _ORAL),
    "Amitriptyline": (("amitriptyline",), _ORAL),
    "Nortriptyline HCL": (("nortriptyline",), _ORAL),
    "Pamelor": (("nortriptyline",), _ORAL),
    "Wellbutrin": (("bupropion",), _ORAL),
    "Trazodone": (("trazodone",), _ORAL),
    "Effexor XR": (("venlafaxine",), _ORAL),
    "Ambien": (("zolpidem",), _ORAL),
    "Zolpidem": (("zolpidem",), _ORAL),
    "Ambien CR": (("zolpidem",), _ORAL),
    "Lunesta": (("eszopiclone",), _ORAL),
    "Eszopiclone": (("eszopiclone",), _ORAL),
    "Sonata": (("zaleplon",), _ORAL),
    "Belsomra": (("suvorexant",), _ORAL),
    "Omeprazole": (("omeprazole",), _ORAL),
    "Prilosec": (("omeprazole",), _ORAL),
    "Pantoprazole": (("pantoprazole",), _ORAL),
    "Protonix": (("pantoprazole",), _ORAL),
    "Esomeprazole": (("esomeprazole",), _ORAL),
    "Nexium": (("esomeprazole",), _ORAL),
    "Lansoprazole": (("lansoprazole",), _ORAL),
    "Dexilant": (("dexlansoprazole",), _ORAL),
    "Viagra": (("sildenafil",), _ORAL),
    "Sildenafil": (("sildenafil",), _ORAL),
    "Xanax": (("alprazolam",), _ORAL),
    "Alprazolam": (("alprazolam",), _ORAL),
    "Ativan": (("lorazepam",), _ORAL),
    "Lorazepam": (("lorazepam",), _ORAL),
    "Valium": (("diazepam",), _ORAL),
    "Diazepam": (("diazepam",), _ORAL),
    "Clonazepam": (("clonazepam",), _ORAL),
    "Famotidine": (("famotidine",), _ORAL),
    "Pepcid": (("famotidine",), _ORAL),
    "Ranitidine": (("ranitidine",), _ORAL),
    "Colace": (("docusate",), _ORAL),
    "Docusate sodium": (("docusate",), _ORAL),
    "Senna": (("sennosides",), _ORAL),
    "Ondansetron": (("ondansetron",), _ORAL),
    "Zofran ODT": (("ondansetron",), _ORAL),
    "Medrol dose pak": (("methylprednisolone",), _ORAL),
    "Theramine": (("theramine",), _ORAL),
    "Sentra PM": (("sentra pm",), _ORAL),
    "Hydroxyzine": (("hydroxyzine",), _ORAL),
}

# Misspellings seen in letters (and some no list has), spelt so the taxonomy still knows the
# drug: the parser must map them to the generic all the same.
_MISSPELT: dict[str, str] = {
    "Tramadol": "Tramadal",
    "Naproxen": "Naproxyn",
    "Ibuprofen": "Ibuprofin",
    "Gabapentin": "Gabapentine",
    "Celecoxib": "Celecoxcib",
    "Cyclobenzaprine": "Cyclobenzaprin",
    "Oxycodone HCL": "Oxycodonne HCL",
    "Motrin": "Ibuprofan",
}

_TOPICAL_INGREDIENTS: dict[str, tuple[str, ...]] = {
    "Lidoderm 5% patch": ("lidocaine",),
    "Lidocaine 5% patches": ("lidocaine",),
    "Flector patch 1.3%": ("diclofenac",),
    "Flector patch": ("diclofenac",),
    "Voltaren gel 1%": ("diclofenac",),
    "Voltaren® Gel 1%": ("diclofenac",),
    "Pennsaid 2% solution": ("diclofenac",),
    "Terocin patch": ("lidocaine", "menthol"),
    "Terocin lotion": ("capsaicin", "lidocaine", "menthol", "methyl salicylate"),
    "Lidopro cream": ("capsaicin", "lidocaine", "menthol", "methyl salicylate"),
    "Salonpas patches": ("menthol", "methyl salicylate"),
    "Capsaicin 0.075% cream": ("capsaicin",),
    "Menthoderm gel": ("menthol", "methyl salicylate"),
    "Lidocaine ointment 5%": ("lidocaine",),
    "Diclofenac sodium 1.5% solution": ("diclofenac",),
}

_COMPOUND_NAMES: dict[str, tuple[tuple[str, ...], str]] = {
    _COMPOUNDS[0]: (("flurbiprofen", "lidocaine"), _TOPICAL),
    _COMPOUNDS[1]: (("flurbiprofen", "lidocaine"), _TOPICAL),
    _COMPOUNDS[2]: (("dextromethorphan", "flurbiprofen", "lidocaine"), _TOPICAL),
    _COMPOUNDS[3]: (("amitriptyline", "capsaicin", "dextromethorphan", "lidocaine"), _TOPICAL),
    _COMPOUNDS[4]: (("cyclobenzaprine", "ketoprofen", "lidocaine"), _TOPICAL),
    _COMPOUNDS[5]: (("amitriptyline", "bupivacaine", "gabapentin"), _TOPICAL),
    _COMPOUNDS[6]: (("camphor", "capsaicin", "flurbiprofen", "gabapentin", "menthol"), _TOPICAL),
    _COMPOUNDS[7]: (("baclofen", "flurbiprofen", "lidocaine"), _TOPICAL),
    _COMPOUNDS[8]: (("gabapentin",), _ORAL),  # Fanatrex: an oral kit, named by its drug
    _COMPOUNDS[9]: (("tramadol",), _ORAL),  # Synapryn
    _COMPOUNDS[10]: (("cyclobenzaprine",), _ORAL),  # Tabradol
    _COMPOUNDS[11]: (("diphenhydramine",), _ORAL),  # Dicopanol
    _COMPOUNDS[12]: (("ranitidine",), _ORAL),  # Deprizine
    _COMPOUNDS[13]: (("ketoprofen",), _TOPICAL),  # Ketophene
    _COMPOUNDS[14]: (("camphor", "gabapentin", "menthol", "tramadol"), _TOPICAL),
}

# Drugs dispensed for an implanted pump are injected, whatever the text says of a form.
_PUMP_INGREDIENTS: dict[str, tuple[str, ...]] = {
    _ANESTHETICS[0]: ("bupivacaine",),
    _ANESTHETICS[1]: ("bupivacaine",),
    _ANESTHETICS[2]: ("bupivacaine",),
    _ANESTHETICS[3]: ("ropivacaine",),
    _PUMP_OPIOIDS[0]: ("hydromorphone",),
    _PUMP_OPIOIDS[1]: ("fentanyl",),
    _PUMP_OPIOIDS[2]: ("morphine",),
    _PUMP_OPIOIDS[3]: ("hydromorphone",),
}


def drug_treatment(ingredients: tuple[str, ...], route: str) -> str:
    """The `treatment` of a drug item: its ingredients, then its route family."""
    return " / ".join(sorted(ingredients)) + " · " + route


def _named_drug(d: Draft, ingredients: tuple[str, ...], route: str) -> Draft:
    d.ingredients = tuple(sorted(ingredients))
    d.regions = ()
    d.treatment = drug_treatment(ingredients, route)
    return d


_FREQ = (
    "one tablet twice a day",
    "one by mouth, twice a day",
    "one tablet three times daily",
    "one at bedtime",
    "1 tab every 6 hours as needed",
)


def pharmaceutical(rng: random.Random, ctx: dict) -> Draft:
    r = rng.random()
    if r < 0.09:
        return _topical(rng)
    if r < 0.16:
        text = base = rng.choice(_COMPOUNDS)
        if rng.random() < 0.15:
            text = f"Retrospective {text[:1].lower() + text[1:]} (DOS: {_short_date(rng, ctx)})"
        ingredients, route = _COMPOUND_NAMES[base]
        d = Draft(text, PHARMA, "compound", "compound", "general", mod2="a one-month supply")
        return _named_drug(d, ingredients, route)
    if r < 0.175:
        text = rng.choice(_ANESTHETICS)
        d = Draft(text, PHARMA, "anesthetic", "anesthetic", "low_back")
        return _named_drug(d, _PUMP_INGREDIENTS[text], _INJECTION)
    if r < 0.185:
        text = rng.choice(_PUMP_OPIOIDS)
        d = Draft(text, PHARMA, "opioid", "anesthetic", "low_back")
        return _named_drug(d, _PUMP_INGREDIENTS[text], _INJECTION)
    name, klass, doses, qtys, profile = rng.choice(_DRUGS)
    dose = rng.choice(doses)
    q = rng.choice(qtys)
    ingredients, route = _GENERIC[name]
    if name in _MISSPELT and rng.random() < 0.08:
        name = _MISSPELT[name]
    nd = f"{name} {dose}".strip()
    drug_name = name.split()[0].split("/")[0].strip("()")
    form = rng.random()
    mod1 = None
    if form < 0.40:
        text = f"{nd} #{q}"
        m = _authorised_part(rng, q)
        if m:
            mod1 = (text, f"{nd} #{m}", f"{nd} #{q - m}")
    elif form < 0.50:
        text = f"{nd}, #{q}"
    elif form < 0.58:
        refills = rng.choice((1, 2, 3))
        text = f"{nd} #{q} with {refills} refill{'s' if refills > 1 or rng.random() < 0.5 else ''}"
        mod1 = (text, f"{nd} #{q}", f"{_cap(word(refills))} refills of {nd} #{q}")
    elif form < 0.63:
        text = f"{nd} tab #{q}"
    elif form < 0.68:
        text = f"{nd}, {rng.choice(_FREQ)}, #{q}"
        if rng.random() < 0.4:
            text += " with one refill"
    elif form < 0.73:
        text = f"Retrospective {nd} tab #{q} DOS: {_short_date(rng, ctx)}"
    elif form < 0.77:
        text = f"Retrospective request for {nd} #{q} (DOS: {_short_date(rng, ctx)})"
    elif form < 0.80 and klass == "opioid":
        text = f"{nd} #{q} day supply: 30"
    elif form < 0.84:
        text = f"Prospective request for 1 prescription of {nd} #{q}"
    elif form < 0.90:
        text = nd
    elif form < 0.92:
        text = f"{_cap(word(rng.choice((2, 3, 6))))} months coverage of {nd}"
    elif form < 0.96:
        text = f"{nd} QTY: {q}"
    else:
        text = f"1 prescription of {nd} #{q}"
    d = Draft(
        text,
        PHARMA,
        klass,
        profile,
        "general",
        mod1=mod1,
        mod2=rng.choice(
            ("a one-month supply", "a quantity for weaning purposes", f"{nd} #{max(q // 2, 10)}")
        ),
        drug=drug_name,
    )
    return _named_drug(d, ingredients, route)


def _authorised_part(rng: random.Random, q: int) -> int | None:
    if q < 20:
        return None
    m = rng.choice((q // 2, q * 2 // 3, q * 3 // 4, q - 30 if q > 45 else q // 3))
    return m if 0 < m < q else None


def _topical(rng: random.Random) -> Draft:
    name, sizes = rng.choice(_TOPICALS)
    size = rng.choice(sizes)
    text = f"{name} {size}".strip()
    d = Draft(text, PHARMA, "topical analgesic", "topical", "general", mod2="one tube")
    return _named_drug(d, _TOPICAL_INGREDIENTS[name], _TOPICAL)


# ---------------------------------------------------------------------------------------
# Rehabilitation services
# ---------------------------------------------------------------------------------------

_THERAPY_REGIONS = {
    "low_back": ("lumbar spine", "low back", "the lumbar spine", "lumbar"),
    "neck": ("cervical spine", "neck", "the cervical spine"),
    "shoulder": ("right shoulder", "left shoulder", "bilateral shoulders"),
    "knee": ("right knee", "left knee"),
    "hand": ("left hand", "right wrist", "right hand and wrist"),
    "elbow": ("right elbow", "left elbow"),
    "hip": ("right hip", "left hip"),
    "ankle": ("left ankle", "right foot and ankle"),
}


# The body region (treatment-names.md) each region key of the generator stands for.
REGION_OF_KEY: dict[str, str] = {
    "low_back": "lumbar spine",
    "neck": "cervical spine",
    "thoracic": "thoracic spine",
    "shoulder": "shoulder",
    "knee": "knee",
    "hand": "wrist/hand",
    "elbow": "elbow",
    "hip": "hip",
    "ankle": "ankle/foot",
    "head": "head",
}


def _named(d: Draft, treatment: str, regions: tuple[str, ...] | str = ()) -> Draft:
    """Set an item's naming truth: its treatment and the regions its text names (a region key
    such as ``"knee"`` or a tuple of region names)."""
    d.treatment = treatment
    d.ingredients = ()
    d.regions = (REGION_OF_KEY[regions],) if isinstance(regions, str) else tuple(sorted(regions))
    return d


def _region(rng: random.Random, keys: tuple[str, ...] | None = None) -> tuple[str, str]:
    key = rng.choice(keys or tuple(_THERAPY_REGIONS))
    return key, rng.choice(_THERAPY_REGIONS[key])


def rehabilitation(rng: random.Random, ctx: dict) -> Draft:
    key, where = _region(rng)
    the = where if where.startswith("the ") else f"the {where}"
    r = rng.random()
    if r < 0.42:
        f, w = rng.choice(((2, 3), (2, 4), (2, 6), (3, 4), (3, 2), (1, 6), (2, 8)))
        n = f * w
        words = rng.random() < 0.4
        fs, ws = (word(f), word(w)) if words else (str(f), str(w))
        lead = rng.choice(("Physical therapy", "Additional physical therapy", "Physical therapy"))
        style = rng.random()
        if style < 0.4:
            text = f"{lead} {fs} times a week for {ws} weeks for {the}"
        elif style < 0.6:
            text = f"{lead} for {the} {fs} times a week for {ws} weeks"
        elif style < 0.75:
            text = f"{lead} {f}x{w} for {the}"
        elif style < 0.85:
            text = f"{_cap(word(n))} physical therapy sessions for {the}"
        else:
            text = f"Physical therapy x {n} sessions, {where}"
        base = f"{lead} {fs} times a week for {ws} weeks ({n} sessions)"
        k = rng.choice([x for x in (n // 2, n - 2, n - 4, 6) if 0 < x < n] or [1])
        mod1 = (
            base,
            rng.choice(
                (f"Physical therapy for {k} sessions", f"{_cap(word(k))} physical therapy sessions")
            ),
            rng.choice(
                (f"{n - k} sessions of physical therapy", f"Physical therapy for {n - k} sessions")
            ),
        )
        return _named(
            Draft(text, REHAB, None, "pt", key, mod1=mod1, mod2=f"{k} sessions"),
            "physical therapy",
            key,
        )
    if r < 0.50:
        text, treatment, regions = rng.choice(
            (
                (f"Physical therapy evaluation, {where}", "physical therapy evaluation", key),
                (f"Physical therapy evaluation and treatment for {the}", "physical therapy", key),
                ("Physical therapy re-evaluation", "physical therapy evaluation", ()),
            )
        )
        return _named(Draft(text, REHAB, None, "pt", key), treatment, regions)
    if r < 0.58:
        n = rng.choice((8, 12, 6))
        text, regions = rng.choice(
            (
                (
                    f"Post-operative physical therapy 2 times a week for {n // 2} weeks for {the}",
                    key,
                ),
                (f"Post-op physical therapy x {n}", ()),
                (f"Post operative physical therapy for {the} {n} sessions", key),
            )
        )
        d = Draft(text, REHAB, None, "postop_pt", key, mod2=f"{n // 2} sessions")
        return _named(d, "physical therapy", regions)
    if r < 0.72:
        n = rng.choice((6, 8, 12))
        k = n // 2
        text, treatment, regions = rng.choice(
            (
                (f"Chiropractic manipulation {n} sessions", "chiropractic", ()),
                (f"Chiropractic treatment for {the}, {n} visits", "chiropractic", key),
                (f"Chiropractic care for {the}; {word(n)} sessions", "chiropractic", key),
                (
                    f"Chiro with modalities 2 times a week for {n // 2} weeks for {where}",
                    "chiropractic",
                    key,
                ),
                (
                    f"Additional chiropractic three times a week for two weeks for {the}",
                    "chiropractic",
                    key,
                ),
                (
                    f"Referral to chiropractor for evaluation of {where} pain",
                    "chiropractic evaluation",
                    key,
                ),
                ("Chiropractic re-evaluation", "chiropractic evaluation", ()),
            )
        )
        mod1 = (
            f"Chiropractic treatment {n} visits for {the}",
            f"Chiropractic treatment {k} visits",
            f"Chiropractic treatment {n - k} visits",
        )
        d = _named(Draft(text, REHAB, None, "chiro", key, mod1=mod1), treatment, regions)
        d.mod1_regions = (REGION_OF_KEY[key],)  # the original request names the region
        d.mod1_treatment = "chiropractic"  # the remainder is treatment visits
        return d
    if r < 0.84:
        n = rng.choice((6, 8, 12))
        k = rng.choice((6, 4)) if n > 6 else 3
        text, regions = rng.choice(
            (
                (f"Acupuncture x {n}", ()),
                (f"Acupuncture for {n} sessions", ()),
                (f"Acupuncture 2 times a week for {n // 2} weeks, {where}", key),
                (f"Initial acupuncture, 1 to 2 times per week for 4 weeks, for {the}", key),
                (f"Acupuncture therapy sessions {where} #{n}", key),
            )
        )
        mod1 = (
            f"Acupuncture for {n} sessions",
            f"Acupuncture for {k} sessions",
            f"Acupuncture for {n - k} sessions",
        )
        return _named(
            Draft(text, REHAB, None, "acupuncture", key, mod1=mod1), "acupuncture", regions
        )
    if r < 0.92:
        text, treatment, regions = rng.choice(
            (
                ("Aquatic therapy x 6", "aquatic therapy", ()),
                (f"Massage therapy 6 sessions for {the}", "massage therapy", key),
                (
                    f"Extracorporeal shockwave therapy x 3 sessions for {the}",
                    "shockwave therapy",
                    key,
                ),
                ("In-office electrical stimulation 1 times 8", "electrical stimulation", ()),
                ("Ultrasound 1 times 8", "therapeutic ultrasound", ()),
                ("Gym membership x 6 months", "gym membership", ()),
                (f"Home exercise kit for {the}", "home exercise program", key),
            )
        )
        return _named(Draft(text, REHAB, None, "massage", key), treatment, regions)
    text = rng.choice(
        (
            "Work hardening program 10 sessions",
            "Work conditioning 12 visits",
            "Work hardening 2 times a week for 6 weeks",
        )
    )
    return _named(Draft(text, REHAB, None, "work_hardening", key), "work hardening")


# ---------------------------------------------------------------------------------------
# Diagnostic tests
# ---------------------------------------------------------------------------------------

_IMAGING_PARTS = {
    "low_back": ("lumbar spine", "lumbosacral spine", "Lumbar spine"),
    "neck": ("cervical spine", "Cervical Spine"),
    "thoracic": ("thoracic spine", "Thoracic Spine"),
    "shoulder": ("right shoulder", "left shoulder"),
    "knee": ("right knee", "left knee"),
    "hand": ("right wrist", "left hand", "right hand"),
    "elbow": ("right elbow", "left elbow"),
    "hip": ("right hip", "left hip"),
    "ankle": ("left ankle", "right foot"),
}


def diagnostic(rng: random.Random, ctx: dict) -> Draft:
    key = rng.choice(tuple(_IMAGING_PARTS))
    part = rng.choice(_IMAGING_PARTS[key])
    r = rng.random()
    if r < 0.45:
        text = rng.choice(
            (
                f"MRI of the {part} without contrast",
                f"MRI of the {part}",
                f"MRI {part}",
                f"MRI (magnetic resonance imaging) of the {part}",
                f"{_cap(part)} MRI without contrast",
                f"MRI scan of the {part}",
                f"MRI without contrast of the {part}",
                f"Single positional MRI of the {part}",
                f"Retrospective MRI of the {part} (DOS: {_short_date(rng, ctx)})",
                f"MRI of the {part} with and without contrast, #1",
            )
        )
        treatment = "mri"
        if key == "shoulder" and rng.random() < 0.15:
            text, treatment = f"MR Arthrogram of the {part}", "mr arthrogram"
        if key == "low_back" and rng.random() < 0.05:
            text = "MRI of the lumbosacral spine without contrast, 1.5 Tesla or higher only"
        return _named(Draft(text, DIAG, None, "imaging", key), treatment, key)
    if r < 0.60:
        text, treatment = rng.choice(
            (
                (f"CT scan of the {part}", "ct"),
                (f"X-rays of the {part}", "x-ray"),
                (f"{_cap(part)} x-rays", "x-ray"),
                (f"X-Ray of the {part}, 3 views", "x-ray"),
                (f"Bone scan of the {part}", "bone scan"),
                (f"Diagnostic ultrasound of the {part}", "ultrasound"),
                (f"Retrospective CT scan of the {part} (DOS {_short_date(rng, ctx)})", "ct"),
            )
        )
        if rng.random() < 0.06:
            text, key = rng.choice(("CT scan of head", "CT scan of the head")), "head"
            treatment = "ct"
        return _named(Draft(text, DIAG, None, "ct_xray", key), treatment, key)
    if r < 0.76:
        limbs = rng.choice(
            (
                "bilateral lower extremities",
                "bilateral upper extremities",
                "left upper extremity",
                "right lower extremity",
            )
        )
        lk = "low_back" if "lower" in limbs else "neck"
        text = rng.choice(
            (
                f"EMG/NCV {limbs}",
                f"EMG/NCS of the {limbs}",
                f"EMG of the {limbs}",
                f"NCS of the {limbs}",
                f"NCV {limbs} QTY: 2",
                f"EMG and NCS of the {limbs}",
                f"NCV of the {limbs}, 2",
            )
        )
        limb = "lower extremity" if "lower" in limbs else "upper extremity"
        return _named(Draft(text, DIAG, None, "emg", lk), "emg/ncs", (limb,))
    if r < 0.88:
        text = rng.choice(
            (
                "Urine drug screen",
                "Urine drug testing",
                "Urine toxicology screen",
                f"Retrospective urine drug screen (DOS: {_short_date(rng, ctx)})",
                "Random urine drug screen x 4 per year",
            )
        )
        return _named(Draft(text, DIAG, None, "udt", "general"), "urine drug screen")
    text, treatment = rng.choice(
        (
            ("Labs to include: CBC, CMP", "laboratory tests"),
            ("Labs to include: EKG", "ekg"),
            ("Pre-op labs: CBC, BMP, PT/PTT", "laboratory tests"),
            ("Sleep study", "sleep study"),
            ("Functional capacity evaluation", "functional capacity evaluation"),
            ("Computerized range of motion testing", "range of motion testing"),
            ("Grip strength testing", "grip strength testing"),
            ("Hepatic function panel", "laboratory tests"),
            ("Comprehensive metabolic panel", "laboratory tests"),
        )
    )
    return _named(Draft(text, DIAG, None, "labs", "general"), treatment)


# ---------------------------------------------------------------------------------------
# DMEPOS
# ---------------------------------------------------------------------------------------


def dmepos(rng: random.Random, ctx: dict) -> Draft:
    r = rng.random()
    if r < 0.35:
        text, treatment, regions = rng.choice(
            (
                ("TENS unit", "tens unit", ()),
                (
                    "TENS unit, daily trial, cervical and thoracic spine, #30",
                    "tens unit",
                    ("cervical spine", "thoracic spine"),
                ),
                ("30 day rental of IF unit", "interferential unit", ()),
                ("Interferential unit purchase", "interferential unit", ()),
                ("H-wave unit 30 day trial", "h-wave unit", ()),
                ("TENS unit supplies (electrodes and batteries) x 3 months", "tens supplies", ()),
                ("Purchase of TENS unit", "tens unit", ()),
                ("30-day rental of an interferential unit", "interferential unit", ()),
            )
        )
        d = Draft(text, DME, None, "tens", "low_back", mod2="a 30-day rental")
        return _named(d, treatment, regions)
    if r < 0.42:
        text, treatment = rng.choice(
            (
                ("Pump kit and Analy pump", "pump refill kit"),
                ("Purchase of Pain pump", "pain pump"),
                ("Pump refill kit", "pump refill kit"),
            )
        )
        return _named(Draft(text, DME, None, "pump", "low_back"), treatment)
    # (text, region key for the citations, treatment, whether the text names the region)
    choices = (
        ("Lumbar support", "low_back", "brace", True),
        ("Lumbosacral orthosis (LSO) brace", "low_back", "brace", True),
        ("Back brace", "low_back", "brace", True),
        ("Knee brace", "knee", "brace", True),
        ("Hinged knee brace, left", "knee", "brace", True),
        ("Wrist braces #2", "hand", "brace", True),
        ("Elbow braces #2", "elbow", "brace", True),
        ("Cervical pillow", "neck", "cervical pillow", True),
        ("Wedge pillow", "neck", "wedge pillow", False),
        ("Soft cervical collar", "neck", "brace", True),
        ("Hot/cold therapy unit", "shoulder", "cold therapy unit", False),
        ("Cold therapy unit 7 day rental", "shoulder", "cold therapy unit", False),
        ("Cold compression therapy 30 day rental", "knee", "cold therapy unit", False),
        ("Front-wheeled walker", "hip", "walker", False),
        ("Shower chair", "hip", "shower chair", False),
        ("Commode", "hip", "commode", False),
        ("Hospital bed", "low_back", "hospital bed", False),
        ("Single point cane", "knee", "cane", False),
        ("Custom orthotics", "ankle", "orthotics", False),
        ("Sit-stand workstation", "low_back", "sit-stand workstation", False),
        ("Pneumatic compression device", "knee", "compression device", False),
        ("Thumb spica splint", "hand", "brace", True),
    )
    text, key, treatment, named = rng.choice(choices)
    return _named(Draft(text, DME, None, "dme", key), treatment, key if named else ())


# ---------------------------------------------------------------------------------------
# Surgery
# ---------------------------------------------------------------------------------------

_SURGERIES: tuple[tuple[str, str], ...] = (  # (text, region key)
    ("Right shoulder arthroscopy RCR (rotator cuff repair) and decompression", "shoulder"),
    (
        "Right shoulder arthroscopy with rotator cuff repair and subacromial decompression",
        "shoulder",
    ),
    (
        "Right Shoulder Arthroscopy with rotator cuff repair vs debridement, subacromial "
        "decompression/acromioplasty and possible proximal biceps tenodynovitis",
        "shoulder",
    ),
    ("Left shoulder arthroscopic labral repair", "shoulder"),
    ("L4-L5 lumbar fusion", "low_back"),
    ("Lumbar laminectomy/discectomy at L4-5", "low_back"),
    ("Posterior lumbar interbody fusion L4-S1 with instrumentation", "low_back"),
    ("Anterior cervical discectomy and fusion C5-6", "neck"),
    ("Anterior cervical discectomy and fusion at C5-C6 and C6-C7", "neck"),
    ("Right carpal tunnel release", "hand"),
    ("Left carpal tunnel release, endoscopic", "hand"),
    ("Trigger finger release, right ring finger", "hand"),
    ("Left cubital tunnel release", "elbow"),
    ("Right lateral epicondyle release", "elbow"),
    ("Left knee arthroscopy with partial medial meniscectomy", "knee"),
    ("Right knee arthroscopy with evaluation of ACL, medical meniscectomy", "knee"),
    ("Arthroscopy of the left knee", "knee"),
    ("Right total knee arthroplasty", "knee"),
    ("Right hip arthroscopy with labral debridement", "hip"),
    ("Left ankle arthroscopy with debridement", "ankle"),
    ("OUTPATIENT ITT PUMP IMPLANT", "low_back"),
    ("Pain pump for the lumbar spine", "low_back"),
    ("Permanent spinal cord stimulator implant", "low_back"),
    ("Intrathecal pump replacement", "low_back"),
)


# What each surgery is (its established name) and whether its text names its region.
_SURGERY_NAMES: dict[str, tuple[str, bool]] = {
    _SURGERIES[0][0]: ("shoulder arthroscopy", True),
    _SURGERIES[1][0]: ("shoulder arthroscopy", True),
    _SURGERIES[2][0]: ("shoulder arthroscopy", True),
    _SURGERIES[3][0]: ("shoulder arthroscopy", True),
    _SURGERIES[4][0]: ("lumbar fusion", True),
    _SURGERIES[5][0]: ("lumbar decompression", True),
    _SURGERIES[6][0]: ("lumbar fusion", True),
    _SURGERIES[7][0]: ("cervical fusion", True),
    _SURGERIES[8][0]: ("cervical fusion", True),
    _SURGERIES[9][0]: ("carpal tunnel release", True),
    _SURGERIES[10][0]: ("carpal tunnel release", True),
    _SURGERIES[11][0]: ("trigger finger release", True),
    _SURGERIES[12][0]: ("cubital tunnel release", True),
    _SURGERIES[13][0]: ("lateral epicondyle release", True),
    _SURGERIES[14][0]: ("knee arthroscopy", True),
    _SURGERIES[15][0]: ("knee arthroscopy", True),
    _SURGERIES[16][0]: ("knee arthroscopy", True),
    _SURGERIES[17][0]: ("total knee arthroplasty", True),
    _SURGERIES[18][0]: ("hip arthroscopy", True),
    _SURGERIES[19][0]: ("ankle arthroscopy", True),
    _SURGERIES[20][0]: ("intrathecal pump implantation", False),
    _SURGERIES[21][0]: ("pain pump", True),
    _SURGERIES[22][0]: ("spinal cord stimulator implantation", False),
    _SURGERIES[23][0]: ("pump replacement", False),
}


def surgery(rng: random.Random, ctx: dict) -> Draft:
    text, key = rng.choice(_SURGERIES)
    treatment, named = _SURGERY_NAMES[text]
    profile = "pump" if ("PUMP" in text.upper() or "stimulator" in text) else "surgery"
    if rng.random() < 0.04:
        text, profile = rng.choice(("PA assist", "Assistant surgeon")), "surgery"
        treatment, named = "surgical assistant", False
    return _named(Draft(text, SURGERY, None, profile, key), treatment, key if named else ())


# ---------------------------------------------------------------------------------------
# Injections
# ---------------------------------------------------------------------------------------


def injection(rng: random.Random, ctx: dict) -> Draft:
    r = rng.random()
    if r < 0.35:
        lvl = rng.choice(("L4-5", "L5-S1", "L4-L5", "L3-4"))
        side = rng.choice(("Right", "Left", "Bilateral"))
        text = rng.choice(
            (
                f"Lumbar ESI {lvl}",
                f"{side} {lvl} epidural steroid injection",
                f"{side} L4 transforaminal epidural steroid injection under fluoroscopic guidance",
                "Cervical epidural steroid injection C6-7",
                f"Interlaminar epidural steroid injection at {lvl}",
                "Caudal epidural steroid injection",
            )
        )
        key = "neck" if "Cervical" in text else "low_back"
        regions = () if text.startswith("Caudal") else key  # "caudal" names no region
        return _named(
            Draft(text, INJECTIONS, None, "esi", key), "epidural steroid injection", regions
        )
    if r < 0.55:
        text, treatment = rng.choice(
            (
                ("Facet joint injections L4-5, L5-S1", "facet joint injection"),
                ("Bilateral L4-L5 medial branch blocks", "medial branch block"),
                ("Radiofrequency ablation bilateral L3-L5", "radiofrequency ablation"),
                ("Cervical facet injections C4-C6, bilateral", "facet joint injection"),
                ("Sacroiliac joint injection, right", "sacroiliac joint injection"),
                ("Neuroplasty, lumbar spine", "epidural adhesiolysis"),
                ("Injection of neurolytic substance, lumbar spine", "neurolytic injection"),
            )
        )
        key = "neck" if "Cervical" in text else "low_back"
        regions = ("sacroiliac/pelvis",) if text.startswith("Sacroiliac") else key
        return _named(Draft(text, INJECTIONS, None, "facet", key), treatment, regions)
    if r < 0.70:
        text, treatment, regions = rng.choice(
            (
                ("Trigger point injections x 4", "trigger point injection", ()),
                ("Trigger point injections to the trapezius, #4", "trigger point injection", ()),
                ("Botox injections 200 units", "botox injection", ()),
                ("Occipital nerve block", "occipital nerve block", ("head",)),
                ("Stellate ganglion block x 3", "sympathetic nerve block", ()),
            )
        )
        return _named(Draft(text, INJECTIONS, None, "tpi", "neck"), treatment, regions)
    if r < 0.90:
        key, where = _region(rng, ("knee", "shoulder", "hip", "hand", "elbow"))
        text, treatment = rng.choice(
            (
                (f"Cortisone injection to the {where}", "joint injection"),
                (
                    f"One platelet-rich plasma injection to the {where}",
                    "platelet-rich plasma injection",
                ),
                (f"Synvisc-One injection to the {where}", "viscosupplementation"),
                (
                    f"Injection 5cc of lidocaine and 1cc of dexamethasone to the {where}",
                    "joint injection",
                ),
                (f"Ultrasound guided corticosteroid injection, {where}", "joint injection"),
            )
        )
        return _named(Draft(text, INJECTIONS, None, "joint_injection", key), treatment, key)
    text, treatment = rng.choice(
        (
            ("IT Pain Pump Trial", "intrathecal pump trial"),
            ("Spinal cord stimulator trial", "spinal cord stimulator trial"),
            ("Intrathecal pump trial", "intrathecal pump trial"),
        )
    )
    return _named(Draft(text, INJECTIONS, None, "pump_trial", "low_back"), treatment)


# ---------------------------------------------------------------------------------------
# Evaluation and management, behavioural health, programmes, home health
# ---------------------------------------------------------------------------------------


def evaluation(rng: random.Random, ctx: dict) -> Draft:
    text, treatment = rng.choice(
        (
            ("Follow-up visit in 6 weeks", "office visit"),
            ("Follow-up visit with pain management", "office visit"),
            ("Referral to pain management", "pain management consultation"),
            ("Referral to orthopedic surgeon", "orthopedic consultation"),
            ("Consultation with a spine surgeon", "orthopedic consultation"),
            ("Neurology consultation", "neurology consultation"),
            ("Medical Clearance", "medical clearance"),
            ("Internal medicine consultation", "internal medicine consultation"),
            ("Dental consultation", "dental treatment"),
            ("Office visit with the primary treating physician", "office visit"),
            ("Initial exam", "office visit"),
            ("Orthopedic follow-up visits x 4", "office visit"),
            ("Pain management consultation and treatment", "pain management consultation"),
        )
    )
    return _named(Draft(text, EM, None, "visit", "general", mod2="one visit"), treatment)


def behavioral(rng: random.Random, ctx: dict) -> Draft:
    n = rng.choice((4, 6, 8, 12))
    text, treatment = rng.choice(
        (
            (f"Cognitive behavioral therapy {n} sessions", "psychotherapy"),
            ("Psychological evaluation", "psychological evaluation"),
            (f"Psychotherapy 1 time a week for {n} weeks", "psychotherapy"),
            (f"Biofeedback {n} sessions", "biofeedback"),
            ("Psychiatric evaluation", "psychiatric evaluation"),
            ("Psychological evaluation and testing", "psychological evaluation"),
            ("Partial Hospitalization day treatment", "partial hospitalization program"),
            (f"Group psychotherapy x {n} sessions", "psychotherapy"),
        )
    )
    mod1 = (
        f"Cognitive behavioral therapy {n} sessions",
        f"Cognitive behavioral therapy {n // 2} sessions",
        f"Cognitive behavioral therapy {n - n // 2} sessions",
    )
    d = Draft(
        text,
        PSYCH,
        None,
        "psych",
        "general",
        mod1=mod1 if text.startswith("Cognitive") else None,
        mod2=f"an Evaluation only for a {text}",
    )
    return _named(d, treatment)


def program(rng: random.Random, ctx: dict) -> Draft:
    text, treatment, regions = rng.choice(
        (
            ("28 day functional restoration program", "functional restoration program", ()),
            ("Functional restoration program 80 hours", "functional restoration program", ()),
            ("Functional restoration program x 160 hours", "functional restoration program", ()),
            ("HELP program x 4 weeks", "functional restoration program", ()),
            ("Chronic pain management program, 10 days", "chronic pain program", ()),
            ("Weight loss program", "weight loss program", ()),
            ("Detox program", "detoxification program", ()),
            ("Brain injury program, 30 days", "brain injury program", ("head",)),
        )
    )
    d = Draft(text, PROGRAMS, None, "program", "general", mod2="an initial 2-week trial")
    return _named(d, treatment, regions)


def home_health(rng: random.Random, ctx: dict) -> Draft:
    text, treatment = rng.choice(
        (
            ("Home health care 4 hours a day, 5 days a week for 4 weeks", "home health care"),
            (
                "Home health aide 12 hours per day, 5 times a week for 4 weeks to assist with "
                "mobility, transfer, ADL's and safety in the home",
                "home health care",
            ),
            ("Skilled nursing facility stay x 7 days", "skilled nursing facility"),
            ("Inpatient rehabilitation facility x 14 days", "inpatient rehabilitation"),
            ("Transportation to and from appointments", "transportation"),
            ("Home health nursing visits x 6", "home health care"),
        )
    )
    mod1 = None
    if text.startswith("Home health aide"):
        rest = "per day, 5 times a week for 4 weeks to assist with mobility, transfer, ADL's and safety in the home"
        mod1 = (text, f"Home health aide 6 hours {rest}", f"Home health aide 6 hours {rest}")
    return _named(Draft(text, HOME, None, "home_health", "knee", mod1=mod1), treatment)


GENERATORS = {
    PHARMA: pharmaceutical,
    REHAB: rehabilitation,
    DIAG: diagnostic,
    DME: dmepos,
    SURGERY: surgery,
    INJECTIONS: injection,
    EM: evaluation,
    PSYCH: behavioral,
    PROGRAMS: program,
    HOME: home_health,
}

# Items that follow a surgery in the same letter: (text, category, profile, prefixed).
_ANCILLARIES: tuple[tuple[str, str, str, bool], ...] = (
    ("Shoulder sling with abduction pillow", DME, "dme", True),
    ("Cold therapy unit 7 day rental", DME, "dme", True),
    ("Shoulder Brace", DME, "dme", True),
    ("Cryotherapy unit, seven day use", DME, "dme", True),
    ("Knee brace", DME, "dme", True),
    ("Front wheeled walker", DME, "dme", True),
    ("Continuous passive motion (CPM) machine 21 day rental", DME, "dme", True),
    ("Physical Therapy sessions, 12", REHAB, "postop_pt", True),
    ("Post-operative physical therapy x 12", REHAB, "postop_pt", True),
    ("Pre-op labs: CBC, BMP", DIAG, "labs", True),
    ("EKG", DIAG, "labs", True),
    ("Chest x-ray", DIAG, "labs", True),
    ("Medical clearance", EM, "visit", True),
    ("Assistant surgeon", SURGERY, "surgery", True),
    ("Home health nursing visits x 4", HOME, "home_health", True),
    ("Preoperative Medical Clearance", EM, "visit", False),
    ("Pre-op Clearance", EM, "visit", False),
    ("PA assist", SURGERY, "surgery", False),
    ("Post operative physical therapy 2 times a week for 6 weeks", REHAB, "postop_pt", False),
    ("Pre-operative EKG", DIAG, "labs", False),
)
# What each ancillary is: (treatment, regions its text names).
_ANCILLARY_NAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Shoulder sling with abduction pillow": ("sling", ("shoulder",)),
    "Cold therapy unit 7 day rental": ("cold therapy unit", ()),
    "Shoulder Brace": ("brace", ("shoulder",)),
    "Cryotherapy unit, seven day use": ("cold therapy unit", ()),
    "Knee brace": ("brace", ("knee",)),
    "Front wheeled walker": ("walker", ()),
    "Continuous passive motion (CPM) machine 21 day rental": (
        "continuous passive motion device",
        (),
    ),
    "Physical Therapy sessions, 12": ("physical therapy", ()),
    "Post-operative physical therapy x 12": ("physical therapy", ()),
    "Pre-op labs: CBC, BMP": ("laboratory tests", ()),
    "EKG": ("ekg", ()),
    "Chest x-ray": ("x-ray", ("chest",)),
    "Medical clearance": ("medical clearance", ()),
    "Assistant surgeon": ("surgical assistant", ()),
    "Home health nursing visits x 4": ("home health care", ()),
    "Preoperative Medical Clearance": ("medical clearance", ()),
    "Pre-op Clearance": ("medical clearance", ()),
    "PA assist": ("surgical assistant", ()),
    "Post operative physical therapy 2 times a week for 6 weeks": ("physical therapy", ()),
    "Pre-operative EKG": ("ekg", ()),
}


def ancillary(rng: random.Random, region: str, used: set[str]) -> Draft:
    """An item of a surgery's package (sling, pre-op labs, post-op therapy ...)."""
    for _ in range(6):
        text, cat, profile, prefixed = rng.choice(_ANCILLARIES)
        if text not in used:
            break
    used.add(text)
    treatment, regions = _ANCILLARY_NAMES[text]
    if prefixed:
        text = f"Associated surgical service: {text}"
    return _named(Draft(text, cat, None, profile, region, ancillary=True), treatment, regions)


def draw_category(rng: random.Random) -> str:
    total = sum(w for _, w in CATEGORY_WEIGHTS)
    x = rng.random() * total
    for cat, w in CATEGORY_WEIGHTS:
        x -= w
        if x < 0:
            return cat
    return CATEGORY_WEIGHTS[-1][0]


def draw_item(rng: random.Random, ctx: dict, category: str | None = None) -> Draft:
    cat = category or draw_category(rng)
    d = GENERATORS[cat](rng, ctx)
    if rng.random() < 0.02:
        d.text = d.text.upper()
        d.mod1 = None
    return d
