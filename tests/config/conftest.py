"""Fixtures of the config tests."""

from __future__ import annotations
