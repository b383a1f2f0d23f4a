"""Tests of the example app (``example/``) and of the one-command demo (``python -m example``)."""
