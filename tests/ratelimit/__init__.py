"""Rate limits on sign-in emails and on redemptions (flask_authadapter.ratelimit).

Each behaviour runs on the default ``memory://`` storage and on a real Redis (the
``redis_server`` fixture), the storage an app running on several machines shares. Through
the app, ``AUTH_RATELIMIT_STORAGE_URI=redis://...`` makes two app instances count together.
"""
