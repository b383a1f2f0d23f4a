"""flask-authadapter: sign-in for Flask with pluggable storage.

The public names are listed here explicitly; anything not in ``__all__`` may change.
"""

from .adapters import Adapter
from .config import DEFAULTS
from .core.errors import (
    AccessDenied,
    AuthAdapterError,
    ConfigurationError,
    ConflictError,
    DuplicateAccount,
    DuplicateEmail,
    EmailSignin,
    InvalidValue,
    MissingCSRF,
    OAuthAccountNotLinked,
    OAuthCallbackError,
    OAuthSignin,
    RateLimited,
    SignInError,
    StorageError,
    UnknownUser,
    Verification,
)
from .core.models import Account, AnonymousUser, Session, User, VerificationToken
from .core.sealing import SealedValueError
from .core.sessions import ActiveSession
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
from .state import auth_state

__version__ = "0.1.0.dev0"

__all__ = [
    "DEFAULTS",
    "AccessDenied",
    "Account",
    "ActiveSession",
    "Adapter",
    "AnonymousUser",
    "Auth",
    "AuthAdapterError",
    "ConfigurationError",
    "ConflictError",
    "DuplicateAccount",
    "DuplicateEmail",
    "EmailSignin",
    "InvalidValue",
    "MissingCSRF",
    "OAuthAccountNotLinked",
    "OAuthCallbackError",
    "OAuthSignin",
    "RateLimited",
    "SealedValueError",
    "Session",
    "SignInError",
    "StorageError",
    "UnknownUser",
    "User",
    "Verification",
    "VerificationToken",
    "__version__",
    "account_tokens",
    "auth_state",
    "current_session",
    "current_user",
    "flask_login_bridge",
    "login_required",
    "open_tokens",
    "sign_in",
    "sign_out",
    "signin_url",
]
