"""Raw layer: a file's bytes -> its text, one module per source format.

Extraction is kept apart from parsing so that the text of every document can be stored
once and re-parsed later without the source files (``imr-analytics reparse``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .limits import DEFAULT_LIMITS, Limits, too_many_chars
from .text import extract_text

__all__ = [
    "DEFAULT_LIMITS",
    "EMPTY_FILE",
    "ExtractedText",
    "ExtractionError",
    "Limits",
    "extract_document",
]

EMPTY_FILE = "the file is empty (0 bytes)"


@dataclass(frozen=True, slots=True)
class ExtractedText:
    text: str
    source_format: str  # 'pdf' | 'txt' | 'md'
    extractor: str  # tool and version, so a database says how its text was made
    page_count: int | None = None


class ExtractionError(ValueError):
    """A file whose text cannot be had; ``reason`` is written for the person loading it."""


def extract_document(name: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> ExtractedText:
    """Extract the text of one file given its ``name`` (for the suffix) and its bytes, ``data``.

    The content decides over the suffix where they disagree: a PDF saved as ``.txt`` is
    read as a PDF, and a ``.pdf`` that is not one is reported as such. Pages and
    characters are bounded by ``limits`` (wall time and memory are the worker pool's).
    """
    from .pdf import extract_pdf, is_pdf  # PDFium loads on the first document, not at import

    if not data:
        raise ExtractionError(EMPTY_FILE)
    lower = name.lower()
    if is_pdf(data):
        text, pages, extractor = extract_pdf(data, limits)
        return ExtractedText(text, "pdf", extractor, pages)
    if lower.endswith(".pdf"):
        raise ExtractionError("named .pdf but is not a PDF (no %PDF- signature in its first bytes)")
    fmt = "md" if lower.endswith((".md", ".markdown")) else "txt"
    # Decoding never yields more characters than bytes, so only a large file is counted.
    text = extract_text(data)
    if len(text) > limits.max_chars:
        raise ExtractionError(too_many_chars(limits))
    return ExtractedText(text, fmt, "text")
