"""The pages offer a decision exactly when the service behind it would accept it: the
organizer's booking page, the resident's, and the staff admin all ask bookings.actions."""

import datetime as dt

import pytest

from bookings.actions import Action, allowed_actions
from bookings.models import BookingStatus
from facilities.models import Facility
from haidepok import clock
from tests.factories import (
    BookingFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

S = BookingStatus


def hour_from_now(hours: float) -> dt.datetime:
    return clock.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=hours)


def booking_at(facility, start, status, hours=2):
    return BookingFactory(
        facility=facility, start=start, end=start + dt.timedelta(hours=hours), status=status
    )


def offered(client, user, booking) -> set[str]:
    client.force_login(user)
    page = client.get(f"/kelola/booking/{booking.reference}/").content.decode()
    return {action for action in Action if f'name="action" value="{action}"' in page}


@pytest.mark.parametrize(
    ("approval", "status", "start_in", "expected"),
    [
        # Organizers decide where the facility delegates to them, not where the city does.
        ("community", S.REQUESTED, 48, {"approve", "reject", "cancel"}),
        ("city", S.REQUESTED, 48, {"cancel"}),
        # A request whose start has passed can no longer be approved.
        ("community", S.REQUESTED, -1, {"reject", "cancel"}),
        # No-show once it started, not before; and still after the sweep completed it.
        ("community", S.APPROVED, 48, {"cancel"}),
        ("community", S.APPROVED, -1, {"cancel", "no_show"}),
        ("community", S.COMPLETED, -10, {"no_show"}),
        ("community", S.COMPLETED, -60, set()),
        ("community", S.CANCELLED, 48, set()),
    ],
)
def test_the_organizer_is_offered_what_the_services_accept(
    client, approval, status, start_in, expected
):
    facility = open_facility(approval=approval)
    organizer = organizer_of(facility)
    booking = booking_at(facility, hour_from_now(start_in), status)

    assert offered(client, organizer, booking) == expected
    assert set(allowed_actions(organizer, booking, clock.now())) == expected


def test_a_late_no_show_offered_on_the_page_is_recorded(client):
    facility = open_facility(approval=Facility.Approval.COMMUNITY)
    organizer = organizer_of(facility)
    booking = booking_at(facility, hour_from_now(-30), S.COMPLETED)
    client.force_login(organizer)

    client.post(f"/kelola/booking/{booking.reference}/putuskan/", {"action": "no_show"})

    booking.refresh_from_db()
    assert booking.status == S.NO_SHOW


@pytest.mark.parametrize(
    ("status", "start_in", "offered_cancel"),
    [
        (S.REQUESTED, 2, True),  # undecided: withdrawn until it starts
        (S.APPROVED, 2, False),  # within the cancel deadline
        (S.APPROVED, 100, True),
        (S.REQUESTED, -1, False),
    ],
)
def test_the_resident_is_offered_cancelling_when_the_service_accepts_it(
    client, status, start_in, offered_cancel
):
    facility = open_facility(cancel_hours=24)
    booking = booking_at(facility, hour_from_now(start_in), status, hours=3)
    client.force_login(booking.user)

    detail = client.get(f"/booking-saya/{booking.reference}/")

    assert detail.context["can_cancel"] is offered_cancel
    assert (Action.CANCEL in allowed_actions(booking.user, booking, clock.now())) is offered_cancel
    # Nobody else is offered anything.
    assert allowed_actions(UserFactory(), booking, clock.now()) == []


@pytest.mark.parametrize(
    ("status", "start_in", "expected"),
    [
        (S.REQUESTED, 48, ["approve", "reject", "cancel"]),
        (S.REQUESTED, -1, ["reject", "cancel"]),  # too late to approve
        (S.APPROVED, 48, ["cancel"]),
        (S.APPROVED, -1, ["cancel", "mark_no_show"]),
        (S.COMPLETED, -10, ["mark_no_show"]),  # within 48 hours of the end
        (S.COMPLETED, -60, []),
    ],
)
def test_the_admin_offers_what_the_services_accept(client, status, start_in, expected):
    staff = UserFactory(is_staff=True)  # in the Pemkot staff group
    booking = booking_at(open_facility(approval="city"), hour_from_now(start_in), status)
    client.force_login(staff)

    page = client.get(f"/admin/bookings/booking/{booking.pk}/change/")

    assert [name for name, _label in page.context["decisions"]] == expected
