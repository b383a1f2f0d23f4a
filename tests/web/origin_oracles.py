"""Two oracles for redirect targets: the origin a reference parse gives, and the one
a browser's URL resolution gives (what safe_redirect's answers are checked against)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urljoin, urlsplit


def _default_port(scheme: str) -> int:
    return {"http": 80, "https": 443}[scheme]


def _norm_host(host: str) -> str:
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        pass
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    return host.lower()


def _reference_origin(base_url: str) -> tuple[str, str, int]:
    """The origin of a well-formed base URL, by ``urllib.parse``."""
    parts = urlsplit(base_url)
    scheme = parts.scheme.lower()
    assert parts.hostname is not None
    return (scheme, _norm_host(parts.hostname), parts.port or _default_port(scheme))


def _resolved_origin(base_url: str, target: str) -> tuple[str, str, int] | None:
    """The origin of ``target`` resolved against ``base_url`` by ``urljoin``."""
    parts = urlsplit(urljoin(base_url, target))
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return (scheme, _norm_host(parts.hostname), port or _default_port(scheme))


_C0_OR_SPACE = "".join(chr(code) for code in range(0x21))


def _browser_origin(base_url: str, target: str) -> tuple[str, str, int] | None:
    """The origin a browser would give ``target`` resolved against ``base_url``.

    A rough model of the WHATWG URL parser for the special schemes, lenient where browsers
    are: it strips leading and trailing C0 controls and spaces, removes every tab and
    newline, reads a backslash as a slash, skips any number of slashes before a host,
    takes the host after the last ``@`` and percent-decodes it. ``None`` for another
    scheme or no usable host.
    """
    base = _reference_origin(base_url)
    ref = target.strip(_C0_OR_SPACE)
    ref = re.sub(r"[\t\n\r]", "", ref).replace("\\", "/")
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", ref)
    if match:
        scheme = match.group(1).lower()
        rest = ref[match.end() :]
        if scheme not in ("http", "https"):
            return None
        if scheme == base[0] and not rest.startswith("/"):
            return base  # "https:x" against an https base is a relative reference
        after = rest.lstrip("/")
    elif ref.startswith("//"):
        scheme = base[0]
        after = ref.lstrip("/")
    else:
        return base
    authority = re.split(r"[/?#]", after, maxsplit=1)[0].rpartition("@")[2]
    if authority.startswith("["):
        host, _, port_text = authority.partition("]")
        host += "]"
        port_text = port_text.removeprefix(":")
    else:
        host, _, port_text = authority.partition(":")
    host = unquote(host)
    if not host or host == "[]":
        return None
    try:
        host = _norm_host(host)
    except UnicodeError:
        return None
    if port_text and not (port_text.isascii() and port_text.isdigit()):
        return None
    return (scheme, host, int(port_text) if port_text else _default_port(scheme))
