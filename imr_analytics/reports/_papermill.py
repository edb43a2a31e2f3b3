"""Import papermill without what a report run in this process never uses.

``import papermill`` loads, for features a run of ``imr-analytics report`` does not touch:

- nbclient, jupyter_client and zmq (for its kernel engine; an in-process run uses
  ``reports.inprocess`` instead);
- requests (for notebooks at ``http://`` addresses; reports are local files);
- click (for ``papermill --help-notebook``).

:func:`import_papermill` imports papermill while stand-ins take the place of requests and
click (each imports the real module at its first use, if any, and forwards to it; papermill
uses them only inside functions) and of its kernel client (a function that imports it when
papermill's kernel engine first runs). Only papermill's own modules keep the stand-ins: the
import system gets the real modules back at once, for anyone else who imports them. Papermill
behaves as before: a kernel run (``--kernel``, plain ``papermill``) loads all three when it
needs them.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_LAZY = ("requests", "click")  # used inside papermill's functions only, never at its import
_CLIENT = "papermill.clientwrap"


def _notebook_client(*args: Any, **kwargs: Any) -> Any:
    """``papermill.clientwrap.PapermillNotebookClient(...)``, imported when first needed."""
    from papermill.clientwrap import PapermillNotebookClient

    return PapermillNotebookClient(*args, **kwargs)


class _OnFirstUse(types.ModuleType):
    """Stands in for a module in papermill's globals: imports it at its first use, forwards."""

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attr)


def import_papermill() -> None:
    """Import ``papermill`` (once per process) without loading what is described above."""
    if "papermill.engines" in sys.modules:
        return
    client = types.ModuleType(_CLIENT)
    client.PapermillNotebookClient = _notebook_client  # type: ignore[attr-defined]
    stand_ins: dict[str, types.ModuleType] = {
        name: _OnFirstUse(name) for name in _LAZY if name not in sys.modules
    }
    if _CLIENT not in sys.modules:
        stand_ins[_CLIENT] = client
    sys.modules.update(stand_ins)
    try:
        import papermill.engines  # noqa: F401
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]  # the real module loads when next imported
        papermill = sys.modules.get("papermill")
        if papermill is not None and getattr(papermill, "clientwrap", None) is client:
            delattr(papermill, "clientwrap")
