"""The sign-in rules (oauth_sign_in, email_sign_in) against real stores.

Faults and races are injected with small subclasses of the real adapters: the store behind
them is real, only the timing of the other party or the failure is staged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.errors import (
    ConflictError,
    DuplicateEmail,
    OAuthAccountNotLinked,
    StorageError,
)
from flask_authadapter.core.models import Account, User
from flask_authadapter.core.signin import (
    TOKEN_FIELDS,
    OAuthSignIn,
    SignInOutcome,
    email_sign_in,
    oauth_sign_in,
)
from tests.core.conftest import START
from tests.core.stores import Recording, Store, as_utc, no_change

EMAIL = "ada@example.com"


def _github(account_id: str = "583231", **tokens: Any) -> Account:
    """A provider account as a callback hands it over: tokens, no user yet."""
    values: dict[str, Any] = {
        "access_token": "gho_first_access",
        "refresh_token": "ghr_first_refresh",
        "expires_at": 1_900_000_000,
        "token_type": "bearer",
        "scope": "read:user user:email",
    }
    values.update(tokens)
    return Account(
        user_id="ignored-by-sign-in",
        type="oauth",
        provider="github",
        provider_account_id=account_id,
        **values,
    )


def _profile(email: str | None = EMAIL, **fields: Any) -> User:
    return User(email=email, name="Ada Lovelace", image="https://img.example/ada.png", **fields)


def _sign_in(adapter: Any, clock: FrozenClock, **options: Any) -> SignInOutcome:
    options.setdefault("account", _github())
    options.setdefault("profile", _profile())
    return oauth_sign_in(adapter, clock=clock, **options)


def _counts(store: Store) -> tuple[int, int]:
    counts = store.counts()
    return counts["users"], counts["accounts"]


# A new account ------------------------------------------------------------------------------


def test_a_new_account_creates_the_user_and_links_it(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    outcome = _sign_in(adapter, clock, email_verified=True)
    assert outcome.is_new_user is True
    assert outcome.account_linked is True
    assert outcome.user_updated is False
    user = outcome.user
    assert user.id is not None
    assert (user.email, user.name, user.image) == (
        EMAIL,
        "Ada Lovelace",
        "https://img.example/ada.png",
    )
    assert outcome.account is not None
    assert outcome.account.user_id == user.id
    assert _counts(store) == (1, 1)
    assert adapter.get_user_by_account("github", "583231") == user
    row = store.raw.account("github", "583231")
    assert row is not None
    assert row["user_id"] == user.id
    assert row["access_token"] == "gho_first_access"
    assert row["refresh_token"] == "ghr_first_refresh"
    assert row["expires_at"] == 1_900_000_000


def test_the_profile_cannot_choose_the_user_id(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    victim = adapter.create_user(User(email="victim@example.com"))
    outcome = _sign_in(adapter, clock, profile=_profile(id=victim.id))
    assert outcome.is_new_user
    assert outcome.user.id != victim.id
    assert adapter.get_user(victim.id) == victim
    assert _counts(store) == (2, 1)


def test_email_verified_is_set_when_the_provider_asserts_it(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter()
    outcome = _sign_in(adapter, clock, email_verified=True)
    assert outcome.user.email_verified == START
    assert outcome.user.id is not None
    stored = store.raw.user(outcome.user.id)
    assert stored is not None
    assert as_utc(stored["email_verified"]) == START


def test_an_unverified_email_is_not_stored_on_the_new_user(
    store: Store, clock: FrozenClock
) -> None:
    # Whatever the profile says: only the provider's assertion (the argument) counts, and
    # an address nobody proved is no claim on it.
    adapter = store.adapter()
    outcome = _sign_in(adapter, clock, profile=_profile(email_verified=START), email_verified=False)
    assert outcome.user.email is None
    assert outcome.user.email_verified is None
    assert outcome.user.name == "Ada Lovelace"
    assert outcome.user.id is not None
    stored = store.raw.user(outcome.user.id)
    assert stored is not None
    assert (stored["email"], stored["email_verified"]) == (None, None)
    assert adapter.get_user_by_email(EMAIL) is None


def test_a_profile_without_email_creates_a_user_without_email(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter()
    first = _sign_in(adapter, clock, profile=_profile(email=None))
    second = _sign_in(adapter, clock, account=_github("999"), profile=_profile(email=None))
    assert first.is_new_user
    assert second.is_new_user
    assert first.user.email is None
    assert second.user.email is None
    assert first.user.id != second.user.id  # no email is not a shared email
    assert _counts(store) == (2, 2)


def test_no_email_is_never_verified(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    outcome = _sign_in(adapter, clock, profile=_profile(email=None), email_verified=True)
    assert outcome.user.email is None
    assert outcome.user.email_verified is None


# A known account ----------------------------------------------------------------------------


def test_a_known_account_signs_in_its_owner(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    owner = _sign_in(adapter, clock).user
    clock.advance(days=3)
    outcome = _sign_in(adapter, clock, profile=_profile(email="renamed@example.com"))
    assert outcome.user.id == owner.id
    assert outcome.is_new_user is False
    assert outcome.account_linked is False
    assert outcome.user_updated is False
    assert _counts(store) == (1, 1)


def test_a_known_account_gets_its_fresh_tokens_stored(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    _sign_in(adapter, clock)
    fresh = _github(
        access_token="gho_second_access",
        refresh_token=None,  # Google-style: the refresh token came only the first time
        expires_at=1_900_003_600,
        token_type=None,
        scope=None,
        id_token="eyJ.second.id",
    )
    outcome = _sign_in(adapter, clock, account=fresh)
    row = store.raw.account("github", "583231")
    assert row is not None
    assert row["access_token"] == "gho_second_access"
    assert row["expires_at"] == 1_900_003_600
    assert row["id_token"] == "eyJ.second.id"
    # Fields the provider did not send this time keep their stored values.
    assert row["refresh_token"] == "ghr_first_refresh"
    assert row["token_type"] == "bearer"
    assert row["scope"] == "read:user user:email"
    # The outcome shows the account as stored.
    assert outcome.account is not None
    assert outcome.account.access_token == "gho_second_access"
    assert outcome.account.refresh_token == "ghr_first_refresh"
    assert outcome.account.user_id == outcome.user.id


def test_a_known_account_without_any_token_keeps_all_stored_ones(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter(Recording)
    _sign_in(adapter, clock)
    empty = _github(**dict.fromkeys(TOKEN_FIELDS))
    adapter.calls.clear()
    outcome = _sign_in(adapter, clock, account=empty)
    assert "update_account" not in adapter.calls
    assert outcome.account is not None
    assert outcome.account.access_token == "gho_first_access"
    assert outcome.account.refresh_token == "ghr_first_refresh"


def test_a_known_account_signs_in_when_its_owner_is_already_signed_in(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter()
    owner = _sign_in(adapter, clock).user
    outcome = _sign_in(
        adapter, clock, account=_github(access_token="gho_again"), current_user=owner
    )
    assert outcome.user.id == owner.id
    assert outcome.account_linked is False
    assert outcome.account is not None
    assert outcome.account.access_token == "gho_again"
    assert _counts(store) == (1, 1)


def test_a_known_account_of_another_user_is_refused_and_nothing_changes(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter()
    owner = _sign_in(adapter, clock).user
    other = adapter.create_user(User(email="bob@example.com"))
    before = dict(store.raw.account("github", "583231") or {})
    with no_change(store), pytest.raises(OAuthAccountNotLinked) as raised:
        _sign_in(
            adapter,
            clock,
            account=_github(access_token="gho_stolen", refresh_token="ghr_stolen"),
            current_user=other,
        )
    assert raised.value.code == "OAuthAccountNotLinked"
    assert raised.value.status == 409
    assert dict(store.raw.account("github", "583231") or {}) == before
    assert adapter.get_user_by_account("github", "583231") == owner
    assert adapter.get_user(other.id) == other


# Linking while signed in ---------------------------------------------------------------------


def test_a_new_account_while_signed_in_is_linked_to_the_signed_in_user(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter()
    current = adapter.create_user(User(email="bob@example.com", name="Bob"))
    outcome = _sign_in(adapter, clock, current_user=current, email_verified=True)
    assert outcome.user.id == current.id
    assert outcome.account_linked is True
    assert outcome.is_new_user is False
    assert outcome.account is not None
    assert outcome.account.user_id == current.id
    assert _counts(store) == (1, 1)
    assert adapter.get_user_by_account("github", "583231") == current
    # The provider's profile does not overwrite the signed-in user's own fields.
    assert adapter.get_user(current.id) == current


def test_linking_while_signed_in_shows_the_signed_in_user_and_reads_no_email(
    store: Store, clock: FrozenClock
) -> None:
    """The account is linked to the signed-in user whatever its email says: that is who the
    ``sign_in`` callback is shown, and nobody is looked up by email for it."""
    adapter = store.adapter(Recording)
    current = adapter.create_user(User(email="bob@example.com", name="Bob"))
    adapter.create_user(User(email=EMAIL, email_verified=clock()))
    adapter.calls.clear()
    attempt = OAuthSignIn(
        adapter, account=_github(), profile=_profile(), email_verified=True, current_user=current
    )
    assert attempt.candidate == current
    outcome = attempt.run(clock=clock)
    assert outcome.user.id == current.id
    assert outcome.account_linked is True
    assert adapter.calls == ["get_user_by_account", "link_account"]


def test_a_second_provider_links_to_the_user_of_the_first(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    user = _sign_in(adapter, clock).user
    google = Account(
        user_id="ignored",
        type="oidc",
        provider="google",
        provider_account_id="10769150350006150715113082367",
        access_token="ya29.a0",
        id_token="eyJ.google",
    )
    outcome = _sign_in(adapter, clock, account=google, current_user=user)
    assert outcome.user.id == user.id
    assert adapter.get_user_by_account("google", "10769150350006150715113082367") == user
    assert _counts(store) == (1, 2)


# Email collisions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allow_dangerous", "email_verified"),
    [(False, False), (True, False)],
    ids=["default", "allowed but not verified"],
)
def test_an_unverified_email_of_an_existing_user_makes_a_separate_user(
    store: Store, clock: FrozenClock, allow_dangerous: bool, email_verified: bool
) -> None:
    # Nobody proved the address: it is neither a way into the user who has it nor a
    # reason to refuse (which would tell a stranger the address has an account here).
    adapter = store.adapter()
    existing = adapter.create_user(User(email=EMAIL, name="The real Ada", email_verified=START))
    outcome = _sign_in(
        adapter,
        clock,
        allow_dangerous_email_account_linking=allow_dangerous,
        email_verified=email_verified,
    )
    assert outcome.is_new_user
    assert outcome.user.id != existing.id
    assert outcome.user.email is None
    assert adapter.get_user(existing.id) == existing
    assert adapter.get_user_by_account("github", "583231") == outcome.user
    assert _counts(store) == (2, 1)


def test_a_verified_email_of_an_existing_user_is_refused_without_dangerous_linking(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter()
    existing = adapter.create_user(User(email=EMAIL, name="The real Ada", email_verified=START))
    with no_change(store), pytest.raises(OAuthAccountNotLinked):
        _sign_in(adapter, clock, email_verified=True)
    assert adapter.get_user(existing.id) == existing
    assert store.raw.account("github", "583231") is None


def test_dangerous_linking_with_a_verified_email_links_to_the_existing_user(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter()
    existing = adapter.create_user(User(email=EMAIL, name="The real Ada", email_verified=START))
    outcome = _sign_in(
        adapter, clock, allow_dangerous_email_account_linking=True, email_verified=True
    )
    assert outcome.user.id == existing.id
    assert outcome.account_linked is True
    assert outcome.is_new_user is False
    assert _counts(store) == (1, 1)
    assert adapter.get_user_by_account("github", "583231") == existing
    assert adapter.get_user(existing.id).name == "The real Ada"


def test_dangerous_linking_never_links_into_a_user_whose_email_nobody_verified(
    store: Store, clock: FrozenClock
) -> None:
    # A user an app created with an address it did not check (no provider accounts): the
    # provider's verified email is not a way into it.
    adapter = store.adapter()
    existing = adapter.create_user(User(email=EMAIL, name="Invited"))
    with no_change(store), pytest.raises(OAuthAccountNotLinked):
        _sign_in(adapter, clock, allow_dangerous_email_account_linking=True, email_verified=True)
    assert adapter.get_user(existing.id) == existing


def _squatter(adapter: Any) -> User:
    """A user who holds EMAIL unverified with a provider account of their own (a row from
    before unverified emails stopped being stored)."""
    squatter = adapter.create_user(User(email=EMAIL, name="Mallory"))
    adapter.link_account(
        Account(user_id=squatter.id, type="oauth", provider="facebook", provider_account_id="666")
    )
    return squatter


@pytest.mark.parametrize("allow_dangerous", [False, True], ids=["default", "dangerous"])
def test_a_verified_sign_in_takes_the_address_from_an_unproven_holder(
    store: Store, clock: FrozenClock, allow_dangerous: bool
) -> None:
    adapter = store.adapter()
    squatter = _squatter(adapter)
    outcome = _sign_in(
        adapter, clock, allow_dangerous_email_account_linking=allow_dangerous, email_verified=True
    )
    assert outcome.is_new_user
    assert outcome.user.id != squatter.id
    assert (outcome.user.email, outcome.user.email_verified) == (EMAIL, START)
    kept = adapter.get_user(squatter.id)
    assert kept is not None
    assert kept.email is None
    assert adapter.get_user_by_account("facebook", "666") == kept
    assert adapter.get_user_by_email(EMAIL) == outcome.user


# Failures and races ----------------------------------------------------------------------------


class LinkFails:
    """Fault injection: the store fails when the account is to be linked."""

    # The two-step path (create_user, then link_account) of adapters without the optional
    # create_user_and_link_account; the one-transaction path has its own suite case.
    create_user_and_link_account = None

    def link_account(self, account: Account) -> Account:
        raise StorageError("link_account failed: the database went away")


def test_a_failed_link_leaves_no_orphan_user(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter(LinkFails, Recording)
    with no_change(store), pytest.raises(StorageError, match="went away"):
        _sign_in(adapter, clock, email_verified=True)
    assert adapter.calls.count("create_user") == 1  # a StorageError is not retried
    assert "delete_user" in adapter.calls
    assert _counts(store) == (0, 0)
    assert adapter.get_user_by_email(EMAIL) is None


def test_a_failed_link_to_an_existing_user_leaves_that_user_alone(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter(LinkFails)
    existing = adapter.create_user(User(email=EMAIL, email_verified=START))
    current = adapter.create_user(User(email="bob@example.com"))
    with no_change(store), pytest.raises(StorageError):
        _sign_in(adapter, clock, allow_dangerous_email_account_linking=True, email_verified=True)
    with no_change(store), pytest.raises(StorageError):
        _sign_in(adapter, clock, account=_github("777"), current_user=current)
    assert adapter.get_user(existing.id) == existing
    assert adapter.get_user(current.id) == current


class RacingSignIn:
    """Staged race: on the first ``create_user`` call, another sign-in (``other``, run
    through this same real adapter) completes first; then this one carries on."""

    # The two-step path (create_user, then link_account) of adapters without the optional
    # create_user_and_link_account; the one-transaction path has its own suite case.
    create_user_and_link_account = None

    other: Callable[[Any], object] | None = None

    def create_user(self, user: User) -> User:
        other, self.other = self.other, None
        if other is not None:
            other(self)
        return super().create_user(user)  # type: ignore[misc]


def test_a_sign_in_that_lost_the_race_signs_in_the_user_the_winner_created(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter(RacingSignIn, Recording)
    winner: list[SignInOutcome] = []
    adapter.other = lambda a: winner.append(_sign_in(a, clock, email_verified=True))
    outcome = _sign_in(adapter, clock, email_verified=True)
    assert len(winner) == 1
    assert outcome.user.id == winner[0].user.id
    assert outcome.is_new_user is False
    assert _counts(store) == (1, 1)
    assert adapter.calls.count("create_user") == 2  # the winner's, and the loser's try


def test_a_race_without_email_leaves_one_user(store: Store, clock: FrozenClock) -> None:
    # No email to collide on: the loser's user is created, its link then collides on the
    # account; that user is removed and the retry signs in the winner's.
    adapter = store.adapter(RacingSignIn, Recording)
    winner: list[SignInOutcome] = []
    adapter.other = lambda a: winner.append(_sign_in(a, clock, profile=_profile(email=None)))
    outcome = _sign_in(adapter, clock, profile=_profile(email=None))
    assert outcome.user.id == winner[0].user.id
    assert outcome.is_new_user is False
    assert _counts(store) == (1, 1)
    assert "delete_user" in adapter.calls


class EmailAlwaysTaken:
    """Fault injection: the store reports a duplicate email it will not show."""

    # The two-step path (create_user, then link_account) of adapters without the optional
    # create_user_and_link_account; the one-transaction path has its own suite case.
    create_user_and_link_account = None

    def create_user(self, user: User) -> User:
        raise DuplicateEmail()


def test_a_conflict_that_persists_is_retried_once_only(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter(EmailAlwaysTaken, Recording)
    with no_change(store), pytest.raises(ConflictError):
        _sign_in(adapter, clock)
    assert adapter.calls.count("create_user") == 2


# email_sign_in ----------------------------------------------------------------------------------


def test_email_sign_in_creates_a_verified_user(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    outcome = email_sign_in(adapter, email=EMAIL, clock=clock)
    assert outcome.is_new_user is True
    assert outcome.user_updated is False
    assert outcome.account_linked is False
    assert outcome.account is None
    assert outcome.user.email == EMAIL
    assert outcome.user.email_verified == START
    assert outcome.user.id is not None
    stored = store.raw.user(outcome.user.id)
    assert stored is not None
    assert as_utc(stored["email_verified"]) == START
    assert _counts(store) == (1, 0)


def test_email_sign_in_verifies_an_unverified_user_without_provider_accounts(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter()
    existing = adapter.create_user(User(email=EMAIL, name="Invited"))  # the app made it
    clock.advance(hours=2)
    outcome = email_sign_in(adapter, email=EMAIL, clock=clock)
    assert outcome.user.id == existing.id
    assert outcome.user_updated is True
    assert outcome.is_new_user is False
    assert outcome.user.email_verified == clock()
    assert outcome.user.name == "Invited"
    stored = store.raw.user(existing.id)
    assert stored is not None
    assert as_utc(stored["email_verified"]) == clock()
    assert _counts(store) == (1, 0)


def test_email_sign_in_never_merges_into_an_unproven_holder_with_provider_accounts(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter()
    squatter = _squatter(adapter)
    outcome = email_sign_in(adapter, email=EMAIL, clock=clock)
    assert outcome.is_new_user
    assert outcome.user.id != squatter.id
    assert (outcome.user.email, outcome.user.email_verified) == (EMAIL, START)
    kept = adapter.get_user(squatter.id)
    assert kept is not None
    assert (kept.email, kept.name) == (None, "Mallory")
    assert adapter.get_user_by_account("facebook", "666") == kept
    assert _counts(store) == (2, 1)


def test_a_provider_first_then_the_owner_by_email_gives_two_users(
    store: Store, clock: FrozenClock
) -> None:
    # The pre-hijacking sequence: an unverified provider email, then the owner's magic
    # link, then the attacker's provider again.
    adapter = store.adapter()
    attacker = _sign_in(adapter, clock, email_verified=False).user
    owner = email_sign_in(adapter, email=EMAIL, clock=clock).user
    again = _sign_in(adapter, clock, email_verified=False).user
    assert owner.id != attacker.id
    assert again.id == attacker.id
    assert adapter.get_user_by_email(EMAIL) == owner
    assert adapter.get_user_by_account("github", "583231") == attacker


def test_email_sign_in_leaves_a_verified_user_alone(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter(Recording)
    first = email_sign_in(adapter, email=EMAIL, clock=clock)
    clock.advance(days=10)
    adapter.calls.clear()
    with no_change(store), store.statements() as statements:
        outcome = email_sign_in(adapter, email=EMAIL, clock=clock)
    assert outcome.user == first.user
    assert outcome.user.email_verified == START  # not moved to the new sign-in
    assert outcome.user_updated is False
    assert outcome.is_new_user is False
    assert adapter.calls == ["get_user_by_email"]
    assert statements.writes == []


def test_email_sign_in_is_exact_on_the_address(store: Store, clock: FrozenClock) -> None:
    # The caller normalises; the rule matches exactly what it is given.
    adapter = store.adapter()
    email_sign_in(adapter, email=EMAIL, clock=clock)
    other = email_sign_in(adapter, email="ada@example.org", clock=clock)
    assert other.is_new_user
    assert _counts(store) == (2, 0)


def test_email_sign_in_that_lost_the_race_signs_in_the_winners_user(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter(RacingSignIn, Recording)
    winner: list[SignInOutcome] = []
    adapter.other = lambda a: winner.append(email_sign_in(a, email=EMAIL, clock=clock))
    outcome = email_sign_in(adapter, email=EMAIL, clock=clock)
    assert outcome.user.id == winner[0].user.id
    assert outcome.is_new_user is False
    assert outcome.user.email_verified == START
    assert _counts(store) == (1, 0)
    assert adapter.calls.count("create_user") == 2


def test_email_sign_in_gives_up_when_the_conflict_cannot_be_found(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter(EmailAlwaysTaken)
    with no_change(store), pytest.raises(DuplicateEmail):
        email_sign_in(adapter, email=EMAIL, clock=clock)
