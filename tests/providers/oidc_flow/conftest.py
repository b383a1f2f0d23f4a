"""Fixtures of the OIDC sign-in tests (defined in support.py)."""

from tests.http_databases import adapter, backend, database, raw  # noqa: F401 - fixtures
from tests.providers.oidc_flow.support import (  # noqa: F401 - fixtures
    app,
    client,
    new_person,
)
