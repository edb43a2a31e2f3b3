"""The parser's shortcuts give what their plain definitions give.

Each reference below is the definition the shortcut replaced (a scan of every heading line,
the line-by-line join, the regex search for uncommon spaces, an uncached reading of the
credentials, a plain search where search_from tries anchored matches first, an ungated
marker search, a frozen record's own constructor), compared on texts drawn from the pieces the shortcut's reasoning depends on
(decoy words, colons, case-folding traps).
"""

from __future__ import annotations

import dataclasses
import pickle
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from normalize_reference import normalize_reference as _normalize_reference

from imr_analytics.parse import credentials as C
from imr_analytics.parse import header as H
from imr_analytics.parse import items as I
from imr_analytics.parse import layout_b as B
from imr_analytics.parse import normalize as N
from imr_analytics.parse import records as R
from imr_analytics.parse.normalize import lowered_for_search, search_from
from imr_analytics.parse.records import Citation, Item, Letter


def _join_wrapped_reference(lines: list[str] | str) -> str:
    if isinstance(lines, str):
        lines = lines.split("\n")
    parts: list[str] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if parts and parts[-1].endswith("-") and len(parts[-1]) > 1 and parts[-1][-2].isalnum():
            parts[-1] = parts[-1] + line
        else:
            parts.append(line)
    return " ".join(parts)


_WRAP_PIECES = st.sampled_from(
    ["a", "x-", "-", "--", "9-", "é-", "_-", " ", "\n", "\t", " - ", "- ", "\u00a0", "ray", "\x85"]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_WRAP_PIECES, max_size=12).map("".join))
def test_join_wrapped_same_as_line_by_line(text: str) -> None:
    assert N.join_wrapped(text) == _join_wrapped_reference(text)
    lines = text.split(" ")  # list input whose items hold line breaks of their own
    assert N.join_wrapped(lines) == _join_wrapped_reference(lines)


def test_uncommon_spaces_are_the_regex_class() -> None:
    regex_class = {chr(c) for c in range(0x110000) if N._UNCOMMON_SPACE.match(chr(c))}
    assert set(N._UNCOMMON_SPACES) == regex_class


_HEAD_LINES = st.sampled_from(
    [
        "HOW THE IMR FINAL DETERMINATION WAS MADE",
        "CLINICAL CASE SUMMARY",
        "IMR ISSUES, DECISIONS AND RATIONALES",
        "IMR DECISION(S) AND RATIONALE(S)",
        "DOCUMENTS REVIEWED",
        "İMR DECISION(S) AND RATIONALE(S)",
        "CM16-1234567",
        "11/18/2016",
        "Case Number:",
        "clinical case summary",
        "HOW",
        "",
    ]
)
_PATTERNS = (B.HOW_MADE, B.SUMMARY, B.ITEMS_B, B.ITEMS_C, B.DOCUMENTS)


def _find_heading_reference(lines: list[str], pattern, start: int) -> int | None:
    for i, line in enumerate(lines):
        if i >= start and len(line) <= 60 and line.upper() == line and pattern.match(line):
            return i
    return None


@settings(max_examples=300, deadline=None)
@given(st.lists(_HEAD_LINES, max_size=14), st.integers(0, 15))
def test_heading_index_same_as_scan(lines: list[str], start: int) -> None:
    heads = B.heading_lines(lines)
    for pattern in _PATTERNS:
        want = _find_heading_reference(lines, pattern, start)
        assert B.find_heading(lines, pattern, start, heads) == want
        assert B.find_heading(lines, pattern, start) == want
        assert B.find_heading(lines, pattern, start, list(heads)) == want  # a plain list


@settings(max_examples=200, deadline=None)
@given(st.lists(_HEAD_LINES, max_size=14), st.integers(0, 15))
def test_heading_index_by_pattern_identity(lines: list[str], start: int) -> None:
    """Places are kept by id(pattern): another pattern (one no heading table knows, or one
    that took a dead pattern's id) is scanned for, never handed another's places."""
    import re

    other = re.compile(r"^(?:HOW|CM\d)")  # not one of the heading patterns
    want = [i for i, line in B.heading_lines(lines) if other.match(line)]
    heads = B.heading_lines(lines)
    assert heads.places(other) == want
    assert heads.places(other) == want  # now from the table
    heads = B.heading_lines(lines)
    heads.places(B.SUMMARY)  # builds the table
    heads._places[id(other)] = (B.SUMMARY, [-1])  # as if other took a dead pattern's id
    assert heads.places(other) == want
    for pattern in _PATTERNS:
        assert B.find_heading(lines, pattern, start, heads) == _find_heading_reference(
            lines, pattern, start
        )


def test_credentials_cache_hands_out_fresh_lists() -> None:
    text = (
        "The Expert Reviewer has the following credentials:\n"
        "State(s) of Licensure: Texas, California\n"
        "Certification(s)/Specialty: Internal Medicine"
    )
    first = C.parse_credentials(text)
    assert first == C._read_credentials(text)
    first[0].append("changed")
    first[1].clear()
    assert C.parse_credentials(text) == C._read_credentials(text)


_HEADING_PIECES = st.sampled_from(
    [
        "Norco 10/325mg #60",
        " was the original request. ",
        "was authorized by the Claims Administrator",
        "The Claims Administrator AUTHORIZED ",
        "The remaining IMR eligible portion of the original request, ",
        "leaving the original request",
        "The original request, ",
        "AUTHORİZED",
        "ORİGİNAL",
        "remaınıng",
        "original",
        " is",
        "\n",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_HEADING_PIECES, max_size=6).map("".join))
def test_modified_word_gate_holds_every_marker(text: str) -> None:
    if I._MODIFIED_MARKERS.search(text):
        assert I._may_be_modified(text)
    assert I.disputed_part(text) == _disputed_part_reference(text)


def _disputed_part_reference(item_text: str) -> tuple[str, bool]:
    if not I._MODIFIED_MARKERS.search(item_text):
        return item_text, False
    m = I._REMAINDER.search(item_text)
    if m:
        return m.group("rest").strip(" ,"), True
    return item_text, True


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Claims Administrator guideline:",
                "MAXIMUS guideline:",
                "Expert  Reviewer guideline :",
                "Independent Reviewer guideline:",
                "IMR guideline:",
                "Decision rationale:",
                "decision RATIONALE:",
                "The ",
                " ",
                "x",
            ]
        ),
        max_size=3,
    ).map("".join)
)
def test_one_label_regex_same_as_any_of_three(line: str) -> None:
    assert (I._ANY_LABEL_RE.match(line) is not None) == any(p.match(line) for p in I._ANY_LABEL)


def _header_reference(header_text: str) -> tuple[dict, list[str]]:
    """parse_header as written before: match objects and lastgroup."""
    fields: dict = {}
    warnings: list[str] = []
    pending: list[str] = []
    last_label = None
    for m in H._TOKEN_RE.finditer(header_text):
        kind, value = m.lastgroup, m.group()
        if kind == "label":
            key = H._label_key(value)
            if key is None:
                if last_label == "application_received":
                    continue
                key = "application_received"
            if key not in fields and key not in pending:
                pending.append(key)
            last_label = key
            continue
        last_label = None
        target = next((k for k in pending if H._KIND_OF.get(k, "date") == kind), None)
        if target is None:
            if kind == "case" and "case_number" not in fields:
                fields["case_number"] = value.upper()
            continue
        pending.remove(target)
        if kind == "case":
            fields[target] = value.upper()
        elif kind == "date":
            fields[target] = H._header_date(value)
        else:
            fields[target] = H.PRIORITY_WORDS[value.lower()]
    if pending:
        warnings.append("header labels without a value: " + ", ".join(pending))
    return fields, warnings


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Case Number:",
                "IMR Case Number:",
                "Date Assigned:",
                "Decision Date:",
                "Date of Injury:",
                "UR Denial Date:",
                "Priority:",
                "Application",
                "Received:",
                "Application for",
                "Application Received:",
                "CM16-1536899",
                "cm15-0000001",
                "11/18/2016",
                "2/3/2015",
                "13/45/2016",
                "Standard",
                "URGENT",
                "Regular",
                "Expedited",
                "x",
                "_",
                "9",
                "İ",
                "ſ",
                "\u212a",
                "Application For",
            ]
        ),
        max_size=16,
    ),
    st.sampled_from(["\n", " ", "  \n", ""]),
)
def test_header_tokens_same_as_match_objects(tokens: list[str], sep: str) -> None:
    text = sep.join(tokens)
    assert H.parse_header(text) == _header_reference(text)
    want = [tuple(g.lower() for g in t) for t in H._TOKEN_RE.findall(text)]
    assert [tuple(g.lower() for g in t) for t in H._tokens(text)] == want


def _b_era_reference(cred_form, items, decision_date) -> str:
    """_b_era as written before its wording was cached."""
    if cred_form == "sentence":
        return B.B1
    lines = " ".join(
        (it.ca_guideline_text or "") + " " + (it.reviewer_guideline_text or "") for it in items
    )
    if B._B2_WORDING.search(lines):
        return B.B2
    if B._B4_WORDING.search(lines):
        return B.B4
    if isinstance(decision_date, date):
        return B.B4 if decision_date >= date(2016, 1, 1) else B.B3
    if B._B3_WORDING.search(lines):
        return B.B3
    return B.B4


_GUIDELINE_PIECES = st.sampled_from(
    [
        "Decision based on MTUS ",
        "Page(s): 76-80",
        "did not base their decision on the MTUS",
        "outside of the MTUS",
        "Medical Treatment 2009",
        "MEDICAL TREATMENT 2009",
        " 2016",
        "x2016",
        "ſ",
        " ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.none() | st.lists(_GUIDELINE_PIECES, max_size=4).map("".join),
            st.none() | st.lists(_GUIDELINE_PIECES, max_size=4).map("".join),
        ),
        max_size=3,
    ),
    st.sampled_from(["block", "sentence", None]),
    st.sampled_from([None, date(2015, 6, 1), date(2016, 1, 1), "not a date"]),
)
def test_b_era_same_as_uncached(guidelines, cred_form, decision_date) -> None:
    items = [Item(1, "x", "x", False, "upheld", ca, (), rv, (), None) for ca, rv in guidelines]
    want = _b_era_reference(cred_form, items, decision_date)
    assert B._b_era(cred_form, items, decision_date) == want
    assert B._b_era(cred_form, items, decision_date) == want  # again, from the cache


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=" \t\n\u00a0\u2003|#\\*_ab\f\x1c", max_size=40))
def test_normalized_lines_are_the_normalized_text_split(raw: str) -> None:
    # normalize_text is held to the regex-only reference in test_normalize_fast_path; its
    # lines, as the parser takes them, must be that text split (one "" for an empty text)
    assert N.normalized_lines(raw) == N.normalize_text(raw).split("\n")
    assert N.normalize_text(raw) == _normalize_reference(raw)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="a \n\r\f\v\u2028\u2029°é\u00a0’", max_size=30))
def test_line_breaks_replaced_without_the_regex_same_as_reference(raw: str) -> None:
    # a non-ASCII text (a degree sign, a curly quote) without U+2028/U+2029 has its ASCII
    # breaks replaced one character at a time, as an ASCII text has
    assert N.normalized_lines(raw) == _normalize_reference(raw).split("\n")


def test_markdown_mark_after_a_leading_space_is_seen() -> None:
    for raw in (" | a | b |", "x\n\t# Title", "x\n  \\hard", " |---|", "a\n \n |b|"):
        assert N.normalize_text(raw) == _normalize_reference(raw)


_BODY_LINE_PIECES = st.sampled_from(
    [
        "Claims Administrator guideline:",
        "Claims Administrator guideline: Decision based on MTUS 2004.",
        "MAXIMUS guideline:",
        "2004. MAXIMUS guideline: Decision based on",
        "Decision rationale:",
        "x. Decision rationale: The request",
        "non-",
        "x-",
        "-",
        "ray is not",
        "medically necessary.",
        "a - b",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(_BODY_LINE_PIECES, min_size=1, max_size=3).map(" ".join), max_size=8))
def test_clean_body_parts_same_as_line_by_line_join(lines: list[str]) -> None:
    # lines as normalisation leaves them: stripped, single-spaced, none empty
    text = "\n".join(lines)
    low = N.lowered_for_search(text)
    assert I._split_label_text(text, low, True) == I._split_label_text(text, low, False)


# Start words that occur outside a match ("decision" of "Decision based on"), often enough to
# use up search_from's anchored tries and reach its plain search of the rest.
_LABEL_PIECES = st.sampled_from(
    [
        "Decision based on MTUS. ",
        "decision ",
        "claims ",
        "imr ",
        "IMR guideline: ",
        "non-IMR guideline: ",
        "expert opinion ",
        "Claims Administrator guideline: ",
        "Claims  administrator\nGUIDELINE : ",
        "MAXIMUS guideline: ",
        "Independent Reviewer guideline:",
        "Decision rationale: ",
        "DECISION\nRATIONALE:",
        "İmr ",
        "ſ",
        "x",
        "\n",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_LABEL_PIECES, max_size=30).map("".join), st.integers(0, 40))
def test_search_from_tries_anchored_then_searches_same_as_search(text: str, pos: int) -> None:
    low = lowered_for_search(text)
    for _, pattern, starts in I._LABELS_ANYWHERE:
        want = pattern.search(text, pos)
        got = search_from(pattern, text, low, starts, pos)
        assert (want and want.span()) == (got and got.span())


def test_search_from_reaches_its_plain_search() -> None:
    text = "decision " * (N._ANCHORED_TRIES + 3) + "Decision rationale: yes"
    m = search_from(I._RATIONALE_LABEL_ANYWHERE, text, text.lower(), ("decision",))
    assert m is not None and m.span() == I._RATIONALE_LABEL_ANYWHERE.search(text).span()


@settings(max_examples=400, deadline=None)
@given(st.lists(_HEADING_PIECES, max_size=6).map("".join))
def test_gated_modified_search_same_as_search(text: str) -> None:
    assert I._modified(text) == (I._MODIFIED_MARKERS.search(text) is not None)


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=5),
    st.dates(),
    st.tuples(st.text(max_size=3)),
    st.just((Citation("MTUS", chapter="Low Back Complaints 2004"),)),
)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fast_constructors_build_what_the_classes_build(data) -> None:
    for cls, make in ((Item, R.new_item), (Letter, R.new_letter)):
        names = [f.name for f in dataclasses.fields(cls)]
        required = [
            f.name
            for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        given_names = data.draw(st.sets(st.sampled_from(names)).map(set(required).union))
        kwargs = {n: data.draw(_VALUES) for n in sorted(given_names)}
        want, got = cls(**kwargs), make(**kwargs)
        assert type(got) is cls
        assert got == want
        assert [getattr(got, n) for n in names] == [getattr(want, n) for n in names]
        assert pickle.loads(pickle.dumps(got)) == want
        assert repr(got) == repr(want)
        positional = [kwargs.get(n, getattr(want, n)) for n in names]
        assert make(*positional) == cls(*positional)
        try:
            hash(want)
        except TypeError:  # a field holds something unhashable (never in parsed letters)
            continue
        assert hash(got) == hash(want)


def test_fast_constructor_records_stay_frozen_and_check_their_arguments() -> None:
    item = R.new_item(1, "a", "a", False, "upheld", None, (), None, (), None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.decision = "overturned"  # type: ignore[misc]
    with pytest.raises(TypeError):
        R.new_item(1, "a")  # missing fields, as Item(1, "a") would say
    with pytest.raises(TypeError):
        R.new_letter("B1", no_such_field=1)
    assert R.new_letter("B1").items == () == Letter("B1").items


_AFTER_INTRO = st.lists(
    st.sampled_from([" ", "\n", "\t", "\u00a0", "\x85", "\u2028", "\x1c", ":", "x", "The", " ,"]),
    max_size=6,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(
        [
            B.SUMMARY_INTRO_TEXT,
            B.SUMMARY_INTRO_TEXT.lower(),
            B.SUMMARY_INTRO_TEXT.replace(",", ""),
            B.SUMMARY_INTRO_TEXT.replace(" case ", "  case "),
            B.SUMMARY_INTRO_TEXT.replace(":", " :"),
            B.SUMMARY_INTRO_TEXT[:-1],
            "x" + B.SUMMARY_INTRO_TEXT,
            "",
        ]
    ),
    _AFTER_INTRO,
)
def test_summary_intro_by_prefix_same_as_regex(intro: str, rest: str) -> None:
    text = intro + rest
    assert B._without_summary_intro(text) == B._SUMMARY_INTRO.sub("", text)


@settings(max_examples=200, deadline=None)
@given(_AFTER_INTRO)
def test_items_intro_text_is_matched_by_the_intro_regex(rest: str) -> None:
    assert I._INTRO.match(I.INTRO_TEXT + rest)


@settings(max_examples=300, deadline=None)
@given(st.lists(_HEAD_LINES, max_size=4).map(" ".join))
def test_cached_heading_kinds_same_as_matching_each_pattern(line: str) -> None:
    want = tuple(k for k, p in enumerate(B._HEADING_PATTERNS) if p.match(line))
    assert B._heading_kinds(line) == want
    assert B._heading_kinds(line) == want  # from the cache


def _outcome_reference(lines: list[str], i: int) -> tuple[str, str] | None:
    m = I._OUTCOME_LINE.match(lines[i])
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if m is None or I._ANY_LABEL_RE.match(nxt) is None:
        return None
    return m.group("head"), m.group("word")


# Pieces an outcome line is made of, with what the last-colon reading depends on: several
# colons, line breaks before and after one, white space that is not a space, a period,
# case-folding traps.
_OUTCOME_PIECES = st.sampled_from(
    [
        "Norco 10/325mg #60",
        ":",
        ": ",
        " :",
        "Upheld",
        "upheld",
        "OVERTURNED",
        "Partially",
        " Overturned",
        "Partially\nUpheld",
        "Modified",
        "Withdrawn",
        "ſoma",
        "\u212a",
        ".",
        " ",
        "\t",
        "\n",
        "\x85",
        "\u00a0",
        "Claims Administrator guideline: x",
    ]
)


@settings(max_examples=800, deadline=None)
@given(st.lists(st.lists(_OUTCOME_PIECES, max_size=6).map("".join), min_size=1, max_size=4))
def test_outcome_read_after_the_last_colon_same_as_outcome_regex(lines: list[str]) -> None:
    for i in range(len(lines)):
        assert I._outcome_parts(lines, i) == _outcome_reference(lines, i)


_CONCLUSION_PIECES = st.sampled_from(
    [
        "medically necessary",
        "MEDICALLY\tNecessary",
        "medİcally necessary",
        "not recommended",
        "NOT  warranted",
        "nOt certified",
        "cannot",
        "not",
        "medically",
        "Norco #60",
        " ",
        ".",
        "ſ",
        "\u212a",
    ]
)


def _states_conclusion_reference(lines: list[str], i: int) -> bool:
    before = lines[i - 1] if i > 0 else ""
    joined = f"{before} {lines[i]}"
    return any(m.end() > len(before) + 1 for m in I._CONCLUSION_LINE.finditer(joined))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(_CONCLUSION_PIECES, max_size=4).map("".join), min_size=1, max_size=3))
def test_conclusion_gate_same_as_the_regex(lines: list[str]) -> None:
    for i in range(len(lines)):
        assert I._states_conclusion(lines, i) == _states_conclusion_reference(lines, i)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(I.LABEL_TEXTS), _AFTER_INTRO)
def test_label_texts_are_matched_by_the_label_regex(label: str, rest: str) -> None:
    assert I._ANY_LABEL_RE.match(label + rest)
