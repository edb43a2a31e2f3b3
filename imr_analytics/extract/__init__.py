"""Raw layer: a file's bytes -> its text, one module per source format.

Extraction is kept apart from parsing so that the text of every document can be stored
once and re-parsed later without the source files (``imr-analytics reparse``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .pdf import extract_pdf, is_pdf
from .text import extract_text

__all__ = ["EMPTY_FILE", "ExtractionError", "ExtractedText", "extract_document"]

EMPTY_FILE = "the file is empty (0 bytes)"


@dataclass(frozen=True, slots=True)
class ExtractedText:
    text: str
    source_format: str  # 'pdf' | 'txt' | 'md'
    extractor: str  # tool and version, so a database says how its text was made
    page_count: int | None = None


class ExtractionError(ValueError):
    """A file whose text cannot be had; ``reason`` is written for the person loading it."""


def extract_document(name: str, data: bytes) -> ExtractedText:
    """Extract the text of one file given its ``name`` (for the suffix) and its bytes, ``data``.

    The content decides over the suffix where they disagree: a PDF saved as ``.txt`` is
    read as a PDF, and a ``.pdf`` that is not one is reported as such.
    """
    if not data:
        raise ExtractionError(EMPTY_FILE)
    lower = name.lower()
    if is_pdf(data):
        text, pages, extractor = extract_pdf(data)
        return ExtractedText(text, "pdf", extractor, pages)
    if lower.endswith(".pdf"):
        raise ExtractionError("named .pdf but is not a PDF (no %PDF- signature in its first bytes)")
    fmt = "md" if lower.endswith((".md", ".markdown")) else "txt"
    return ExtractedText(extract_text(data), fmt, "text")
