"""flask-authadapter: sign-in for Flask with pluggable storage.

The root holds what an app calls. The rest has one public home each:
:mod:`flask_authadapter.providers` (providers and presets), :mod:`~flask_authadapter.adapters`
(the adapter contract and the shipped adapters), :mod:`~flask_authadapter.models` (the
records), :mod:`~flask_authadapter.errors` (the exceptions), :mod:`~flask_authadapter.accounts`
(account management), :mod:`~flask_authadapter.signals`, :mod:`~flask_authadapter.config`
(the settings and their defaults) and :mod:`~flask_authadapter.testing` (the adapter
conformance suite). Anything else may change without notice.
"""

from .current import (
    current_session,
    current_user,
    login_required,
    sign_in,
    sign_out,
    signin_url,
)
from .extension import Auth
from .interop import flask_login_bridge
from .provider_tokens import account_tokens, open_tokens

__version__ = "0.1.0.dev0"

__all__ = [
    "Auth",
    "__version__",
    "account_tokens",
    "current_session",
    "current_user",
    "flask_login_bridge",
    "login_required",
    "open_tokens",
    "sign_in",
    "sign_out",
    "signin_url",
]
