"""Tests for ``flask_authadapter.extension``: ``Auth.init_app``, database sessions over
HTTP, ``current_user`` / ``current_session`` / ``login_required``, ``sign_in`` /
``sign_out`` from app code, the query counts of lazy loading, and storage failures.

The HTTP tests run the real extension with :class:`SQLAlchemyAdapter` on SQLite and on
PostgreSQL (the test ids say which): one database per backend for the module, emptied
before each test. Time is a :class:`FrozenClock`; nothing sleeps.
"""
