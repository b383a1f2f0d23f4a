"""Where a sign-in may send the browser next, and whose requests come from this site.

Pure functions over strings, with no Flask import, so every rule can be tested alone.

:func:`safe_redirect` keeps a ``callbackUrl``/``next`` target only when it cannot leave the
site: a path that starts with exactly one ``/``, or an absolute ``http(s)`` URL with the
site's origin. The rules are deliberately stricter than a browser, so that no parser along
the way (a proxy, a browser's lenient URL parser, a server that percent-decodes a path) can
turn an accepted target into another host:

- the target is at most :data:`MAX_TARGET_LENGTH` characters of printable ASCII: no space,
  tab, newline, NUL or other control character anywhere (browsers silently drop tabs and
  newlines, so ``"/\\t/evil.example"`` would become ``"//evil.example"``), and nothing
  outside ASCII (U+FF0F FULLWIDTH SOLIDUS is a lookalike of ``/``). Percent-encode such
  text first, as ``url_for`` does; Werkzeug's ``request.full_path`` and ``request.url``
  come decoded, so a path with a space or an accent in them falls back to the default;
- no backslash anywhere (browsers read ``"/\\evil.example"`` as ``"//evil.example"``);
- an absolute URL must spell ``http://`` or ``https://`` in full (``"https:evil.example"``
  and ``"http:/evil.example"`` are refused), carry no user information
  (``"https://example.com@evil.example"``), no percent sign in its authority, and match the
  site's scheme, host (compared case-insensitively, IDN as punycode, IPv6 normalised) and
  port (80 and 443 may be left out);
- the path, also after percent-decoding it up to three times (text encoded four or more
  times over is refused outright) and after NFKC normalisation, must not start with
  ``//`` or a backslash or slash lookalike, and must not resolve (dot segments removed,
  ``%2e`` counting as a dot) to one starting with ``//``; nor may the path, query or
  fragment hold a backslash or a control character once decoded (so ``?q=%0A`` is
  refused too).

Same origin is enough: when the site lives under a path prefix (``base_url`` such as
``"https://example.com/app"``), a target elsewhere on ``https://example.com`` is still
accepted, as Auth.js does. The prefix is not a security boundary: a browser gives every
path of an origin the same cookies and the same script access.

An accepted target is returned unchanged, query string and fragment included.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from typing import NamedTuple, TypeGuard
from urllib.parse import unquote

#: Longest redirect target :func:`safe_redirect` accepts, in characters.
MAX_TARGET_LENGTH = 2048

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters a browser treats as, or that look like, a slash or a backslash; NFKC maps
# the fullwidth and small forms to ASCII but leaves these alone.
_SLASHES = frozenset("/\\\u2044\u2215\u2216\u29f5\u29f8\u29f9\ufe68\uff0f\uff3c")
# A host, once lowercased and punycoded: letters, digits, hyphen, dot and underscore.
_HOST_CHARS = re.compile(r"[a-z0-9._-]+")
# Characters that make a URL unusable for an origin: ASCII controls, space, DEL, backslash.
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
# The IDNA 2003 codec maps these differently from the UTS 46 processing that browsers do
# ("faß.de" becomes "fass.de" here and "xn--fa-hia.de" there), so refuse them in a host.
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")
_DECODE_ROUNDS = 3


class _Origin(NamedTuple):
    scheme: str
    host: str
    port: int
    rest: str  # what follows the authority: path, query and fragment, as given

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    def serialise(self) -> str:
        if self.port == _DEFAULT_PORTS[self.scheme]:
            return f"{self.scheme}://{self.host}"
        return f"{self.scheme}://{self.host}:{self.port}"


def safe_redirect(target: object, *, base_url: str, default: str = "/") -> str:
    """``target`` when it stays on the site at ``base_url``; ``default`` otherwise.

    ``target`` may be anything (a query-string value, a form field, ``None``). Only a
    relative path starting with a single ``/`` or an absolute URL with the origin of
    ``base_url`` is accepted, and it is returned unchanged; see the module docstring for
    the full rules. Raises :class:`ValueError` when ``base_url`` is not an absolute
    ``http(s)`` URL.
    """
    base = _base_origin(base_url)
    if _is_safe(target, base):
        return target
    return default


def origin_of(url: str) -> str:
    """The origin of an absolute ``http(s)`` URL, as ``"https://example.com:8443"``.

    The scheme and host are lowercased (an IDN host given as punycode), and the port is
    left out when it is the scheme's default. Raises :class:`ValueError` when ``url`` has
    no ``http(s)`` origin (another scheme, no host, user information, a bad port).
    """
    parsed = _parse_origin(url) if isinstance(url, str) else None
    if parsed is None:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return parsed.serialise()


@functools.lru_cache(maxsize=32)
def _base_origin(base_url: str) -> _Origin:
    parsed = _parse_origin(base_url) if isinstance(base_url, str) else None
    if parsed is None:
        raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
    return parsed


def _parse_origin(url: str) -> _Origin | None:
    """Scheme, host, port and the rest of an absolute ``http(s)`` URL, or ``None``.

    Stricter than a browser: the scheme must be followed by exactly ``//``, the authority
    may hold no user information and no percent sign, and no ASCII control character,
    space or backslash may appear anywhere.
    """
    if _BAD_URL_CHARS.search(url):
        return None
    head = url[:8].lower()
    if head.startswith("https://"):
        scheme, after = "https", url[8:]
    elif head.startswith("http://"):
        scheme, after = "http", url[7:]
    else:
        return None
    end = len(after)
    for delimiter in "/?#":
        found = after.find(delimiter)
        if found != -1:
            end = min(end, found)
    authority, rest = after[:end], after[end:]
    if not authority or "@" in authority or "%" in authority:
        return None
    if authority.startswith("["):
        close = authority.find("]")
        if close == -1:
            return None
        host_text, port_text = authority[: close + 1], authority[close + 1 :]
        if port_text and not port_text.startswith(":"):
            return None
        port_text = port_text[1:]
    else:
        host_text, _, port_text = authority.partition(":")
    host = _normalise_host(host_text)
    if host is None:
        return None
    if not port_text:
        port = _DEFAULT_PORTS[scheme]
    elif port_text.isascii() and port_text.isdigit() and int(port_text) <= 65535:
        port = int(port_text)
    else:
        return None
    return _Origin(scheme, host, port, rest)


def _normalise_host(host: str) -> str | None:
    """``host`` lowercased, IDN as punycode, IPv6 compressed in brackets; ``None`` if bad."""
    if host.startswith("["):
        inner = host[1:-1]
        if not host.endswith("]") or "%" in inner:
            return None
        try:
            address = ipaddress.IPv6Address(inner)
        except ValueError:
            return None
        return f"[{address.compressed}]"
    if not host.isascii():
        if _IDNA_DEVIATIONS.intersection(host):
            return None
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    host = host.lower()
    if not _HOST_CHARS.fullmatch(host) or host.startswith("."):
        return None
    return host


def _is_safe(target: object, base: _Origin) -> TypeGuard[str]:
    if not isinstance(target, str) or not target or len(target) > MAX_TARGET_LENGTH:
        return False
    # Printable ASCII only: no space, control character, DEL or non-ASCII lookalike.
    if not all("!" <= ch <= "~" for ch in target) or "\\" in target:
        return False
    if target.startswith("/"):
        return _safe_local(target)
    parsed = _parse_origin(target)
    if parsed is None or parsed.key != base.key:
        return False
    rest = parsed.rest
    if not rest:
        return True
    if rest[0] in "?#":
        forms = _decodings(rest)
        return forms is not None and all(_clean(text) for text in forms)
    return _safe_local(rest)


def _safe_local(ref: str) -> bool:
    """Whether a reference that starts with ``/`` stays on the origin it is resolved on."""
    forms = _decodings(ref)
    if forms is None:
        return False
    for text in forms:
        if not _clean(text):
            return False
        for form in (text, unicodedata.normalize("NFKC", text)):
            if "\\" in form or (len(form) > 1 and form[1] in _SLASHES):
                return False
            path = re.split(r"[?#]", form, maxsplit=1)[0]
            if _remove_dot_segments(path).startswith("//"):
                return False
    return True


def _decodings(text: str) -> list[str] | None:
    """``text`` and its percent-decodings while they change; ``None`` past the last round.

    Decoding stops after :data:`_DECODE_ROUNDS` rounds; text that a further round would
    still change is nested deeper than any real link and is refused as a whole.
    """
    forms = [text]
    for _ in range(_DECODE_ROUNDS + 1):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            return forms
        forms.append(decoded)
    return None


def _clean(text: str) -> bool:
    """No backslash and no control character (C0, DEL or C1)."""
    return "\\" not in text and not any(unicodedata.category(ch) == "Cc" for ch in text)


def _remove_dot_segments(path: str) -> str:
    """``path`` (starting with ``/``) with ``.`` and ``..`` segments resolved, as browsers do.

    ``%2e`` counts as a dot, in either case, as in the WHATWG URL standard.
    """
    segments = path.split("/")[1:]
    out: list[str] = []
    for index, segment in enumerate(segments):
        dots = segment.lower().replace("%2e", ".")
        last = index == len(segments) - 1
        if dots == "..":
            if out:
                out.pop()
            if last:
                out.append("")
        elif dots == ".":
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)
