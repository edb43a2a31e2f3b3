"""Hostile files, built in the test from raw PDF bytes and zlib (no fixtures on disk).

Each is the smallest honest version of a file measured to hurt the loader: a content
stream that inflates to tens of megabytes of text operators (PDFium's memory grows
about twenty-fold over it), a page tree that claims a million pages by sharing one
page object, a text layer of millions of characters, a PDF with no pages.
"""

from __future__ import annotations

import zlib

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


def raw_pdf(objects: list[bytes]) -> bytes:
    """A well-formed PDF of the given object bodies (object 1 is the catalog), with a
    correct cross-reference table, so that PDFium reads it without repair."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(data: bytes, *, compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        return (
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
        )
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _one_page(content: bytes, *, compress: bool = True) -> bytes:
    return raw_pdf(
        [
            CATALOG,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            _stream(content, compress=compress),
            FONT,
        ]
    )


def stream_bomb(inflated_mib: int = 64) -> bytes:
    """One page whose Flate content stream inflates to ``inflated_mib`` MiB of text
    objects: 64 MiB comes from ~160 KB and needs well over 1 GiB in PDFium."""
    op = b"BT /F1 1 Tf 1 1 Td (IMR) Tj ET\n"
    return _one_page(op * (inflated_mib * 2**20 // len(op)))


def text_bomb(chars: int = 1_500_000) -> bytes:
    """One page showing ``chars`` characters of text (compressed to a few KB)."""
    line = (
        b"(" + b"Upheld " * 100 + b") Tj 0 -1.2 Td\n"
    )  # a new line each time (PDFium drops overlaps)
    return _one_page(b"BT /F1 1 Tf 10 780 Td\n" + line * (chars // 700 + 1) + b"ET")


def page_tree_bomb(claimed: int = 1_000_000, fanout: int = 10) -> bytes:
    """A page tree whose every leaf is one shared page object: ``claimed`` pages (a
    power of ``fanout``) from about a kilobyte."""
    text = _stream(b"BT /F1 12 Tf 72 700 Td (Independent Medical Review) Tj ET", compress=False)
    objects: list[bytes] = [CATALOG, b"", FONT, text]
    objects.append(
        b"<< /Type /Page /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Contents 4 0 R >>"
    )
    child, count = len(objects), 1
    while count * fanout < claimed:
        count *= fanout
        kids = b" ".join(b"%d 0 R" % child for _ in range(fanout))
        objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count)
        child = len(objects)
    kids = b" ".join(b"%d 0 R" % child for _ in range(fanout))
    objects[1] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % (count * fanout)
    return raw_pdf(objects)


def zero_page_pdf() -> bytes:
    return raw_pdf([CATALOG, b"<< /Type /Pages /Kids [] /Count 0 >>"])


def one_page_pdf(text: str = "Hello") -> bytes:
    """A valid one-page PDF, to run before a zero-page one (PDFium's error is stale)."""
    content = b"BT /F1 12 Tf 72 700 Td (" + text.encode("latin-1") + b") Tj ET"
    return _one_page(content, compress=False)


def garbage_pdf() -> bytes:
    """A file that claims to be a PDF and fails to parse: it leaves PDFium's last error set."""
    return b"%PDF-1.4\n garbage that is not a PDF body\n"
