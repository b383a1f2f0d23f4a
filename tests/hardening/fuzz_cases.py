"""Hostile requests: Hypothesis strategies for every field, parameter, cookie, header and
body the ``auth`` blueprint reads (:func:`cases` draws one :class:`Case` for a route)."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

from tests.hardening.fuzz_targets import (
    CSRF_COOKIE,
    CSRF_MARK,
    FLASK_COOKIE,
    FLOW_COOKIE,
    PENDING_COOKIE,
    PROVIDER_HOST,
    SESSION_COOKIE,
    STATE_MARK,
    Route,
)

# =========================================================================== #
# Hostile values
# =========================================================================== #

URLSAFE = string.ascii_letters + string.digits + "-_"
CODE_CHARS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789-"

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "x\r\nSet-Cookie: authadapter.session=evil",
    "%00",
    "%ff%fe",
    "%0d%0aLocation:%20http://evil.example",
    "../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "//evil.example/",
    "/\\evil.example",
    "/%2F/evil.example",
    "https://evil.example/",
    "http://localhost@evil.example/",
    "http://localhost/private",
    "/private?x=%0a",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{% include 'x' %}",
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    "null",
    "None",
    "true",
    "[]",
    "{}",
    "0",
    "-1",
    "1e309",
    "NaN",
    "\u202e",
    "\ufeff",
    "\u0130",
    "ß",
    "\ud7ff",
    "\U0001f600",
    "\uffff",
    "fuzz@example.com",
    "FUZZ@Example.COM ",
    "a@b.co",
    "a@b.co\r\nBcc: victim@example.com",
    "a@b.co,c@d.co",
    "\uff41@b.co",
    "a@xn--.co",
    "a@" + "x" * 70 + ".co",
    "ABCD-EFGH",
    "abcdefgh",
    "dummy",
    "fuzz-1",
    "email",
    "oauth",
    "oidc",
    "1",
    "access_denied",
    "AccessDenied",
    "Verification",
    "Configuration",
    "__proto__",
    "constructor",
    "session-ended",
    "others-ended",
    "auth.css",
    "relay.js",
    CSRF_MARK,
    STATE_MARK,
    f"http://{PROVIDER_HOST}",
]


def _big(chunk: str, size: int) -> str:
    """About ``size`` bytes of UTF-8 made of ``chunk``."""
    return chunk * max(1, size // len(chunk.encode("utf-8")))


emails = st.builds(
    "{}@{}".format,
    st.text(string.ascii_letters + string.digits + ".+-_'!#%", max_size=12),
    st.sampled_from(
        [
            "example.com",
            "b.co",
            "EXAMPLE.COM",
            "xn--bcher-kva.example",
            "b\u00fccher.example",
            "localhost",
            ".com",
            "a..b",
            "-a.com",
            "a.com.",
            "[127.0.0.1]",
            "x" * 64 + ".com",
        ]
    ),
)

big_text = st.builds(
    _big,
    st.sampled_from(["a", "é", "\x00", "%", "/", "\U0001f600", "<", "\r\n", "%ff", "A-"]),
    st.sampled_from([1_000, 10_000, 100_000]),
)

texts = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),  # any Unicode but surrogates (which UTF-8 cannot carry)
    st.text(st.characters(codec="latin-1"), max_size=40),  # C0 / C1 controls, NUL, DEL
    st.text(URLSAFE, min_size=43, max_size=43),  # shaped like a token: reaches the store
    st.text(CODE_CHARS, min_size=8, max_size=9),  # shaped like a sign-in code
    emails,
    big_text,
)

raw_bytes = st.one_of(
    texts.map(lambda t: t.encode("utf-8")),
    st.binary(max_size=40),
    st.sampled_from(
        [b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xe9t\xe9"]
    ),
    st.sampled_from([b"%", b"%%", b"%zz", b"%f", b"+", b"&", b"=", b";", b"\x00"]),
)


def _encode(value: bytes, how: str) -> bytes:
    """``value`` as it goes into a query string or a form body."""
    if how == "quoted":  # %-encoded bytes: arbitrary (invalid UTF-8 included) after decoding
        return quote_from_bytes(value, safe="").encode("ascii")
    if how == "double":
        return quote_from_bytes(quote_from_bytes(value, safe="").encode(), safe="").encode()
    return value  # literal: raw bytes, & and = included, so the structure may break


encodings = st.sampled_from(["quoted", "quoted", "quoted", "literal", "double"])


@st.composite
def pairs(draw: st.DrawFn, fields: tuple[str, ...]) -> list[tuple[bytes, bytes]]:
    """name=value pairs: mostly the route's own fields (repeated at times), some junk; a
    field's value is now and then one a legit browser would send, so that the other
    fields' hostile values reach the code behind the first checks."""
    known = [f.encode() for f in fields] or [b"callback_url"]
    names = st.one_of(
        st.sampled_from(known),
        st.sampled_from(known),
        st.sampled_from([b"csrf_token", b"callback_url", b"email", b"code", b"state", b""]),
        raw_bytes,
    )
    out = []
    for _ in range(draw(st.integers(0, 6))):
        name = draw(names)
        plausible = PLAUSIBLE.get(name.decode("latin-1"))
        if plausible is not None and draw(st.integers(0, 2)) == 0:
            out.append((name, quote_from_bytes(draw(plausible), safe="").encode()))
            continue
        out.append((_encode(name, draw(encodings)), _encode(draw(raw_bytes), draw(encodings))))
    return out


#: Values a legit browser sends in each field (the stand-ins are replaced when sent).
PLAUSIBLE: dict[str, st.SearchStrategy[bytes]] = {
    name: st.sampled_from([v.encode() for v in values])
    for name, values in {
        "email": ["fuzz@example.com", "a@b.co", "new@example.com", "FUZZ@Example.com "],
        "callback_url": ["/private", "/", "http://localhost/private?x=1#y"],
        "state": [STATE_MARK],
        "code": ["ABCD-EFGH", "abcdefgh", "ABCDEFGH"],
        "token": ["A" * 43, "a-_" * 14 + "a"],
        "provider": ["dummy", "oauth"],
        "provider_account_id": ["fuzz-1", "1"],
        "sub": ["1", "fuzz-1", "someone"],
        "error": ["access_denied", "Configuration", "AccessDenied", "server_error"],
        "iss": [f"http://{PROVIDER_HOST}", "https://evil.example"],
        "_relayed": ["1"],
        "verified": ["1"],
        "done": ["session-ended", "others-ended"],
    }.items()
}


def _join(items: list[tuple[bytes, bytes]], bare: bool = False) -> bytes:
    return b"&".join(name if bare and not value else name + b"=" + value for name, value in items)


@dataclass
class Case:
    """One hostile request, with stand-ins for the app's real values (see :func:`send`)."""

    method: str
    tail: bytes
    query: bytes
    body: bytes | None
    content_type: str | None
    headers: dict[str, str]
    cookies: list[tuple[str, str]]  # (name, value); name "" = a raw fragment
    csrf: str  # where the valid CSRF token goes: none, field, header
    session: str  # none, valid, hostile


def latin1(value: bytes) -> str:
    """Bytes as WSGI carries them in the environ (one character per byte)."""
    return value.decode("latin-1")


header_values = st.one_of(
    st.sampled_from(
        [
            "null",
            "http://localhost",
            "HTTP://LOCALHOST:80",
            "http://evil.example",
            "https://localhost",
            "cross-site",
            "same-site",
            "same-origin",
            "none",
            "*/*",
            "application/json",
            "text/html",
            "application/json;q=0.9, text/html;q=abc",
            "*/*;q=-1, application/json;q=1e9",
            ",,,,;;;",
            "localhost",
            "evil.example",
            "localhost:99999",
            "[::1",
            "a b",
            "a/b",
            "localhost:abc",
            "\u00e9.example",
            "",
            " ",
            "bytes=0-0,-1",
            "bytes=99999999-",
            'W/"x", *',
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Mon, 99 Foo 9999",
        ]
    ).map(lambda s: latin1(s.encode("utf-8"))),
    texts.map(lambda t: latin1(t.encode("utf-8"))),
    st.binary(max_size=64).map(latin1),
)

HEADER_NAMES = [
    "Accept",
    "Origin",
    "Sec-Fetch-Site",
    "Sec-Fetch-Mode",
    "Host",
    "User-Agent",
    "Referer",
    "X-CSRF-Token",
    "Accept-Language",
    "Accept-Encoding",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Requested-With",
    "If-None-Match",
    "If-Modified-Since",
    "Range",
    "Authorization",
]

COOKIE_NAMES = [SESSION_COOKIE, CSRF_COOKIE, PENDING_COOKIE, FLOW_COOKIE, FLASK_COOKIE]

RAW_COOKIE_FRAGMENTS = [
    "",
    ";;;",
    "=",
    "a",
    "=b",
    "a=b=c",
    '"',
    f'{SESSION_COOKIE}="unterminated',
    f"{SESSION_COOKIE}",
    f"{SESSION_COOKIE}=",
    f"{CSRF_COOKIE}=a.b.c",
    f"__Host-{SESSION_COOKIE}=x",
    " ; ",
    "\x00",
    "\r\n",
    "a" * 100_000,
    f"{SESSION_COOKIE}=" + "A" * 100_000,
    "$Version=1; $Path=/",
    "\\073",
]

JSON_DOCUMENTS: list[Any] = [
    None,
    0,
    1e308,
    -1,
    "",
    "x",
    [],
    {},
    [[[[[]]]]],
    {"csrf_token": None},
    {"csrf_token": ["a", "b"]},
    {"email": {"$ne": None}},
    {"__proto__": {"admin": True}},
    {"email": ["a@b.co", "c@d.co"]},
    {"code": 12345678},
    {"session": {"a": 1}},
]

BODY_KINDS = ["none", "form", "form", "form", "json", "raw", "multipart", "text", "junk-type"]


@st.composite
def cases(draw: st.DrawFn, route: Route) -> Case:
    """A hostile request for ``route``."""
    method = route.method
    if method == "GET":
        method = draw(st.sampled_from(["GET", "GET", "GET", "HEAD"]))
    tail = b""
    if "{tail}" in route.path:
        tail = draw(
            st.one_of(
                raw_bytes,
                st.sampled_from(
                    [
                        b"..",
                        b"../../etc/passwd",
                        b"auth.css",
                        b"relay.js",
                        b"auth.css\x00.js",
                        b"EMAIL",
                        b"email/",
                        b"%2e%2e",
                        b".",
                        b"dummy\r\n",
                        b"oauth",
                        b"",
                    ]
                ),
            )
        )
    # One case in four is a legit request (a form with the CSRF token and a plausible
    # value first in each field) with hostile extras: repeated fields, headers, cookies, a
    # query. The others are hostile throughout.
    legit = draw(st.integers(0, 3)) == 0
    csrf = "field" if legit else draw(st.sampled_from(["none", "field", "field", "header"]))
    query_items = draw(pairs(route.fields if route.method == "GET" else ()))
    body_kind = draw(
        st.sampled_from(BODY_KINDS if route.method == "POST" else ["none"] * 4 + BODY_KINDS)
    )
    body_items = draw(pairs(route.fields))
    if legit:
        first = [
            (name.encode(), quote_from_bytes(draw(PLAUSIBLE[name]), safe="").encode())
            for name in route.fields
            if name in PLAUSIBLE and draw(st.integers(0, 4)) > 0
        ]
        if route.method == "GET":
            query_items = first + query_items
        else:
            body_kind, body_items = "form", first + body_items
    if csrf == "field":
        at = 0 if legit else draw(st.integers(0, len(body_items)))
        body_items.insert(at, (b"csrf_token", CSRF_MARK.encode()))
    body: bytes | None = None
    content_type: str | None = None
    if body_kind == "form":
        body, content_type = (
            _join(body_items, bare=draw(st.booleans())),
            "application/x-www-form-urlencoded",
        )
    elif body_kind == "json":
        document = draw(
            st.one_of(
                st.just({n.decode("latin-1"): v.decode("latin-1") for n, v in body_items}),
                st.dictionaries(
                    texts, st.none() | st.booleans() | st.integers() | texts, max_size=4
                ),
                st.sampled_from(JSON_DOCUMENTS),
            )
        )
        body = draw(st.sampled_from([json.dumps(document).encode(), b"{", b"\xff{}", b"[" * 5000]))
        content_type = draw(
            st.sampled_from(
                ["application/json", "application/json; charset=latin-1", "application/x-json"]
            )
        )
    elif body_kind == "raw":
        body = draw(
            st.one_of(
                st.binary(max_size=512),
                st.just(b"\xff" * 100_000),
                st.just(b"a=" + b"\xfe" * 100_000),
            )
        )
        content_type = "application/x-www-form-urlencoded"
    elif body_kind == "multipart":
        boundary = b"fuzzboundary"
        parts = b"".join(
            b"--"
            + boundary
            + b'\r\nContent-Disposition: form-data; name="'
            + name
            + b'"\r\n\r\n'
            + value
            + b"\r\n"
            for name, value in body_items
        )
        body = parts + draw(st.sampled_from([b"--" + boundary + b"--\r\n", b"", b"--" + boundary]))
        content_type = draw(
            st.sampled_from(
                [
                    "multipart/form-data; boundary=fuzzboundary",
                    "multipart/form-data",
                    "multipart/form-data; boundary=other",
                    'multipart/form-data; boundary="' + "b" * 5000 + '"',
                ]
            )
        )
    elif body_kind == "text":
        body, content_type = (
            _join(body_items),
            draw(st.sampled_from(["text/plain", "text/html", "application/xml"])),
        )
    elif body_kind == "junk-type":
        body = _join(body_items)
        content_type = draw(header_values)
    headers: dict[str, str] = {}
    for name in draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=4, unique=True)):
        if legit and name in ("Origin", "Sec-Fetch-Site", "X-CSRF-Token"):
            continue
        headers["HTTP_" + name.upper().replace("-", "_")] = draw(header_values)
    if csrf == "header":
        headers["HTTP_X_CSRF_TOKEN"] = CSRF_MARK
    cookies: list[tuple[str, str]] = []
    session = draw(st.sampled_from(["none", "valid", "valid", "hostile"]))
    if session == "valid":
        cookies.append((SESSION_COOKIE, "@valid"))
    elif session == "hostile":
        cookies.append((SESSION_COOKIE, draw(header_values)))
    if legit or (csrf != "none" and draw(st.integers(0, 9)) > 0):  # else the token alone
        cookies.append((CSRF_COOKIE, "@valid"))
    for name in draw(st.lists(st.sampled_from(COOKIE_NAMES), max_size=3)):
        valid = name == FLOW_COOKIE and draw(st.booleans())
        cookies.append((name, "@valid" if valid else draw(header_values)))
    for _ in range(draw(st.integers(0, 2))):
        cookies.append(("", latin1(draw(st.sampled_from(RAW_COOKIE_FRAGMENTS)).encode("utf-8"))))
    cookies = draw(st.permutations(cookies))
    return Case(
        method=method,
        tail=tail,
        query=_join(query_items, bare=draw(st.booleans())),
        body=body,
        content_type=content_type,
        headers=headers,
        cookies=cookies,
        csrf=csrf,
        session=session,
    )
