"""Authenticated encryption under keys derived from ``AUTH_SECRET``. Flask-free.

A :class:`Sealer` turns text into a *sealed* string (AES-256-GCM) that only the app can
open, and that nobody can change unnoticed. It is the one place where the package encrypts:
the OAuth sign-in's cookie (state, nonce, PKCE verifier) and the provider tokens stored in
``accounts`` are sealed with it, each under its own ``purpose``.

- Each purpose has its own key, derived from the secret with HKDF-SHA256, so a value sealed
  for one purpose never opens for another.
- The current secret seals; the fallbacks (``AUTH_SECRET_FALLBACKS``) still open, so a
  rotation never breaks what was sealed before it. :meth:`Sealer.needs_resealing` tells a
  value sealed under a fallback, to be sealed again on the next write.
- An optional ``context`` (associated data) binds a value to where it belongs (e.g. the
  account it was stored for): copied elsewhere, it does not open.

A sealed value is ASCII: ``faa1.<key id>.<base64url(nonce || ciphertext || tag)>``. The key
id is 8 hex characters of an HMAC of the key (it names the key, it reveals nothing of it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import AuthAdapterError

#: What every sealed value starts with (the format's name and version).
PREFIX = "faa1."

_NONCE_BYTES = 12
_KEY_ID_LENGTH = 8


class SealedValueError(AuthAdapterError, ValueError):
    """A value is not sealed, was changed, or was sealed under a key the app no longer has."""


def is_sealed(value: object) -> bool:
    """Whether ``value`` has the form of a sealed value (it may still fail to open)."""
    return isinstance(value, str) and value.startswith(PREFIX) and value.count(".") == 2


def _derive(secret: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"flask-authadapter sealing v1",
        info=purpose.encode("utf-8"),
    ).derive(secret.encode("utf-8"))


def _key_id(key: bytes) -> str:
    return hmac.new(key, b"key id", hashlib.sha256).hexdigest()[:_KEY_ID_LENGTH]


class Sealer:
    """Seals and opens text for one ``purpose`` under the current secret and its fallbacks.

    ``secrets_in_order`` is the current secret first, then the fallbacks (the order of
    ``AuthConfig.secrets``).
    """

    def __init__(self, secrets_in_order: Sequence[str], *, purpose: str) -> None:
        if not secrets_in_order:
            raise ValueError("a Sealer needs at least one secret")
        if not purpose:
            raise ValueError("a Sealer needs a purpose")
        self.purpose = purpose
        keys = [_derive(secret, purpose) for secret in secrets_in_order]
        self._current_id = _key_id(keys[0])
        self._current = AESGCM(keys[0])
        self._by_id: dict[str, AESGCM] = {}
        for key in keys:  # the first secret with a given id wins (a repeated fallback)
            self._by_id.setdefault(_key_id(key), AESGCM(key))

    def seal(self, plaintext: str, *, context: str = "") -> str:
        """``plaintext`` sealed under the current secret, bound to ``context``."""
        nonce = os.urandom(_NONCE_BYTES)
        data = self._current.encrypt(nonce, plaintext.encode("utf-8"), self._aad(context))
        body = base64.urlsafe_b64encode(nonce + data).rstrip(b"=").decode("ascii")
        return f"{PREFIX}{self._current_id}.{body}"

    def open(self, sealed: str, *, context: str = "") -> str:
        """The text inside ``sealed``, or :class:`SealedValueError` (not sealed, changed,
        bound to another context, or sealed under a secret that is no longer configured)."""
        if not is_sealed(sealed):
            raise SealedValueError("the value is not a sealed value")
        _, key_id, body = sealed.split(".")
        cipher = self._by_id.get(key_id)
        if cipher is None:
            raise SealedValueError("the value was sealed under a secret that is not configured")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise SealedValueError("the sealed value is not base64") from None
        if len(raw) <= _NONCE_BYTES:
            raise SealedValueError("the sealed value is too short")
        try:
            data = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], self._aad(context))
        except InvalidTag:
            raise SealedValueError("the sealed value was changed or belongs elsewhere") from None
        return data.decode("utf-8")

    def needs_resealing(self, sealed: str) -> bool:
        """Whether ``sealed`` is not sealed under the current secret (plain text, or sealed
        under a fallback): what a rotation re-encrypts on the next write."""
        if not is_sealed(sealed):
            return True
        return sealed.split(".")[1] != self._current_id

    def _aad(self, context: str) -> bytes:
        return f"{self.purpose}\x00{context}".encode()
