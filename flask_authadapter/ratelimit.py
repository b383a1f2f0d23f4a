"""Rate limits on sending sign-in emails and on redeeming links and codes.

Counted with the ``limits`` library in a storage given by URI: ``memory://`` (one process)
by default, ``redis://host:6379`` (or any storage ``limits`` supports) for an app running
on several machines, so that every instance counts the same attempts. Addresses are never
stored in the counters, only a hash of them.

Clients are counted by network (:func:`client_network`: an IPv4 address, an IPv6 /64), and
mail by mailbox (:func:`~flask_authadapter.core.emails.mailbox_of`: ``+tags`` are one
mailbox). Sign-in emails to one mailbox are limited per requesting network and, higher,
over all networks: a stranger using up one network's quota for an address leaves its owner,
on another network, able to get a link.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .core.emails import mailbox_of
from .core.errors import ConfigurationError, RateLimited, StorageError

if TYPE_CHECKING:
    from .config import AuthConfig

__all__ = ["RateLimits", "client_network"]

T = TypeVar("T")

#: The setting each limit is read from, named in configuration errors.
SETTINGS = {
    "send_per_email": "AUTH_RATELIMIT_EMAIL",
    "send_per_email_total": "AUTH_RATELIMIT_EMAIL_TOTAL",
    "send_per_ip": "AUTH_RATELIMIT_IP",
    "send_global": "AUTH_RATELIMIT_SEND_GLOBAL",
    "verify_per_ip": "AUTH_RATELIMIT_VERIFY",
}

#: IPv6 clients are counted by their /64: one subscriber's link, however many addresses it
#: hands out.
IPV6_PREFIX = 64


def client_network(ip: str) -> str:
    """The network a client is counted as: an IPv4 address as such (also when mapped into
    IPv6), an IPv6 address by its /64; anything unparsable as given."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address.packed, IPV6_PREFIX), strict=False))
    return str(address)


class RateLimits:
    """The limits of one app, counted in one storage.

    Sign-in emails: ``send_per_email`` per mailbox and requesting network,
    ``send_per_email_total`` per mailbox from all networks, ``send_per_ip`` per network, and
    ``send_global`` (optional) for the whole app. ``verify_per_ip`` limits link and code
    redemptions; ``code_attempts`` codes may be tried per sign-in request.
    """

    def __init__(
        self,
        storage_uri: str = "memory://",
        *,
        key_secret: str = "",
        send_per_email: str = "3 per 10 minutes",
        send_per_email_total: str = "10 per 10 minutes",
        send_per_ip: str = "20 per hour",
        send_global: str | None = None,
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
            ("send_per_email_total", send_per_email_total),
            ("send_per_ip", send_per_ip),
            ("send_global", send_global),
            ("verify_per_ip", verify_per_ip),
        ):
            if text is None and name == "send_global":
                continue  # no global budget: the default
            try:
                items = parse_many(text) if isinstance(text, str) else []
            except ValueError:
                items = []
            if not items or any(item.amount < 1 for item in items):
                raise ConfigurationError(
                    f"rate limit {name} ({SETTINGS[name]}): {text!r} is not a limit such as "
                    "'3 per 10 minutes' (several may be joined with ';')"
                )
            self.rules[name] = items
        if code_attempts < 1:
            raise ConfigurationError("AUTH_CODE_MAX_ATTEMPTS must be at least 1")
        self.code_attempts = code_attempts
        self.enabled = enabled
        # One code try claimed at a time in this process: the memory storage's increment is
        # not atomic when threads race on a new key (and may even fail). Across processes
        # the shared storage's own increment is (Redis: one script).
        self._claiming = threading.Lock()

    @classmethod
    def from_config(cls, config: AuthConfig) -> RateLimits:
        """The limits an app's settings describe."""
        return cls(
            config.ratelimit_storage_uri,
            key_secret=config.secret,
            send_per_email=config.ratelimit_email,
            send_per_email_total=config.ratelimit_email_total,
            send_per_ip=config.ratelimit_ip,
            send_global=config.ratelimit_send_global,
            verify_per_ip=config.ratelimit_verify,
            code_attempts=config.code_max_attempts,
            enabled=config.ratelimit_enabled,
        )

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
        mailbox, network = mailbox_of(email), client_network(ip)
        checks = [
            ("send_per_email", f"{mailbox}\x00{network}"),
            ("send_per_email_total", mailbox),
            ("send_per_ip", network),
        ]
        if "send_global" in self.rules:
            checks.append(("send_global", "all"))
        self._hit_all(checks)

    def verifying(self, ip: str) -> None:
        """Count a link or code redemption from ``ip``, or raise RateLimited."""
        self._hit_all([("verify_per_ip", client_network(ip))])

    def code_attempt(self, request_id: str, window_seconds: int) -> bool:
        """Claim one try at the code of sign-in request ``request_id``: False when its
        ``code_attempts`` are used up (the code is void; the request's link is not).

        Claimed with one atomic increment before the code is compared, so that concurrent
        guesses never compare more than ``code_attempts`` codes. Counted even with the rate
        limits disabled: unlimited guesses would make an 8-character code guessable.
        """
        key = f"authadapter/code-try/{self._key(request_id)}"
        with self._storage(), self._claiming:
            count = self.storage.incr(key, window_seconds)
        return count <= self.code_attempts
