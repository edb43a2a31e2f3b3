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


def is_pdf(data: bytes) -> bool:
    """PDF readers accept the signature anywhere in the first KiB, and so do we.

    Here rather than in ``pdf.py``: telling a PDF needs no PDFium, and importing pypdfium2
    costs a worker process about 0.09 s of CPU, which a load of text files never needs."""
    return b"%PDF-" in data[:1024]


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
    if not data:
        raise ExtractionError(EMPTY_FILE)
    lower = name.lower()
    if is_pdf(data):
        from .pdf import extract_pdf  # PDFium loads with the first PDF, not at import

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
