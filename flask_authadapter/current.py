"""This request's session and user, and signing in and out of it.

The session is looked up once per request, on first use (one query), and kept on ``g``; the
cookie change a request decides (a new session, a moved expiry, a cleared cookie) is written
by :func:`write_session_cookies` as the response leaves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import current_app, g, has_request_context, jsonify, redirect, request, url_for
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response

from .core.errors import StorageError
from .core.models import ANONYMOUS, AnonymousUser, User
from .core.sessions import ActiveSession, signed_in_with_value
from .signals import send, session_created, signed_in, signed_out
from .state import EXTENSION_KEY, AuthState, auth_state
from .web.cookies import delete_cookie, write_cookie
from .web.csrf import pending_csrf_cookie, rotate_csrf_token
from .web.responses import SESSION_REQUIRED, no_store, security_headers, wants_json
from .web.urls import with_query

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

logger = logging.getLogger("flask_authadapter")

F = TypeVar("F", bound=Callable[..., Any])

#: On ``g``: this request's session once loaded (an ActiveSession or None); absent before.
_ACTIVE = "_authadapter_active"
#: On ``g``: the session cookie to send with the response (an ActiveSession), or "clear".
_COOKIE = "_authadapter_cookie"
_UNLOADED = object()


def current_session_or_none() -> ActiveSession | None:
    """This request's session (the object itself, not a proxy), or None; loaded on first
    use (one query), then kept on ``g``."""
    if not has_request_context():
        return None
    # Each proxy (g, current_app, request) is resolved once: this runs on every request
    # that reads current_user, often several times.
    store = g._get_current_object()
    found = getattr(store, _ACTIVE, _UNLOADED)
    if found is not _UNLOADED:
        return cast("ActiveSession | None", found)
    state = auth_state(current_app._get_current_object())  # type: ignore[attr-defined]
    token = state.session_token()
    try:
        active = state.sessions.load(token)
    except BaseException:
        setattr(store, _ACTIVE, None)  # a failing load (storage down) is not retried
        raise
    setattr(store, _ACTIVE, active)
    if active is not None:
        if active.extended:
            setattr(store, _COOKIE, active)
    elif token is not None:
        setattr(store, _COOKIE, "clear")  # expired, signed out elsewhere, or never ours
    return active


def _current_user() -> User | AnonymousUser:
    active = current_session_or_none()
    return active.user if active is not None else ANONYMOUS


#: The signed-in :class:`~flask_authadapter.models.User`, or an anonymous user whose
#: ``is_authenticated`` is False. Loaded lazily: a request that never reads it runs no query.
current_user: User | AnonymousUser = cast(Any, LocalProxy(_current_user))

#: The :class:`~flask_authadapter.core.sessions.ActiveSession` of this request, or None
#: (a proxy: test it with ``if current_session:``).
current_session: ActiveSession | None = cast(Any, LocalProxy(current_session_or_none))


def sign_in(
    user: User | str,
    *,
    provider: str | None = None,
    provider_account_id: str | None = None,
    is_new_user: bool = False,
    signed_in_with: str | None = None,
) -> ActiveSession:
    """Sign ``user`` (a stored User, or a user id) in: a new session for this browser, whose
    previous session is ended. For app code, e.g. after the app's own sign-up form.

    ``provider`` (and, for an OAuth provider, ``provider_account_id``) say how the person
    signed in: kept with the session, so that unlinking that account ends the session.
    ``signed_in_with`` overrides what is kept (linking an account while signed in keeps the
    way the person signed in); the ``signed_in`` signal names ``provider`` all the same."""
    state = auth_state()
    if isinstance(user, str):
        found = state.adapter.get_user(user)
        if found is None:
            raise ValueError("sign_in: no user with this id")
        user = found
    previous = state.session_token()
    active = state.sessions.start(
        user,
        user_agent=request.user_agent.string or None,
        replacing=previous,
        signed_in_with=signed_in_with or signed_in_with_value(provider, provider_account_id),
    )
    setattr(g, _ACTIVE, active)
    setattr(g, _COOKIE, active)
    rotate_csrf_token(state.config)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    send(session_created, app, user=user, session=active.session)
    send(signed_in, app, user=user, is_new_user=is_new_user, provider=provider)
    return active


def sign_out() -> None:
    """End this browser's session (the row is deleted) and clear its cookie."""
    state = auth_state()
    try:
        active = current_session_or_none()
        state.sessions.end(state.session_token())
    except StorageError as error:
        # The browser forgets the session all the same; its row expires on its own (or is
        # ended from another browser). Signing out must not fail because the store did.
        logger.error("signing out while the store is failing: %s", error)
        active = None
    setattr(g, _ACTIVE, None)
    setattr(g, _COOKIE, "clear")
    rotate_csrf_token(state.config)
    if active is not None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        send(signed_out, app, user=active.user, session=active.session)


def signin_url(callback_url: str | None = None) -> str:
    """The sign-in page (the app's own if AUTH_PAGES names one), with ``callback_url``."""
    state = auth_state()
    page = state.config.pages.get("signin") or url_for(state.endpoint("signin_page"))
    return with_query(page, {"callback_url": callback_url} if callback_url else {})


def login_required(view: F) -> F:
    """Let only signed-in users in: pages redirect to the sign-in page with a
    ``callback_url`` back here; JSON requests get a 401 with a JSON body. Works on
    ``async def`` views and in a ``MethodView``'s ``decorators``."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if current_user.is_authenticated:
            # Through ensure_sync, as Flask calls views itself: an async view is run to
            # completion instead of returning a coroutine.
            result: ResponseReturnValue = current_app.ensure_sync(view)(*args, **kwargs)
            return result
        return refuse_anonymous()

    return cast(F, wrapper)


def refuse_anonymous() -> Response:
    """What a protected view answers someone not signed in: a redirect to the sign-in page
    with a ``callback_url`` back to this URL, or a 401 with a JSON body for JSON requests."""
    if wants_json(request):
        page = SESSION_REQUIRED
        response = jsonify(error=page.code, message=page.message)
        response.status_code = page.status
        return no_store(response)
    path = request.full_path.rstrip("?") if request.query_string else request.path
    back = request.script_root + path
    return redirect(signin_url(back))


def write_session_cookies(response: Response) -> Response:
    """Set or clear the session cookie, and set a new CSRF cookie, as this request decided;
    say that the answer depends on the session cookie when it was read."""
    if not has_request_context():
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state: AuthState | None = app.extensions.get(EXTENSION_KEY)
    if state is None:
        return response
    config = state.config
    store = g._get_current_object()
    change = getattr(store, _COOKIE, None)
    if change is not None:
        if isinstance(change, ActiveSession):
            write_cookie(
                response, request, config.cookie_name, change.token, config, expires=change.expires
            )
        else:
            delete_cookie(response, request, config.cookie_name, config)
        no_store(response)
    csrf = pending_csrf_cookie()
    if csrf is not None:
        write_cookie(response, request, config.csrf_cookie_name, csrf, config)
    loaded = getattr(store, _ACTIVE, _UNLOADED)
    if loaded is not _UNLOADED:
        # The answer depends on the session cookie. Without a Vary header yet, one is
        # added directly: the same header as ``response.vary.add``, which would parse one.
        if response.headers.getlist("Vary"):
            response.vary.add("Cookie")
        else:
            response.headers.add("Vary", "Cookie")
        # A page shown to a signed-in user is not kept by the browser (nor its back/forward
        # cache): after signing out, Back must not show it again. An app that set its own
        # Cache-Control keeps it.
        if isinstance(loaded, ActiveSession) and "Cache-Control" not in response.headers:
            no_store(response)
    if response.status_code == 405 and request.path.startswith(config.url_prefix + "/"):
        # Routing failed, so the blueprint's own header hook did not run.
        security_headers(response, config)
    return response
