"""Mail flooding around the send limits: ``+tags`` and IPv6 /64s.

The attacks: each ``+tag`` variant of an address had a quota of its own (40 sign-in emails
reached one mailbox without a 429), and every address of an IPv6 /64 (one subscriber's
link, 2^64 addresses) counted as a client of its own.

End to end against the app of ``apps_under_test.py`` (SQLite) sending through the real SMTP
server (aiosmtpd), with browsers that are Flask test clients with their own client IPs: the
messages the server received are counted. The limits are the defaults but where a test
sets one: 3 per mailbox and network, 10 per mailbox in all, 20 per client network.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.hardening.apps_under_test import InProcessBrowser
from tests.mail import MailServer

ATTEMPTS = 40


def flood(app: Flask, requests: list[tuple[str, str]]) -> list[int]:
    """Ask a link for each (ip, address), each from a browser of its own: the statuses."""
    return [InProcessBrowser(app, ip=ip).ask_link(email).status_code for ip, email in requests]


def to_mailbox(smtp: MailServer, mailbox: str) -> int:
    """How many messages the server accepted for ``mailbox`` (any ``+tag`` of it)."""
    local, _, domain = mailbox.partition("@")
    return sum(
        1
        for message in smtp.messages
        for rcpt in message.rcpt_tos
        if rcpt.partition("@")[2] == domain and rcpt.partition("@")[0].split("+")[0] == local
    )


def test_tags_of_one_mailbox_from_one_network_share_its_quota(
    sqlite_app: Callable[..., Flask], smtp_server: MailServer
) -> None:
    app = sqlite_app()
    statuses = flood(app, [("203.0.113.9", f"ada+{n}@example.com") for n in range(ATTEMPTS)])
    assert statuses[:3] == [302] * 3
    assert set(statuses[3:]) == {429}
    assert to_mailbox(smtp_server, "ada@example.com") == 3


def test_tags_of_one_mailbox_from_many_networks_meet_the_total_cap(
    sqlite_app: Callable[..., Flask], smtp_server: MailServer
) -> None:
    app = sqlite_app()
    requests = [(f"198.51.100.{n + 1}", f"ada+{n}@example.com") for n in range(ATTEMPTS)]
    statuses = flood(app, requests)
    assert statuses[:10] == [302] * 10
    assert set(statuses[10:]) == {429}
    assert to_mailbox(smtp_server, "ada@example.com") == 10
    # Case and tags fold into the mailbox; another mailbox still gets its mail.
    assert flood(app, [("192.0.2.1", "ADA+x@Example.com"), ("192.0.2.1", "bob@example.com")]) == [
        429,
        302,
    ]


def test_many_addresses_of_one_ipv6_slash_64_are_one_client(
    sqlite_app: Callable[..., Flask], smtp_server: MailServer
) -> None:
    app = sqlite_app()
    requests = [(f"2001:db8:42:7::{n + 1:x}", f"user{n}@example.com") for n in range(ATTEMPTS)]
    statuses = flood(app, requests)
    assert statuses[:20] == [302] * 20  # EmailLimits(per_network): 20 per hour
    assert set(statuses[20:]) == {429}
    assert len(smtp_server.messages) == 20
    # The next /64 is another client.
    assert flood(app, [("2001:db8:42:8::1", "zoe@example.com")]) == [302]


def test_many_addresses_of_one_ipv6_slash_64_share_a_mailboxs_quota(
    sqlite_app: Callable[..., Flask], smtp_server: MailServer
) -> None:
    app = sqlite_app()
    requests = [(f"2001:db8:42:7:{n + 1:x}::1", "ada@example.com") for n in range(ATTEMPTS)]
    statuses = flood(app, requests)
    assert statuses[:3] == [302] * 3
    assert set(statuses[3:]) == {429}
    assert to_mailbox(smtp_server, "ada@example.com") == 3


def test_the_global_send_budget(sqlite_app: Callable[..., Flask], smtp_server: MailServer) -> None:
    app = sqlite_app(EMAIL_LIMITS={"send_budget": "5 per hour"})
    requests = [(f"198.51.100.{n + 1}", f"user{n}@example.com") for n in range(8)]
    statuses = flood(app, requests)
    assert statuses == [302] * 5 + [429] * 3
    assert len(smtp_server.messages) == 5
