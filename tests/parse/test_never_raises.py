"""The parser is total: whatever text it is given, it returns a record or a named failure."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imr_analytics.parse import Letter, ParseFailure, parse_letter

# Fragments that steer random text into the parser's deeper branches.
FRAGMENTS = [
    "Case Number:",
    "CM16-0213037",
    "Date Assigned:",
    "11/09/2016",
    "Application",
    "Received:",
    "Priority:",
    "Standard",
    "HOW THE IMR FINAL DETERMINATION WAS MADE",
    "CLINICAL CASE SUMMARY",
    "IMR ISSUES, DECISIONS AND RATIONALES",
    "IMR DECISION(S) AND RATIONALE(S)",
    "DOCUMENTS REVIEWED",
    "State(s) of Licensure:",
    "Certification(s)/Specialty:",
    "Board Certified in",
    ": Upheld",
    ": Overturned",
    "Upheld",
    "Claims Administrator guideline:",
    "MAXIMUS guideline:",
    "Decision rationale:",
    "Decision based on MTUS",
    "Decision based on Non-MTUS Citation",
    "Section(s):",
    "Page(s): 1-2",
    "was the original request.",
    "The remaining IMR eligible portion of the original request,",
    "did not cite any medical evidence",
    "Notice of Independent Medical Review Determination",
    "1) MAXIMUS Federal Services, Inc. has determined the request for",
    "is not medically necessary and appropriate.",
    "INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE",
    "MEDICAL PROFESSIONAL REVIEW",
    "ISSUE AT DISPUTE:",
    "year old",
    "\f",
    "\r\n",
    "**",
    "|",
    "<b>",
]

texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=60).map(
    lambda parts: "\n".join(parts)
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_parse_letter_never_raises_on_structured_noise(text: str) -> None:
    result = parse_letter(text)
    assert isinstance(result, Letter | ParseFailure)
    if isinstance(result, ParseFailure):
        assert result.reason != "parser_error", result.detail


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_letter_never_raises_on_arbitrary_text(text: str) -> None:
    result = parse_letter(text)
    assert isinstance(result, Letter | ParseFailure)
    # parse_letter turns a crash into a "parser_error" failure; none may happen.
    assert not (isinstance(result, ParseFailure) and result.reason == "parser_error"), result.detail
