"""Rate limits on sending sign-in emails and on redeeming links and codes.

Counted with the ``limits`` library in a storage given by URI: ``memory://`` (one process)
by default, ``redis://host:6379`` (or any storage ``limits`` supports) for an app running
on several machines, so that every instance counts the same attempts. Addresses are never
stored in the counters, only a hash of them.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .core.errors import ConfigurationError, RateLimited, StorageError

__all__ = ["RateLimits"]

T = TypeVar("T")


class RateLimits:
    """The limits of one app, counted in one storage.

    ``send_per_email`` and ``send_per_ip`` limit sign-in emails; ``verify_per_ip`` limits
    link and code redemptions; ``code_attempts`` wrong codes void an address's sign-in.
    """

    def __init__(
        self,
        storage_uri: str = "memory://",
        *,
        key_secret: str = "",
        send_per_email: str = "3 per 10 minutes",
        send_per_ip: str = "20 per hour",
        verify_per_ip: str = "30 per 10 minutes",
        code_attempts: int = 5,
        enabled: bool = True,
    ) -> None:
        try:
            storage = storage_from_string(storage_uri)
        except Exception as exc:  # limits raises several types for a bad URI
            # Not the URI itself in the message: it may hold a password.
            raise ConfigurationError(
                "AUTH_RATELIMIT_STORAGE_URI is not a storage the limits library can use "
                f"({type(exc).__name__})"
            ) from None
        if not isinstance(storage, Storage):
            raise ConfigurationError("AUTH_RATELIMIT_STORAGE_URI must name a synchronous storage")
        self.storage: Storage = storage
        self.limiter = MovingWindowRateLimiter(self.storage)
        self._key_secret = key_secret.encode("utf-8")
        self.rules: dict[str, list[RateLimitItem]] = {}
        for name, text in (
            ("send_per_email", send_per_email),
            ("send_per_ip", send_per_ip),
            ("verify_per_ip", verify_per_ip),
        ):
            try:
                items = parse_many(text)
            except ValueError:
                items = []
            if not items or any(item.amount < 1 for item in items):
                raise ConfigurationError(
                    f"rate limit {name}: {text!r} is not a limit such as '3 per 10 minutes' "
                    "(several may be joined with ';')"
                )
            self.rules[name] = items
        if code_attempts < 1:
            raise ConfigurationError("AUTH_CODE_MAX_ATTEMPTS must be at least 1")
        self.code_attempts = code_attempts
        self.enabled = enabled

    def _key(self, value: str) -> str:
        """A stable key for an address or an IP that does not reveal it (an HMAC under the
        app's secret: a copy of the counters cannot be checked against a list of addresses)."""
        digest = hmac.new(self._key_secret, value.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:32]

    @contextmanager
    def _storage(self) -> Iterator[None]:
        """The counters' storage failing (Redis down) is a storage failure: a 503."""
        try:
            yield
        except RateLimited:
            raise
        except Exception as exc:
            raise StorageError(f"rate-limit storage failed: {type(exc).__name__}") from exc

    def _hit_all(self, checks: list[tuple[str, str]]) -> None:
        """Count one attempt against each (rule, key), or raise RateLimited.

        Every limit is tested first, so that an attempt refused by one limit is not counted
        against the others; then counted, where a limit reached meanwhile (a concurrent
        attempt took the last place) still refuses.
        """
        if not self.enabled:
            return
        items = [(item, name, self._key(key)) for name, key in checks for item in self.rules[name]]
        with self._storage():
            for item, name, key in items:
                if not self.limiter.test(item, name, key):
                    raise self._refusal(item, name, key)
            for item, name, key in items:
                if not self.limiter.hit(item, name, key):
                    raise self._refusal(item, name, key)

    def _refusal(self, item: RateLimitItem, name: str, key: str) -> RateLimited:
        reset = self.limiter.get_window_stats(item, name, key).reset_time
        return RateLimited(
            f"rate limit {name} reached", retry_after=max(1, math.ceil(reset - time.time()))
        )

    def sending(self, email: str, ip: str) -> None:
        """Count a sign-in email to ``email`` requested from ``ip``, or raise RateLimited."""
        self._hit_all([("send_per_email", email), ("send_per_ip", ip)])

    def verifying(self, ip: str) -> None:
        """Count a link or code redemption from ``ip``, or raise RateLimited."""
        self._hit_all([("verify_per_ip", ip)])

    def wrong_code(self, email: str, window_seconds: int) -> bool:
        """Count a wrong code for ``email``; True when that was one too many (void it)."""
        with self._storage():
            count = self.storage.incr(f"authadapter/code-fail/{self._key(email)}", window_seconds)
        return count >= self.code_attempts

    def reset_codes(self, email: str) -> None:
        """Forget the wrong codes counted for ``email`` (a new code was sent)."""
        with self._storage():
            self.storage.clear(f"authadapter/code-fail/{self._key(email)}")
