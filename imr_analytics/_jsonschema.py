"""Import jsonschema without the optional format checkers nothing here uses (3 s of CPU).

nbformat, papermill, nbconvert and Altair all import jsonschema, and ``import jsonschema``
imports every optional package that checks a string format, when installed
(``jsonschema[format-nongpl]``, which jupyter-events and so JupyterLab require):

- ``rfc3987_syntax`` (``iri``, ``iri-reference``) compiles 38 Lark grammars, about 3 s of CPU
  on the 2-core machine this runs on, in every process: the report CLI and again in a kernel;
- ``isoduration`` (``duration``, which imports arrow and dateutil), ``rfc3339_validator``
  (``date-time``), ``webcolors`` (``color``), ``uri_template`` (``uri-template``) and ``fqdn``
  (``hostname``) cost about 0.1 s more between them.

The notebook schema uses none of these formats, and nbformat validates with fastjsonschema by
default. The Vega-Lite schema, which Altair validates with format checking, uses ``uri`` and
``uri-reference`` (checked by ``rfc3986_validator``, which still loads) and ``color-hex``
(checked by none of them).

:func:`import_jsonschema` imports jsonschema the way it imports itself when those optional
packages are absent (their formats are then not checked, as jsonschema documents), and then
unblocks them again, so code that imports one of them itself later gets it. jsonschema's
format checker stays as it was built for the rest of the process, so by default only the IRI
grammars are left out (an analyst's own validation in a notebook that imported
``imr_analytics`` still checks dates, host names and URI templates); the
``imr-analytics report`` process, which runs nothing else, leaves out all of them.
"""

from __future__ import annotations

import sys

_IRI = ("rfc3987_syntax",)
# Every optional format checker nothing here uses (the report CLI's process).
UNUSED_FORMAT_CHECKERS = (
    *_IRI,
    "isoduration",
    "rfc3339_validator",
    "webcolors",
    "uri_template",
    "fqdn",
)


def import_jsonschema(left_out: tuple[str, ...] = _IRI) -> None:
    """Import jsonschema (once per process) without the optional format checkers
    ``left_out`` (by default the IRI grammars only)."""
    if "jsonschema" in sys.modules:
        return
    blocked = [name for name in left_out if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import jsonschema  # noqa: F401
    finally:
        for name in blocked:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
