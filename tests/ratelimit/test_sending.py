"""sending; what is counted: mailboxes and client networks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from flask_authadapter.core.errors import RateLimited
from flask_authadapter.ratelimit import client_network

from .helpers import (
    ADA,
    BOB,
    EVE,
    IP1,
    IP2,
    IP3,
    _limits,
)


def test_sending_allows_n_per_address_and_network_then_refuses(storage_uri: str) -> None:
    limits = _limits(storage_uri, per_address="3 per hour")
    for _ in range(3):
        limits.sending(ADA, IP1)
    with pytest.raises(RateLimited, match="send_per_email") as raised:
        limits.sending(ADA, IP1)
    assert raised.value.code == "RateLimited"
    assert raised.value.status == 429
    assert raised.value.retry_after is not None and 0 < raised.value.retry_after <= 3600
    # Other addresses are not affected, from the same IP; nor the address from another
    # network (its owner's, say).
    limits.sending(BOB, IP1)
    limits.sending(ADA, IP2)


def test_sending_allows_n_per_address_over_all_networks_then_refuses(storage_uri: str) -> None:
    limits = _limits(storage_uri, per_address="3 per hour", per_address_total="3 per hour")
    for ip in (IP1, IP2, IP3):
        limits.sending(ADA, ip)
    with pytest.raises(RateLimited, match="send_per_email_total"):
        limits.sending(ADA, "198.51.100.9")
    limits.sending(BOB, IP1)


def test_sending_allows_n_per_ip_then_refuses(storage_uri: str) -> None:
    limits = _limits(storage_uri, per_network="2 per hour")
    limits.sending(ADA, IP1)
    limits.sending(BOB, IP1)
    with pytest.raises(RateLimited, match="send_per_ip"):
        limits.sending(EVE, IP1)
    # Another IP is not affected, for the same addresses.
    limits.sending(EVE, IP2)
    limits.sending(ADA, IP2)


def test_an_attempt_refused_per_ip_does_not_count_for_the_address(storage_uri: str) -> None:
    limits = _limits(
        storage_uri,
        per_address="2 per hour",
        per_address_total="2 per hour",
        per_network="2 per hour",
    )
    limits.sending(ADA, IP1)
    limits.sending(BOB, IP1)  # IP1 is full now
    for _ in range(3):
        with pytest.raises(RateLimited, match="send_per_ip"):
            limits.sending(EVE, IP1)
    # Eve has used none of her 2: the refusals above did not count against her.
    limits.sending(EVE, IP2)
    limits.sending(EVE, IP3)
    with pytest.raises(RateLimited, match="send_per_email_total"):
        limits.sending(EVE, "198.51.100.9")


def test_an_attempt_refused_per_address_does_not_count_for_the_ip(storage_uri: str) -> None:
    limits = _limits(storage_uri, per_address="1 per hour", per_network="2 per hour")
    limits.sending(ADA, IP1)  # Ada is full now; IP1 has 1 of 2
    for _ in range(3):
        with pytest.raises(RateLimited, match="send_per_email"):
            limits.sending(ADA, IP1)
    # IP1 still has 1 left: the refusals above did not count against it.
    limits.sending(BOB, IP1)
    with pytest.raises(RateLimited, match="send_per_ip"):
        limits.sending(EVE, IP1)


class _Interleaving:
    """Wraps a limiter: the first ``hit`` runs ``hook`` first, as a request running at the
    same moment would, between this request's ``test`` and its ``hit``."""

    def __init__(self, limiter: Any, hook: Callable[[], None]) -> None:
        self.limiter = limiter
        self.hook: Callable[[], None] | None = hook

    def test(self, *args: Any, **kwargs: Any) -> bool:
        return bool(self.limiter.test(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:  # get_window_stats and the rest: the limiter's
        return getattr(self.limiter, name)

    def hit(self, *args: Any, **kwargs: Any) -> bool:
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        return bool(self.limiter.hit(*args, **kwargs))


def test_concurrent_sendings_cannot_pass_the_limit_together(storage_uri: str) -> None:
    limits = _limits(storage_uri, per_address_total="2 per hour")
    limits.sending(ADA, IP1)
    sent_meanwhile: list[str] = []

    def meanwhile() -> None:
        limits.sending(ADA, IP2)
        sent_meanwhile.append(IP2)

    limits.limiter = _Interleaving(limits.limiter, meanwhile)  # type: ignore[assignment]
    with pytest.raises(RateLimited):
        limits.sending(ADA, IP3)
    assert sent_meanwhile == [IP2]


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("unknown", "unknown"),
    ],
)
def test_a_client_network_is_an_ipv4_address_or_an_ipv6_slash_64(ip: str, network: str) -> None:
    assert client_network(ip) == network


def test_many_addresses_of_one_ipv6_slash_64_are_one_client(storage_uri: str) -> None:
    limits = _limits(storage_uri, per_network="3 per hour")
    for host in (1, 2, 3):
        limits.sending(f"user{host}@example.com", f"2001:db8:aa:bb::{host:x}")
    with pytest.raises(RateLimited, match="send_per_ip"):
        limits.sending("user4@example.com", "2001:db8:aa:bb:ffff::4")
    limits.sending("user4@example.com", "2001:db8:aa:bc::4")  # the next /64 is another


def test_tags_of_one_mailbox_share_its_limit(storage_uri: str) -> None:
    limits = _limits(storage_uri, per_address="3 per hour", per_address_total="5 per hour")
    for tag in ("", "+a", "+b"):
        limits.sending(f"ada{tag}@example.com", IP1)
    with pytest.raises(RateLimited, match="send_per_email"):
        limits.sending("ada+c@example.com", IP1)
    limits.sending("ada+d@example.com", IP2)
    limits.sending("ada+e@example.com", IP3)
    with pytest.raises(RateLimited, match="send_per_email_total"):
        limits.sending("ada+f@example.com", "198.51.100.9")
    limits.sending("bob+a@example.com", IP1)  # another mailbox


def test_the_global_budget_counts_every_sign_in_email(storage_uri: str) -> None:
    limits = _limits(storage_uri, send_budget="3 per hour")
    limits.sending(ADA, IP1)
    limits.sending(BOB, IP2)
    limits.sending(EVE, IP3)
    with pytest.raises(RateLimited, match="send_global"):
        limits.sending("zoe@example.com", "198.51.100.9")
