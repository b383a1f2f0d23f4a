"""Email sign-in secrets: a link token and a code, issued together, used once (core.verification).

Every test runs against real stores: MemoryAdapter, and SQLAlchemyAdapter on SQLite and
PostgreSQL, read behind the adapter's back to prove what was (and was not) stored. Time moves
with a FrozenClock, never with sleep.
"""
