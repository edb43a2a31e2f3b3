"""What an item names, one way: generic ingredients, body regions and one `treatment` per request.

Defined in ``../shared/docs/treatment-names.md``. An analyst asking "how often is tramadol upheld?"
must get one row whether the letter says ``Ultram 50mg #60`` or ``Tramadol HCl ER 150 mg``; asking
about MRIs of the lumbar spine must not depend on how the request was worded. Everything an item
says beyond that (strength, count, frequency, side, level) is kept apart in ``strength``,
``quantity`` and ``quantity_unit``.

The vocabularies are data (``vocab/data/drug_lexicon.csv``, ``body_regions.csv``,
``treatments.csv``); this module holds only the general rules that apply them: ingredients are the
union of every drug name found, the route family comes from dose-form words before the product's
own route, a spinal level names its region, an evaluation with no course of visits is named as an
evaluation. It is a pure function of the item's texts, cached on the disputed text, because the
same few thousand item texts make up most of a corpus.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from ..vocab._lexicon import (
    INGREDIENT_JOIN,
    PRODUCT_KINDS,
    ROUTE_JOIN,
    DrugEntry,
    Lexicons,
    default_lexicons,
)
from ..vocab._matcher import folds_apart
from ..vocab._pattern import ANCILLARY_PREFIX, item_pattern

PHARMACEUTICALS = "Pharmaceuticals"

SPINE_REGIONS = ("cervical spine", "thoracic spine", "lumbar spine")

_ANCILLARY = re.compile(ANCILLARY_PREFIX, re.IGNORECASE)
_SPACE = re.compile(r"\s+")

# Route family by dose-form words, strongest first. A product's own route (Lidoderm: a patch)
# comes next, then the context of the letter (a drug for an intrathecal pump), then the usual
# route of the ingredient, then weak hints (a percentage, "solution").
_INJECTION_WORDS = re.compile(
    r"\b(?:inj(?:ection|ections|ectable)?|im|iv|intravenous\w*|intramuscular\w*|subcutaneous\w*|subq|"
    r"vials?|syringes?|ampules?|intrathecal\w*|intraspinal|infusions?|epidural)\b"
    r"|\bpump\s+refill|\bfor\s+(?:the\s+)?(?:\w+\s+)?pump\b|\brefill\w*\s+(?:of\s+)?(?:the\s+)?(?:\w+\s+)?pump\b"
)
_TOPICAL_WORDS = re.compile(
    r"\b(?:patch(?:es)?|creams?|gels?|emulgel|ointments?|oint|lotions?|topical\w*|transdermal\w*|"
    r"liniments?|balms?|roll-?on|foams?|rubs?)\b"
)
_OTHER_WORDS = re.compile(
    r"\b(?:nasal\w*|intranasal|inhal\w*|nebuli\w*|suppositor\w*|rectal\w*|ophthalmic|eye\s+drops|"
    r"otic|vaginal\w*)\b"
)
_ORAL_WORDS = re.compile(
    r"\b(?:tabs?|tablets?|caps?|capsules?|caplets?|oral\w*|by\s+mouth|po|suspension|syrup|elixir|"
    r"chewable|lozenges?|troches?|sublingual\w*|buccal|odt|softgels?|er|xr|sr|cr|dr|xl|la|ds|cd)\b"
)
_WEAK_TOPICAL = re.compile(r"\d\s*%|\b(?:solution|spray)\b")
# "pump" alone is not enough: a proton pump inhibitor's rationale says it too.
_PUMP_CONTEXT = re.compile(
    r"\bintrathecal|\bintraspinal|\bidds\b|\bdrug[\s-]+delivery\s+system|\bpump\s+refill"
    r"|\b(?:implant(?:ed|able)|infusion|pain)\s+pumps?\b"
)
_COUNTED = re.compile(r"#\s*\d|\b(?:qty|quantity)\b")
_COMPOUND_WORDS = re.compile(r"\bcompound\w*|\bcompd\b")
_CLASS_WORDS = re.compile(
    r"\b(?:opioids?|opiates?|narcotics?|muscle\s+relax\w*|nsaids?|anti-?inflammator\w*|"
    r"anti-?convulsant\w*|anti-?depressant\w*|sleep(?:ing)?\s+(?:aids?|medications?|pills?)|hypnotics?|"
    r"ppis?|proton\s+pump\s+inhibitors?|medications?|meds|analgesics?|topicals?|creams?|patch(?:es)?|"
    r"laxatives?|stool\s+softeners?|vitamins?|supplements?|benzodiazepines?)\b"
)
_DRUG_NOISE = re.compile(
    r"\b(?:tabs?|tablets?|caps?|capsules?|caplets?|oral|by\s+mouth|po|suspension|solution|syrup|elixir|"
    r"er|xr|sr|cr|dr|xl|ds|odt|hcl|sodium|potassium|prescriptions?|coverage|months?|supply|refills?|"
    r"one|of|for|mg|mcg|ml|gm|g|qty|quantity|generic|brand|name|retro\w*|prospective|request\w*|"
    r"trial|use|unknown|unspecified|dose|doses|strength)\b"
)
_FUZZY_STOP = frozenset(
    [
        "months",
        "coverage",
        "refill",
        "refills",
        "prescription",
        "tablet",
        "tablets",
        "capsule",
        "capsules",
        "suspension",
        "solution",
        "patches",
        "cream",
        "topical",
        "retrospective",
        "prospective",
        "request",
        "requested",
        "quantity",
        "medication",
        "medications",
        "unknown",
        "purchase",
        "rental",
        "supply",
        "weeks",
        "daily",
        "twice",
        "needed",
        "bedtime",
    ]
)

# Spinal levels: C5-6, L4-L5, T12, L5-S1 (the first letter of a range names the region).
_LEVEL = re.compile(
    r"(?<![\w.])([ctls])-?(\d{1,2})(?:\s*(?:-|–|/|to|through|and)\s*(?:[ctls]-?)?\d{1,2})*(?![\w.])"
)
_LEVEL_REGION = {
    "c": "cervical spine",
    "t": "thoracic spine",
    "l": "lumbar spine",
    "s": "sacroiliac/pelvis",
}
# The spine as a place ("MRI of the spine"); "spinal" qualifies a modality ("spinal
# manipulation", "spinal cord stimulator") and names no part of the spine.
_SPINE_WORD = re.compile(r"\bspines?\b|\bvertebra\w*")

# An evaluation asked for on its own, versus a course of treatment that mentions one.
_EVALUATION = re.compile(
    r"\b(?:re-?)?evaluat\w*|\bre-?exam\w*|\bexam(?:ination)?s?\b|\bassessments?\b|\beval\b"
)
_COURSE = re.compile(
    r"\d\s*(?:x|times|×)|(?:x|×)\s*\d|\btimes\s+(?:a|per|each|every)\b|\btwice\b|\bthrice\b|\bsessions?\b"
    r"|\bvisits?\b|\bweekly\b|\bper\s+week\b|\ba\s+week\b|\btreatments?\b|\btherapy\s+\d|#\s*(?:[2-9]|\d\d)"
)

_NUMBER_WORDS = {
    w: n
    for n, w in enumerate(
        [
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
        ]
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90}
_NUM = r"(\d+(?:\.\d+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_STRENGTH = re.compile(
    r"(?<![\d.#/,])(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*[/-]\s*\d+(?:\.\d+)?)*\s*"
    r"(?:mg/\s*\d*\s*ml|mg/hr|mcg/hr|mcg/h|mcg/\s*\d*\s*ml|mg|mcg|µg|meq|iu|%)(?![a-z])"
    r"(?:\s*/\s*\d+(?:\.\d+)?\s*(?:mg|mcg|%)(?![a-z]))*"
    # a combination's strengths without a unit: "Norco 10/325", "7.5-325"
    r"|(?<![\d.#/])\d+(?:\.\d+)?\s*[/-]\s*(?:300|325|500|650|750)(?![\w.%/])",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"(?<![\w.#/%])(\d+(?:\.\d+)?)\s*(gm|gms|grams?|g|ml|oz)\b(?!\s*/)", re.IGNORECASE
)
_COUNT = re.compile(
    r"#\s*(\d+(?:\.\d+)?)|\b(?:qty|quantity)\s*(?:of|:)?\s*(\d+(?:\.\d+)?)", re.IGNORECASE
)
_FREQUENCY = re.compile(
    rf"\b{_NUM}(?:\s*(?:-|to|or)\s*{_NUM})?\s*(?:x|times|×)\s*(?:a|per|/|each|every)?\s*(?:week|wk)s?\b"
    rf"(?:,)?\s*(?:for|x|×|over|times)?\s*(?:the\s+next\s+)?{_NUM}\s*(?:weeks?|wks?)\b"
    rf"|\b(?:(twice)|(thrice)|(once))\s+(?:a|per|each)\s+week\s*(?:,)?\s*(?:for|x|×)\s*{_NUM}\s*(?:weeks?|wks?)\b"
    rf"|(?<![\w/])(\d{{1,2}})\s*(?:x|×|times)\s*(\d{{1,2}})\b(?!\s*(?:mg|ml|%|cm|mm))",
    re.IGNORECASE,
)
_SESSIONS_BEFORE = re.compile(
    rf"\b{_NUM}\s*(?:\(\d+\)\s*)?(?:additional\s+|more\s+|initial\s+|further\s+)?(?:[a-z-]+\s+){{0,3}}?"
    r"(sessions?|visits?|treatments?)\b",
    re.IGNORECASE,
)
_SESSIONS_AFTER = re.compile(
    rf"\b(sessions?|visits?|treatments?)\s*(?:,|:|x|×|#|of)?\s*{_NUM}\b"
    rf"|(?:\bx|×)\s*{_NUM}\b(?!\s*(?:hours?|hrs?|days?|weeks?|wks?|months?|years?|mg|ml|per))",
    re.IGNORECASE,
)
# Supplements that are also the salt of a drug ("Fenoprofen calcium", "Esomeprazole magnesium").
_SALT_INGREDIENTS = frozenset({"calcium", "magnesium"})
# Opioids sold combined with acetaminophen, named by the opioid alone with the pair's strength.
_APAP_PARTNERS = frozenset({"hydrocodone", "oxycodone", "tramadol", "codeine", "dihydrocodeine"})
_APAP_STRENGTH = re.compile(r"\d\s*[/-]\s*(?:300|325|500|650|750)(?!\d)")
_DAYS = re.compile(rf"\b{_NUM}[\s-]*days?\s+(?:rental|use|trial|supply)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Naming:
    """The naming fields of one item (see treatment-names.md)."""

    ingredients: tuple[str, ...] = ()
    body_regions: tuple[str, ...] = ()
    treatment: str | None = None
    strength: str | None = None
    quantity: float | None = None
    quantity_unit: str | None = None
    unknown_drug: bool = False  # a pharmaceutical item named by no lexicon entry
    # Set when a naming rule raised on this item (the fields are then empty): the error in one
    # line, for the loader to record as a parse warning rather than lose.
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class _Base:
    naming: Naming
    route_open: bool  # the route came from no dose-form word or product: context may decide it
    counted: (
        bool  # the item gives a count (#60, qty), as dispensed tablets do and pump drugs do not
    )
    needs_spine: bool  # "spine" without saying which part


def name_item(
    disputed_text: str,
    category: str | None,
    *,
    item_text: str | None = None,
    guideline_text: str | None = None,
    rationale: str | None = None,
    lexicons: Lexicons | None = None,
) -> Naming:
    """The naming fields of an item, from its disputed text and, where that text leaves it open, its
    context: the full heading (a modified request's remainder inherits the regions of the original
    request), the guideline lines (a bare "spine" is the chapter's part of the spine) and the
    rationale (a drug without a dose form for an intrathecal pump is an injection).

    Never raises: a non-string gives an empty naming, and so does a rule that fails on some text
    (the tests hold :func:`naming_of` to never raising; this guard keeps one item from costing a
    whole letter in a load). Such a failure is not silent: the empty naming carries it in
    ``failure``.
    """
    try:
        return naming_of(
            disputed_text,
            category,
            item_text=item_text,
            guideline_text=guideline_text,
            rationale=rationale,
            lexicons=lexicons,
        )
    except Exception as exc:  # noqa: BLE001 - see the docstring
        return Naming(failure=f"naming failed: {type(exc).__name__}: {exc}"[:300])


def naming_of(
    disputed_text: str,
    category: str | None,
    *,
    item_text: str | None = None,
    guideline_text: str | None = None,
    rationale: str | None = None,
    lexicons: Lexicons | None = None,
) -> Naming:
    """:func:`name_item` without its guard."""
    if not isinstance(disputed_text, str):
        return Naming()
    lex = lexicons or default_lexicons()
    base = _base(disputed_text, category == PHARMACEUTICALS, lex)
    naming = base.naming
    if naming.ingredients and base.route_open and not base.counted:
        context = " ".join(
            t for t in (guideline_text, (rationale or "")[:1200]) if isinstance(t, str)
        )
        if context and _PUMP_CONTEXT.search(context.lower()):
            naming = replace(naming, treatment=_drug_treatment(naming.ingredients, "injection"))
    if not naming.ingredients and category != PHARMACEUTICALS:
        regions = set(naming.body_regions)
        needs_spine = base.needs_spine
        if (
            not regions
            and isinstance(item_text, str)
            and item_text.strip() != disputed_text.strip()
        ):
            more = _heading_regions(item_text, lex)
            regions |= set(more[0])
            needs_spine = more[1]
        if (
            needs_spine
            and category != "Evaluation and Management"  # "a spine surgeon" is a specialist
            and not regions & set(SPINE_REGIONS)
            and isinstance(guideline_text, str)
        ):
            hint = _spine_hint(guideline_text)
            if hint:
                regions.add(hint)
        if regions != set(naming.body_regions):
            naming = replace(naming, body_regions=tuple(sorted(regions)))
    return naming


@lru_cache(maxsize=1 << 14)
def _heading_regions(item_text: str, lex: Lexicons) -> tuple[tuple[str, ...], bool]:
    return _regions(_prepare(item_text), lex)


def _spine_hint(guideline_text: str) -> str | None:
    text = guideline_text.lower()
    low = "low back" in text or "lumbar" in text
    neck = "neck" in text or "cervical" in text
    if low and not neck:
        return "lumbar spine"
    if neck and not low:
        return "cervical spine"
    return None


def _prepare(text: str) -> str:
    text = _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    return (_ANCILLARY.sub("", text, count=1) or text).lower()


@lru_cache(maxsize=1 << 16)
def _base(disputed_text: str, pharmaceutical: bool, lex: Lexicons) -> _Base:
    text = _prepare(disputed_text)
    if pharmaceutical:
        return _drug(disputed_text, text, lex)
    rule = _modality(text, lex)
    if rule is None:
        # an item the taxonomy did not see as a drug may still name one
        entries = _drug_entries(text, lex, fuzzy=False)
        if entries:
            return _drug(disputed_text, text, lex, entries)
    regions, needs_spine = _regions(text, lex)
    treatment = rule if rule is not None else _cleaned_other(disputed_text, lex)
    if rule == "injection":
        # an injection given as a procedure that names only its drug: named by the drug
        named = sorted({i for e in _drug_entries(text, lex, fuzzy=False) for i in e.ingredients})
        if named:
            treatment = INGREDIENT_JOIN.join(named) + " injection"
    quantity, unit = _service_quantity(text)
    return _Base(
        Naming(body_regions=regions, treatment=treatment, quantity=quantity, quantity_unit=unit),
        route_open=False,
        counted=False,
        needs_spine=needs_spine,
    )


# --- drugs ----------------------------------------------------------------------------------


def _drug(raw: str, text: str, lex: Lexicons, entries: list[DrugEntry] | None = None) -> _Base:
    if entries is None:
        entries = _drug_entries(text, lex, fuzzy=True)
    ingredients = tuple(sorted({i for e in entries for i in e.ingredients}))
    if len(ingredients) > 1 and set(ingredients) & _SALT_INGREDIENTS:
        # "Fenoprofen calcium": beside a drug these name its salt, not a second ingredient
        ingredients = tuple(i for i in ingredients if i not in _SALT_INGREDIENTS)
    route, route_open = _route(text, entries)
    strength = _strength(raw)
    if (
        ingredients
        and set(ingredients) <= _APAP_PARTNERS
        and strength
        and _APAP_STRENGTH.search(strength)
    ):
        # "Hydrocodone 10/325": the second strength of such a pair is always acetaminophen's
        ingredients = tuple(sorted({*ingredients, "acetaminophen"}))
    # a count inside a name ("Tylenol #3") is not a quantity
    bare = text
    for start, end, _ in reversed(lex.drug_names.spans(text)):
        bare = bare[:start] + " " + bare[end:]
    quantity, unit = _drug_quantity(bare, route, patch=bool(re.search(r"\bpatch", text)))
    counted = bool(_COUNTED.search(text))
    unknown = False
    if ingredients:
        treatment: str | None = _drug_treatment(ingredients, route)
    else:
        rule = _modality(text, lex)
        if rule in ("pump refill", "pump refill kit"):
            treatment = rule
        elif _COMPOUND_WORDS.search(text):
            treatment = f"compound{ROUTE_JOIN}{route}"
        else:
            name = _cleaned_drug(raw)
            if name and not _CLASS_WORDS.search(text):
                ingredients = (name,)
                unknown = True
            treatment = f"{name}{ROUTE_JOIN}{route}" if name else None
    return _Base(
        Naming(
            ingredients=ingredients,
            treatment=treatment,
            strength=strength,
            quantity=quantity,
            quantity_unit=unit,
            unknown_drug=unknown,
        ),
        route_open=route_open,
        counted=counted,
        needs_spine=False,
    )


def _drug_treatment(ingredients: tuple[str, ...], route: str) -> str:
    return INGREDIENT_JOIN.join(ingredients) + ROUTE_JOIN + route


def _drug_entries(text: str, lex: Lexicons, *, fuzzy: bool) -> list[DrugEntry]:
    entries: list[DrugEntry] = lex.drug_names.find(text)  # type: ignore[assignment]
    if entries or not fuzzy:
        return entries
    # A misspelling the lexicon does not list: the closest single-word name, if it is close.
    found = []
    for token in re.findall(r"[a-z]{6,}", text):
        if token not in _FUZZY_STOP:
            entry = _closest(token, lex)
            if entry is not None:
                found.append(entry)
    return found


@lru_cache(maxsize=1 << 14)
def _closest(token: str, lex: Lexicons) -> DrugEntry | None:
    names = _single_word_names(lex)
    match = difflib.get_close_matches(token, names, n=1, cutoff=0.86)
    if not match:
        return None
    return lex.drug_names.find(match[0])[0]  # type: ignore[return-value]


@lru_cache(maxsize=4)
def _single_word_names(lex: Lexicons) -> list[str]:
    return [d.name for d in lex.drugs if re.fullmatch(r"[a-z]{5,}", d.name)]


def _route(text: str, entries: list[DrugEntry]) -> tuple[str, bool]:
    """(route family, whether it is open to the letter's context)."""
    if _INJECTION_WORDS.search(text):
        return "injection", False
    if _TOPICAL_WORDS.search(text):
        return "topical", False
    if _OTHER_WORDS.search(text):
        return "other", False
    if _ORAL_WORDS.search(text):
        return "oral", False
    for e in entries:
        if e.kind in PRODUCT_KINDS and e.route:
            return e.route, False
    defaults = [e.route for e in entries if e.route]
    if defaults:
        # a compound of an oral drug with lidocaine is a topical preparation
        return ("topical" if "topical" in defaults else defaults[0]), True
    if _WEAK_TOPICAL.search(text):
        return "topical", True
    return "oral", True


def _strength(raw: str) -> str | None:
    found = [_SPACE.sub(" ", m.group(0)).strip() for m in _STRENGTH.finditer(raw)]
    return "/".join(found) if found else None


def _drug_quantity(text: str, route: str, *, patch: bool) -> tuple[float | None, str | None]:
    m = _AMOUNT.search(text)
    if m:
        unit = m.group(2).lower()
        unit = "g" if unit.startswith("g") else unit
        return float(m.group(1)), unit
    m = _COUNT.search(text)
    if m:
        n = float(m.group(1) or m.group(2))
        if patch:
            return n, "patches"
        if route == "oral" and not re.search(r"\bsuspension|\bsolution|\bsyrup", text):
            return n, "tablets"
        return n, "units"
    return None, None


def _cleaned_drug(raw: str) -> str:
    text = item_pattern(raw)
    text = _DRUG_NOISE.sub(" ", text)
    text = re.sub(r"[^a-z0-9/\- ]", " ", text)
    text = _SPACE.sub(" ", text).strip(" /-")
    return text


# --- everything else ------------------------------------------------------------------------


def _modality(text: str, lex: Lexicons) -> str | None:
    from ..vocab._matcher import fold

    folded = fold(text)
    i = lex.treatment_matcher.match_index(folded)
    if i is None:
        return None
    rule = lex.treatments[i]
    if rule.evaluation and _EVALUATION.search(folded) and not _COURSE.search(folded):
        return rule.evaluation
    return rule.treatment


def _regions(text: str, lex: Lexicons) -> tuple[tuple[str, ...], bool]:
    found: set[str] = set()
    for regions in lex.region_names.find(text):
        found.update(regions)  # type: ignore[arg-type]
    for m in _LEVEL.finditer(text):
        found.add(_LEVEL_REGION[m.group(1)])
    needs_spine = not (found & set(SPINE_REGIONS)) and bool(_SPINE_WORD.search(text))
    return tuple(sorted(found)), needs_spine


def _cleaned_other(raw: str, lex: Lexicons) -> str | None:
    """An item no rule names: its text without quantities, sides, levels and region words."""
    text = item_pattern(raw)
    spans = lex.region_names.spans(text)
    for start, end, _ in reversed(spans):
        text = text[:start] + " " + text[end:]
    text = re.sub(r"\b(?:the|of|for|to|and|spine|spinal|region)\b", " ", text)
    text = _SPACE.sub(" ", re.sub(r"[,;:]", " ", text)).strip(" /-.")
    return text or (item_pattern(raw) or None)


def _number(s: str | None) -> float | None:
    if s is None:
        return None
    s = s.lower()
    if s in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[s])
    try:
        return float(s)
    except ValueError:
        return None


def _absent(text: str, *words: str) -> bool:
    """Whether none of ``words`` occurs in ``text`` (lower-cased), so that a case-insensitive
    regex every match of which holds one of them cannot match and need not run. False for a
    text holding a dotless i or a long s, which re.IGNORECASE matches to "i" and "s"."""
    return not any(w in text for w in words) and not folds_apart(text)


_DIGIT = re.compile(r"\d")


def _service_quantity(text: str) -> tuple[float | None, str | None]:
    """``text`` is lower-cased (``_prepare``); each regex runs only if its words are there."""
    m = (
        None
        if _absent(text, "week", "wk")
        and (_absent(text, "x", "×", "times") or not _DIGIT.search(text))
        else _FREQUENCY.search(text)
    )
    if m:
        g = m.groups()
        if g[7] is not None:  # "2x6", "2 times 8"
            a, b = _number(g[7]), _number(g[8])
        elif g[2] is not None:  # "1 to 2 times a week for 4 weeks": the most asked for
            a = max(_number(g[0]) or 0, _number(g[1]) or 0)
            b = _number(g[2])
        elif g[3] or g[4] or g[5]:
            a = 2.0 if g[3] else 3.0 if g[4] else 1.0
            b = _number(g[6])
        else:
            a, b = None, None
        if a and b:
            return a * b, "sessions"
    sessions = not _absent(text, "session", "visit", "treatment")
    m = _SESSIONS_BEFORE.search(text) if sessions else None
    n, unit = (_number(m.group(1)), m.group(2)) if m else (None, None)
    if n is None and (sessions or not _absent(text, "x", "×")):
        m = _SESSIONS_AFTER.search(text)
        if m:
            g = m.groups()
            n, unit = (_number(g[1]), g[0]) if g[0] is not None else (_number(g[2]), "sessions")
    if n:
        return n, unit.lower().rstrip("s") + "s"
    m = None if _absent(text, "day") else _DAYS.search(text)
    if m:
        return _number(m.group(1)), "days"
    m = None if _absent(text, "#", "qty", "quantity") else _COUNT.search(text)
    if m:
        return float(m.group(1) or m.group(2)), "units"
    return None, None
