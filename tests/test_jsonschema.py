"""``imr_analytics._jsonschema``: jsonschema without its optional IRI grammars and the other
format checkers nothing here uses, and nothing else changed: the notebook and Vega-Lite schemas
still validate (a Vega-Lite ``uri`` still checked), and the optional packages are not left
blocked for code that imports them itself."""

from __future__ import annotations

import json
import subprocess
import sys

_CODE = """
import importlib.util, json, sys
from imr_analytics._jsonschema import UNUSED_FORMAT_CHECKERS as _OPTIONAL, import_jsonschema
import_jsonschema(_OPTIONAL)
blocked_after = [name for name in _OPTIONAL if sys.modules.get(name, "absent") is None]
grammars_loaded = "rfc3987_syntax" in sys.modules or "lark" in sys.modules
skipped = [name for name in ("rfc3987_syntax", "isoduration", "arrow") if name in sys.modules]
import nbformat
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
nbformat.validate(nb)
try:
    nbformat.validate({"nbformat": 4})
    invalid_refused = False
except nbformat.ValidationError:
    invalid_refused = True
import jsonschema
checker = jsonschema.Draft7Validator.FORMAT_CHECKER
uri_checked = not checker.conforms("not a uri", "uri") and checker.conforms("https://a.b/c", "uri")
installed = [n for n in _OPTIONAL if importlib.util.find_spec(n) is not None]
importable = []
for name in installed:
    importlib.import_module(name)
    importable.append(name)
print(json.dumps({"left_blocked": blocked_after, "grammars": grammars_loaded, "invalid_refused": invalid_refused,
                  "skipped": skipped, "uri_checked": uri_checked, "installed": installed, "importable": importable}))
"""


def test_jsonschema_loads_without_the_iri_grammars_and_still_validates() -> None:
    out = subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["left_blocked"] == []
    assert result["grammars"] is False  # jsonschema came in without compiling them
    assert result["skipped"] == []  # nor the duration checker's arrow
    assert result["invalid_refused"] is True
    assert result["uri_checked"] is True  # what the Vega-Lite schema needs is still there
    assert result["importable"] == result["installed"]


_NOTEBOOK = """
import importlib.util, json, sys
import imr_analytics.analytics.charts  # what a notebook imports: the default
import jsonschema
checkers = jsonschema.Draft7Validator.FORMAT_CHECKER.checkers
wanted = {"rfc3339_validator": "date-time", "fqdn": "hostname", "uri_template": "uri-template"}
print(json.dumps({
    "missing": [fmt for mod, fmt in wanted.items()
                if importlib.util.find_spec(mod) is not None and fmt not in checkers],
    "iri_checked": "iri" in checkers,
}))
"""


def test_a_notebook_that_imports_the_package_keeps_jsonschemas_other_format_checkers() -> None:
    """Only the IRI grammars (3 s) are left out outside the report CLI: an analyst's own
    validation of dates, host names and URI templates in the same kernel still checks them."""
    out = subprocess.run(
        [sys.executable, "-c", _NOTEBOOK], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == {"missing": [], "iri_checked": False}
