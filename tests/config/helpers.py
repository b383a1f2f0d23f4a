"""Helpers of the config tests."""

from __future__ import annotations

from typing import Any

import pytest

from flask_authadapter.config import AuthConfig, load_config
from flask_authadapter.core.errors import ConfigurationError

SECRET = "config-test-secret-" + "s" * 40


def load(**settings: Any) -> AuthConfig:
    """``load_config`` of a config holding a good secret and ``settings``."""
    return load_config({"AUTH_SECRET": SECRET, **settings})


def refused(**settings: Any) -> str:
    """The message of the ConfigurationError that ``settings`` cause."""
    with pytest.raises(ConfigurationError) as info:
        load(**settings)
    return str(info.value)
