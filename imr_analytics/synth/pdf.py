"""Synthetic letters as real PDFs, for benchmarking extraction + parsing end to end.

Pages hold the same lines, page breaks and header table as the text renderings (the
header is drawn as a four-row table whose ``Application Received:`` label cell wraps, like
the published letters, so that pdfium scrambles it the same way). The core Times font
only covers latin-1: typographic characters are replaced by their ASCII look-alikes
(quotes, dashes), which never touches a truth field.

The output depends on the seed alone, never on the clock: fpdf2 stamps every file with its
creation time (in /CreationDate and in the /ID it hashes), so a fixed ``CREATION_DATE`` is set;
the /ID is then fpdf2's MD5 of the file's own bytes and that date, the same for the same letter.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from fpdf import FPDF

from .render import T_HEADER, page_lines

_TRANSLIT = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\ufffe": "-",
        "\u2022": "*",
    }
)

PAGE_W, PAGE_H = 612.0, 792.0  # US Letter, points
MARGIN = 54.0
FONT = "Times"
FONT_SIZE = 10.5
# Any fixed instant would do; the first IMR determinations were issued in 2013.
CREATION_DATE = datetime(2013, 1, 1, tzinfo=UTC)


def to_latin1(text: str) -> str:
    """Text the core fonts can draw: look-alikes for typographic characters, '?' otherwise."""
    text = text.translate(_TRANSLIT)
    return text.encode("latin-1", "replace").decode("latin-1")


def build_pdf(pages: list[list[tuple[str, int, int]]], title: str) -> bytes:
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_title(title)
    pdf.set_creator("imr-analytics synthetic letter generator")
    pdf.set_creation_date(CREATION_DATE)
    avail = PAGE_W - 2 * MARGIN
    for page in pages:
        pdf.add_page()
        step = min(FONT_SIZE * 1.2, (PAGE_H - 2 * MARGIN) / max(len(page), 1))
        y = MARGIN + FONT_SIZE
        for text, _end, tag in page:
            if tag == T_HEADER:
                y = _header_row(pdf, text, y, step)
                continue
            line = to_latin1(text)
            size = FONT_SIZE
            pdf.set_font(FONT, size=size)
            w = pdf.get_string_width(line)
            if w > avail:
                size = max(5.0, size * avail / w)
                pdf.set_font(FONT, size=size)
            if line:
                pdf.text(MARGIN, y, line)
            y += step
    return bytes(pdf.output())


def _header_row(pdf: FPDF, row: str, y: float, step: float) -> float:
    """Draw one header-table row: cells separated by tabs, '\\n' inside a wrapped cell."""
    pdf.set_font(FONT, style="B", size=FONT_SIZE)
    xs = (MARGIN, MARGIN + 95, MARGIN + 230, MARGIN + 355)
    depth = 1
    for i, cell in enumerate(row.split("\t")):
        parts = cell.split("\n")
        depth = max(depth, len(parts))
        pdf.set_font(FONT, style="B" if i % 2 == 0 else "", size=FONT_SIZE)
        for k, part in enumerate(parts):
            pdf.text(xs[i], y + k * step, to_latin1(part))
    return y + depth * step


def letter_pdf(
    blocks: list[tuple], rng: random.Random, width: int, title: str, c_layout: bool
) -> bytes:
    return build_pdf(page_lines(blocks, "pdf", rng, width, c_layout), title)
