"""The conformance suite against MemoryAdapter, plus what is particular to it."""

from __future__ import annotations

import pytest

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.testing import AdapterSuite, MemoryRawStore


class TestMemoryAdapter(AdapterSuite):
    user_extra = {"role": "admin", "phone": "+44 20 7946 0000"}
    session_extra = {"user_agent": "Mozilla/5.0 (X11; Linux x86_64)"}
    account_extra = {"tenant": "contoso"}
    accepts_any_extra = True

    @pytest.fixture
    def adapter(self) -> MemoryAdapter:
        return MemoryAdapter()

    @pytest.fixture
    def raw(self, adapter: MemoryAdapter) -> MemoryRawStore:
        return MemoryRawStore(adapter)


def test_id_factory_is_used() -> None:
    ids = iter(["first", "second"])
    adapter = MemoryAdapter(id_factory=lambda: next(ids))
    from flask_authadapter.models import User

    assert adapter.create_user(User(email="a@example.com")).id == "first"
    assert adapter.create_user(User(email="b@example.com")).id == "second"
