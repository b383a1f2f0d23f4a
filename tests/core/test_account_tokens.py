"""An account's provider tokens are sealed at rest, each bound to its row and field
(core/account_tokens.py, without Flask or a request)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.core.account_tokens import (
    SEALED_FIELDS,
    open_account_tokens,
    reseal_stored_tokens,
    resealing,
    seal_account_tokens,
    token_sealer,
)
from flask_authadapter.core.models import Account, User
from flask_authadapter.core.sealing import PREFIX, SealedValueError, is_sealed

SECRET = "current-secret-" + "c" * 32
OLD = "old-secret-" + "o" * 32

PLAIN = Account(
    user_id="u1",
    type="oidc",
    provider="keycloak",
    provider_account_id="sub-1",
    access_token="access-token-value",
    refresh_token="refresh-token-value",
    expires_at=1_900_000_000,
    token_type="Bearer",
    scope="openid email",
    id_token="header.payload.signature",
    session_state="a3f1c6f0-1b8c-4e59-9d0e-6a0c9e0f2b7d",
)


def test_the_secret_fields_are_sealed_and_the_others_kept() -> None:
    sealed = seal_account_tokens(PLAIN, token_sealer([SECRET]))
    for name in SEALED_FIELDS:
        value = getattr(sealed, name)
        assert is_sealed(value) and getattr(PLAIN, name) not in value, name
    assert (sealed.expires_at, sealed.token_type, sealed.scope) == (
        1_900_000_000,
        "Bearer",
        "openid email",
    )
    assert (sealed.user_id, sealed.provider, sealed.provider_account_id) == (
        "u1",
        "keycloak",
        "sub-1",
    )
    assert PLAIN.access_token == "access-token-value"  # the given account is not changed


def test_sealed_tokens_open_to_what_the_provider_issued() -> None:
    sealer = token_sealer([SECRET])
    assert open_account_tokens(seal_account_tokens(PLAIN, sealer), sealer) == PLAIN


def test_missing_tokens_stay_missing() -> None:
    bare = Account(user_id="u1", type="oauth", provider="github", provider_account_id="7")
    sealer = token_sealer([SECRET])
    assert seal_account_tokens(bare, sealer) == bare
    assert open_account_tokens(bare, sealer) == bare
    assert resealing(bare, sealer).changes == {}


def test_tokens_stored_in_plain_text_before_sealing_still_read() -> None:
    assert open_account_tokens(PLAIN, token_sealer([SECRET])) == PLAIN


@pytest.mark.parametrize(
    "elsewhere",
    [
        {"provider_account_id": "sub-2"},
        {"provider": "other-keycloak"},
    ],
    ids=["another-account-of-the-provider", "the-same-id-at-another-provider"],
)
def test_a_token_copied_onto_another_account_does_not_open(elsewhere: dict[str, str]) -> None:
    sealer = token_sealer([SECRET])
    sealed = seal_account_tokens(PLAIN, sealer)
    target = seal_account_tokens(replace(PLAIN, **elsewhere), sealer)
    stolen = replace(target, access_token=sealed.access_token)
    with pytest.raises(SealedValueError):
        open_account_tokens(stolen, sealer)


def test_a_token_moved_to_another_field_does_not_open() -> None:
    sealer = token_sealer([SECRET])
    sealed = seal_account_tokens(PLAIN, sealer)
    with pytest.raises(SealedValueError):
        open_account_tokens(replace(sealed, refresh_token=sealed.access_token), sealer)


def test_ids_holding_the_separator_do_not_share_a_context() -> None:
    # ("a/b", "c") and ("a", "b/c") would both read "a/b/c" if the parts were joined by "/".
    sealer = token_sealer([SECRET])
    one = seal_account_tokens(replace(PLAIN, provider="a/b", provider_account_id="c"), sealer)
    with pytest.raises(SealedValueError):
        open_account_tokens(replace(one, provider="a", provider_account_id="b/c"), sealer)


def test_another_purpose_or_a_secret_not_configured_does_not_open() -> None:
    sealed = seal_account_tokens(PLAIN, token_sealer([OLD]))
    with pytest.raises(SealedValueError):
        open_account_tokens(sealed, token_sealer([SECRET]))


def test_after_a_rotation_the_fallback_opens_and_the_tokens_are_resealed() -> None:
    under_old = seal_account_tokens(PLAIN, token_sealer([OLD]))
    rotated = token_sealer([SECRET, OLD])
    assert open_account_tokens(under_old, rotated) == PLAIN
    plan = resealing(under_old, rotated)
    assert set(plan.changes) == set(SEALED_FIELDS) and plan.unreadable == ()
    resealed = replace(under_old, **plan.changes)
    assert open_account_tokens(resealed, token_sealer([SECRET])) == PLAIN  # no fallback needed
    assert resealing(resealed, rotated).changes == {}


def test_plain_text_is_sealed_by_resealing() -> None:
    sealer = token_sealer([SECRET])
    plan = resealing(PLAIN, sealer)
    assert set(plan.changes) == set(SEALED_FIELDS)
    assert all(v.startswith(PREFIX) for v in plan.changes.values())
    assert open_account_tokens(replace(PLAIN, **plan.changes), sealer) == PLAIN


def test_only_the_stale_fields_are_resealed() -> None:
    current = seal_account_tokens(PLAIN, token_sealer([SECRET]))
    # A sign-in wrote a fresh access token; the refresh token it did not get again is old.
    mixed = replace(current, refresh_token="refresh-token-value")
    plan = resealing(mixed, token_sealer([SECRET, OLD]))
    assert list(plan.changes) == ["refresh_token"]


def test_what_no_secret_opens_is_reported_and_left() -> None:
    gone = seal_account_tokens(PLAIN, token_sealer(["a-secret-removed-from-the-fallbacks"]))
    mixed = replace(gone, access_token=PLAIN.access_token)
    plan = resealing(mixed, token_sealer([SECRET]))
    assert list(plan.changes) == ["access_token"]
    assert plan.unreadable == ("refresh_token", "id_token", "session_state")


def test_reseal_stored_tokens_writes_only_when_needed() -> None:
    adapter = MemoryAdapter()
    user = adapter.create_user(User(email="ada@example.com"))
    assert user.id is not None
    adapter.link_account(replace(PLAIN, user_id=user.id))  # a row from before sealing
    sealer = token_sealer([SECRET])

    plan = reseal_stored_tokens(adapter, PLAIN, sealer)
    stored = adapter.get_account("keycloak", "sub-1")
    assert stored is not None and set(plan.changes) == set(SEALED_FIELDS)
    assert all(is_sealed(getattr(stored, name)) for name in SEALED_FIELDS)
    assert open_account_tokens(stored, sealer) == replace(PLAIN, user_id=user.id)

    again = reseal_stored_tokens(adapter, stored, sealer)
    assert again.changes == {} and adapter.get_account("keycloak", "sub-1") == stored


def test_a_sealed_session_state_fits_a_255_character_column() -> None:
    # Custom tables may keep session_state in a String(255); a UUID sealed is far shorter.
    sealed = seal_account_tokens(PLAIN, token_sealer([SECRET]))
    assert len(sealed.session_state or "") < 120
