"""The example app: ``python -m example`` (or ``make demo``) serves it on 127.0.0.1."""
