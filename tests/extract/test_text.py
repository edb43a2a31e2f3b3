"""Text and markdown files: decoding, and binary content refused instead of decoded."""

from __future__ import annotations

import pytest

from imr_analytics.extract import ExtractionError, extract_document


def test_a_file_of_control_bytes_is_refused_as_binary() -> None:
    data = (b"Case Number: CM16-0000001\x01\x02\x03\x1b" * 50)[:4000]
    with pytest.raises(ExtractionError, match="mostly control characters"):
        extract_document("letter.txt", data)


def test_a_few_control_bytes_do_not_make_a_text_binary() -> None:
    data = b"Case Number: CM16-0000001\n" * 40 + b"\x1b[0m one escape\n"
    assert extract_document("letter.txt", data).text.endswith("\x1b[0m one escape\n")


@pytest.mark.parametrize("byte", [9, 10, 12, 13])
def test_tabs_and_line_breaks_are_not_control_bytes(byte: int) -> None:
    data = bytes([byte]) * 300 + b"Case Number: CM16-0000001\n"
    assert extract_document("letter.txt", data).source_format == "txt"


def test_nul_bytes_mean_binary() -> None:
    with pytest.raises(ExtractionError, match="NUL"):
        extract_document("letter.txt", b"text\x00more text")
