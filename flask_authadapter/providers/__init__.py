"""Sign-in providers. They know nothing of storage: they say who the person is.

- :class:`Email`: a link and a code by email (magic links).
- :class:`OIDC`: any OpenID Connect provider, by discovery from its issuer.
- :class:`OAuth2`: a provider speaking plain OAuth 2.0.
- presets for well-known providers (:mod:`flask_authadapter.providers.presets`), exported
  here too: ``from flask_authadapter.providers import GitHub``.
"""

from . import presets
from .base import Provider, ProviderResult, SignInFlow
from .email import Email, SignInEmail
from .oauth import OAuth2
from .oidc import OIDC
from .presets import *  # noqa: F403 - every preset, as listed in presets.__all__
from .profile import Profile

__all__ = [
    "OIDC",
    "Email",
    "OAuth2",
    "Profile",
    "Provider",
    "ProviderResult",
    "SignInEmail",
    "SignInFlow",
]
__all__ += presets.__all__
