"""The WSGI app gunicorn serves in the HTTP benchmark: ``BENCH_APP`` on ``BENCH_DB_URL``."""

from __future__ import annotations

from .apps import app_from_environment

app = app_from_environment()
