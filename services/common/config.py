"""Configuration from environment variables; errors name the variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_DATA_DIR = "data"


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class Env:
    """Typed reads of environment variables with safe defaults."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def overlaid(self, values: Mapping[str, str]) -> Env:
        """The same settings with `values` laid over them."""
        return Env({**self._environ, **values})

    def text(self, name: str, default: str) -> str:
        value = self._environ.get(name, "").strip()
        return value or default

    def integer(self, name: str, default: int, minimum: int = 0, maximum: int = 2**31) -> int:
        raw = self._environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(name, f"expected a whole number, got {raw!r}") from None
        if not minimum <= value <= maximum:
            raise ConfigError(name, f"must be between {minimum} and {maximum}, got {value}")
        return value

    def seconds(self, name: str, default: float) -> float:
        raw = self._environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(name, f"expected a number of seconds, got {raw!r}") from None
        if value < 0:
            raise ConfigError(name, f"must not be negative, got {raw}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self._environ.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise ConfigError(name, f"expected true or false, got {raw!r}")

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.text(name, default).lower()
        if value not in allowed:
            raise ConfigError(name, f"expected one of {', '.join(allowed)}, got {value!r}")
        return value


def data_dir(env: Env) -> Path:
    """The local folder for embedded defaults (SQLite files)."""
    return Path(env.text("BILLING_DATA_DIR", DEFAULT_DATA_DIR))


def database_url(env: Env, service: str) -> str:
    """DATABASE_URL, or a SQLite file per service in the data folder."""
    default = f"sqlite:///{data_dir(env) / f'{service}.db'}"
    return env.text("DATABASE_URL", default)


def redis_url(env: Env) -> str:
    return env.text("REDIS_URL", "redis://127.0.0.1:6379/0")
