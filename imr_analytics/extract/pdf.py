"""PDF text through pypdfium2 (Apache-2.0/BSD), PDFium's own text layer.

DWC's letters are encrypted with an empty password and a no-copy flag; PDFium opens
them with no password and ignores the copy flag, as every text extractor does. Pages are
joined with form feeds, the convention of pdftotext, so page breaks stay visible in the
stored raw text.

Pages and characters are counted before any text is materialised: a page tree that
claims a million pages is refused from its count, and a page's characters are counted
before they are copied out, so a hostile file costs no more than the limits allow.
"""

from __future__ import annotations

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .limits import DEFAULT_LIMITS, Limits, too_many_chars, too_many_pages

EXTRACTOR = f"pypdfium2 {pdfium.version.PYPDFIUM_INFO}"
NO_PAGES = "the PDF has no pages (an empty page tree), so it has no text"


def _open(data: bytes) -> pdfium.PdfDocument:
    """Open a PDF; on failure, a reason that belongs to this file.

    PDFium keeps its last error per thread and does not reset it when a document fails
    without a parse error (a PDF with no pages): the message would be the previous
    file's ("Success", "Data format error", "encrypted"). So the error is first set to a
    known value (a file that cannot be opened), the load retried, and an error left at
    that value means PDFium found nothing wrong but the missing pages.
    """
    from . import ExtractionError

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        pass
    pdfium_c.FPDF_LoadDocument(b"/nonexistent/imr-analytics-reset.pdf", None)
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if pdfium_c.FPDF_GetLastError() == pdfium_c.FPDF_ERR_FILE:
            raise ExtractionError(NO_PAGES) from None
        message = str(exc)
        if "password" in message.lower():
            raise ExtractionError(
                "the PDF is encrypted with a password, so its text cannot be read"
            ) from None
        raise ExtractionError(
            f"not a readable PDF: {message} (damaged or truncated file?)"
        ) from None


def extract_pdf(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[str, int, str]:
    """(text, page count, extractor) of a PDF's bytes."""
    from . import ExtractionError

    pdf = _open(data)
    try:
        count = len(pdf)
        if count == 0:
            raise ExtractionError(NO_PAGES)
        if count > limits.max_pages:
            raise ExtractionError(too_many_pages(limits, count))
        pages: list[str] = []
        chars = 0
        for index in range(count):
            page = pdf[index]
            textpage = page.get_textpage()
            try:
                chars += textpage.count_chars()
                if chars > limits.max_chars:
                    raise ExtractionError(too_many_chars(limits))
                pages.append(textpage.get_text_range())
            finally:
                textpage.close()
                page.close()
        return "\f".join(pages), len(pages), EXTRACTOR
    except pdfium.PdfiumError as exc:
        raise ExtractionError(f"the PDF opened but its text could not be read: {exc}") from None
    finally:
        pdf.close()
