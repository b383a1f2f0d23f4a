"""Fixtures of the sessions tests."""

from __future__ import annotations
