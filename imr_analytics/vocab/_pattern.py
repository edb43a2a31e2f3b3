"""A grouping key for "the same kind of request", for top-N tables of disputed items.

``Norco 10/325mg #120`` and ``Norco 7.5/325 #90`` are the same request to an analyst; what
differs (strength, count, frequency, duration, body side, spinal level, dates, the
``Retrospective`` and ``Associated surgical service:`` labels, modified-request phrasing such as
``Two refills of``) is removed. What the service *is* (drug, procedure, body region, with or
without contrast, cream or tablet) is kept.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ._matcher import folds_apart

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    "eighty|ninety|hundred"
)
# A count: digits (with decimals or a range) or number words ("twenty-four", "one to two").
_N1 = rf"(?:\d+(?:\.\d+)?|(?:{_NUMBER_WORDS})(?:[\s-](?:{_NUMBER_WORDS}))?)"
_N = rf"{_N1}(?:\s*(?:-|to|or|/)\s*{_N1})?"
_PERIOD = r"(?:days?|d|weeks?|wks?|w|months?|mos?|years?|yrs?|nights?|hours?|hrs?|h|minutes?|mins?)"
_UNIT = (
    r"(?:mg/ml|mg/hr|mcg/hr|mcg/h|mg/\d*\s*ml|mg|mcg|µg|ug|gm|gms|grams?|g|kg|ml|cc|l|iu|meq|units?|"
    r"%|percent|tesla|t|oz|ounces?|tubes?|bottles?|boxes?)"
)

# "Associated surgical service: Shoulder sling": the label only says the item belongs to a
# surgery; what the item is follows it. Shared with the taxonomy.
ANCILLARY_PREFIX = r"^\s*(?:assoc(?:iated|\.)?\s+)?surgical\s+services?\s*:\s*"

# Each step's gate: words one of which every match of the step contains (the text is
# lower-cased by then), whether a digit also opens it (``\\d`` is any Unicode digit, so that
# is tested by a regex), and a regex whose match every match of the step contains. A step
# whose gate finds nothing cannot match and is skipped: most items have no dates, sigs,
# sides or salts, and a skipped step costs an ``in`` test instead of a case-insensitive
# scan. ``None``: always run.
_Gate = tuple[tuple[str, ...], bool, "re.Pattern[str] | None"]
_NUMBER_WORD_LIST = tuple(_NUMBER_WORDS.split("|"))
# A count then a period: _N ends in a digit or a number word, _PERIOD starts with one of dwmynh.
_N_PERIOD: _Gate = ((), False, re.compile(rf"(?:\d|{_NUMBER_WORDS})[\s-]*[dwmynh]"))
# "x" as a multiplier: at a word start or right after a count (a digit, a space or a number word).
_X: _Gate = (("times", "×"), False, re.compile(rf"(?<![a-z])x|(?:{_NUMBER_WORDS})x"))
_DIGITS: _Gate = ((), True, None)


def _gate(gate: tuple | None) -> _Gate | None:
    """A gate written as (words, digits) or in full."""
    return gate if gate is None or len(gate) == 3 else (gate[0], gate[1], None)


_RAW_STEPS: tuple[tuple[str, str, tuple | None], ...] = (
    # "Tylenol #3" names a codeine product: keep it apart from plain Tylenol before "#3"
    # is read as a count below
    (
        r"\btylenol\s*(?:#|no\.?\s*)\s*[234]\b|\btylenol\s+(?:w/|with)\s*codeine(?:\s*#?\s*[234]\b)?",
        "tylenol with codeine",
        (("tylenol",), False),
    ),
    # labels that say how the request reached IMR, not what it is
    (ANCILLARY_PREFIX, " ", (("surgical",), False)),
    (
        r"\b(?:retro(?:spective(?:ly)?)?|prospective|request(?:ed)?\s+for|requested)\b:?",
        " ",
        (("retro", "prospective", "request"), False),
    ),
    # "Two refills of", "with one refill" (a count of refills, not a pump refill)
    (
        rf"\b(?:with\s+)?{_N}\s+(?:additional\s+)?refills?(?:\s+of)?\b|\bwith\s+refills?\b",
        " ",
        (("refill",), False),
    ),
    (
        r"\b(?:additional|continued|continuation\s+(?:of|for)|further|remaining)\b",
        " ",
        (("additional", "continu", "further", "remaining"), False),
    ),
    # dates of service and any other dates
    (
        r"\(?\b(?:dos|date\s+of\s+service|dates?\s+of\s+service)\b\s*:?\s*[\d/.\-,\s&]*(?:to|through|-)?[\d/.\-\s]*\)?",
        " ",
        (("dos", "date"), False),
    ),
    (r"\b\d{1,2}[/-]\d{1,2}[/-]\d{2,4}\b", " ", (("/", "-"), False)),
    # parenthetical glosses: "(magnetic resonance imaging)", "(Mobic)", "(8)"
    (r"\([^()]*\)|\[[^\[\]]*\]", " ", (("(", "["), False)),
    # sigs and frequencies
    (
        r"\b(?:once|twice|thrice)\s+(?:a|per|each|every)\s+" + _PERIOD + r"\b",
        " ",
        (("once", "twice", "thrice"), False),
    ),
    (
        rf"\b(?:for|over|x|×|of|per|a|each|every)?\s*(?:the\s+)?(?:next\s+)?{_N}\s*-?\s*{_PERIOD}\b",
        " ",
        _N_PERIOD,
    ),
    (rf"\b(?:{_N}\s*)?(?:x|times|×)\s*(?:a|per|each|every|/)?\s*{_PERIOD}\b", " ", _X),
    (rf"\b{_N}\s*(?:x|times|×)\s*{_N}\b", " ", _X),
    (rf"\b(?:{_N}\s*)?(?:x|times|×)\s*{_N}?\b", " ", _X),
    (rf"(?:\b|(?<=×)){_N}\s*(?:x|times|×)\b", " ", _X),
    (
        rf"\b(?:{_N}\s+)?(?:tabs?|tablets?|caps?|capsules?|pills?)?\s*(?:by\s+mouth|orally|po)\b",
        " ",
        (("mouth", "orally", "po"), False),
    ),
    (
        r"\b(?:daily|weekly|monthly|nightly|hourly|bid|tid|qid|qd|qhs|qam|qpm|prn|q\s*\d+\s*h(?:ours?|rs?)?|every\s+\d+\s+hours?|as\s+needed|at\s+bedtime)\b",
        " ",
        (
            ("daily", "weekly", "monthly", "nightly", "hourly", "bid", "tid", "q", "prn")
            + ("every", "needed", "bedtime"),
            False,
        ),
    ),
    (rf"\b(?:per|a|each|every|/)\s*{_PERIOD}\b", " ", None),
    (r"/\s*(?:day|week|month|wk)\b", " ", (("/",), False)),
    (
        rf"\b(?:day\s+supply|supply|qty|quantity|count)\s*(?:of|:)?\s*{_N}?",
        " ",
        (("supply", "qty", "quantity", "count"), False),
    ),
    # counts of sessions and visits, then the bare nouns, so "Eight PT sessions" and
    # "PT, 6 sessions" agree
    (
        rf"\b{_N}\s+(?:sessions?|visits?|treatments?|units?|patch(?:es)?|tabs?|tablets?|caps?|capsules?|pills?)\b",
        " ",
        (("session", "visit", "treatment", "unit", "patch", "tab", "cap", "pill"), False),
    ),
    (r"\bsessions?\b", " ", (("session",), False)),
    (r"\b(?:tabs?|tablets?|caps?|capsules?)\b", " ", (("tab", "cap"), False)),
    # strengths and amounts: "10/325mg", "7.5-325", "5%", "120grams", "#60"
    (
        rf"(?:\b|(?<=[#/]))\d+(?:\.\d+)?(?:\s*[-/]\s*\d+(?:\.\d+)?)*\s*{_UNIT}(?![a-z])",
        " ",
        _DIGITS,
    ),
    (r"#\s*\d+(?:\.\d+)?", " ", (("#",), False)),
    # salts that do not change what the drug is
    (
        r"\b(?:hcl|hydrochloride|hydrobromide|bitartrate|tartrate|maleate|succinate|besylate|mesylate|fumarate)\b",
        " ",
        (
            (
                "hcl",
                "hydro",
                "tartrate",
                "maleate",
                "succinate",
                "besylate",
                "mesylate",
                "fumarate",
            ),
            False,
        ),
    ),
    # spinal levels and body sides
    (
        r"\b[cltsCLTS]\s?\d{1,2}(?:\s*(?:-|–|/|to|through)\s*(?:[cltsCLTS]\s?)?\d{1,2})*\b",
        " ",
        _DIGITS,
    ),
    (r"\b(?:levels?)\b", " ", (("level",), False)),
    (
        r"\b(?:left|right|bilateral(?:ly)?|bilat|b/l|lt|rt|l/r|r/l|both)\b",
        " ",
        (("left", "right", "bilat", "/", "lt", "rt", "both"), False),
    ),
    # whatever numbers and number words are left
    (rf"\b(?:{_NUMBER_WORDS})\b", " ", (_NUMBER_WORD_LIST, False)),
    (r"\b\d+(?:\.\d+)?\b", " ", _DIGITS),
)
_STEPS: tuple[tuple[re.Pattern[str], str, _Gate | None], ...] = tuple(
    (re.compile(p, re.IGNORECASE), r, _gate(gate)) for p, r, gate in _RAW_STEPS
)
_DIGIT = re.compile(r"\d")
_PUNCT = re.compile(r"[,;:()\[\]{}\"“”‘’*#+=~|<>]|(?<!\w)['\-.]|['\-.](?!\w)")
_SLASH = re.compile(r"\s*/\s*")
_EDGE = r"(?:of|for|with|the|and|to|in|at|on|x|per|a|an|&|/|-|\.)"
_EDGE_WORDS = re.compile(rf"^(?:{_EDGE}(?:\s+|$))+|(?:(?:^|\s+){_EDGE})+$")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)
def item_pattern(disputed_text: str) -> str:
    """A normalised key grouping disputed items that request the same kind of thing."""
    if not isinstance(disputed_text, str):
        return ""
    return _pattern(disputed_text, gated=True)


def _pattern(disputed_text: str, *, gated: bool) -> str:
    """``item_pattern`` without its cache; ``gated=False`` runs every step (the reference
    the gates are tested against)."""
    raw = _SPACE.sub(" ", unicodedata.normalize("NFKC", disputed_text)).strip().lower()
    text = raw
    if gated and folds_apart(raw):  # a text that folds apart runs every step
        gated = False
    for rx, repl, gate in _STEPS:
        if gated and gate is not None:
            words, digits, rx_gate = gate
            for w in words:  # a plain loop: this runs ~30 times per item
                if w in text:
                    break
            else:
                if not (
                    (digits and _DIGIT.search(text))
                    or (rx_gate is not None and rx_gate.search(text))
                ):
                    continue
        text = rx.sub(repl, text)
    text = _PUNCT.sub(" ", text)
    text = _SLASH.sub("/", text)
    text = _SPACE.sub(" ", text).strip()
    text = _EDGE_WORDS.sub("", text).strip()
    text = text.strip("/-&. ")
    # Nothing left means the item was all quantity or label; keep the folded text rather than
    # merging every such item into one empty group.
    return text or raw
