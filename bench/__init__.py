"""The load benchmark: ``make bench`` or ``python -m bench --help``. See docs/performance.md."""
