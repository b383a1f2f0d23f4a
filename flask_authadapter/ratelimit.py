"""Rate limits on sending sign-in emails and on redeeming links and codes.

Counted with the ``limits`` library in a storage given by URI: ``memory://`` (one process)
by default, ``redis://host:6379`` (or any storage ``limits`` supports) for an app running
on several machines, so that every instance counts the same attempts. Addresses are never
stored in the counters, only a hash of them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .core.errors import ConfigurationError, RateLimited

__all__ = ["RateLimits"]


def _key(value: str) -> str:
    """A stable, non-reversible key for an address or an IP."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class _Rule:
    name: str
    item: RateLimitItem


class RateLimits:
    """The limits of one app, counted in one storage.

    ``send_per_email`` and ``send_per_ip`` limit sign-in emails; ``verify_per_ip`` limits
    link and code redemptions; ``code_attempts`` wrong codes void an address's sign-in.
    """

    def __init__(
        self,
        storage_uri: str = "memory://",
        *,
        send_per_email: str = "3 per 10 minutes",
        send_per_ip: str = "20 per hour",
        verify_per_ip: str = "30 per 10 minutes",
        code_attempts: int = 5,
        enabled: bool = True,
    ) -> None:
        try:
            storage = storage_from_string(storage_uri)
        except Exception as exc:  # limits raises several types for a bad URI
            raise ConfigurationError(f"AUTH_RATELIMIT_STORAGE_URI: {exc}") from None
        if not isinstance(storage, Storage):
            raise ConfigurationError("AUTH_RATELIMIT_STORAGE_URI must name a synchronous storage")
        self.storage: Storage = storage
        self.limiter = MovingWindowRateLimiter(self.storage)
        rules = {}
        for name, text in (
            ("send_per_email", send_per_email),
            ("send_per_ip", send_per_ip),
            ("verify_per_ip", verify_per_ip),
        ):
            try:
                rules[name] = _Rule(name, parse(text))
            except ValueError:
                raise ConfigurationError(
                    f"rate limit {name}: {text!r} is not a limit such as '3 per 10 minutes'"
                ) from None
        self.rules = rules
        if code_attempts < 1:
            raise ConfigurationError("AUTH_CODE_MAX_ATTEMPTS must be at least 1")
        self.code_attempts = code_attempts
        self.enabled = enabled

    def _hit_all(self, checks: list[tuple[str, str]]) -> None:
        """Count one attempt against each (rule, key), or raise RateLimited counting none."""
        if not self.enabled:
            return
        items = [(self.rules[name].item, name, _key(key)) for name, key in checks]
        for item, name, key in items:
            if not self.limiter.test(item, name, key):
                raise RateLimited(f"rate limit {name} reached")
        for item, name, key in items:
            self.limiter.hit(item, name, key)

    def sending(self, email: str, ip: str) -> None:
        """Count a sign-in email to ``email`` requested from ``ip``, or raise RateLimited."""
        self._hit_all([("send_per_email", email), ("send_per_ip", ip)])

    def verifying(self, ip: str) -> None:
        """Count a link or code redemption from ``ip``, or raise RateLimited."""
        self._hit_all([("verify_per_ip", ip)])

    def wrong_code(self, email: str, window_seconds: int) -> bool:
        """Count a wrong code for ``email``; True when that was one too many (void it)."""
        count = self.storage.incr(f"authadapter/code-fail/{_key(email)}", window_seconds)
        return count >= self.code_attempts

    def reset_codes(self, email: str) -> None:
        """Forget the wrong codes counted for ``email`` (a new code was sent)."""
        self.storage.clear(f"authadapter/code-fail/{_key(email)}")
