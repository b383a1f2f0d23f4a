"""Ready-made providers: each a small OAuth2 or OIDC subclass with the provider's endpoints,
scopes and profile mapping. Every module's documentation says where to register the app, the
callback URL to register (``{AUTH_URL}/auth/callback/<id>``), the config keys and what the
profile takes from which field.
"""

from .apple import Apple
from .auth0 import Auth0
from .discord import Discord
from .facebook import Facebook
from .github import GitHub
from .gitlab import GitLab
from .google import Google
from .keycloak import Keycloak
from .microsoft import MicrosoftEntraID
from .slack import Slack

__all__ = [
    "Apple",
    "Auth0",
    "Discord",
    "Facebook",
    "GitHub",
    "GitLab",
    "Google",
    "Keycloak",
    "MicrosoftEntraID",
    "Slack",
]
