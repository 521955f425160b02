"""axe-core (bundled by axe-playwright-python: no CDN, no npm) finds nothing serious or
critical on the main pages."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.helpers import booking_day, sign_in, t
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db(transaction=True)

BLOCKING = {"serious", "critical"}


def blocking_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['impact']}: {violation['id']} ({violation['help']}) at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


def test_main_pages_have_no_serious_accessibility_violations(page, balai_rakyat, resident):
    booking = BookingFactory(facility=balai_rakyat, user=resident, purpose="Rapat RW 05")
    found = {}

    for path in ("/akun/login/", "/akun/signup/", "/", f"/fasilitas/{balai_rakyat.slug}/"):
        page.goto(path)
        found[path] = blocking_violations(page)

    sign_in(page, resident.email)
    for path in (
        f"/fasilitas/{balai_rakyat.slug}/pesan/?mulai={booking_day().isoformat()}T10:00",
        "/booking-saya/",
        f"/booking-saya/{booking.reference}/",
    ):
        page.goto(path)
        found[path] = blocking_violations(page)

    # Cancelling: the confirmation step, then the booking with the message that it is done.
    page.goto(f"/booking-saya/{booking.reference}/batal/")
    found["cancel booking"] = blocking_violations(page)
    page.get_by_role("button", name=t("Yes, cancel it")).click()
    page.get_by_role("status").wait_for()
    found["cancelled booking, with a message"] = blocking_violations(page)

    # The booking form again, sent empty: its errors must be as accessible as the form.
    page.goto(f"/fasilitas/{balai_rakyat.slug}/pesan/")
    page.get_by_role("button", name=t("Check and continue")).click()
    page.locator(".errorlist").first.wait_for()
    found["booking form with errors"] = blocking_violations(page)

    assert not {path: problems for path, problems in found.items() if problems}
