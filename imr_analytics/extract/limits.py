"""The limits every document is extracted under, and the reasons that name them.

A corpus downloaded from the internet holds files built to hurt a reader: a 30 KB PDF
whose compressed content stream inflates to gigabytes, a page tree that claims a
million pages, a text layer of tens of megabytes. Real IMR letters are at most a dozen
pages and tens of thousands of characters, so the defaults are far above any letter and
far below what hurts a machine; a user who needs more raises them on the command line
(``imr-analytics load --max-pages/--max-chars/--timeout/--worker-memory``).

Pages and characters are checked by the extractor itself; wall time and memory are
enforced by the worker pool (a worker past its time is killed, and every worker runs
with an address-space limit), and the pool words the reason with the functions here, so
that each limit is named the same way wherever it is hit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    max_pages: int = 100
    max_chars: int = 1_000_000
    timeout_s: float = 60.0
    worker_memory: int = 512 * 2**20  # bytes of address space per worker process


DEFAULT_LIMITS = Limits()


def format_bytes(n: int) -> str:
    """1 GiB, 512 MiB: the way a person writes a memory size."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            value = n / size
            return f"{value:g} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_bytes(text: str) -> int:
    """'512M', '1G', '1.5GiB', '1073741824' -> bytes; ValueError with a sentence otherwise."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a memory size (examples: 512M, 1G, 2GiB)")
    factor = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[m.group(2).lower()]
    return int(float(m.group(1)) * factor)


def too_many_pages(limits: Limits, claimed: int) -> str:
    return (
        f"more than {limits.max_pages:,} pages (the PDF claims {claimed:,}); "
        "not a letter, not extracted (raise the limit with --max-pages)"
    )


def too_many_chars(limits: Limits) -> str:
    return (
        f"more than {limits.max_chars:,} characters of text; not a letter, not stored "
        "(raise the limit with --max-chars)"
    )


def too_slow(limits: Limits) -> str:
    return (
        f"extraction exceeded {limits.timeout_s:g} s; the worker was stopped "
        "(raise the limit with --timeout)"
    )


def too_much_memory(limits: Limits) -> str:
    return (
        f"worker exceeded the {format_bytes(limits.worker_memory)} memory limit while "
        "extracting this file; it was stopped (raise the limit with --worker-memory)"
    )


def worker_died(how: str) -> str:
    return f"the worker extracting this file died ({how}); the file was not read again"
