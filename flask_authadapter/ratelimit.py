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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .core.emails import mailbox_of
from .core.errors import ConfigurationError, RateLimited, StorageError

if TYPE_CHECKING:
    from .config import AuthConfig

__all__ = ["EmailLimits", "RateLimits", "client_network"]

T = TypeVar("T")

#: The counter each of :class:`EmailLimits`'s fields is kept in (also the storage's key
#: prefix, so renaming one would restart its counts).
COUNTERS = {
    "per_address": "send_per_email",
    "per_address_total": "send_per_email_total",
    "per_network": "send_per_ip",
    "send_budget": "send_global",
    "verify": "verify_per_ip",
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


@dataclass(frozen=True)
class EmailLimits:
    """How often sign-in emails may be asked for and links and codes redeemed, in the
    ``limits`` library's notation (``"3 per 10 minutes"``; several joined with ``;``).

    ``per_address``: sign-in emails to one mailbox from one client network;
    ``per_address_total``: to one mailbox from all networks together (a flood);
    ``per_network``: asked for from one client network; ``send_budget``: every sign-in email
    of the app (None: no budget); ``verify``: link and code redemptions from one network.
    Checked when built: a bad limit is a :class:`ValueError` naming the argument.
    """

    per_address: str = "3 per 10 minutes"
    per_address_total: str = "10 per 10 minutes"
    per_network: str = "20 per hour"
    send_budget: str | None = None
    verify: str = "30 per 10 minutes"

    def __post_init__(self) -> None:
        self.rules()  # raises for a limit that is not one

    def rules(self) -> dict[str, list[RateLimitItem]]:
        """The parsed limits by counter name (:data:`COUNTERS`); no ``send_global`` when
        ``send_budget`` is None."""
        rules: dict[str, list[RateLimitItem]] = {}
        for argument, counter in COUNTERS.items():
            text = getattr(self, argument)
            if text is None and argument == "send_budget":
                continue
            try:
                items = parse_many(text) if isinstance(text, str) else []
            except ValueError:
                items = []
            if not items or any(item.amount < 1 for item in items):
                optional = " (or None for no budget)" if argument == "send_budget" else ""
                raise ValueError(
                    f"EmailLimits({argument}=...) must be a limit such as '3 per 10 minutes' "
                    f"(several may be joined with ';'){optional}, not {text!r}"
                )
            rules[counter] = items
        return rules


class EmailSettings(Protocol):
    """What the counters take from the Email provider."""

    @property
    def rate_limits(self) -> EmailLimits | None:
        """Its limits, or None for none."""

    @property
    def max_attempts(self) -> int:
        """Code tries per sign-in request."""


class RateLimits:
    """The counters of one app, kept in one storage.

    ``limits`` (the Email provider's :class:`EmailLimits`; None: never refuse) bounds the
    sign-in emails and the redemptions; ``code_attempts`` codes may be tried per sign-in
    request, counted whatever ``limits`` is. ``key_secret`` keys the counters' HMACs.
    """

    def __init__(
        self,
        storage_uri: str,
        *,
        limits: EmailLimits | None,
        code_attempts: int,
        key_secret: str = "",
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
        self.limits = limits
        self.rules = limits.rules() if limits is not None else {}
        self.code_attempts = code_attempts
        # One code try claimed at a time in this process: the memory storage's increment is
        # not atomic when threads race on a new key (and may even fail). Across processes
        # the shared storage's own increment is (Redis: one script).
        self._claiming = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether sign-in emails and redemptions are limited (code tries always are)."""
        return self.limits is not None

    @classmethod
    def from_config(cls, config: AuthConfig, email: EmailSettings | None) -> RateLimits:
        """The counters of an app's settings, with its Email provider's limits (none without
        one: nothing is sent or redeemed then)."""
        return cls(
            config.ratelimit_storage_uri,
            key_secret=config.secret,
            limits=email.rate_limits if email is not None else None,
            code_attempts=email.max_attempts if email is not None else 1,
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
