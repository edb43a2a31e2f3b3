"""``imr_analytics._jsonschema``: jsonschema without its optional IRI grammars, and nothing else
changed: the notebook and Vega-Lite schemas still validate, and the optional package is not
left blocked for code that imports it itself."""

from __future__ import annotations

import json
import subprocess
import sys

_CODE = """
import importlib.util, json, sys
from imr_analytics._jsonschema import import_jsonschema
import_jsonschema()
blocked_after = sys.modules.get("rfc3987_syntax", "absent")
grammars_loaded = "rfc3987_syntax" in sys.modules or "lark" in sys.modules
import nbformat
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
nbformat.validate(nb)
try:
    nbformat.validate({"nbformat": 4})
    invalid_refused = False
except nbformat.ValidationError:
    invalid_refused = True
installed = importlib.util.find_spec("rfc3987_syntax") is not None
importable = False
if installed:
    import rfc3987_syntax  # noqa: F401
    importable = True
print(json.dumps({"left_blocked": blocked_after is None, "grammars": grammars_loaded, "invalid_refused": invalid_refused,
                  "installed": installed, "importable": importable}))
"""


def test_jsonschema_loads_without_the_iri_grammars_and_still_validates() -> None:
    out = subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["left_blocked"] is False
    assert result["grammars"] is False  # jsonschema came in without compiling them
    assert result["invalid_refused"] is True
    assert result["importable"] == result["installed"]
