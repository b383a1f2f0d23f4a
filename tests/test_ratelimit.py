"""Rate limits on sign-in emails and on redemptions (flask_authadapter.ratelimit).

Each behaviour runs on the default ``memory://`` storage and on a real Redis (the
``redis_server`` fixture), the storage an app running on several machines shares. Through
the app, ``AUTH_RATELIMIT_STORAGE_URI=redis://...`` makes two app instances count together.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits.storage import MemoryStorage, RedisStorage

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.core.errors import ConfigurationError, RateLimited
from flask_authadapter.extension import auth_state
from flask_authadapter.providers.email import Email, SignInEmail
from flask_authadapter.ratelimit import EmailLimits, RateLimits, client_network
from harness.servers import RedisServer
from tests.apps import csrf_from, make_app

ADA = "ada@example.com"
BOB = "bob@example.com"
EVE = "eve@example.com"
IP1, IP2, IP3 = "203.0.113.1", "203.0.113.2", "2001:db8::3"
WINDOW = 900  # seconds a wrong-code count lives (the Email provider's max_age)


@pytest.fixture(params=["memory", "redis"])
def storage_uri(request: pytest.FixtureRequest) -> str:
    """Each storage in turn: memory://, then the session's Redis (emptied for the test)."""
    if request.param == "memory":
        return "memory://"
    server: RedisServer = request.getfixturevalue("redis_server")
    server.flush()
    return server.url


@pytest.fixture
def redis_uri(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for the test."""
    redis_server.flush()
    return redis_server.url


def _limits(uri: str, *, code_attempts: int = 5, **options: Any) -> RateLimits:
    """Counters in ``uri`` with roomy limits but those ``options`` (EmailLimits' arguments)
    name; ``limits=None``: none."""
    if "limits" in options:
        return RateLimits(uri, limits=options["limits"], code_attempts=code_attempts)
    options.setdefault("per_address", "3 per hour")
    options.setdefault("per_network", "100 per hour")
    options.setdefault("verify", "100 per hour")
    return RateLimits(uri, limits=EmailLimits(**options), code_attempts=code_attempts)


def _refused(call: Callable[[], None]) -> bool:
    try:
        call()
    except RateLimited:
        return True
    return False


# Construction ---------------------------------------------------------------------------------


def test_default_limits() -> None:
    limits = RateLimits("memory://", limits=EmailLimits(), code_attempts=5)
    assert isinstance(limits.storage, MemoryStorage)
    assert limits.enabled is True
    assert limits.code_attempts == 5
    assert {name: "; ".join(map(str, items)) for name, items in limits.rules.items()} == {
        "send_per_email": "3 per 10 minute",
        "send_per_email_total": "10 per 10 minute",
        "send_per_ip": "20 per 1 hour",
        "verify_per_ip": "30 per 10 minute",
    }


def test_no_limits_is_disabled() -> None:
    limits = RateLimits("memory://", limits=None, code_attempts=5)
    assert limits.enabled is False
    assert limits.rules == {}


def _storage(uri: str) -> RateLimits:
    return RateLimits(uri, limits=EmailLimits(), code_attempts=5)


def test_a_redis_uri_gives_a_redis_storage(redis_uri: str) -> None:
    assert isinstance(_storage(redis_uri).storage, RedisStorage)


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "memory",
        "nosuch://",
        "http://example.com",
        "redis:/",
        "redis://127.0.0.1:notaport",
        "redis://127.0.0.1:6379/0?socket_timeout=soon",
    ],
)
def test_a_bad_storage_uri_is_a_configuration_error(uri: str) -> None:
    with pytest.raises(ConfigurationError, match="AUTH_RATELIMIT_STORAGE_URI"):
        _storage(uri)


def test_an_asynchronous_storage_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="synchronous"):
        _storage("async+memory://")


def test_a_bad_storage_uri_error_does_not_show_its_password() -> None:
    with pytest.raises(ConfigurationError) as raised:
        _storage("reddis://:hunter2-secret@cache.internal:6379/0")
    assert "hunter2-secret" not in str(raised.value)


@pytest.mark.parametrize("option", ["per_address", "per_address_total", "per_network", "verify"])
@pytest.mark.parametrize(
    "text", ["", "lots", "3 per fortnight", "-1 per minute", "three per minute", None]
)
def test_a_bad_limit_is_refused_naming_its_argument(option: str, text: object) -> None:
    with pytest.raises(ValueError, match=rf"EmailLimits\({option}=\.\.\.\)") as raised:
        EmailLimits(**{option: text})  # type: ignore[arg-type]
    assert "3 per 10 minutes" in str(raised.value)  # says what to write instead


@pytest.mark.parametrize("text", ["", "lots", "3 per fortnight", "0 per hour", 1000])
def test_a_bad_send_budget_is_refused_naming_its_argument(text: object) -> None:
    with pytest.raises(ValueError, match=r"EmailLimits\(send_budget=\.\.\.\)") as raised:
        EmailLimits(send_budget=text)  # type: ignore[arg-type]
    assert "None" in str(raised.value)


def test_no_global_budget_by_default() -> None:
    assert "send_global" not in EmailLimits().rules()
    assert EmailLimits(send_budget=None).rules().keys() == EmailLimits().rules().keys()
    assert "send_global" in EmailLimits(send_budget="1000 per hour").rules()


def test_several_limits_in_one_setting_are_all_enforced_or_refused() -> None:
    try:
        limits = _limits("memory://", per_address="5 per hour; 1 per day")
    except ValueError:
        return  # refusing the notation is fine too
    limits.sending(ADA, IP1)
    with pytest.raises(RateLimited):
        limits.sending(ADA, IP1)


# sending ---------------------------------------------------------------------------------------


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


# what is counted: mailboxes and client networks ------------------------------------------------


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


# verifying ---------------------------------------------------------------------------------------


def test_verifying_allows_n_per_ip_then_refuses(storage_uri: str) -> None:
    limits = _limits(storage_uri, verify="3 per hour")
    for _ in range(3):
        limits.verifying(IP1)
    with pytest.raises(RateLimited, match="verify_per_ip"):
        limits.verifying(IP1)
    limits.verifying(IP2)
    # Redemptions and sendings are counted apart.
    limits.sending(ADA, IP1)


def test_sending_does_not_use_up_verifying(storage_uri: str) -> None:
    limits = _limits(storage_uri, per_network="2 per hour", verify="2 per hour")
    limits.sending(ADA, IP1)
    limits.sending(BOB, IP1)
    limits.verifying(IP1)
    limits.verifying(IP1)
    assert _refused(lambda: limits.verifying(IP1))


# code tries ---------------------------------------------------------------------------------------

R1, R2, R3 = (f"request-{n}-" + "x" * 35 for n in (1, 2, 3))


@pytest.mark.parametrize("attempts", [1, 3, 5])
def test_code_tries_are_granted_up_to_the_configured_count(storage_uri: str, attempts: int) -> None:
    limits = _limits(storage_uri, code_attempts=attempts)
    answers = [limits.code_attempt(R1, WINDOW) for _ in range(attempts + 2)]
    assert answers == [True] * attempts + [False] * 2


def test_code_tries_are_counted_per_request(storage_uri: str) -> None:
    # Two requests for one address (the owner's and a stranger's): each has its own tries.
    limits = _limits(storage_uri, code_attempts=2)
    assert limits.code_attempt(R1, WINDOW) is True
    assert limits.code_attempt(R2, WINDOW) is True
    assert limits.code_attempt(R1, WINDOW) is True
    assert limits.code_attempt(R1, WINDOW) is False
    assert limits.code_attempt(R3, WINDOW) is True
    assert limits.code_attempt(R2, WINDOW) is True


def test_code_tries_are_counted_for_the_window_only(redis_uri: str) -> None:
    # Redis shows the expiry without waiting for it.
    limits = _limits(redis_uri)
    limits.code_attempt(R1, WINDOW)
    limits.code_attempt(R1, WINDOW)
    storage = limits.storage
    assert isinstance(storage, RedisStorage)
    (key,) = [k for k in _keys(storage) if "code-try" in k]
    assert 0 < storage.get_connection().ttl(key) <= WINDOW


def _race_for_tries(limits: RateLimits, request_id: str, racers: int) -> list[bool]:
    """``racers`` threads claiming a try at once: what each was granted."""
    barrier = threading.Barrier(racers)
    granted: list[bool] = []

    def claim() -> None:
        barrier.wait()
        granted.append(limits.code_attempt(request_id, WINDOW))

    threads = [threading.Thread(target=claim) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return granted


def test_concurrent_code_tries_are_granted_no_more_than_the_count(storage_uri: str) -> None:
    # Threads switched as often as the interpreter allows, on a new key each time: the
    # memory storage's own first increment is not atomic then.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for trial in range(40):
            limits = _limits(storage_uri, code_attempts=5)
            granted = _race_for_tries(limits, f"{R1}-{trial}", 30)
            assert sorted(granted) == [False] * 25 + [True] * 5, trial
    finally:
        sys.setswitchinterval(interval)


# limits=None ------------------------------------------------------------------------------------


def test_disabled_never_refuses(storage_uri: str) -> None:
    limits = _limits(
        storage_uri,
        per_address="1 per hour",
        per_network="1 per hour",
        verify="1 per hour",
        limits=None,
    )
    for _ in range(25):
        limits.sending(ADA, IP1)
        limits.verifying(IP1)


def test_disabled_still_counts_code_tries(storage_uri: str) -> None:
    # Five tries per code whatever the rate limits: a code is 8 characters, and unlimited
    # guesses would make it guessable.
    limits = _limits(storage_uri, code_attempts=2, limits=None)
    assert [limits.code_attempt(R1, WINDOW) for _ in range(3)] == [True, True, False]


def test_disabled_writes_nothing_to_redis(redis_uri: str) -> None:
    limits = _limits(redis_uri, limits=None)
    limits.sending(ADA, IP1)
    limits.verifying(IP1)
    assert isinstance(limits.storage, RedisStorage)
    assert _keys(limits.storage) == []


# Shared between instances (Redis), or not (memory) ------------------------------------------------


def test_two_instances_on_one_redis_count_together(redis_uri: str) -> None:
    options = {"per_address_total": "2 per hour", "verify": "2 per hour"}
    first = _limits(redis_uri, **options)
    second = _limits(redis_uri, **options)
    first.sending(ADA, IP1)
    second.sending(ADA, IP2)
    assert _refused(lambda: first.sending(ADA, IP3))
    assert _refused(lambda: second.sending(ADA, IP3))
    first.verifying(IP1)
    second.verifying(IP1)
    assert _refused(lambda: first.verifying(IP1))
    # Code tries too: four on one machine and one on another make five.
    first = _limits(redis_uri, code_attempts=5)
    second = _limits(redis_uri, code_attempts=5)
    assert [first.code_attempt(R1, WINDOW) for _ in range(4)] == [True] * 4
    assert second.code_attempt(R1, WINDOW) is True
    assert first.code_attempt(R1, WINDOW) is False


def test_two_memory_instances_count_apart() -> None:
    first = _limits("memory://", per_address="1 per hour", code_attempts=1)
    second = _limits("memory://", per_address="1 per hour", code_attempts=1)
    first.sending(ADA, IP1)
    second.sending(ADA, IP1)
    assert _refused(lambda: first.sending(ADA, IP1))
    assert first.code_attempt(R1, WINDOW) is True
    assert second.code_attempt(R1, WINDOW) is True


# What Redis holds ---------------------------------------------------------------------------------


def _keys(storage: RedisStorage) -> list[str]:
    return sorted(key.decode() for key in storage.get_connection().scan_iter(count=1000))


def _value(connection: Any, key: str) -> str:
    """What Redis holds at ``key``, as text (the counters are lists and strings)."""
    kind = connection.type(key).decode()
    if kind == "list":
        values = connection.lrange(key, 0, -1)
    elif kind == "string":
        values = [connection.get(key)]
    else:
        raise AssertionError(f"{key} is a {kind}: look at what it holds")
    return " ".join(value.decode() for value in values)


def test_redis_holds_no_address_or_ip_in_clear_and_every_key_expires(redis_uri: str) -> None:
    limits = _limits(redis_uri)
    emails = ["ada.king@example.com", "Zo\u00eb.Lovelace+tag@Example.co.uk", "o'brien@x.example"]
    ips = [IP1, IP3]
    for email in emails:
        for ip in ips:
            limits.sending(email, ip)
    limits.code_attempt(R1, WINDOW)
    for ip in ips:
        limits.verifying(ip)
    storage = limits.storage
    assert isinstance(storage, RedisStorage)
    connection = storage.get_connection()
    keys = _keys(storage)
    assert keys
    stored = "\n".join(f"{key} = {_value(connection, key)}" for key in keys).lower()
    assert "@" not in stored
    for clear in [*emails, *ips]:
        for part in clear.lower().split("@"):  # the local part and the domain, each
            assert part not in stored, part
    assert "example" not in stored
    assert "203.0.113" not in stored
    for key in keys:
        assert connection.ttl(key) > 0, f"{key} never expires"


# Through the app --------------------------------------------------------------------------------


#: The limits of the apps of these tests unless they say otherwise.
TWO_PER_HOUR = EmailLimits(per_address="2 per hour")


def _app(
    uri: str,
    outbox: list[SignInEmail],
    limits: EmailLimits | None = TWO_PER_HOUR,
    max_attempts: int = 5,
    **config: Any,
) -> Flask:
    app, _ = make_app(
        MemoryAdapter(),
        providers=[Email(send=outbox.append, rate_limits=limits, max_attempts=max_attempts)],
        AUTH_URL="http://localhost",
        AUTH_RATELIMIT_STORAGE_URI=uri,
        **config,
    )
    return app


def _request_link(client: FlaskClient, email: str) -> int:
    token = csrf_from(client)
    response = client.post("/auth/signin/email", data={"csrf_token": token, "email": email})
    return response.status_code


def test_the_app_builds_its_limits_on_redis(redis_uri: str) -> None:
    app = _app(
        redis_uri,
        [],
        EmailLimits(per_address="2 per hour", per_network="7 per hour", verify="8 per hour"),
        max_attempts=4,
    )
    with app.app_context():
        limits = auth_state().limits
    assert isinstance(limits.storage, RedisStorage)
    assert {name: "; ".join(map(str, items)) for name, items in limits.rules.items()} == {
        "send_per_email": "2 per 1 hour",
        "send_per_email_total": "10 per 10 minute",
        "send_per_ip": "7 per 1 hour",
        "verify_per_ip": "8 per 1 hour",
    }
    assert limits.code_attempts == 4


def test_two_app_instances_on_one_redis_share_the_limit(redis_uri: str) -> None:
    outbox: list[SignInEmail] = []
    first = _app(redis_uri, outbox).test_client()
    second = _app(redis_uri, outbox).test_client()
    assert _request_link(first, ADA) == 302
    assert _request_link(second, ADA) == 302
    assert _request_link(first, ADA) == 429
    assert _request_link(second, ADA) == 429
    assert [message.to for message in outbox] == [ADA, ADA]
    # The address was typed in another case: it is the same address, and the same count.
    assert _request_link(second, "ADA@Example.com") == 429
    assert _request_link(second, BOB) == 302
    assert len(outbox) == 3


def test_two_app_instances_on_memory_count_apart() -> None:
    outbox: list[SignInEmail] = []
    first = _app("memory://", outbox, EmailLimits(per_address="1 per hour")).test_client()
    second = _app("memory://", outbox, EmailLimits(per_address="1 per hour")).test_client()
    assert _request_link(first, ADA) == 302
    assert _request_link(first, ADA) == 429
    assert _request_link(second, ADA) == 302
    assert len(outbox) == 2


def test_the_app_with_rate_limits_disabled_on_redis(redis_uri: str) -> None:
    outbox: list[SignInEmail] = []
    client = _app(redis_uri, outbox, None).test_client()
    for _ in range(4):
        assert _request_link(client, ADA) == 302
    assert len(outbox) == 4


def test_the_429_page_and_json_say_when_to_try_again() -> None:
    outbox: list[SignInEmail] = []
    client = _app("memory://", outbox, EmailLimits(per_address="1 per 10 minutes")).test_client()
    assert _request_link(client, ADA) == 302
    token = csrf_from(client)
    page = client.post("/auth/signin/email", data={"csrf_token": token, "email": ADA})
    assert page.status_code == 429
    assert 540 < int(page.headers["Retry-After"]) <= 600
    assert "Please wait 10 minutes before trying again." in page.get_data(as_text=True)
    answer = client.post(
        "/auth/signin/email",
        data={"csrf_token": token, "email": ADA},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 429
    body = answer.get_json()
    assert body["error"] == "RateLimited"
    assert 540 < body["retryAfter"] <= 600
    assert body["message"] == "Please wait 10 minutes before trying again."
    assert answer.headers["Retry-After"] == str(body["retryAfter"])


def test_the_app_builds_its_global_budget() -> None:
    app = _app("memory://", [], EmailLimits(send_budget="1000 per hour"))
    with app.app_context():
        rules = auth_state().limits.rules
    assert [str(item) for item in rules["send_global"]] == ["1000 per 1 hour"]


@pytest.mark.parametrize("uri", ["nosuch://", "", 6379])
def test_a_bad_storage_uri_stops_the_app_at_start_up(uri: object) -> None:
    config = {"AUTH_URL": "http://localhost", "AUTH_RATELIMIT_STORAGE_URI": uri}
    with pytest.raises(ConfigurationError, match="AUTH_RATELIMIT_STORAGE_URI"):
        make_app(MemoryAdapter(), providers=[Email(send=lambda message: None)], **config)


def test_an_app_without_an_email_provider_limits_nothing() -> None:
    app, _ = make_app(MemoryAdapter(), AUTH_URL="http://localhost")
    with app.app_context():
        assert auth_state().limits.enabled is False


def test_redis_down_is_a_503_not_a_crash(unused_tcp_port: int) -> None:
    outbox: list[SignInEmail] = []
    app = _app(f"redis://127.0.0.1:{unused_tcp_port}/0", outbox, PROPAGATE_EXCEPTIONS=False)
    assert _request_link(app.test_client(), ADA) == 503
    assert outbox == []


@pytest.fixture
def unused_tcp_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
