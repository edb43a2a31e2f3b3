"""``python -m imr_analytics`` is the ``imr-analytics`` command."""

from .cli import console

console()
