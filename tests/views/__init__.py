"""The ``auth`` blueprint's routes over HTTP, on a real database (SQLite and PostgreSQL).

Every page and JSON endpoint, the security headers every response carries, the pages'
same-origin-only resources, template overriding, the app's own pages (AUTH_PAGES), and
basic accessibility of the rendered HTML.
"""
