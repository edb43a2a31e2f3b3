"""This session's parser shortcuts give what their plain definitions give.

Each reference below is the definition the shortcut replaced (a scan of every heading line,
the line-by-line join, the regex search for uncommon spaces, an uncached reading of the
credentials), compared on texts drawn from the pieces the shortcut's reasoning depends on.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from imr_analytics.parse import credentials as C
from imr_analytics.parse import layout_b as B
from imr_analytics.parse import normalize as N


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
