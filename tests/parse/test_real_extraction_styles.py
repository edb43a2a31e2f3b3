"""The real letters through poppler's three pdftotext modes parse to the same checked values.

Users bring text extracted by other tools. ``pdftotext``'s default mode prints the header
table's whole label column before its value column; ``-raw`` and ``-layout`` wrap the
``Application Received:`` label; all three break lines differently from PDFium. The
parser must read every one of them to the values checked in ``expected.jsonl``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from expected_letters import (
    ITEM_PARSE_FIELDS,
    LETTER_FIELDS,
    MTUS_CHAPTER_KEYS,
    as_json,
    expected_letters,
)

from imr_analytics.parse import Letter, parse_letter

PDFTOTEXT = shutil.which("pdftotext")


@pytest.mark.skipif(
    PDFTOTEXT is None, reason="poppler's pdftotext is not installed (apt-get install poppler-utils)"
)
@pytest.mark.parametrize("mode", ["default", "-raw", "-layout"])
def test_real_letters_in_every_pdftotext_mode(shared_dir: Path, mode: str) -> None:
    mismatches = []
    for pdf, exp in expected_letters(shared_dir, seeds=False):
        args = [PDFTOTEXT, "-q"] + ([] if mode == "default" else [mode])
        text = subprocess.run(
            [*args, str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        letter = parse_letter(text)
        assert isinstance(letter, Letter), f"{exp['file']}: {letter}"
        for field in LETTER_FIELDS:
            if as_json(getattr(letter, field)) != exp[field]:
                mismatches.append((exp["file"], field, getattr(letter, field), exp[field]))
        assert len(letter.items) == len(exp["items"]), exp["file"]
        for item, want in zip(letter.items, exp["items"], strict=True):
            for field in ITEM_PARSE_FIELDS:
                if getattr(item, field) != want[field]:
                    mismatches.append(
                        (exp["file"], item.item_no, field, getattr(item, field), want[field])
                    )
            for party, key in MTUS_CHAPTER_KEYS.items():
                if item.mtus_chapters(party) != want[key]:
                    mismatches.append(
                        (exp["file"], item.item_no, key, item.mtus_chapters(party), want[key])
                    )
    assert not mismatches, "\n".join(map(str, mismatches[:20]))


def _paragraphs(pdfium_text: str) -> list[str]:
    """Paragraphs of PDFium's text: it ends a wrapped line with a space and a paragraph's
    last line without one; U+FFFE marks a hyphen where it joined a split word."""
    paragraphs, current = [], ""
    for line in pdfium_text.replace("\ufffe", "-\r\n").replace("\f", "\r\n").split("\r\n"):
        current += line
        if not line.endswith((" ", "-")):
            paragraphs.append(current)
            current = ""
    return [*paragraphs, current] if current else paragraphs


@pytest.mark.parametrize("width", [60, 80, 120])
def test_real_letters_rewrapped_at_other_widths(shared_dir: Path, width: int) -> None:
    """Where lines wrap must not matter: item headings are found however they wrap."""
    import textwrap

    from imr_analytics.extract import extract_document

    for pdf, exp in expected_letters(shared_dir, seeds=False):
        text = extract_document(pdf.name, pdf.read_bytes()).text
        rewrapped = "\n".join(
            "\n".join(textwrap.wrap(p, width, break_long_words=False, break_on_hyphens=False))
            for p in _paragraphs(text)
        )
        letter = parse_letter(rewrapped)
        assert isinstance(letter, Letter), f"{exp['file']}: {letter}"
        got = [
            (
                i.item_text,
                i.disputed_text,
                i.decision,
                i.ca_guideline_sources,
                i.reviewer_guideline_sources,
            )
            for i in letter.items
        ]
        want = [
            (
                i["item_text"],
                i["disputed_text"],
                i["decision"],
                i["ca_guideline_sources"],
                i["reviewer_guideline_sources"],
            )
            for i in exp["items"]
        ]
        assert got == want, exp["file"]
        assert (letter.patient_age, letter.patient_sex) == (
            exp["patient_age"],
            exp["patient_sex"],
        ), exp["file"]
