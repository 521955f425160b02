"""The service standard's deadline where deciders work: the admin's booking queue (the "decide
by" column, overdue in red, the filter, pending requests by deadline) and the organizers' list
in the workspace (the column and the order by deadline), each at a fixed number of queries."""

import datetime as dt

import pytest

from bookings.models import Booking, BookingStatus
from haidepok import clock
from tests.admin_support import BOOKINGS, pemkot_staff
from tests.factories import (
    BookingFactory,
    FacilityFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    organizer_of,
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

# Thursday 3 December 2026, 09.00 WIB.
NOW = wib(2026, 12, 3, 9)


@pytest.fixture(autouse=True)
def at_now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def staff(client):
    user = pemkot_staff()
    client.force_login(user)
    return user


def due(booking, moment):
    Booking.objects.filter(pk=booking.pk).update(decision_due_at=moment)
    return booking


def start_in(days: int, hours: int = 0) -> dict:
    start = wib(2026, 12, 10, 9) + dt.timedelta(days=days, hours=hours)
    return {"start": start, "end": start + dt.timedelta(hours=1)}


@pytest.fixture
def queue():
    """Pending requests overdue, due today and on time, and an approved booking (which keeps
    the deadline it had while waiting)."""
    facility = FacilityFactory(approval="city")
    return {
        "on_time": due(BookingFactory(facility=facility, **start_in(0)), wib(2026, 12, 5, 0)),
        "overdue": due(BookingFactory(facility=facility, **start_in(1)), wib(2026, 12, 2, 0)),
        "due_today": due(BookingFactory(facility=facility, **start_in(2)), wib(2026, 12, 3, 15)),
        "approved": due(
            BookingFactory(facility=facility, status=BookingStatus.APPROVED, **start_in(3)),
            wib(2026, 12, 1, 0),
        ),
    }


# --- The admin's queue --------------------------------------------------------------------


def test_the_queue_shows_the_deadline_and_the_time_left(client, staff, queue):
    html = client.get(BOOKINGS).content.decode()

    assert "Decide by" in html
    # Overdue: in words, in red (a class the admin's stylesheet colours).
    assert 'Tuesday, 1 December<br><strong class="hd-overdue">overdue by 1\xa0day, 9\xa0hours' in (
        html
    )
    assert "Thursday, 3 December, 15.00 WIB<br>" in html
    assert '<span class="hd-deadline-due_today">6\xa0hours left</span>' in html
    assert '<span class="hd-deadline-on_time">1\xa0day, 15\xa0hours left</span>' in html
    # Only one is overdue: the approved booking's old deadline is not.
    assert html.count('class="hd-overdue"') == 1


def test_pending_requests_come_by_deadline_first(client, staff, queue):
    response = client.get(BOOKINGS)

    shown = [booking.pk for booking in response.context["cl"].result_list]
    assert shown == [
        queue["overdue"].pk,
        queue["due_today"].pk,
        queue["on_time"].pk,
        queue["approved"].pk,
    ]


@pytest.mark.parametrize(
    "state, expected",
    [("overdue", ["overdue"]), ("due_today", ["due_today"]), ("on_time", ["on_time"])],
)
def test_the_queue_filters_by_the_service_standard(client, staff, queue, state, expected):
    response = client.get(f"{BOOKINGS}?standard={state}")

    assert [b.pk for b in response.context["cl"].result_list] == [queue[k].pk for k in expected]
    assert "service standard" in [spec.title for spec in response.context["cl"].filter_specs]


def test_an_unknown_filter_value_shows_everything(client, staff, queue):
    response = client.get(f"{BOOKINGS}?standard=soon")

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 4


def test_the_queue_can_be_sorted_by_the_deadline_column(client, staff, queue):
    # The column's header sorts; a decided booking's old deadline does not count.
    response = client.get(BOOKINGS)
    columns = response.context["cl"].list_display
    index = columns.index("decide_by")

    response = client.get(f"{BOOKINGS}?o={index}")

    shown = [booking.pk for booking in response.context["cl"].result_list]
    assert shown[:3] == [queue["overdue"].pk, queue["due_today"].pk, queue["on_time"].pk]


@pytest.mark.parametrize("count", [5, 60])
def test_the_queue_costs_the_same_queries_for_any_number_of_requests(
    client, staff, django_assert_max_num_queries, count
):
    resident = UserFactory()
    facility = FacilityFactory()
    for number in range(count):
        booking = BookingFactory(user=resident, facility=facility, **start_in(0, hours=3 * number))
        due(booking, NOW + dt.timedelta(hours=number - 10))

    with django_assert_max_num_queries(11):
        response = client.get(f"{BOOKINGS}?standard=overdue")
    with django_assert_max_num_queries(11):
        response = client.get(BOOKINGS)

    assert len(response.context["cl"].result_list) == count


# --- The organizers' list -----------------------------------------------------------------


@pytest.fixture
def organizer_queue(client):
    facility = FacilityFactory(approval="community")
    organizer = organizer_of(facility)
    client.force_login(organizer)
    return {
        "approved": BookingFactory(facility=facility, status=BookingStatus.APPROVED, **start_in(0)),
        "on_time": due(BookingFactory(facility=facility, **start_in(1)), wib(2026, 12, 5, 0)),
        "overdue": due(BookingFactory(facility=facility, **start_in(2)), wib(2026, 12, 2, 0)),
    }


def test_the_organizers_list_shows_each_request_s_deadline(client, organizer_queue):
    html = client.get("/kelola/booking/").content.decode()

    assert "Decide by" in html
    assert (
        'Tuesday, 1 December<br><span class="deadline-left deadline-overdue">overdue by '
        "1\xa0day, 9\xa0hours</span>" in html
    )
    assert (
        'Friday, 4 December<br><span class="deadline-left deadline-on_time">1\xa0day, '
        "15\xa0hours left</span>" in html
    )


def test_the_organizers_list_sorts_by_deadline(client, organizer_queue):
    by_start = client.get("/kelola/booking/").context["page"].object_list
    by_deadline = client.get("/kelola/booking/?urutkan=tenggat").context["page"].object_list

    assert [b.pk for b in by_start] == [
        organizer_queue[k].pk for k in ("approved", "on_time", "overdue")
    ]
    assert [b.pk for b in by_deadline] == [
        organizer_queue[k].pk for k in ("overdue", "on_time", "approved")
    ]


def test_the_organizers_list_keeps_its_order_across_pages(client, organizer_queue):
    facility = organizer_queue["approved"].facility
    for number in range(50):
        BookingFactory(facility=facility, status=BookingStatus.APPROVED, **start_in(3, number))

    html = client.get("/kelola/booking/?urutkan=tenggat").content.decode()

    assert "?urutkan=tenggat&amp;halaman=2" in html


@pytest.mark.parametrize("count", [3, 40])
def test_the_organizers_list_costs_the_same_queries_for_any_number_of_requests(
    client, django_assert_max_num_queries, count
):
    facility = FacilityFactory(approval="community")
    client.force_login(organizer_of(facility))
    resident = UserFactory()
    for number in range(count):
        booking = BookingFactory(user=resident, facility=facility, **start_in(0, hours=3 * number))
        due(booking, NOW + dt.timedelta(hours=number - 10))

    with django_assert_max_num_queries(8):
        response = client.get("/kelola/booking/?urutkan=tenggat")

    assert len(response.context["page"].object_list) == count
