import os
import subprocess
import sys
from pathlib import Path

import pytest

from haidepok.translations import compile_catalogues

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Variables that configure the site; a subprocess test starts from none of them.
CONFIG_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "EMAIL_HOST",
    "MEDIA_STORAGE",
    "MEDIA_ROOT",
    "PRIVATE_MEDIA_ROOT",
    # Set for the browser tests' live server; it would switch off a safety check.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def run_django(code_or_args, env=None, timeout=120):
    """Run Python (a list of manage.py arguments, or code after django.setup()) in a fresh
    process with only the given configuration, so settings are read from scratch."""
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    clean.update(env or {})
    clean["DJANGO_SETTINGS_MODULE"] = "haidepok.settings"
    if isinstance(code_or_args, list):
        command = [sys.executable, "manage.py", *code_or_args]
    else:
        command = [sys.executable, "-c", "import django; django.setup()\n" + code_or_args]
    return subprocess.run(
        command, cwd=PROJECT_DIR, env=clean, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def django_process():
    return run_django


def pytest_configure(config):
    # The Indonesian catalogue is compiled by the build; compile it here too so that a plain
    # `pytest` after editing a .po tests the new text.
    if compile_catalogues():
        # Django may already hold the old catalogue (settings import translations): drop it.
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._default = None


@pytest.fixture(autouse=True)
def _page_cache_on_and_fresh(settings):
    """The page cache is on in every test, also without Redis (one process: the in-memory
    cache is shared by all it runs). A test's rollback sends no signal, so pages cached by an
    earlier test would still look current: a new catalog version, which every cached page
    carries, leaves them unread."""
    from django.core.cache import cache

    from haidepok import page_cache

    settings.PAGE_CACHE = True
    cache.delete(page_cache.CATALOG_VERSION)


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    """Uploaded photos and documents written by tests land in folders of their own, not in
    media/ and private-media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if settings.MEDIA_STORAGE == "local":
        private = settings.STORAGES["private"]
        settings.STORAGES = {
            **settings.STORAGES,
            "private": {
                **private,
                "OPTIONS": {**private["OPTIONS"], "location": tmp_path / "private"},
            },
        }


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, test in a file of this run's own: the race tests' threads each open their
    own connection, which the default in-memory database cannot share, and two runs in one
    checkout (or two xdist workers) must not share one file."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = tmp_path_factory.mktemp("sqlite") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)


@pytest.fixture(autouse=True, scope="session")
def _celery_tasks_in_process():
    """Celery tasks run in-process in tests, whatever REDIS_URL says, so that no test leaves
    messages in a shared Redis for some worker to find. The end-to-end tests of the
    notifications (tests/test_notifications_e2e.py) switch to a real broker, with a queue of
    their own, and a real worker."""
    from haidepok.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's default language: a request with Accept-Language: en
    leaves English active in the thread, and the next test would read English."""
    from django.utils import translation

    translation.activate("id")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_sign_up_rate_limits(settings):
    """allauth limits confirmation mails per address in the cache, which outlives a test
    (and, in Redis, a test run): two tests signing up one address must not share a limit."""
    settings.ACCOUNT_RATE_LIMITS = False
