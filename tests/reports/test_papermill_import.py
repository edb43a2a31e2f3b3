"""``reports._papermill``: papermill without its kernel client, requests and click until they
are used, and papermill otherwise unchanged (a kernel run still gets its real client)."""

from __future__ import annotations

import json
import subprocess
import sys

_CODE = """
import json, sys
from imr_analytics.reports._papermill import import_papermill
import_papermill()
import papermill
from papermill import engines
loaded = {n: n in sys.modules for n in ("nbclient", "jupyter_client", "zmq")}
lazy = {n: n in sys.modules for n in ("requests", "click")}
client_stub = engines.PapermillNotebookClient.__module__
from imr_analytics.reports.inprocess import register_engine  # the in-process engine's import
loaded_by_engine = [n for n in ("nbclient", "jupyter_client", "zmq") if n in sys.modules]
import nbformat
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P"}
client = engines.PapermillNotebookClient(engines.NotebookExecutionManager(nb), kernel_name="python3")
import requests
print(json.dumps({
    "loaded": loaded, "lazy": lazy, "stub": client_stub, "by_engine": loaded_by_engine,
    "client": type(client).__module__ + "." + type(client).__name__,
    "requests_get": callable(requests.get), "same": requests is sys.modules["requests"],
    "forwarded": papermill.iorw.requests.get is requests.get,
}))
"""


def test_papermill_loads_its_kernel_client_requests_and_click_only_when_used() -> None:
    out = subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["loaded"] == {"nbclient": False, "jupyter_client": False, "zmq": False}
    assert result["lazy"] == {"requests": False, "click": False}
    assert result["stub"] == "imr_analytics.reports._papermill"
    assert result["by_engine"] == []
    # used, each is the real thing
    assert result["client"] == "papermill.clientwrap.PapermillNotebookClient"
    assert result["requests_get"] is True and result["same"] is True
    assert result["forwarded"] is True  # papermill's stand-in forwards to the real module
