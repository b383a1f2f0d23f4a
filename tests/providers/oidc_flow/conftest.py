"""Fixtures of the OIDC sign-in tests (defined in support.py)."""

from tests.providers.oidc_flow.support import (  # noqa: F401 - fixtures
    adapter,
    app,
    backend,
    client,
    database,
    new_person,
    raw,
)
