"""imr-analytics: California workers' compensation IMR letters into DuckDB, and uphold-rate reports."""

__version__ = "0.1.0"
