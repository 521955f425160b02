"""A member of Pemkot staff decides requests in the admin with a real browser: signs in,
filters the pending requests, rejects one with a reason and approves another."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from bookings.models import Booking, BookingEvent, BookingStatus
from haidepok import clock
from tests.admin_support import pemkot_staff
from tests.browser.helpers import PASSWORD, t
from tests.factories import BookingFactory, FacilityFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def requests_to_decide(transactional_db):
    """Three requests at a hall (two residents) and one booking already approved."""
    hall = FacilityFactory(name="Balai Rakyat Beji", kecamatan="beji")
    siti = UserFactory(full_name="Siti Aminah")
    budi = UserFactory(full_name="Budi Santoso")
    day = clock.local_now().date() + dt.timedelta(days=4)

    def booking(hour, user, purpose, **fields):
        start = clock.local_datetime(day, dt.time(hour))
        return BookingFactory(
            facility=hall,
            user=user,
            start=start,
            end=start + dt.timedelta(hours=2),
            purpose=purpose,
            **fields,
        )

    return {
        "party": booking(8, siti, "Pesta ulang tahun"),
        "posyandu": booking(11, budi, "Posyandu balita"),
        "arisan": booking(14, siti, "Arisan RT 03"),
        "approved": booking(17, budi, "Rapat RW", status=BookingStatus.APPROVED),
    }


def sign_in_to_the_admin(page, email):
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page.locator("#hd-pending")).to_be_visible()


def row_of(page, booking):
    return page.locator("#result_list tbody tr").filter(has_text=booking.reference)


def run_action_on(page, booking, action):
    row_of(page, booking).locator("input.action-select").check()
    page.locator("select[name=action]").select_option(action)
    page.locator("button[name=index]").first.click()


def test_staff_filter_pending_requests_reject_one_with_a_reason_and_approve_another(
    page, artifacts, requests_to_decide
):
    staff = pemkot_staff(full_name="Dewi Lestari")
    party, posyandu, arisan = (requests_to_decide[k] for k in ("party", "posyandu", "arisan"))

    sign_in_to_the_admin(page, staff.email)
    # The dashboard counts the three requests.
    expect(page.locator("#hd-pending .hd-number")).to_have_text("3")

    # The booking list, filtered to the requests that wait for a decision.
    page.goto("/admin/bookings/booking/")
    page.locator("#changelist-filter").get_by_role(
        "link", name=t("Waiting for approval"), exact=True
    ).first.click()
    expect(page).to_have_url(re.compile(r"status__exact=requested"))
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    expect(row_of(page, requests_to_decide["approved"])).to_have_count(0)

    # Reject the party: a page asks for the reason first; an empty one is refused.
    run_action_on(page, party, "reject")
    reason = page.locator("textarea[name=reason]")
    expect(reason).to_be_visible()
    expect(page.locator(".hd-selection")).to_contain_text(party.reference)
    page.screenshot(path=artifacts / "admin-reject-reason.png", full_page=True)
    page.locator("input[type=submit].default").click()
    # Neither the category nor the reason was given: each is refused next to its field.
    expect(page.locator(".errorlist")).to_have_count(2)
    page.locator("select[name=category]").select_option("city_event")
    page.locator("textarea[name=reason]").fill("Balai dipakai untuk kegiatan kelurahan.")
    page.locator("input[type=submit].default").click()

    # Back on the filtered list, with a report; the party is no longer pending.
    expect(page).to_have_url(re.compile(r"status__exact=requested"))
    expect(page.locator(".messagelist .success")).to_contain_text(party.reference)
    expect(page.locator("#result_list tbody tr")).to_have_count(2)

    # Approve the posyandu.
    run_action_on(page, posyandu, "approve")
    expect(page.locator(".messagelist .success")).to_contain_text(posyandu.reference)
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(row_of(page, arisan)).to_have_count(1)
    page.screenshot(path=artifacts / "admin-after-decisions.png", full_page=True)

    # What the database says: each decision went through the services, with its event.
    statuses = dict(Booking.objects.values_list("reference", "status"))
    assert statuses[party.reference] == BookingStatus.REJECTED
    assert statuses[posyandu.reference] == BookingStatus.APPROVED
    assert statuses[arisan.reference] == BookingStatus.REQUESTED
    party.refresh_from_db()
    assert party.decision_reason == "Balai dipakai untuk kegiatan kelurahan."
    assert party.rejection_category == "city_event"
    assert party.decided_by == staff
    assert list(
        BookingEvent.objects.filter(actor=staff)
        .order_by("created_at", "id")
        .values_list("booking__reference", "from_status", "to_status", "reason")
    ) == [
        (party.reference, "requested", "rejected", "Balai dipakai untuk kegiatan kelurahan."),
        (posyandu.reference, "requested", "approved", ""),
    ]

    # The booking's own page shows the trail, and offers only to cancel it now (a no-show
    # once it has started).
    page.goto(f"/admin/bookings/booking/{posyandu.pk}/change/")
    expect(page.locator(".hd-decisions button")).to_have_count(1)
    expect(page.locator("#events-group")).to_contain_text("Dewi Lestari")
    page.screenshot(path=artifacts / "admin-booking-page.png", full_page=True)
