"""Typed readers of the environment.

Every setting that comes from the environment goes through one of these, so a typo in a
value fails at startup with the variable's name instead of somewhere deep in a request.
"""

import os
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}: expected a boolean (true/false, 1/0, yes/no), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


_DATABASE_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql"}


def env_database(name: str, default: str) -> dict:
    """Parse a database URL (sqlite:///path or postgres://user:pass@host:port/name)."""
    url = os.environ.get(name) or default
    scheme = urlsplit(url).scheme
    if scheme not in _DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name}: unsupported or malformed database URL {url!r}; "
            "expected sqlite:///path/to/db.sqlite3 or postgres://user:password@host:5432/name"
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as error:  # django-environ raises several kinds on bad input
        raise ImproperlyConfigured(f"{name}: malformed database URL {url!r} ({error})") from None
    if scheme != "sqlite" and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}: the database URL {url!r} names no database")
    return config


def env_redis_url(name: str) -> str:
    url = os.environ.get(name, "").strip()
    if url and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(f"{name}: expected a redis:// URL, got {url!r}")
    return url
