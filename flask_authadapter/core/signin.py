"""The sign-in rules: which user a sign-in is for, and what is created or linked. Flask-free.

Follows Auth.js's ``handleLoginOrRegister``, with stricter rules so that nobody who does not
control a mailbox can ever share a user with the mailbox's owner:

- ``users.email`` means "someone proved control of this address": by a magic link, or by a
  provider asserting it verified it. A provider's unverified email is no claim on the
  address: it is neither stored on the user nor used to find one.
- Automatic linking by email needs the provider to allow it, to assert the email is
  verified, *and* the existing user's own email to have been verified.
- Someone who proves an address that an unproven user holds (a row from before these rules,
  or one an app wrote) takes the address: the holder keeps their user and their provider
  accounts, without the address. Nothing is merged into a user nobody verified that has
  provider accounts.
- A failure part-way never leaves a user without the account that was to be linked to it.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, replace
from functools import cached_property

from .adapter import Adapter
from .clock import Clock, system_clock
from .emails import normalized_or_none
from .errors import ConflictError, OAuthAccountNotLinked
from .models import ACCOUNT_FIELDS, Account, User

logger = logging.getLogger("flask_authadapter")

#: The account fields a provider's token response fills, updated on every later sign-in.
TOKEN_FIELDS = tuple(
    name
    for name in ACCOUNT_FIELDS
    if name not in ("user_id", "type", "provider", "provider_account_id")
)


@dataclass
class SignInOutcome:
    """Who signed in, and what the sign-in changed (for the signals)."""

    user: User
    account: Account | None = None
    is_new_user: bool = False
    account_linked: bool = False
    user_updated: bool = False


class OAuthSignIn:
    """A sign-in with a provider account, before and after its rules run.

    The users it may be for are looked up once, when first needed, and shared by
    :attr:`candidate` (what an app's ``sign_in`` callback is shown) and :meth:`run` (the
    rules): a callback costs no query of its own.

    ``account`` is the provider account with its tokens (its ``user_id`` is ignored);
    ``profile`` the user fields the provider gave (email, name, image), cleaned here
    (:func:`clean_profile`); ``email_verified`` whether the provider asserts the profile's
    email is verified; ``current_user`` the user already signed in in this browser, if any.
    """

    def __init__(
        self,
        adapter: Adapter,
        *,
        account: Account,
        profile: User,
        email_verified: bool = False,
        current_user: User | None = None,
    ) -> None:
        self.adapter = adapter
        self.account = account
        self.current_user = current_user
        # Emails are stored and matched in their normal form: "Ada@Example.com" from a
        # provider is the ada@example.com who signed up by email. A malformed one is dropped.
        self.profile = clean_profile(profile)
        # Only an address the provider vouches for is a claim on it (see the module docstring).
        self.email = self.profile.email if email_verified else None

    @cached_property
    def owner(self) -> User | None:
        """The user the account is linked to, if any."""
        return self.adapter.get_user_by_account(
            self.account.provider, self.account.provider_account_id
        )

    @cached_property
    def same_email(self) -> User | None:
        """The user holding the verified email, if any (nobody for an unverified one)."""
        return self.adapter.get_user_by_email(self.email) if self.email is not None else None

    @property
    def candidate(self) -> User:
        """The user this sign-in is for, as far as is known before the rules run: the
        account's, else the signed-in user's (a new account is linked to them), else the
        verified email's, else the (unsaved) profile."""
        return self.owner or self.current_user or self.same_email or self.profile

    def run(
        self,
        *,
        allow_dangerous_email_account_linking: bool = False,
        clock: Clock = system_clock,
    ) -> SignInOutcome:
        """Apply the rules.

        - A known account signs its user in and its stored tokens are refreshed; if another
          user is signed in, :class:`OAuthAccountNotLinked` (it belongs to someone else).
        - A new account while signed in is linked to the signed-in user.
        - A new account whose verified email belongs to a user: :class:`OAuthAccountNotLinked`,
          unless the provider allows dangerous linking and that user's email was verified
          too; then linked. A user who holds the address unverified with provider accounts
          of their own loses it to this sign-in, which creates a new user.
        - Otherwise a new user is created with the account, with the email only when verified.
        """
        allow, current_user = allow_dangerous_email_account_linking, self.current_user
        try:
            return self._run(current_user, allow, clock)
        except ConflictError:
            # Two sign-ins of the same new person raced: the other one created the user or
            # linked the account first. Run the rules again on fresh lookups.
            logger.info("sign-in raced with another for the same account; retrying once")
            self.__dict__.pop("owner", None)
            self.__dict__.pop("same_email", None)
            return self._run(current_user, allow, clock)

    def _run(self, current_user: User | None, allow_dangerous: bool, clock: Clock) -> SignInOutcome:
        adapter, account = self.adapter, self.account
        provider, account_id = account.provider, account.provider_account_id
        owner = self.owner
        if owner is not None:
            if current_user is not None and owner.id != current_user.id:
                raise OAuthAccountNotLinked(
                    f"the {provider} account is already linked to another user"
                )
            tokens = {name: getattr(account, name) for name in TOKEN_FIELDS}
            fresh = {name: value for name, value in tokens.items() if value is not None}
            stored = adapter.update_account(provider, account_id, **fresh) if fresh else None
            return SignInOutcome(
                user=owner, account=stored or adapter.get_account(provider, account_id)
            )

        if current_user is not None:
            assert current_user.id is not None
            linked = adapter.link_account(replace(account, user_id=current_user.id))
            return SignInOutcome(user=current_user, account=linked, account_linked=True)

        same_email = self.same_email
        if same_email is not None and not release_unproven_address(adapter, same_email):
            if not (allow_dangerous and same_email.email_verified is not None):
                raise OAuthAccountNotLinked(
                    f"a {provider} sign-in used the email of a user who has not linked that account"
                )
            assert same_email.id is not None
            linked = adapter.link_account(replace(account, user_id=same_email.id))
            return SignInOutcome(user=same_email, account=linked, account_linked=True)

        email = self.email
        verified_at = clock() if email is not None else None
        new_user, linked = create_user_with_account(
            adapter,
            replace(self.profile, id=None, email=email, email_verified=verified_at),
            account,
        )
        return SignInOutcome(user=new_user, account=linked, is_new_user=True, account_linked=True)


def oauth_sign_in(
    adapter: Adapter,
    *,
    account: Account,
    profile: User,
    current_user: User | None = None,
    allow_dangerous_email_account_linking: bool = False,
    email_verified: bool = False,
    clock: Clock = system_clock,
) -> SignInOutcome:
    """Sign in with a provider account: :meth:`OAuthSignIn.run` (see there for the rules)."""
    return OAuthSignIn(
        adapter,
        account=account,
        profile=profile,
        email_verified=email_verified,
        current_user=current_user,
    ).run(
        allow_dangerous_email_account_linking=allow_dangerous_email_account_linking,
        clock=clock,
    )


def release_unproven_address(adapter: Adapter, holder: User) -> bool:
    """Take the address away from ``holder`` when nobody ever proved it and ``holder`` has
    provider accounts (someone else may have set it); True when it was taken.

    Called when someone just proved control of that address. A holder without provider
    accounts (a user an app created, say an invitation) keeps it: proving the address is
    then the way into that user. An adapter that cannot list accounts is taken to have some.
    """
    if holder.email_verified is not None:
        return False
    assert holder.id is not None
    list_accounts = getattr(adapter, "list_accounts", None)
    if callable(list_accounts) and not list_accounts(holder.id):
        return False
    adapter.update_user(holder.id, email=None)
    logger.warning(
        "user %s held an address nobody had verified; it now belongs to the person who "
        "proved it (the user keeps their provider accounts, without the address)",
        holder.id,
    )
    return True


def create_user_with_account(
    adapter: Adapter, user: User, account: Account
) -> tuple[User, Account]:
    """Store a new user with their first provider account: never one without the other.

    In one transaction when the adapter offers ``create_user_and_link_account`` (the shipped
    ones do); otherwise the user is deleted again if linking fails, which a store that fails
    twice in a row can still leave behind.
    """
    atomic = getattr(adapter, "create_user_and_link_account", None)
    if callable(atomic):
        created, linked = atomic(user, account)
        return created, linked
    new_user = adapter.create_user(user)
    assert new_user.id is not None
    try:
        linked = adapter.link_account(replace(account, user_id=new_user.id))
    except BaseException:
        adapter.delete_user(new_user.id)
        raise
    return new_user, linked


#: The longest display name and image URL kept from a provider's profile.
MAX_NAME_LENGTH = 255
MAX_IMAGE_LENGTH = 2048


def clean_profile(profile: User) -> User:
    """A provider's profile made storable: the email normalised (or dropped when it is not
    one address), the name without control characters and cut to 255 characters, the image
    kept only when it is an http(s) URL of sane length. A provider's odd display name never
    stops a sign-in."""
    name = profile.name
    if isinstance(name, str):
        name = "".join(c for c in name if c.isprintable() and unicodedata.category(c) != "Cs")
        name = name.strip()[:MAX_NAME_LENGTH] or None
    image = profile.image
    if not (
        isinstance(image, str)
        and image.startswith(("https://", "http://"))
        and len(image) <= MAX_IMAGE_LENGTH
        and image.isprintable()
        and image.isascii()
    ):
        image = None
    return replace(profile, email=normalized_or_none(profile.email), name=name, image=image)


class EmailSignIn:
    """A sign-in of the owner of ``email`` (normalised), who just proved they receive it.

    The address's holder is looked up once, when first needed, and shared by
    :attr:`candidate` (what an app's ``sign_in`` callback is shown) and :meth:`run`.
    """

    def __init__(self, adapter: Adapter, *, email: str) -> None:
        self.adapter = adapter
        self.email = email

    @cached_property
    def holder(self) -> User | None:
        """The user holding the address, if any."""
        return self.adapter.get_user_by_email(self.email)

    @property
    def candidate(self) -> User:
        """The holder, or the (unsaved) user the sign-in would create."""
        return self.holder or User(email=self.email)

    def run(self, *, clock: Clock = system_clock) -> SignInOutcome:
        """An unknown address creates a user; a known one gets ``email_verified`` if it had
        none. A user holding the address unverified with provider accounts is never signed
        into: the address is taken from them (:func:`release_unproven_address`) and a new
        user created."""
        adapter, email = self.adapter, self.email
        user = self.holder
        if user is not None and release_unproven_address(adapter, user):
            user = None
        if user is None:
            try:
                created = adapter.create_user(User(email=email, email_verified=clock()))
            except ConflictError:
                user = adapter.get_user_by_email(email)  # created by a sign-in that raced us
                if user is None:
                    raise
            else:
                return SignInOutcome(user=created, is_new_user=True)
        assert user.id is not None
        if user.email_verified is None:
            return SignInOutcome(
                user=adapter.update_user(user.id, email_verified=clock()), user_updated=True
            )
        return SignInOutcome(user=user)


def email_sign_in(adapter: Adapter, *, email: str, clock: Clock = system_clock) -> SignInOutcome:
    """Sign in the owner of ``email``: :meth:`EmailSignIn.run` (see there for the rules)."""
    return EmailSignIn(adapter, email=email).run(clock=clock)
