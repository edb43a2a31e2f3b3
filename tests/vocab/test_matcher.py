"""The fast matcher must give exactly the rule that trying each rule in turn gives."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from imr_analytics.vocab import load_taxonomy
from imr_analytics.vocab._matcher import Matcher, fold

from .test_taxonomy_rules import DOC_TABLE_EXAMPLES, DOUBT_RULES, GENERAL_EXAMPLES

TAXONOMY = load_taxonomy()
EXAMPLE_TEXTS = [row[0] for row in DOC_TABLE_EXAMPLES + DOUBT_RULES + GENERAL_EXAMPLES]

# Words that rules look for, so that generated texts hit several rules at once and the
# priority between them is exercised, not only the no-match path.
FRAGMENTS = [
    "MRI",
    "injection",
    "Norco",
    "10/325mg",
    "#60",
    "physical therapy",
    "trial",
    "pump",
    "pain",
    "implant",
    "refill",
    "of the",
    "lumbar",
    "cream",
    "5%",
    "/",
    "Lidocaine",
    "Flurbiprofen",
    "gel",
    "Voltaren",
    "ER",
    "consult",
    "referral to",
    "chiropractor",
    "TENS",
    "unit",
    "rental",
    "biofeedback",
    "skilled nursing",
    "program",
    "functional restoration",
    "x 6",
    "2 times 8",
    "exam",
    "evaluation",
    "arthroscopy",
    "release",
    "Associated surgical service:",
    "ultrasound",
    "guided",
    "CT",
    "psych",
    "home",
    "aide",
    "İ",
    "K",
    "ſ",
    "-",
    ",",
    "\n",
    "(",
    ")",
    "creatinine clearance",
]


def test_fast_and_slow_agree_on_examples() -> None:
    for text in EXAMPLE_TEXTS:
        assert TAXONOMY.match(text) is TAXONOMY.match_slow(text), text


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=8).map(" ".join))
def test_fast_and_slow_agree_on_vocabulary_mixes(text: str) -> None:
    assert TAXONOMY.match(text) is TAXONOMY.match_slow(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_fast_and_slow_agree_on_arbitrary_text(text: str) -> None:
    assert TAXONOMY.match(text) is TAXONOMY.match_slow(text)


TRICKY_PATTERNS = [
    r"\bcolou?r\b",  # optional letter inside the word
    r"\bs?ports",  # optional first letter: cannot be indexed
    r"(a)\1x",  # backreference: scanned whole
    r"(?P<n>ab)c",  # named group: scanned whole
    r"(?x) q u x",  # global inline flag: scanned whole
    r"\b(?:\bfoo|bar)baz",  # \b\b after distributing the group
    r"\bPT\b(?!/INR)",  # uppercase literal, lookahead
    r"(?:ab|cd)+e",  # group with a quantifier is left whole
    r"\b(?:lumbar|back)\s+(?:support|brace)",
    r"\d+\s*x\s*\d+",
    r"^(?!.*\brefill).*?\bpump",
    r"clearance(?<!creatinine\sclearance)",
    r"\b[A-C]x",
    r"\bz{2}y",
    r"\bk+n",
]

TRICKY = Matcher(TRICKY_PATTERNS)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefgxyzknopqrstuPTINRK /-1234ſİ\n", max_size=40))
def test_matcher_agrees_with_plain_scan_on_tricky_patterns(text: str) -> None:
    matcher = TRICKY
    folded = fold(text)
    assert matcher.match_index(folded) == matcher.match_index_slow(folded)


def test_tricky_patterns_hit_where_expected() -> None:
    matcher = Matcher(TRICKY_PATTERNS)
    assert matcher.match_index(fold("the Color")) == 0
    assert matcher.match_index(fold("aax")) == 2
    assert matcher.match_index(fold("a barbaz")) == 5
    assert matcher.match_index(fold("PT/INR")) is None
    assert matcher.match_index(fold("creatinine clearance")) is None
    assert matcher.match_index(fold("Medical Clearance")) == 11


def test_uncached_classification_is_fast_enough_for_the_loader(vocab_report) -> None:
    """The loader classifies >1,000 letters/s (~2.3 items each): aim well under 50 µs/item."""
    texts = EXAMPLE_TEXTS * 5
    match = TAXONOMY.match  # no cache: every call does the full work
    start = time.perf_counter()
    for text in texts:
        match(text)
    mean_us = (time.perf_counter() - start) / len(texts) * 1e6
    vocab_report(f"classify_item uncached: {mean_us:.1f} µs per item (mean of {len(texts)})")
    assert mean_us < 50
