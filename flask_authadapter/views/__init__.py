"""The blueprint (``auth`` unless AUTH_BLUEPRINT_NAME says otherwise): thin views that parse
the request, call a flow, and render.

Every response is ``Cache-Control: no-store``; every POST is CSRF-checked; every redirect
target is same-origin.
"""

from . import account, api, pages, signin
from .blueprint import MAX_FORM_BYTES, blueprint

__all__ = ["MAX_FORM_BYTES", "account", "api", "blueprint", "pages", "signin"]
