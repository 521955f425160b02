"""The language switch in the header: Bahasa Indonesia first, English on request."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import open_menu, t

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Book Depok's public facilities"


def test_the_header_switches_to_english_and_back(page, balai_rakyat):
    indonesian_title = t(TITLE)
    assert indonesian_title != TITLE, "the home page's title has no Indonesian text"
    html = page.locator("html")
    heading = page.get_by_role("heading", level=1)

    page.goto("/")
    expect(html).to_have_attribute("lang", "id")
    expect(heading).to_have_text(indonesian_title)

    open_menu(page)
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(re.compile(r"/$"))  # back on the page it was asked from
    expect(html).to_have_attribute("lang", "en")
    expect(heading).to_have_text(TITLE)
    open_menu(page)
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()

    # The choice sticks while browsing.
    page.get_by_role("link", name="Balai Rakyat Beji").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Public facilities")).to_be_visible()

    open_menu(page)
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page).to_have_url(re.compile(f"/fasilitas/{balai_rakyat.slug}/$"))
    expect(html).to_have_attribute("lang", "id")
    expect(page.get_by_role("link", name=t("Public facilities"))).to_be_visible()
    open_menu(page)
    expect(page.get_by_role("link", name=t("Sign in"), exact=True)).to_be_visible()
