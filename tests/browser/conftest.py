"""Browser tests: a real headless Chromium (Debian's, not Playwright's download) drives the
site served by pytest-django's live server.

Without Chromium these tests skip on a developer's machine and fail on CI (CI=true), where
.ci/run installs it: a CI run must never go green by silently skipping the browser.
"""

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from tests.factories import FacilityFactory, OpeningHoursFactory, UserFactory

# Playwright's sync API keeps an asyncio event loop in the main thread for the whole session,
# so Django would take every ORM call (in these tests and in later ones) for one made from
# async code and refuse it with SynchronousOnlyOperation.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

BROWSER_TESTS = Path(__file__).resolve().parent
ARTIFACTS = BROWSER_TESTS.parent.parent / "test-artifacts"


def find_chromium() -> str | None:
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = find_chromium()
ON_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a browser test: `-m browser` selects them and
    `-m "not browser"` leaves them out."""
    for item in items:
        if BROWSER_TESTS in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def chromium() -> str:
    """The browser's executable; checked before anything launches it."""
    if CHROMIUM is None:
        reason = "Chromium not installed: apt-get install chromium"
        if ON_CI:
            pytest.fail(f"{reason} (on CI the browser tests must run, not skip)", pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium):
    return {
        **browser_type_launch_args,
        "executable_path": chromium,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    """Pages open relative to the live server, in a browser set up as in Depok."""
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "locale": "id-ID",
        "timezone_id": "Asia/Jakarta",
    }


@pytest.fixture
def new_context(new_context):
    """Every context fails fast: a missing element costs 10 s, not the default 30 s."""

    def make(**kwargs):
        context = new_context(**kwargs)
        context.set_default_timeout(10_000)
        return context

    return make


@pytest.fixture
def artifacts() -> Path:
    """test-artifacts/ (git-ignored): screenshots for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def balai_rakyat(transactional_db):
    """A hall open every day 08.00-20.00 with the default policy (24 hours' lead time), so
    every slot from two days ahead on is free; and another facility the search must leave out."""
    facility = FacilityFactory(
        name="Balai Rakyat Beji",
        slug="balai-rakyat-beji",
        kecamatan="beji",
        kelurahan="Beji Timur",
        capacity=80,
        house_rules="Jaga kebersihan. Selesai tepat waktu.",
    )
    for weekday in range(7):
        OpeningHoursFactory(
            facility=facility, weekday=weekday, opens=dt.time(8), closes=dt.time(20)
        )
    FacilityFactory(name="Lapangan Futsal Sukmajaya", kecamatan="sukmajaya")
    return facility


@pytest.fixture
def resident(transactional_db):
    """A signed-up resident with a verified email (password helpers.PASSWORD)."""
    return UserFactory(full_name="Siti Aminah", phone="0812 3456 7890")
