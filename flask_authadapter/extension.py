"""The Flask extension: :class:`Auth`, whose ``init_app`` checks the settings and sets up an
app (the blueprint, the request hooks, the error handlers, the ``flask auth`` commands).

One :class:`Auth` may serve several apps (app factories, tests): what belongs to an app (its
settings, adapter, providers, session manager) is kept in ``app.extensions["authadapter"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, current_app, request, url_for
from werkzeug.wrappers import Response

from .callbacks import Callbacks
from .cli import auth_cli
from .config import DEFAULTS, AuthConfig, load_config
from .core.account_tokens import token_sealer
from .core.adapter import Adapter, missing_methods
from .core.clock import Clock, system_clock
from .core.errors import ConfigurationError, StorageError
from .core.sealing import Sealer
from .core.sessions import SIGNED_IN_WITH, SessionManager
from .current import current_user, write_session_cookies
from .flows.email import PENDING_PURPOSE
from .providers.base import Provider
from .providers.email import Email
from .ratelimit import RateLimits
from .state import EXTENSION_KEY, AuthState, auth_state
from .views import blueprint
from .web.cookies import fixed_cookie_name
from .web.csrf import csrf_token
from .web.landing import warn_if_no_default_page
from .web.responses import error_response

logger = logging.getLogger("flask_authadapter")

#: The blueprint's views that always answer JSON, errors included.
JSON_VIEWS = frozenset({"session_json", "csrf_json", "providers_json", "accounts_json"})

F = TypeVar("F", bound=Callable[..., Any])


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
        #: The callbacks in effect: the defaults, replaced by those the app registers.
        self.callbacks = Callbacks()
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
        ``AUTH_SESSION_UPDATE_AGE``, ``AUTH_SESSION_ABSOLUTE_MAX_AGE``, ``AUTH_COOKIE_NAME``,
        ``AUTH_COOKIE_SECURE``, ``AUTH_COOKIE_SAMESITE``, ``AUTH_COOKIE_DOMAIN``,
        ``AUTH_PAGES``, ``AUTH_DEFAULT_REDIRECT``, ``AUTH_SITE_NAME``,
        ``AUTH_RATELIMIT_STORAGE_URI``, ``AUTH_CONTENT_SECURITY_POLICY`` (defaults and
        meanings: :data:`config.DEFAULTS`; a setting no longer read is refused, see
        :data:`config.REMOVED`), and the providers' ``AUTH_<ID>_CLIENT_ID`` /
        ``AUTH_<ID>_CLIENT_SECRET``. Email sign-in's settings are ``Email(...)`` arguments.
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
        if EXTENSION_KEY in app.extensions:
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
        secrets = config.secrets
        try:
            for provider in chosen:
                provider.init_app(app)
            state = AuthState(
                config=config,
                adapter=adapter,
                providers={p.id: p for p in chosen},
                sessions=SessionManager(
                    adapter,
                    config.session_policy,
                    clock=clock,
                    store_user_agent=_stores(adapter, "session", "user_agent"),
                    store_signed_in_with=_stores(adapter, "session", SIGNED_IN_WITH),
                ),
                clock=clock,
                limits=RateLimits.from_config(
                    config, next((p for p in chosen if isinstance(p, Email)), None)
                ),
                callbacks=self.callbacks,
                token_sealer=token_sealer(secrets),
                pending_sealer=Sealer(secrets, purpose=PENDING_PURPOSE),
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
        self.callbacks.sign_in = fn
        return fn

    def redirect_callback(self, fn: F) -> F:
        """Register ``fn(url, base_url) -> str``, choosing where to go after signing in or
        out. Its answer is still checked to be same-origin."""
        self.callbacks.redirect = fn
        return fn

    def session_callback(self, fn: F) -> F:
        """Register ``fn(session, user) -> dict``, shaping the ``/session`` JSON."""
        self.callbacks.session = fn
        return fn


def _register(app: Flask, state: AuthState) -> None:
    """Register the blueprint, the hooks and the commands for ``app``; write the defaults."""
    # First: Flask refuses it once the app has handled a request, before changing anything.
    app.register_blueprint(
        blueprint, name=state.config.blueprint_name, url_prefix=state.config.url_prefix
    )
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions[EXTENSION_KEY] = state
    # Before the app's own hooks (Flask-WTF's CSRF check among them).
    app.before_request_funcs.setdefault(None, []).insert(0, _on_first_request)
    app.after_request(write_session_cookies)
    app.register_error_handler(StorageError, _storage_unavailable)
    # First, so that the app's own context processors (Flask-Login's current_user, say)
    # win over the extension's.
    app.template_context_processors.setdefault(None, []).insert(0, _template_context)
    app.cli.add_command(auth_cli)


# Request hooks -------------------------------------------------------------------------


def _on_first_request() -> None:
    """Once per app, on its first request, when every extension and route is set up:
    exempt the blueprint from Flask-WTF's ``CSRFProtect`` (set up before or after this
    extension: the blueprint checks its own CSRF token, which Flask-WTF's would refuse for
    want of its own), and warn if AUTH_DEFAULT_REDIRECT is none of the app's pages."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state = auth_state(app)
    if state.first_request_seen:
        return
    exempt = getattr(app.extensions.get("csrf"), "exempt", None)
    if callable(exempt):
        exempt(blueprint)
    state.first_request_seen = True
    warn_if_no_default_page(app, request, state.config.default_redirect)


def _storage_unavailable(error: StorageError) -> Response:
    """A 503 page or JSON for a storage failure: logged once, never a traceback."""
    logger.error(
        "storage failure during %s %s: %s", request.method, request.path, error, exc_info=error
    )
    state = auth_state()
    return error_response(error, state.config, as_json=_is_view(state, *JSON_VIEWS) or None)


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
