"""Tests for ``flask_authadapter.config``: every ``AUTH_*`` setting, its default, its checks.

Problems must be a :class:`ConfigurationError` from ``load_config`` (so at start-up), never a
500 on the first request.
"""
