"""Extraction limits and reasons that belong to the file: pages, characters, no pages."""

from __future__ import annotations

import contextlib

import pytest
from hostile_files import garbage_pdf, one_page_pdf, page_tree_bomb, text_bomb, zero_page_pdf

from imr_analytics.extract import DEFAULT_LIMITS, ExtractionError, Limits, extract_document
from imr_analytics.extract.limits import format_bytes, parse_bytes


def _reason(name: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    with pytest.raises(ExtractionError) as info:
        extract_document(name, data, limits)
    return str(info.value)


def test_a_page_tree_claiming_a_million_pages_is_refused_from_its_count() -> None:
    reason = _reason("tree.pdf", page_tree_bomb())
    assert reason.startswith("more than 100 pages (the PDF claims 1,000,000)")
    assert "--max-pages" in reason


def test_the_page_limit_is_the_users() -> None:
    reason = _reason("tree.pdf", page_tree_bomb(claimed=1000), Limits(max_pages=999))
    assert "more than 999 pages (the PDF claims 1,000)" in reason
    assert extract_document("tree.pdf", page_tree_bomb(claimed=1000), Limits(max_pages=1000))


def test_a_text_layer_past_the_character_limit_is_refused() -> None:
    assert "more than 1,000,000 characters of text" in _reason("t.pdf", text_bomb(1_500_000))
    reason = _reason("t.pdf", text_bomb(20_000), Limits(max_chars=10_000))
    assert "more than 10,000 characters" in reason and "--max-chars" in reason
    text = "Upheld. " * 2000
    assert "more than 10,000 characters" in _reason(
        "t.txt", text.encode(), Limits(max_chars=10_000)
    )
    assert extract_document("t.txt", text.encode(), Limits(max_chars=16_000)).text == text


@pytest.mark.parametrize("before", [garbage_pdf(), one_page_pdf(), zero_page_pdf()])
def test_a_zero_page_pdf_has_its_own_reason_whatever_came_before(before: bytes) -> None:
    with contextlib.suppress(ExtractionError):
        extract_document("before.pdf", before)
    assert _reason("zero.pdf", zero_page_pdf()) == (
        "the PDF has no pages (an empty page tree), so it has no text"
    )
    # and a real parse error after it is still that file's own
    assert "Data format error" in _reason("bad.pdf", garbage_pdf())


def test_memory_sizes_read_and_written_the_way_people_write_them() -> None:
    assert parse_bytes("512M") == 512 * 2**20
    assert parse_bytes("1G") == parse_bytes("1GiB") == parse_bytes("1gb") == 2**30
    assert parse_bytes("1073741824") == 2**30
    assert format_bytes(2**30) == "1 GiB" and format_bytes(1536 * 2**20) == "1.5 GiB"
    with pytest.raises(ValueError, match="not a memory size"):
        parse_bytes("lots")
