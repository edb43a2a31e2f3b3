"""``python -m imr_analytics`` is the ``imr-analytics`` command."""

import sys

from .cli import main

sys.exit(main())
