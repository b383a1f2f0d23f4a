"""Fixtures of the verification tests."""

from __future__ import annotations
