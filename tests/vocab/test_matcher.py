"""The fast matcher must give exactly the rule that trying each rule in turn gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from imr_analytics.vocab import load_taxonomy
from imr_analytics.vocab._matcher import _WORD, Matcher, fold

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


def test_an_item_tries_a_few_rules_not_every_rule(vocab_report) -> None:
    """What keeps uncached classification cheap (the loader meets thousands of new item texts):
    a text tries only the rules its own words can start, plus the few rules with no word key,
    not every rule in turn as ``match_index_slow`` does. Speed itself is the benchmark's job
    (`imr-analytics bench`); a wall-clock bound here would only fail on a busy machine."""
    matcher = TAXONOMY._matcher
    n_rules = len(TAXONOMY.rules)
    tried = [
        len(matcher._scans)
        + sum(len(matcher._candidates(word.group())) for word in _WORD.finditer(fold(text)))
        for text in EXAMPLE_TEXTS
    ]
    mean_tried = sum(tried) / len(tried)
    vocab_report(f"classify_item: {mean_tried:.1f} of {n_rules} rules tried per item (mean)")
    assert len(matcher._scans) <= n_rules // 10, "too many rules are searched in every text"
    assert mean_tried < n_rules / 2


def test_pieces_are_compiled_when_a_word_first_needs_them() -> None:
    """A worker process pays for the pieces its letters' words reach, not for all of them
    before its first letter."""
    matcher = Matcher(TRICKY_PATTERNS)
    assert matcher._compiled == {}
    assert matcher.match_index(fold("a barbaz")) == 5
    assert 0 < len(matcher._compiled) < sum(len(v) for v in matcher._index.values())


def test_patterns_are_compiled_whole_only_for_the_plain_scan() -> None:
    """Matching goes through the pieces; the whole patterns are compiled when the plain
    definition (or the fallback) first needs them, not when a worker builds its matchers."""
    matcher = Matcher(TRICKY_PATTERNS)
    matcher.match_index(fold("a barbaz"))
    assert "_singles" not in vars(matcher)
    assert matcher.match_index_slow(fold("a barbaz")) == 5
    assert len(matcher._singles) == len(TRICKY_PATTERNS)


def test_a_piece_that_does_not_compile_falls_back_to_the_plain_scan() -> None:
    """A piece the splitting got wrong is found when first compiled: the matcher then scans
    every pattern whole, with the same answers, instead of failing the letter."""
    matcher = Matcher([r"\bfoo\w*", r"\bbar|\bbaz"])
    matcher._index = {k: tuple((i, "(") for i, _ in v) for k, v in matcher._index.items()}
    assert matcher.match_index(fold("a baz")) == 1
    assert matcher._index == {}
    assert matcher.match_index(fold("foot")) == 0
    assert matcher.match_index(fold("nothing")) is None
