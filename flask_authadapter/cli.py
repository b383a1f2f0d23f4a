"""``flask auth ...``: maintenance from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .core.account_tokens import reseal_stored_tokens
from .core.adapter import missing_methods
from .core.emails import normalize_email
from .core.errors import SignInError
from .state import auth_state

auth_cli = AppGroup(
    "auth", help="Sign-in maintenance: expired rows, revoking, providers, sealing tokens."
)


@auth_cli.command("cleanup")
def cleanup() -> None:
    """Delete expired sessions and verification tokens, in batches."""
    state = auth_state()
    if missing_methods(state.adapter, ["maintenance"]):
        raise click.ClickException(
            f"the adapter {type(state.adapter).__name__} has no delete_expired method"
        )
    deleted = state.adapter.delete_expired(state.clock())
    click.echo(f"Deleted {deleted} expired session(s) and verification token(s).")


@auth_cli.command("revoke")
@click.argument("email")
def revoke(email: str) -> None:
    """Sign the user with EMAIL out everywhere (delete all their sessions)."""
    state = auth_state()
    try:
        address = normalize_email(email)
    except SignInError:
        raise click.BadParameter("not an email address", param_hint="EMAIL") from None
    user = state.adapter.get_user_by_email(address)
    if user is None or user.id is None:
        raise click.ClickException(f"no user has the email address {address}")
    count = state.sessions.end_all(user.id)
    click.echo(f"Signed {address} out of {count} session(s).")


@auth_cli.command("providers")
def providers() -> None:
    """List the configured providers and their settings, secrets masked."""
    state = auth_state()
    if not state.providers:
        click.echo("No providers are configured.")
        return
    for provider in state.providers.values():
        click.echo(f"{provider.id}  ({provider.type})  {provider.name}")
        for key, value in provider.settings().items():
            if key != "type":
                click.echo(f"    {key}: {value}")


@auth_cli.command("reseal-tokens")
def reseal_tokens() -> None:
    """Seal every account's provider tokens under the current AUTH_SECRET: those stored in
    plain text and those sealed under a secret of AUTH_SECRET_FALLBACKS. Run it after a
    rotation, before removing the old secret from the fallbacks; running it again changes
    nothing."""
    state = auth_state()
    iter_accounts = getattr(state.adapter, "iter_accounts", None)
    if not callable(iter_accounts):
        raise click.ClickException(
            f"the adapter {type(state.adapter).__name__} has no iter_accounts method, which "
            "reseal-tokens needs to visit every account; the tokens of an account are still "
            "sealed under the current secret the next time its user signs in with it"
        )
    seen = changed = unreadable = 0
    for account in iter_accounts():
        seen += 1
        plan = reseal_stored_tokens(state.adapter, account, state.token_sealer)
        changed += bool(plan.changes)
        unreadable += bool(plan.unreadable)
    click.echo(f"Re-sealed the tokens of {changed} of {seen} account(s).")
    if unreadable:
        click.echo(
            f"{unreadable} account(s) hold tokens that no configured secret opens (changed, or "
            "sealed under a secret no longer in AUTH_SECRET_FALLBACKS): left as they are. "
            "A sign-in with the provider stores fresh ones."
        )
