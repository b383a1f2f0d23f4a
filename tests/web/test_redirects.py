"""Tests for ``flask_authadapter.web.redirects``: open-redirect and Origin checks."""

from __future__ import annotations

import re

import pytest

from flask_authadapter.web.redirects import (
    MAX_TARGET_LENGTH,
    origin_of,
    safe_redirect,
)
from tests.web.origin_oracles import _browser_origin, _reference_origin, _resolved_origin

BASE = "https://example.com"
DEFAULT = "/fallback"

# --------------------------------------------------------------------------- accepted

ACCEPTED: list[tuple[str, str]] = [
    # Relative paths with a single leading slash.
    (BASE, "/"),
    (BASE, "/dashboard"),
    (BASE, "/dashboard?x=1#frag"),
    (BASE, "/dashboard?x=1&y=2"),
    (BASE, "/#frag"),
    (BASE, "/?"),
    (BASE, "/a//b"),
    (BASE, "/a/../b"),
    (BASE, "/.well-known/openid-configuration"),
    (BASE, "/a/%2F%2Fevil.example"),  # a browser never decodes %2F in a path
    (BASE, "/search?q=caf%C3%A9"),
    (BASE, "/search?q=100%25"),
    (BASE, "/search?q=a%20b"),
    (BASE, "/?next=https://evil.example"),  # a same-site page; it must check its own input
    (BASE, "/" + "a" * (MAX_TARGET_LENGTH - 1)),
    # Absolute URLs with the site's origin.
    (BASE, "https://example.com"),
    (BASE, "https://example.com/"),
    (BASE, "https://example.com/x?y=1#z"),
    (BASE, "https://example.com?x=1"),
    (BASE, "https://example.com#top"),
    (BASE, "https://EXAMPLE.com/x"),
    (BASE, "HTTPS://example.com/x"),
    (BASE, "https://example.com:443/x"),  # default port written out
    (BASE, "https://example.com:/x"),  # empty port is the default port
    (BASE, "https://example.com:0443/x"),
    ("https://example.com:443", "https://example.com/x"),
    ("https://example.com/", "https://example.com/x"),
    ("http://example.com", "http://example.com:80/x"),
    ("http://example.com:80", "http://example.com/x"),
    ("https://example.com:8443", "https://example.com:8443/x"),
    ("https://example.com:8443", "/x"),
    # Uppercase host in the base URL.
    ("https://EXAMPLE.COM", "https://example.com/x"),
    ("https://Example.Com/", "https://EXAMPLE.COM/x"),
    # A base URL with a path prefix: the same origin is enough.
    ("https://example.com/app", "/app/dashboard"),
    ("https://example.com/app/", "/elsewhere"),
    ("https://example.com/app", "https://example.com/elsewhere"),
    # IPv6 host.
    ("http://[::1]:5000", "/x"),
    ("http://[::1]:5000", "http://[::1]:5000/x"),
    ("http://[::1]:5000", "http://[0:0:0:0:0:0:0:1]:5000/x"),
    ("http://[::1]:5000/", "http://[::1]:5000"),
    ("http://[2001:DB8::1]", "http://[2001:db8::1]/x"),
    # IDN host: the base may be written in Unicode or punycode, a target in punycode.
    ("https://bücher.example", "https://xn--bcher-kva.example/x"),
    ("https://BÜCHER.example", "https://xn--bcher-kva.example/x"),
    ("https://xn--bcher-kva.example", "https://XN--BCHER-KVA.example/x"),
    ("https://bücher.example", "/x"),
    # IPv4 and localhost.
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000/x"),
    ("http://localhost:5000", "http://LOCALHOST:5000/x"),
]


@pytest.mark.parametrize(("base_url", "target"), ACCEPTED)
def test_accepted_target_is_returned_unchanged(base_url: str, target: str) -> None:
    assert safe_redirect(target, base_url=base_url, default=DEFAULT) == target
    assert _resolved_origin(base_url, target) == _reference_origin(base_url)
    assert _browser_origin(base_url, target) == _reference_origin(base_url)


# --------------------------------------------------------------------------- refused

REFUSED_ANY_BASE: list[object] = [
    # Not text, or empty.
    None,
    1,
    1.5,
    b"/dashboard",
    ["/dashboard"],
    object(),
    "",
    # Scheme-relative and backslash tricks.
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "/x\\y",
    "/dashboard?q=\\",
    "https://example.com\\@evil.example",
    "https://example.com/\\evil.example",
    "https://example.com#\\",
    # Other hosts.
    "https://evil.example",
    "https://evil.example/",
    "https://example.com.evil.example",
    "https://example.com.evil.example/x",
    "https://evilexample.com/",
    "https://example.com./",
    "https://example.co/",
    # User information.
    "https://example.com@evil.example",
    "https://example.com@evil.example/x",
    "https://user:pass@example.com/",
    "https://user@example.com/",
    "https://@example.com/",
    "https://example.com%40evil.example/",
    # Dangerous and foreign schemes.
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://example.com/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://example.com/",
    "mailto:a@example.com",
    # Malformed http(s) forms that browsers still turn into another host.
    "https:evil.example",
    "https:/evil.example",
    "http:/evil.example",
    "http:evil.example",
    "https:///evil.example",
    "https:////evil.example",
    "https:\\\\evil.example",
    # Whitespace and control characters anywhere.
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\x0c/evil.example",
    "/\x7f/evil.example",
    " //evil",
    " /dashboard",
    "\t/dashboard",
    "\x00/dashboard",
    "/dashboard ",
    "/dashboard\n",
    "/dashboard\x00",
    "/dash board",
    "/dashboard?q=a b",
    "https://example.com /x",
    " https://example.com/x",
    "/dashboard\r\nSet-Cookie:%20a=b",
    # Percent-encoded variants.
    "%2F%2Fevil.example",
    "%2f%2fevil.example",
    "/%2F/evil.example",
    "/%2F%2Fevil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/x%5Cy",
    "/%252F%252Fevil.example",
    "/%25252F%25252Fevil.example",
    "/%2525252F%2525252Fevil.example",  # encoded four times over
    "/%255Cevil.example",
    "/%09/evil.example",
    "/%0A/evil.example",
    "/%0D%0ALocation:%20https://evil.example",
    "/%00",
    "/search?q=%0A",
    "/search?q=%7F",
    "/search?q=%C2%85",  # C1 control (NEL)
    "https://example.com/%2F%2Fevil.example",
    "https://example.com?%5C",
    "https://exa%6Dple.com/",  # percent-encoding in a host is refused outright
    "https://example.com%2Eevil.example/",
    "https%3A%2F%2Fevil.example",
    "https://example.com/%0A",
    # Dot segments that resolve to a scheme-relative path.
    "/..//evil.example",
    "/.//evil.example",
    "/a/..//evil.example",
    "/a/b/../..//evil.example",
    "/%2e%2e//evil.example",
    "/%2E//evil.example",
    "/.%2e//evil.example",
    "/%252e%252e//evil.example",
    "https://example.com/..//evil.example",
    "https://example.com//evil.example",
    # Non-ASCII lookalikes.
    "\uff0f\uff0fevil.example",  # fullwidth solidus
    "\u2215\u2215evil.example",  # division slash
    "/\u2215evil.example",
    "/\uff0fevil.example",
    "/\u2044evil.example",  # fraction slash
    "/\uff3cevil.example",  # fullwidth reverse solidus
    "/%EF%BC%8F%EF%BC%8Fevil.example",
    "/%EF%BC%8Fevil.example",
    "/%E2%88%95evil.example",
    "/%EF%BC%BCevil.example",
    "/\uff05\uff12\uff26",  # fullwidth "%2F"
    "https://example.com\uff0fevil.example",
    "https://\uff45xample.com/",  # fullwidth "e"
    "/caf\u00e9",
    "/\u0085evil.example",
    "/\u2028evil.example",
    "/\u00a0/evil.example",
    "\u3000//evil.example",
    # Too long.
    "/" + "a" * MAX_TARGET_LENGTH,
    "https://example.com/" + "a" * MAX_TARGET_LENGTH,
    # Other ports and schemes.
    "https://example.com:8443/x",
    "https://example.com:444/",
    "https://example.com:80/",
    "http://example.com/x",
    "http://example.com:443/",
    "https://example.com:99999/",
    "https://example.com:+443/",
    "https://example.com:-1/",
    "https://example.com: 443/",
    "https://example.com:443:443/",
    "https://example.com:0x1bb/",
    "https://example.com:\uff14\uff14\uff13/",  # fullwidth digits
    # Not a URL at all.
    "dashboard",
    "./dashboard",
    "../dashboard",
    "?next=/x",
    "#frag",
    "example.com",
    "evil.example/",
]

REFUSED_FOR_BASE: list[tuple[str, str]] = [
    ("https://example.com/app", "https://evil.example/app"),
    ("https://example.com:8443", "https://example.com/x"),
    ("https://example.com:8443", "https://example.com:443/x"),
    ("http://example.com", "https://example.com/x"),
    ("http://[::1]:5000", "http://[::1]:5001/x"),
    ("http://[::1]:5000", "http://[::1]/x"),
    ("http://[::1]:5000", "http://[::2]:5000/x"),
    ("http://[::1]:5000", "http://[::1%25lo]:5000/x"),
    ("http://[::1]:5000", "http://[::1:5000/x"),
    ("http://[::1]:5000", "http://[::1]x:5000/x"),
    ("http://[::1]:5000", "http://localhost:5000/x"),
    ("http://[::1]:5000", "http://127.0.0.1:5000/x"),
    ("http://[::1]:5000", "http://[::ffff:127.0.0.1]:5000/x"),
    ("http://127.0.0.1:5000", "http://127.1:5000/x"),  # same to a browser; refused anyway
    ("http://127.0.0.1:5000", "http://2130706433:5000/x"),
    ("https://bücher.example", "https://bucher.example/x"),
    ("https://bücher.example", "https://bücher.example/x"),  # non-ASCII: use punycode
    ("https://bücher.example", "https://xn--bcher-kva.example.evil.example/x"),
    ("https://xn--bcher-kva.example", "https://bücher.example/x"),
]


@pytest.mark.parametrize(
    "target", REFUSED_ANY_BASE, ids=lambda v: re.sub(" at 0x[0-9a-f]+", "", repr(v))
)
def test_refused_target_gives_default(target: object) -> None:
    for base_url in (BASE, "https://example.com/app/", "http://example.com:8080"):
        assert safe_redirect(target, base_url=base_url, default=DEFAULT) == DEFAULT


@pytest.mark.parametrize(("base_url", "target"), REFUSED_FOR_BASE)
def test_target_refused_for_base(base_url: str, target: str) -> None:
    assert safe_redirect(target, base_url=base_url, default=DEFAULT) == DEFAULT


def test_default_default_is_root() -> None:
    assert safe_redirect("//evil.example", base_url=BASE) == "/"
    assert safe_redirect(None, base_url=BASE) == "/"


def test_default_is_returned_as_given() -> None:
    # The default is the caller's own, trusted value: it is not checked.
    assert safe_redirect("//evil.example", base_url=BASE, default="/home?x=1") == "/home?x=1"


def test_length_limit_is_inclusive() -> None:
    at_limit = "/" + "a" * (MAX_TARGET_LENGTH - 1)
    assert len(at_limit) == MAX_TARGET_LENGTH
    assert safe_redirect(at_limit, base_url=BASE, default=DEFAULT) == at_limit
    assert safe_redirect(at_limit + "a", base_url=BASE, default=DEFAULT) == DEFAULT


def test_str_subclass_is_returned_as_is() -> None:
    class Text(str):
        pass

    target = Text("/dashboard")
    assert safe_redirect(target, base_url=BASE) is target


@pytest.mark.parametrize(
    "base_url",
    [
        "",
        "example.com",
        "/app",
        "//example.com",
        "ftp://example.com",
        "https://",
        "https:///x",
        "https://user@example.com",
        "https://example.com:99999",
        "https://example.com:x",
        " https://example.com",
        "https://exa mple.com",
        "https://[::1",
        "https://[nothex]",
        "https://fa\u00df.de",  # IDNA 2003 and browsers disagree about "ß"
    ],
)
def test_unusable_base_url_raises(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        safe_redirect("/x", base_url=base_url)
    with pytest.raises(ValueError, match="not an absolute"):
        origin_of(base_url)


# --------------------------------------------------------------------------- origins


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com", "https://example.com"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com/a/b?c=d#e", "https://example.com"),
        ("https://example.com?x", "https://example.com"),
        ("HTTPS://EXAMPLE.COM", "https://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("https://example.com:", "https://example.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("https://example.com:8443/x", "https://example.com:8443"),
        ("http://example.com:80", "http://example.com"),
        ("http://example.com:443", "http://example.com:443"),
        ("https://example.com:80", "https://example.com:80"),
        ("http://[::1]:5000", "http://[::1]:5000"),
        ("http://[0:0::1]:5000/x", "http://[::1]:5000"),
        ("http://[::1]:80", "http://[::1]"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("https://XN--BCHER-KVA.example:8443", "https://xn--bcher-kva.example:8443"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ],
)
def test_origin_of(url: str, expected: str) -> None:
    assert origin_of(url) == expected
    assert origin_of(expected) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "null",
        "example.com",
        "/path",
        "//example.com",
        "ftp://example.com",
        "javascript:alert(1)",
        "https:example.com",
        "https:/example.com",
        "https://",
        "https:///example.com",
        "https://user:pass@example.com",
        "https://example.com@evil.example",
        "https://example.com:99999",
        "https://example.com:abc",
        "https://ex%61mple.com",
        " https://example.com",
        "https://example.com\t",
        "https://example.com\\x",
        "https://[::1",
    ],
)
def test_origin_of_refuses(url: str) -> None:
    with pytest.raises(ValueError, match="not an absolute"):
        origin_of(url)


@pytest.mark.parametrize(
    ("url", "base_url"),
    [
        ("https://example.com", BASE),
        ("https://example.com", "https://example.com/app/"),
        ("https://example.com:443", BASE),
        ("HTTPS://EXAMPLE.COM", BASE),
        ("https://example.com/some/page?x=1", BASE),
        ("https://example.com", "https://EXAMPLE.COM:443/"),
        ("http://[::1]:5000", "http://[::1]:5000/"),
        ("https://xn--bcher-kva.example", "https://bücher.example"),
    ],
)
def test_same_origin(url: str, base_url: str) -> None:
    assert origin_of(url) == origin_of(base_url)


@pytest.mark.parametrize(
    ("url", "base_url"),
    [
        ("null", BASE),
        ("", BASE),
        ("http://example.com", BASE),
        ("https://example.com:8443", BASE),
        ("https://evil.example", BASE),
        ("https://example.com.evil.example", BASE),
        ("https://example.com@evil.example", BASE),
        (" https://example.com", BASE),
        ("https://example.com ", BASE),
        ("//example.com", BASE),
        ("example.com", BASE),
        ("http://[::1]:5001", "http://[::1]:5000"),
        ("http://localhost:5000", "http://[::1]:5000"),
    ],
)
def test_not_same_origin(url: str, base_url: str) -> None:
    try:
        origin = origin_of(url)
    except ValueError:
        return
    assert origin != origin_of(base_url)


def test_origin_of_a_non_text_url_is_refused() -> None:
    with pytest.raises(ValueError, match="not an absolute"):
        origin_of(None)  # type: ignore[arg-type]
