"""The Flask extension: ``Auth``, ``current_user``, ``login_required``, ``sign_in``/``sign_out``.

One :class:`Auth` may serve several apps (app factories, tests): what belongs to an app (its
settings, adapter, providers, session manager) is kept in ``app.extensions["authadapter"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlencode

from flask import (
    Flask,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    request,
    url_for,
)
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response

from .config import DEFAULTS, AuthConfig, load_config
from .core.account_tokens import token_sealer
from .core.adapter import Adapter, missing_methods
from .core.clock import Clock, system_clock
from .core.errors import ConfigurationError, StorageError
from .core.models import ANONYMOUS, AnonymousUser, User
from .core.sealing import Sealer
from .core.sessions import SIGNED_IN_WITH, ActiveSession, SessionManager, signed_in_with_value
from .providers.base import Provider
from .providers.email import Email
from .ratelimit import RateLimits
from .signals import send, session_created, signed_in, signed_out
from .web.cookies import delete_cookie, fixed_cookie_name, read_cookie, write_cookie
from .web.csrf import csrf_token, pending_csrf_cookie, rotate_csrf_token
from .web.landing import warn_if_no_default_page
from .web.responses import error_response, no_store, wants_json

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

__all__ = [
    "Auth",
    "AuthState",
    "current_session",
    "current_user",
    "login_required",
    "sign_in",
    "sign_out",
]

logger = logging.getLogger("flask_authadapter")

#: The blueprint's views that always answer JSON, errors included.
JSON_VIEWS = frozenset({"session_json", "csrf_json", "providers_json", "accounts_json"})

F = TypeVar("F", bound=Callable[..., Any])

SignInCallback = Callable[..., "bool | str | None"]
RedirectCallback = Callable[..., str]
SessionCallback = Callable[..., dict[str, Any]]


@dataclass
class AuthState:
    """What :meth:`Auth.init_app` set up for one app."""

    auth: Auth
    config: AuthConfig
    adapter: Adapter
    providers: dict[str, Provider]
    sessions: SessionManager
    clock: Clock
    limits: RateLimits
    #: Seals and opens the provider's tokens of accounts (see core/account_tokens.py).
    token_sealer: Sealer
    features: frozenset[str] = field(default_factory=frozenset)
    #: The session cookie's name when the settings fix it (AUTH_COOKIE_SECURE or AUTH_URL
    #: set), worked out once; None when it depends on each request's scheme.
    session_cookie: str | None = None
    #: Whether the app's first request checked that AUTH_DEFAULT_REDIRECT is one of its pages.
    #: Set once the app has served its first request (see ``_on_first_request``).
    first_request_seen: bool = False

    @property
    def email_provider(self) -> Email | None:
        """The Email provider, if one is configured (there is at most one)."""
        return next((p for p in self.providers.values() if isinstance(p, Email)), None)

    @property
    def oauth_providers(self) -> list[Provider]:
        """The providers that are not the Email provider, in their configured order."""
        return [p for p in self.providers.values() if not isinstance(p, Email)]

    def endpoint(self, view: str) -> str:
        """The endpoint of the blueprint's ``view`` (under AUTH_BLUEPRINT_NAME)."""
        return f"{self.config.blueprint_name}.{view}"

    def session_token(self) -> str | None:
        """The session cookie's value in this request, or None."""
        current = request._get_current_object()  # type: ignore[attr-defined]
        name = self.session_cookie
        if name is None:
            return read_cookie(current, self.config.cookie_name, self.config)
        token: str | None = current.cookies.get(name)
        return token


def _features(providers: Iterable[Provider]) -> frozenset[str]:
    """The adapter features the configured providers need."""
    needed = {"users", "sessions"}
    for provider in providers:
        needed.add("verification_tokens" if isinstance(provider, Email) else "accounts")
    return frozenset(needed)


def _check_absolute_max_age(config: AuthConfig, adapter: Adapter) -> None:
    """AUTH_SESSION_ABSOLUTE_MAX_AGE counts from each session's ``created_at``: a store
    without that column would silently never apply it."""
    if config.session_policy.absolute_max_age is None:
        return
    stores_field = getattr(adapter, "stores_field", None)
    if callable(stores_field) and not stores_field("session", "created_at"):
        raise ConfigurationError(
            "AUTH_SESSION_ABSOLUTE_MAX_AGE is set, but the adapter's sessions table has no "
            "created_at column, so the cap could never apply: add the column (see the "
            "default models) or unset AUTH_SESSION_ABSOLUTE_MAX_AGE"
        )


def _check_blueprint_name(app: Flask, config: AuthConfig) -> None:
    """The blueprint's name must be free: an app may have a blueprint named ``auth``."""
    from .views import blueprint

    taken = app.blueprints.get(config.blueprint_name)
    if taken is not None and taken is not blueprint:
        raise ConfigurationError(
            f"the app already has a blueprint named {config.blueprint_name!r} "
            f"({taken.import_name}): set AUTH_BLUEPRINT_NAME to another name for "
            "flask-authadapter's, e.g. AUTH_BLUEPRINT_NAME='authadapter' (its endpoints are "
            "then authadapter.signin_page...), and AUTH_URL_PREFIX to a path of its own "
            "if the app's blueprint uses /auth"
        )


def _stores(adapter: Adapter, kind: str, name: str) -> bool:
    """Whether the adapter says it keeps the optional extra ``name`` of ``kind`` records."""
    stores_extra = getattr(adapter, "stores_extra", None)
    return bool(callable(stores_extra) and stores_extra(kind, name))


class Auth:
    """Sign-in for a Flask app: ``Auth(app, adapter=..., providers=[...])`` or, with an app
    factory, ``auth = Auth()`` then ``auth.init_app(app, adapter=..., providers=[...])``."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        adapter: Adapter | None = None,
        providers: Iterable[Provider] = (),
        clock: Clock | None = None,
    ) -> None:
        self.adapter = adapter
        self.providers = list(providers)
        self.clock = clock
        self.callbacks: dict[str, Callable[..., Any] | None] = {
            "sign_in": None,
            "redirect": None,
            "session": None,
        }
        if app is not None:
            self.init_app(app)

    # Set-up --------------------------------------------------------------------------
    def init_app(
        self,
        app: Flask,
        *,
        adapter: Adapter | None = None,
        providers: Iterable[Provider] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Set up sign-in for ``app``: check the settings, the adapter and the providers,
        then register the blueprint, the request hooks, the error handlers and the
        ``flask auth`` commands. When it raises (:class:`ConfigurationError`), the app is
        left as it was, so a fixed app may call it again.

        Settings (``app.config``; each default is written with ``setdefault``, so
        ``app.config`` shows the values in effect; they are read once, here: later changes
        are ignored): ``AUTH_SECRET``, ``AUTH_SECRET_FALLBACKS``, ``AUTH_URL``,
        ``AUTH_URL_PREFIX``, ``AUTH_BLUEPRINT_NAME``, ``AUTH_SESSION_MAX_AGE``,
        ``AUTH_SESSION_UPDATE_AGE``, ``AUTH_SESSION_ABSOLUTE_MAX_AGE``,
        ``AUTH_SESSION_STORE_USER_AGENT``, ``AUTH_COOKIE_NAME``, ``AUTH_CSRF_COOKIE_NAME``,
        ``AUTH_COOKIE_SECURE``, ``AUTH_COOKIE_SAMESITE``, ``AUTH_COOKIE_DOMAIN``,
        ``AUTH_PAGES_SIGNIN``, ``AUTH_PAGES_SIGNOUT``, ``AUTH_PAGES_ERROR``,
        ``AUTH_PAGES_VERIFY_REQUEST``, ``AUTH_DEFAULT_REDIRECT``, ``AUTH_SITE_NAME``,
        ``AUTH_RATELIMIT_ENABLED``, ``AUTH_RATELIMIT_STORAGE_URI``, ``AUTH_RATELIMIT_EMAIL``,
        ``AUTH_RATELIMIT_EMAIL_TOTAL``, ``AUTH_RATELIMIT_IP``, ``AUTH_RATELIMIT_SEND_GLOBAL``,
        ``AUTH_RATELIMIT_VERIFY``, ``AUTH_CODE_MAX_ATTEMPTS``, ``AUTH_EMAIL_TIMEOUT``,
        ``AUTH_CONTENT_SECURITY_POLICY`` (defaults and meanings: :data:`config.DEFAULTS`),
        and the providers' ``AUTH_<ID>_CLIENT_ID`` / ``AUTH_<ID>_CLIENT_SECRET``.
        """
        adapter = adapter if adapter is not None else self.adapter
        if adapter is None:
            raise ConfigurationError(
                "Auth needs an adapter: Auth(app, adapter=SQLAlchemyAdapter(db)) or "
                "auth.init_app(app, adapter=...)"
            )
        chosen = list(providers) if providers is not None else list(self.providers)
        ids = [p.id for p in chosen]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ConfigurationError(f"two providers share the id(s): {', '.join(duplicates)}")
        if "authadapter" in app.extensions:
            raise ConfigurationError("Auth.init_app was already called for this app")
        config = load_config(app.config, app_name=app.name)
        _check_blueprint_name(app, config)
        _check_absolute_max_age(config, adapter)
        features = _features(chosen)
        missing = missing_methods(adapter, sorted(features))
        if missing:
            raise ConfigurationError(
                f"the adapter {type(adapter).__name__} lacks methods that "
                f"{', '.join(sorted(features))} need: {', '.join(missing)}"
            )
        clock = clock or self.clock or system_clock
        # The providers read and check their settings, and keep what they set up for this
        # app in app.extensions (Email may set up Flask-Mail): undone if one of them fails.
        extensions, settings = dict(app.extensions), dict(app.config)
        try:
            for provider in chosen:
                provider.init_app(app)
            state = AuthState(
                auth=self,
                config=config,
                adapter=adapter,
                providers={p.id: p for p in chosen},
                sessions=SessionManager(
                    adapter,
                    config.session_policy,
                    clock=clock,
                    store_user_agent=config.store_user_agent
                    and _stores(adapter, "session", "user_agent"),
                    store_signed_in_with=_stores(adapter, "session", SIGNED_IN_WITH),
                ),
                clock=clock,
                limits=RateLimits.from_config(config),
                token_sealer=token_sealer(config.secrets),
                features=features,
                session_cookie=fixed_cookie_name(config.cookie_name, config),
            )
            _register(app, state)
        except BaseException:
            app.extensions.clear()
            app.extensions.update(extensions)
            app.config.clear()
            app.config.update(settings)
            raise

    # Callbacks -------------------------------------------------------------------------
    def sign_in_callback(self, fn: F) -> F:
        """Register ``fn(user, account, profile, email)``, called before every sign-in of
        the blueprint's flows: return False to refuse (AccessDenied), a URL to send the
        person there instead, True (or None) to go on."""
        self.callbacks["sign_in"] = fn
        return fn

    def redirect_callback(self, fn: F) -> F:
        """Register ``fn(url, base_url) -> str``, choosing where to go after signing in or
        out. Its answer is still checked to be same-origin."""
        self.callbacks["redirect"] = fn
        return fn

    def session_callback(self, fn: F) -> F:
        """Register ``fn(session, user) -> dict``, shaping the ``/session`` JSON."""
        self.callbacks["session"] = fn
        return fn


def _register(app: Flask, state: AuthState) -> None:
    """Register the blueprint, the hooks and the commands for ``app``; write the defaults."""
    from .cli import auth_cli
    from .views import blueprint

    # First: Flask refuses it once the app has handled a request, before changing anything.
    app.register_blueprint(
        blueprint, name=state.config.blueprint_name, url_prefix=state.config.url_prefix
    )
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions["authadapter"] = state
    # Before the app's own hooks (Flask-WTF's CSRF check among them).
    app.before_request_funcs.setdefault(None, []).insert(0, _on_first_request)
    app.after_request(_write_cookies)
    app.register_error_handler(StorageError, _storage_unavailable)
    # First, so that the app's own context processors (Flask-Login's current_user, say)
    # win over the extension's.
    app.template_context_processors.setdefault(None, []).insert(0, _template_context)
    app.cli.add_command(auth_cli)


def auth_state(app: Flask | None = None) -> AuthState:
    """The sign-in state of ``app`` (default: the current app)."""
    target = app if app is not None else current_app
    try:
        return cast(AuthState, target.extensions["authadapter"])
    except KeyError:
        raise RuntimeError("flask-authadapter is not set up: call Auth.init_app(app)") from None


# The current session ------------------------------------------------------------------


#: On ``g``: this request's session once loaded (an ActiveSession or None); absent before.
_ACTIVE = "_authadapter_active"
#: On ``g``: the session cookie to send with the response (an ActiveSession), or "clear".
_COOKIE = "_authadapter_cookie"
_UNLOADED = object()


def _active() -> ActiveSession | None:
    """This request's session, loaded on first use (one query), then kept on ``g``."""
    if not has_request_context():
        return None
    # Each proxy (g, current_app, request) is resolved once: this runs on every request
    # that reads current_user, often several times.
    store = g._get_current_object()
    found = getattr(store, _ACTIVE, _UNLOADED)
    if found is not _UNLOADED:
        return cast("ActiveSession | None", found)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state: AuthState = app.extensions["authadapter"]
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


def current_session_or_none() -> ActiveSession | None:
    """This request's session (the object itself, not a proxy), or None."""
    return _active()


def _current_user() -> User | AnonymousUser:
    active = _active()
    return active.user if active is not None else ANONYMOUS


#: The signed-in :class:`~flask_authadapter.models.User`, or an anonymous user whose
#: ``is_authenticated`` is False. Loaded lazily: a request that never reads it runs no query.
current_user: User | AnonymousUser = cast(Any, LocalProxy(_current_user))

#: The :class:`~flask_authadapter.core.sessions.ActiveSession` of this request, or None
#: (a proxy: test it with ``if current_session:``).
current_session: ActiveSession | None = cast(Any, LocalProxy(_active))


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
        active = _active()
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
    """The sign-in page (the app's own if AUTH_PAGES_SIGNIN is set), with ``callback_url``."""
    state = auth_state()
    page = state.config.pages.get("signin") or url_for(state.endpoint("signin_page"))
    if not callback_url:
        return page
    return f"{page}{'&' if '?' in page else '?'}{urlencode({'callback_url': callback_url})}"


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
        response = jsonify(error="SessionRequired", message="You need to sign in.")
        response.status_code = 401
        return no_store(response)
    path = request.full_path.rstrip("?") if request.query_string else request.path
    back = request.script_root + path
    return redirect(signin_url(back))


# Request hooks -------------------------------------------------------------------------


def _on_first_request() -> None:
    """Once per app, on its first request, when every extension and route is set up:
    exempt the blueprint from Flask-WTF's ``CSRFProtect`` (set up before or after this
    extension: the blueprint checks its own CSRF token, which Flask-WTF's would refuse for
    want of its own), and warn if AUTH_DEFAULT_REDIRECT is none of the app's pages."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state: AuthState = app.extensions["authadapter"]
    if state.first_request_seen:
        return
    exempt = getattr(app.extensions.get("csrf"), "exempt", None)
    if callable(exempt):
        from .views import blueprint

        exempt(blueprint)
    state.first_request_seen = True
    warn_if_no_default_page(app, request, state.config.default_redirect)


def _write_cookies(response: Response) -> Response:
    """Set or clear the session cookie, and set a new CSRF cookie, as this request decided."""
    if not has_request_context():
        return response
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state: AuthState | None = app.extensions.get("authadapter")
    if state is None:
        return response
    store = g._get_current_object()
    change = getattr(store, _COOKIE, None)
    if change is not None:
        config = state.config
        if isinstance(change, ActiveSession):
            write_cookie(
                response, request, config.cookie_name, change.token, config, expires=change.expires
            )
        else:
            delete_cookie(response, request, config.cookie_name, config)
        no_store(response)
    csrf = pending_csrf_cookie()
    if csrf is not None:
        write_cookie(response, request, state.config.csrf_cookie_name, csrf, state.config)
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
    if response.status_code == 405 and request.path.startswith(state.config.url_prefix + "/"):
        # Routing failed, so the blueprint's own header hook did not run.
        from .views import security_headers

        security_headers(response)
    return response


def _storage_unavailable(error: StorageError) -> Response:
    """A 503 page or JSON for a storage failure: logged once, never a traceback."""
    logger.error(
        "storage failure during %s %s: %s", request.method, request.path, error, exc_info=error
    )
    state = auth_state()
    as_json = _is_view(state, *JSON_VIEWS) or None
    return error_response(
        "Unavailable", state.config, site_name=state.config.site_name, as_json=as_json
    )


def _is_view(state: AuthState, *views: str) -> bool:
    """Whether this request is for one of the blueprint's ``views``."""
    endpoint = request.endpoint or ""
    name, _, view = endpoint.rpartition(".")
    return name == state.config.blueprint_name and view in views


def _template_context() -> dict[str, Any]:
    """What every template may use: ``auth_url_for(view, **values)`` (a URL of the
    blueprint, whatever its name), ``auth_csrf_token()`` (the token the blueprint's POSTs
    need), ``auth_site_name``; and ``current_user`` and ``csrf_token()`` unless the app has
    its own (Flask-Login's, Flask-WTF's): those are never replaced."""
    state = auth_state()
    globals_ = current_app.jinja_env.globals

    def token() -> str:
        return csrf_token(request, state.config)

    def auth_url_for(view: str, **values: Any) -> str:
        return url_for(state.endpoint(view), **values)

    context: dict[str, Any] = {
        "auth_url_for": auth_url_for,
        "auth_csrf_token": token,
        "auth_site_name": state.config.site_name,
    }
    if "current_user" not in globals_:
        context["current_user"] = current_user
    if "csrf_token" not in globals_:
        context["csrf_token"] = token
    return context
