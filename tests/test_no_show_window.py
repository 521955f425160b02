"""One rule for "nobody came": a booking not checked in may be marked a no-show from the
check-in grace (settings.CHECK_IN_GRACE_MINUTES) after its start until NO_SHOW_GRACE after its
end; a checked-in booking never. The services refuse what the pages do not offer."""

import datetime as dt

import pytest

from bookings import services
from bookings.actions import NO_SHOW_GRACE, Action, allowed_actions, check_in_window, no_show_window
from bookings.errors import BookingError
from bookings.models import BookingStatus
from facilities.models import Facility
from permits.services import booking_check_in
from tests.factories import (
    assert_refused,
    fast_password_hashing,  # noqa: F401 (a fixture)
)
from tests.permits_support import END, START, approve, permit_cast

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

S = BookingStatus


@pytest.fixture
def cast():
    cast = permit_cast(approval=Facility.Approval.COMMUNITY)
    cast.booking = approve(cast, actor=cast.organizer)
    return cast


def mark(cast, now):
    return services.booking_mark_no_show(booking=cast.booking, actor=cast.organizer, now=now)


def refusal_code(cast, now) -> str:
    with pytest.raises(BookingError) as error:
        mark(cast, now)
    cast.booking.refresh_from_db()
    assert cast.booking.status == S.APPROVED
    assert Action.NO_SHOW not in allowed_actions(cast.organizer, cast.booking, now)
    return error.value


def test_the_windows_are_one_definition(cast, settings):
    settings.CHECK_IN_GRACE_MINUTES = 30
    booking = cast.booking

    assert no_show_window(booking) == (START + dt.timedelta(minutes=30), END + NO_SHOW_GRACE)
    assert check_in_window(booking) == (START - dt.timedelta(minutes=60), END)


def test_before_the_start_it_is_not_started(cast):
    assert_refused(refusal_code(cast, START - dt.timedelta(minutes=1)), "not_started")


@pytest.mark.parametrize("minutes", [0, 1, 29])
def test_within_the_grace_the_group_may_still_come(cast, settings, minutes):
    settings.CHECK_IN_GRACE_MINUTES = 30

    error = refusal_code(cast, START + dt.timedelta(minutes=minutes))

    assert_refused(error, "no_show_in_grace")
    assert "30" in error.message


def test_after_the_grace_it_may_be_marked_and_is_offered(cast, settings):
    settings.CHECK_IN_GRACE_MINUTES = 30
    moment = START + dt.timedelta(minutes=30)

    assert Action.NO_SHOW in allowed_actions(cast.organizer, cast.booking, moment)
    mark(cast, moment)

    cast.booking.refresh_from_db()
    assert cast.booking.status == S.NO_SHOW


def test_the_grace_follows_the_setting(cast, settings):
    settings.CHECK_IN_GRACE_MINUTES = 90

    assert_refused(refusal_code(cast, START + dt.timedelta(minutes=60)), "no_show_in_grace")
    mark(cast, START + dt.timedelta(minutes=90))


def test_after_the_no_show_window_it_is_too_late(cast):
    assert_refused(
        refusal_code(cast, END + NO_SHOW_GRACE + dt.timedelta(seconds=1)), "no_show_too_late"
    )


@pytest.mark.parametrize("later", [dt.timedelta(minutes=45), dt.timedelta(hours=5)])
def test_a_checked_in_booking_is_never_a_no_show(cast, later):
    booking_check_in(booking=cast.booking, actor=cast.organizer, now=START)

    assert_refused(refusal_code(cast, START + later), "no_show_checked_in")


def test_a_checked_in_booking_completed_by_the_sweep_is_never_a_no_show(cast):
    booking_check_in(booking=cast.booking, actor=cast.organizer, now=START)
    services.bookings_sweep(now=END)

    with pytest.raises(BookingError) as error:
        mark(cast, END + dt.timedelta(hours=1))

    assert_refused(error.value, "no_show_checked_in")
    cast.booking.refresh_from_db()
    assert cast.booking.status == S.COMPLETED


def test_the_workspace_offers_no_show_exactly_then(client, cast, settings, monkeypatch):
    from haidepok import clock

    settings.CHECK_IN_GRACE_MINUTES = 30
    client.force_login(cast.organizer)
    page_url = f"/kelola/booking/{cast.booking.reference}/"
    button = 'name="action" value="no_show"'

    monkeypatch.setattr(clock, "now", lambda: START + dt.timedelta(minutes=10))
    assert button not in client.get(page_url).content.decode()
    monkeypatch.setattr(clock, "now", lambda: START + dt.timedelta(minutes=40))
    assert button in client.get(page_url).content.decode()
    booking_check_in(
        booking=cast.booking, actor=cast.organizer, now=START + dt.timedelta(minutes=41)
    )
    assert button not in client.get(page_url).content.decode()
