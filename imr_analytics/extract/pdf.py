"""PDF text through pypdfium2 (Apache-2.0/BSD), PDFium's own text layer.

DWC's letters are encrypted with an empty password and a no-copy flag; PDFium opens
them with no password and ignores the copy flag, as every text extractor does. Pages are
joined with form feeds, the convention of pdftotext, so page breaks stay visible in the
stored raw text.
"""

from __future__ import annotations

import pypdfium2 as pdfium

EXTRACTOR = f"pypdfium2 {pdfium.version.PYPDFIUM_INFO}"


def is_pdf(data: bytes) -> bool:
    """PDF readers accept the signature anywhere in the first KiB, and so do we."""
    return b"%PDF-" in data[:1024]


def extract_pdf(data: bytes) -> tuple[str, int, str]:
    """(text, page count, extractor) of a PDF's bytes."""
    from . import ExtractionError

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise ExtractionError(
                "the PDF is encrypted with a password, so its text cannot be read"
            ) from None
        raise ExtractionError(
            f"not a readable PDF: {message} (damaged or truncated file?)"
        ) from None
    try:
        pages: list[str] = []
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            try:
                pages.append(textpage.get_text_range())
            finally:
                textpage.close()
                page.close()
        return "\f".join(pages), len(pages), EXTRACTOR
    except pdfium.PdfiumError as exc:
        raise ExtractionError(f"the PDF opened but its text could not be read: {exc}") from None
    finally:
        pdf.close()
