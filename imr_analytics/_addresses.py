"""Checks on what goes into an email header: recipients, sender and subject.

A recipient written ``not an address`` used to be handed to SMTP as the local user ``not``,
and a CR or LF in a subject or title would let one header inject others. Both are refused
with one sentence before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.utils import getaddresses

__all__ = ["email_problem", "recipient_problem"]

# A practical addr-spec: local part without spaces or specials, a dotted domain name
# (or "localhost" for a local relay). Not all of RFC 5322, but never a bare word.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDR = re.compile(rf"^{_LOCAL}@(?:{_LABEL}(?:\.{_LABEL})+|localhost)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def recipient_problem(value: str) -> str | None:
    """Why ``value`` is not one email address (``Name <a@b.org>`` or ``a@b.org``), or None."""
    if _CONTROL.search(value):
        return f"the recipient {value!r} contains a line break or control character"
    parsed = getaddresses([value])
    if len(parsed) != 1:
        return f"the recipient {value!r} is not one address; give --email-to once per address"
    _name, addr = parsed[0]
    if not addr or not _ADDR.match(addr) or ".." in addr:
        return f"the recipient {value!r} is not an email address (expected name@example.org)"
    return None


def email_problem(to: Sequence[str], subject: str, sender: str) -> str | None:
    """The first reason the message cannot be sent as asked, or None."""
    for value in to:
        problem = recipient_problem(str(value))
        if problem:
            return problem
    if _CONTROL.search(subject):
        return (
            f"the email subject {subject!r} contains a line break or control character "
            "(from --email-subject or the report title)"
        )
    if _CONTROL.search(sender):
        return f"the sender {sender!r} (IMR_SMTP_FROM) contains a line break or control character"
    return None
