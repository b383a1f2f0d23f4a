"""The blueprint (``auth`` unless AUTH_BLUEPRINT_NAME says otherwise): thin views that parse
the request, call a flow, and render.

Every response is ``Cache-Control: no-store``; every POST is CSRF-checked; every redirect
target is same-origin.
"""

# Importing the view modules registers their routes on the blueprint.
from . import account, api, pages, signin  # noqa: F401
from .blueprint import MAX_FORM_BYTES as MAX_FORM_BYTES
from .blueprint import blueprint as blueprint
