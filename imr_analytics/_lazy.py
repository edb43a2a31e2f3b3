"""Public names that import their module on first use (PEP 562), for the package facades.

``import imr_analytics`` must stay cheap (pandas, DuckDB, Altair load only when a function
that needs them is touched), while ``dir()`` and tab completion still list the whole API.
Each facade (``imr_analytics``, ``.analytics``, ``.reports``) gets its ``__getattr__`` and
``__dir__`` from here instead of writing them again.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_attributes(
    namespace: dict[str, Any], lazy: Mapping[str, tuple[str, str]], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the module whose globals are ``namespace``.

    ``lazy`` maps a public name to (module, attribute); the first access imports the module
    and caches the value in ``namespace``. ``public`` is what ``dir()`` lists.
    """
    listed = sorted(public)

    def __getattr__(name: str) -> Any:
        if name not in lazy:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        module, attr = lazy[name]
        value = getattr(importlib.import_module(module), attr)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return list(listed)

    return __getattr__, __dir__
