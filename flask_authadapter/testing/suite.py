"""The adapter conformance suite: every case of Auth.js's adapter tests, and stricter ones.

Subclass :class:`AdapterSuite` in a test module (its name must start with ``Test`` for pytest
to collect it) and provide two fixtures: ``adapter``, a fresh, empty adapter per test, and
``raw``, a :class:`~flask_authadapter.testing.raw.RawStore` reading the same store::

    from flask_authadapter.testing import AdapterSuite

    class TestMyAdapter(AdapterSuite):
        @pytest.fixture
        def adapter(self):
            store = make_empty_store()
            yield MyAdapter(store)
            store.drop()

        @pytest.fixture
        def raw(self, adapter):
            return MyRawReader(adapter)

The class attributes of :class:`~flask_authadapter.testing.base.SuiteBase` describe what the
store keeps; override them in the subclass to match. Tests of extras a store does not declare
are left out of the subclass rather than skipped. The cases are written a module per area
(users.py, accounts.py, sessions.py, verification_tokens.py, values.py).
"""

from __future__ import annotations

from typing import Any

from .accounts import AccountCases
from .sessions import SessionCases
from .users import UserCases
from .values import ValueCases
from .verification_tokens import VerificationTokenCases


class AdapterSuite(UserCases, AccountCases, SessionCases, VerificationTokenCases, ValueCases):
    """The conformance suite; subclass it and provide ``adapter`` and ``raw`` fixtures.

    The class attributes (in :class:`~flask_authadapter.testing.base.SuiteBase`) describe
    what the store keeps; override them to match.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Leave out the tests of extras the store does not declare (not collected at all)."""
        super().__init_subclass__(**kwargs)
        not_applicable = {
            "test_user_extra_round_trips": not cls.user_extra,
            "test_session_extra_round_trips": not cls.session_extra,
            "test_account_extra_round_trips": not cls.account_extra,
            "test_unknown_extra_keys_are_refused_and_nothing_is_written": cls.accepts_any_extra,
        }
        for name, skip in not_applicable.items():
            if skip:
                setattr(cls, name, None)
