"""Database sessions: policy, start, load (sliding expiry, absolute cap), end.

Every test runs against real stores: MemoryAdapter, and SQLAlchemyAdapter on SQLite and
PostgreSQL. Time moves with a FrozenClock, never with sleep.
"""
