"""Maintenance tasks, one module each; run them as ``python scripts/NAME.py``. Nothing imports this package."""
