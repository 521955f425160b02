"""The service standard (bookings/service_standard.py): working days across weekends, Indonesian
public holidays and city-wide closures; a request's decision deadline, stored when it is made,
capped at the booking's start; how the resident and the organizers read it."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bookings import service_standard
from bookings.models import Booking, BookingStatus
from bookings.service_standard import (
    Deadline,
    WorkingCalendar,
    add_working_days,
    decision_due_at,
    is_working_day,
    working_days_between,
)
from haidepok import clock
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    FacilityFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
    request_booking,
    wib,
)

D = dt.date


def no_closures() -> WorkingCalendar:
    """Weekends and public holidays only, from 2026 to 2030."""
    return WorkingCalendar.of(D(2026, 1, 1), D(2030, 12, 31), [])


def midnight(year, month, day) -> dt.datetime:
    return wib(year, month, day, 0)


# --- Working days, without the database -------------------------------------------------------


@pytest.mark.parametrize(
    "day, n, expected",
    [
        # Across a weekend: Thursday + 2 is Monday, Friday + 2 is Tuesday, Saturday + 1 Monday.
        (D(2027, 1, 7), 2, D(2027, 1, 11)),
        (D(2027, 1, 8), 2, D(2027, 1, 12)),
        (D(2027, 1, 9), 1, D(2027, 1, 11)),
        # Nyepi (Monday 8 March 2027) and Idul Fitri (Wednesday 10 and Thursday 11 March).
        (D(2027, 3, 5), 2, D(2027, 3, 12)),
        (D(2027, 3, 9), 1, D(2027, 3, 12)),
        # Month end; year end (New Year's Day 2027 is a Friday, Christmas 2026 too).
        (D(2027, 4, 29), 2, D(2027, 5, 3)),
        (D(2026, 12, 24), 2, D(2026, 12, 29)),
        (D(2026, 12, 30), 2, D(2027, 1, 4)),
        (D(2027, 12, 30), 2, D(2028, 1, 3)),
        # Zero working days: the day itself.
        (D(2027, 1, 9), 0, D(2027, 1, 9)),
    ],
)
def test_adding_working_days(day, n, expected):
    assert add_working_days(day, n, calendar=no_closures()) == expected


def test_weekends_and_public_holidays_are_not_working_days():
    calendar = no_closures()
    assert calendar.is_working_day(D(2027, 3, 9))  # a Tuesday
    assert not calendar.is_working_day(D(2027, 3, 6))  # Saturday
    assert not calendar.is_working_day(D(2027, 3, 7))  # Sunday
    assert not calendar.is_working_day(D(2027, 3, 10))  # Idul Fitri
    assert not calendar.is_working_day(D(2027, 8, 17))  # Independence Day, a Tuesday


def test_counting_working_days_between_two_days():
    calendar = no_closures()
    # Friday 5 March 2027 to Friday 12 March: Tuesday 9 and Friday 12 only.
    assert working_days_between(D(2027, 3, 5), D(2027, 3, 12), calendar=calendar) == 2
    assert working_days_between(D(2027, 3, 12), D(2027, 3, 5), calendar=calendar) == 0


def test_a_calendar_refuses_days_it_did_not_load():
    calendar = WorkingCalendar.of(D(2027, 1, 1), D(2027, 1, 31), [])
    with pytest.raises(ValueError):
        calendar.is_working_day(D(2027, 2, 1))


def test_only_a_day_wholly_closed_stops_the_offices():
    calendar = WorkingCalendar.of(
        D(2027, 1, 1),
        D(2027, 1, 31),
        [
            # Tuesday 12 January: all day (and a little more).
            (wib(2027, 1, 11, 22), wib(2027, 1, 13, 1)),
            # Wednesday 13 January: only the morning.
            (wib(2027, 1, 13, 6), wib(2027, 1, 13, 12)),
            # Thursday 14 January: two closures that meet at noon close it all day.
            (midnight(2027, 1, 14), wib(2027, 1, 14, 12)),
            (wib(2027, 1, 14, 12), midnight(2027, 1, 15)),
        ],
    )
    assert not calendar.is_working_day(D(2027, 1, 12))
    assert calendar.is_working_day(D(2027, 1, 13))
    assert not calendar.is_working_day(D(2027, 1, 14))
    assert calendar.is_working_day(D(2027, 1, 11))  # closed only from 22.00


# Any day over five years, any count, any few city-wide closures of up to three days.
days = st.dates(min_value=D(2026, 1, 1), max_value=D(2030, 12, 31))
closures = st.lists(
    st.tuples(
        st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2031, 1, 31)),
        st.integers(min_value=1, max_value=72 * 60),
    ).map(
        lambda pair: (
            pair[0].replace(tzinfo=clock.WIB),
            pair[0].replace(tzinfo=clock.WIB) + dt.timedelta(minutes=pair[1]),
        )
    ),
    max_size=6,
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(day=days, n=st.integers(min_value=0, max_value=15), spans=closures)
def test_adding_n_working_days_then_counting_back_gives_n(day, n, spans):
    calendar = WorkingCalendar.of(D(2026, 1, 1), D(2031, 6, 30), spans)

    later = add_working_days(day, n, calendar=calendar)

    assert working_days_between(day, later, calendar=calendar) == n
    if n:
        assert calendar.is_working_day(later)
        # ...and it is the first such day: the day before it has one fewer.
        assert working_days_between(day, later - dt.timedelta(days=1), calendar=calendar) == n - 1


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    requested=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2030, 12, 1)),
    ahead=st.integers(min_value=0, max_value=30 * 24 * 60),
    spans=closures,
)
def test_the_deadline_is_a_working_day_s_end_or_the_start(requested, ahead, spans):
    requested = requested.replace(tzinfo=clock.WIB)
    start = requested + dt.timedelta(minutes=ahead)
    calendar = WorkingCalendar.of(D(2026, 1, 1), D(2031, 6, 30), spans)

    due = decision_due_at(requested, start, calendar=calendar)

    assert requested <= due <= start
    if due != start:
        # 00.00 WIB at the end of a working day, after the request's own day, with exactly
        # SERVICE_STANDARD_WORKING_DAYS working days from the request's day to it.
        local = clock.to_local(due)
        assert local.time() == dt.time.min
        last_day = local.date() - dt.timedelta(days=1)
        assert last_day > requested.date()
        assert calendar.is_working_day(last_day)
        assert (
            working_days_between(requested.date(), last_day, calendar=calendar)
            == django_settings.SERVICE_STANDARD_WORKING_DAYS
        )


def test_the_request_s_own_day_never_counts():
    # Tuesday 9 March 2027 at 07.00 is a working day; the two days are Friday 12 and Monday 15
    # (Idul Fitri in between).
    due = decision_due_at(wib(2027, 3, 9, 7), wib(2027, 4, 1, 9), calendar=no_closures())
    assert due == midnight(2027, 3, 16)


def test_the_deadline_is_never_after_the_booking_s_start():
    start = wib(2027, 1, 11, 9)  # Monday morning; the deadline would be Tuesday's end
    assert decision_due_at(wib(2027, 1, 8, 15), start, calendar=no_closures()) == start


def test_the_number_of_working_days_is_a_setting(settings):
    settings.SERVICE_STANDARD_WORKING_DAYS = 5
    due = decision_due_at(wib(2027, 1, 7, 10), wib(2027, 2, 1, 9), calendar=no_closures())
    assert due == midnight(2027, 1, 15)  # Fri 8, Mon 11 ... Thu 14, to its end


# --- With the database: city-wide closures --------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_a_city_wide_closure_counts_and_a_facility_s_does_not():
    # Monday 11 January 2027 the city is closed all day; Tuesday only one hall is.
    ClosureFactory(
        facility=None, start=midnight(2027, 1, 11), end=midnight(2027, 1, 12), reason="Pilkada"
    )
    ClosureFactory(
        facility=FacilityFactory(), start=midnight(2027, 1, 12), end=midnight(2027, 1, 13)
    )

    assert not is_working_day(D(2027, 1, 11))
    assert is_working_day(D(2027, 1, 12))
    # Friday 8: Monday is closed, so the two days are Tuesday and Wednesday.
    assert add_working_days(D(2027, 1, 8), 2) == D(2027, 1, 13)
    assert decision_due_at(wib(2027, 1, 8, 10), wib(2027, 2, 1, 9)) == midnight(2027, 1, 14)


@pytestmark_db
def test_a_long_city_wide_closure_is_walked_past():
    # Closed from 1 February to 31 March 2027: longer than one load of the calendar.
    ClosureFactory(facility=None, start=midnight(2027, 2, 1), end=midnight(2027, 4, 1))

    assert add_working_days(D(2027, 1, 29), 1) == D(2027, 4, 1)


@pytestmark_db
def test_a_deadline_costs_one_query(django_assert_num_queries):
    ClosureFactory(facility=None, start=midnight(2027, 1, 11), end=midnight(2027, 1, 12))
    with django_assert_num_queries(1):
        decision_due_at(wib(2027, 1, 8, 10), wib(2027, 2, 1, 9))
    with django_assert_num_queries(1):
        working_days_between(D(2027, 1, 1), D(2027, 3, 1))
    # A start before any possible deadline needs no query at all.
    with django_assert_num_queries(0):
        decision_due_at(wib(2027, 1, 8, 10), wib(2027, 1, 9, 9))


# --- Stored on request -------------------------------------------------------------------------


@pytestmark_db
@pytest.mark.usefixtures("fast_password_hashing")
@pytest.mark.parametrize("approval", ["community", "city"])
def test_a_request_that_waits_stores_its_deadline(approval):
    facility = open_facility(approval=approval, lead_hours=0, horizon_days=365)
    booking = request_booking(
        facility, wib(2027, 3, 22, 9), wib(2027, 3, 22, 11), now=wib(2027, 3, 5, 16)
    )

    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED
    # Friday 5 March: Monday is Nyepi, Tuesday counts, Idul Fitri, Friday 12 counts.
    assert booking.decision_due_at == midnight(2027, 3, 13)


@pytestmark_db
@pytest.mark.usefixtures("fast_password_hashing")
def test_an_automatic_approval_has_no_deadline():
    facility = open_facility(approval="auto", lead_hours=0, horizon_days=365)
    booking = request_booking(
        facility, wib(2027, 3, 22, 9), wib(2027, 3, 22, 11), now=wib(2027, 3, 5, 16)
    )

    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED
    assert booking.decision_due_at is None


@pytestmark_db
@pytest.mark.usefixtures("fast_password_hashing")
def test_a_request_close_to_its_start_is_due_at_its_start():
    facility = open_facility(approval="community", lead_hours=0, horizon_days=365)
    booking = request_booking(
        facility, wib(2027, 1, 11, 9), wib(2027, 1, 11, 11), now=wib(2027, 1, 8, 15)
    )

    booking.refresh_from_db()
    assert booking.decision_due_at == wib(2027, 1, 11, 9)


@pytestmark_db
def test_the_migration_backfills_the_deadlines_of_waiting_requests():
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "bookings.migrations.0012_service_standard_deadlines_supervisors"
    )
    ClosureFactory(facility=None, start=midnight(2027, 1, 11), end=midnight(2027, 1, 12))
    waiting = BookingFactory(start=wib(2027, 2, 1, 9), end=wib(2027, 2, 1, 11))
    soon = BookingFactory(start=wib(2027, 1, 9, 9), end=wib(2027, 1, 9, 11))
    decided = BookingFactory(
        start=wib(2027, 2, 2, 9), end=wib(2027, 2, 2, 11), status=BookingStatus.APPROVED
    )
    Booking.objects.update(created_at=wib(2027, 1, 8, 10))

    migration.backfill_deadlines(apps, None)

    due = dict(Booking.objects.values_list("pk", "decision_due_at"))
    assert due[waiting.pk] == midnight(2027, 1, 14)  # Tuesday and Wednesday (Monday closed)
    assert due[soon.pk] == wib(2027, 1, 9, 9)
    assert due[decided.pk] is None


@pytestmark_db
def test_the_migration_makes_the_supervisors_group():
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=django_settings.SERVICE_STANDARD_SUPERVISORS_GROUP)
    assert {p.codename for p in group.permissions.all()} == {"view_booking"}


# --- How it reads --------------------------------------------------------------------------


def test_the_deadline_in_indonesian_and_english():
    deadline = Deadline(midnight(2026, 12, 5), now=wib(2026, 12, 3, 9))
    with translation.override("id"):
        assert deadline.text() == "Keputusan paling lambat Jumat, 4 Desember"
        assert deadline.left_text() == "sisa 1\xa0hari, 15\xa0jam"
    with translation.override("en"):
        assert deadline.text() == "Decision by Friday, 4 December"
        assert deadline.left_text() == "1\xa0day, 15\xa0hours left"


def test_a_deadline_at_the_start_says_the_hour_and_a_late_one_says_how_late():
    deadline = Deadline(wib(2026, 12, 4, 14, 30), now=wib(2026, 12, 4, 18))
    with translation.override("id"):
        assert deadline.text() == "Keputusan paling lambat Jumat, 4 Desember pukul 14.30 WIB"
        assert deadline.left_text() == "terlambat 3\xa0jam, 30\xa0menit"
    assert deadline.overdue and deadline.state == service_standard.OVERDUE


def test_a_deadline_in_another_year_says_the_year():
    deadline = Deadline(midnight(2027, 1, 5), now=wib(2026, 12, 30, 9))
    with translation.override("id"):
        assert deadline.text() == "Keputusan paling lambat Senin, 4 Januari 2027"


def test_the_states_of_a_deadline():
    now = wib(2026, 12, 3, 9)
    assert Deadline(wib(2026, 12, 3, 8), now).state == service_standard.OVERDUE
    assert Deadline(midnight(2026, 12, 4), now).state == service_standard.DUE_TODAY
    assert Deadline(midnight(2026, 12, 5), now).state == service_standard.ON_TIME


@pytestmark_db
@pytest.mark.usefixtures("fast_password_hashing")
def test_the_resident_reads_the_deadline_on_the_booking_page(client, monkeypatch):
    resident = UserFactory()
    booking = BookingFactory(user=resident, facility=FacilityFactory(approval="city"))
    Booking.objects.filter(pk=booking.pk).update(decision_due_at=midnight(2026, 12, 5))
    monkeypatch.setattr(clock, "now", lambda: wib(2026, 12, 3, 9))
    client.force_login(resident)

    html = client.get(f"/booking-saya/{booking.reference}/").content.decode()

    assert "Keputusan paling lambat Jumat, 4 Desember" in html
    assert "deadline-left" not in html  # the time left is for the organizers


@pytestmark_db
@pytest.mark.usefixtures("fast_password_hashing")
def test_a_decided_booking_shows_no_deadline(client):
    resident = UserFactory()
    booking = BookingFactory(user=resident, status=BookingStatus.APPROVED)
    Booking.objects.filter(pk=booking.pk).update(decision_due_at=midnight(2026, 12, 5))
    client.force_login(resident)

    html = client.get(f"/booking-saya/{booking.reference}/").content.decode()

    assert "paling lambat" not in html


@pytestmark_db
@pytest.mark.usefixtures("fast_password_hashing")
def test_the_organizers_read_the_time_left_or_how_late_it_is(client, monkeypatch):
    facility = FacilityFactory(approval="community")
    booking = BookingFactory(facility=facility)
    Booking.objects.filter(pk=booking.pk).update(decision_due_at=midnight(2026, 12, 5))
    client.force_login(organizer_of(facility))
    url = f"/kelola/booking/{booking.reference}/"

    monkeypatch.setattr(clock, "now", lambda: wib(2026, 12, 3, 9))
    html = client.get(url).content.decode()
    assert "Keputusan paling lambat Jumat, 4 Desember" in html
    assert "(sisa 1\xa0hari, 15\xa0jam)" in html
    assert "deadline-on_time" in html

    monkeypatch.setattr(clock, "now", lambda: wib(2026, 12, 5, 2))
    html = client.get(url).content.decode()
    assert "(terlambat 2\xa0jam)" in html
    assert "deadline-overdue" in html
