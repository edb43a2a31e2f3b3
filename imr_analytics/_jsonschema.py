"""Import jsonschema without its optional RFC 3987 IRI grammar (3 s of CPU per process).

nbformat, papermill, nbconvert and Altair all import jsonschema. When the optional package
``rfc3987_syntax`` is installed (``jsonschema[format-nongpl]``, which jupyter-events and so
JupyterLab require), ``import jsonschema`` compiles its 38 Lark grammars, about 3 s of CPU on
the 2-core machine this runs on, in every process: the report CLI and again in its kernel.
Those grammars only check the ``iri`` and ``iri-reference`` string formats, which neither the
notebook schema nor the Vega-Lite schema uses (they use ``uri``, checked by another package).

:func:`import_jsonschema` imports jsonschema the way it imports itself when that optional
package is absent (the two formats are then not checked, as jsonschema documents), and then
unblocks the package again, so code that imports ``rfc3987_syntax`` itself later gets it.
"""

from __future__ import annotations

import sys

_OPTIONAL = "rfc3987_syntax"


def import_jsonschema() -> None:
    """Import jsonschema (once per process) without compiling the optional IRI grammars."""
    if "jsonschema" in sys.modules:
        return
    blocked = _OPTIONAL not in sys.modules
    if blocked:
        sys.modules[_OPTIONAL] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import jsonschema  # noqa: F401
    finally:
        if blocked and sys.modules.get(_OPTIONAL, False) is None:
            del sys.modules[_OPTIONAL]
