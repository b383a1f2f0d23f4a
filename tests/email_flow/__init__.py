"""The email sign-in flow end to end, reading the real messages of a real SMTP server.

Every test runs the real extension with the :class:`Email` provider, Flask-Mail sending to
the ``smtp_server`` fixture (aiosmtpd on a free loopback port), and
:class:`SQLAlchemyAdapter` on SQLite and on PostgreSQL (the test ids say which): one
database per backend for the module, emptied before each test. The site's public URL
(``AUTH_URL``) is ``http://app.example`` and every browser talks to it; time is a
:class:`FrozenClock` (only the rate limits count real time).

What is covered: requesting a link (the message's headers, both bodies, the link, the code,
the expiry), the confirm page that opening the link shows (GET and HEAD use nothing up),
redeeming it (new and existing user, same-origin ``callback_url``), reuse, expiry, another
address, tampered tokens, 20 concurrent redemptions, the Host header, enumeration, a new
link leaving the old one working, invalid addresses, the rate limits, the sign-in code (in
the browser that asked, 5 tries per request, voiding the code and never the link), the SMTP
server refusing, down or silent, and no secret in any log record or error page.
"""
