"""Whether the page that signing in or out lands on by default exists in the app.

``AUTH_DEFAULT_REDIRECT`` (``"/"`` unless set) is where the browser goes after signing in
or out without a ``callback_url``. An app without that page shows a 404 right after signing
out. Its routes are only all known once it serves requests (an app may register them after
``init_app``), so the extension checks on the first request and logs a warning.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, Request
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

logger = logging.getLogger("flask_authadapter")


def serves_page(app: Flask, request: Request, url: str) -> bool | None:
    """Whether a GET of ``url`` (a path, or a URL of this site) reaches one of ``app``'s
    routes, matched as ``request`` would be (host, script root); None when the URL lies
    outside the app (above its script root), where the app cannot tell."""
    path = urlsplit(url).path or "/"
    root = request.script_root
    if root:
        if path != root and not path.startswith(root + "/"):
            return None
        path = path[len(root) :] or "/"
    adapter = app.create_url_adapter(request)
    if adapter is None:  # pragma: no cover - never None for a request
        return None
    try:
        adapter.match(path, method="GET")
    except RequestRedirect:  # e.g. the route is "/home/" for "/home": it lands there
        return True
    except (NotFound, MethodNotAllowed):
        return False
    return True


def warn_if_no_default_page(app: Flask, request: Request, default_redirect: str) -> None:
    """Log a warning naming AUTH_DEFAULT_REDIRECT when the app has no page there."""
    if serves_page(app, request, default_redirect) is False:
        logger.warning(
            "AUTH_DEFAULT_REDIRECT is %r, but the app has no page there: signing in or out "
            "without a callback_url ends on a 404. Set AUTH_DEFAULT_REDIRECT to one of the "
            "app's pages, or add a view for %r.",
            default_redirect,
            default_redirect,
        )
