"""Sign-in providers. They know nothing of storage: they say who the person is."""

from .base import Provider, ProviderResult, SignInFlow

__all__ = ["Provider", "ProviderResult", "SignInFlow"]
