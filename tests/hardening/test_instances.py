"""Several app instances: two gunicorn servers of the same app, on two
ports, sharing one PostgreSQL and one Redis (``AUTH_RATELIMIT_STORAGE_URI=redis://...``),
with the same ``AUTH_SECRET``, as two machines behind a load balancer.

One browser (a ``requests`` session) talks to both: cookies do not depend on the port, so
each instance gets the cookies the other set, as behind one host name. What one instance
does, the other sees: sessions, sign-out, links, the OAuth flow's state, and the rate limits
(counted in Redis, not in each process).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from harness.servers import DatabaseServer, RedisServer
from tests.hardening.apps_under_test import create_tables, db, message_to, sets_session
from tests.hardening.served import HttpBrowser, Served, serve
from tests.mail import MailServer, sign_in_code, sign_in_link

pytestmark = pytest.mark.postgres

ADA = "ada@example.com"


@dataclass
class Site:
    """Two instances of the app, their shared database, Redis and SMTP server."""

    a: Served
    b: Served
    engine: sa.Engine
    redis: RedisServer
    smtp: MailServer

    def browser(self) -> HttpBrowser:
        return HttpBrowser(self.a.url)

    def count(self, name: str) -> int:
        table = db.metadata.tables[name]
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def empty(self) -> None:
        with self.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(sa.delete(table))


@pytest.fixture(scope="module")
def instances(
    postgres_server: DatabaseServer,
    redis_server: RedisServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Site]:
    url = postgres_server.create_database("t_hardening_instances")
    create_tables(url)
    smtp = MailServer().start()
    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "AUTH_RATELIMIT_STORAGE_URI": redis_server.url,
        "MAIL_SERVER": smtp.host,
        "MAIL_PORT": smtp.port,
    }
    logs = tmp_path_factory.mktemp("instances")
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with (
            serve(settings, logs, workers=2, threads=2, name="a") as a,
            serve(settings, logs, workers=2, threads=2, name="b") as b,
        ):
            yield Site(a=a, b=b, engine=engine, redis=redis_server, smtp=smtp)
            for served in (a, b):
                log = served.log()
                assert "Traceback" not in log and "Exception on" not in log, log[-3000:]
    finally:
        engine.dispose()
        smtp.stop()


@pytest.fixture
def site(instances: Site) -> Site:
    instances.empty()
    instances.redis.flush()
    instances.smtp.clear()
    return instances


def test_signed_in_on_one_instance_recognised_on_the_other(site: Site) -> None:
    browser = site.browser()
    answer = browser.sign_in_with_dummy("sub-ada", ADA, base=site.a.url)
    assert answer.status_code == 302 and sets_session(answer)

    assert browser.who(base=site.b.url) == ADA
    assert browser.get("/private", base=site.b.url).text == f"private page of {ADA}"
    assert browser.get("/auth/session", base=site.b.url).json()["user"]["email"] == ADA
    assert site.count("sessions") == 1


def test_signed_out_on_one_instance_anonymous_on_the_other(site: Site) -> None:
    browser = site.browser()
    assert browser.sign_in_with_dummy("sub-ada", ADA, base=site.b.url).status_code == 302
    kept = browser.clone()  # a copy of the cookie jar from before signing out
    assert kept.who(base=site.a.url) == ADA

    assert browser.sign_out(base=site.a.url).status_code == 302

    assert browser.who(base=site.b.url) == "anonymous"
    assert kept.who(base=site.b.url) == "anonymous"  # the old cookie is dead everywhere
    assert kept.get("/auth/session", base=site.a.url).json() is None
    assert site.count("sessions") == 0


def test_a_link_asked_for_on_one_instance_is_redeemed_on_the_other(site: Site) -> None:
    browser = site.browser()
    assert browser.ask_link(ADA, base=site.a.url).status_code == 302
    link = sign_in_link(message_to(site.smtp, ADA))
    assert link.startswith(f"{site.a.url}/auth/callback/email?")

    fields = browser.confirm_form(link, base=site.b.url)
    answer = browser.post_confirm(fields, base=site.b.url)

    assert answer.status_code == 302 and sets_session(answer)
    assert browser.who(base=site.a.url) == ADA
    again = site.browser().post_confirm(fields, base=site.a.url)  # and only once, anywhere
    assert again.status_code == 403


def test_an_oauth_sign_in_started_on_one_instance_finishes_on_the_other(site: Site) -> None:
    browser = site.browser()
    callback = browser.start_dummy("sub-ada", ADA, base=site.a.url)

    answer = browser.get(callback, base=site.b.url)

    assert answer.status_code == 302 and sets_session(answer)
    assert answer.headers["Location"].endswith("/private")
    assert browser.who(base=site.a.url) == ADA


def test_the_email_rate_limit_is_counted_across_instances(site: Site) -> None:
    browser = site.browser()
    for _ in range(3):  # the default: 3 emails per address per 10 minutes
        assert browser.ask_link(ADA, base=site.a.url).status_code == 302

    refused = browser.ask_link(ADA, base=site.b.url)

    assert refused.status_code == 429, refused.text
    assert "Too many attempts" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert len(site.smtp.messages) == 3
    # Per address: another one is still served, by either instance.
    assert browser.ask_link("grace@example.com", base=site.b.url).status_code == 302
    # The counters in Redis name no address.
    with site.redis.client() as client:
        keys = [key.decode() for key in client.keys("*")]
    assert keys and not any("example.com" in key for key in keys), keys


def test_wrong_codes_are_counted_across_instances(site: Site) -> None:
    browser = site.browser()
    assert browser.ask_link(ADA, base=site.a.url).status_code == 302
    received = message_to(site.smtp, ADA)
    right = sign_in_code(received)
    wrong = "2345-6789" if right != "2345-6789" else "3456-789A"
    # The default allows 5 tries: 3 on one instance, 2 on the other void the code.
    for base in (site.a.url, site.a.url, site.a.url, site.b.url, site.b.url):
        assert browser.type_code(wrong, base=base).status_code == 403

    late = browser.type_code(right, base=site.a.url)

    assert late.status_code == 403
    assert not sets_session(late)
    assert site.count("sessions") == 0
    # The code only: the emailed link still signs in, on either instance.
    assert site.count("verification_tokens") == 2
    fields = browser.confirm_form(sign_in_link(received), base=site.b.url)
    assert browser.post_confirm(fields, base=site.b.url).status_code == 302
    assert site.count("verification_tokens") == 0
