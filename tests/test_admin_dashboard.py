"""The staff dashboard on the admin's index page: pending requests (and how many are overdue by
the service standard), today's bookings per facility, communities waiting for verification."""

import datetime as dt

import pytest

from bookings.models import Booking, BookingStatus
from communities.models import Community
from haidepok import clock
from tests.admin_support import pemkot_staff
from tests.factories import (
    BookingFactory,
    CommunityFactory,
    FacilityFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


@pytest.fixture
def staff(client, settings):
    user = pemkot_staff()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return user


def requested_ago(age: dt.timedelta, due_in: dt.timedelta = dt.timedelta(days=1), **fields):
    """A request made `age` ago and due to be decided `due_in` from now (negative: overdue),
    each at its own time (they may share a facility)."""
    requested_ago.count += 1
    start = clock.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(
        days=3, hours=3 * requested_ago.count
    )
    booking = BookingFactory(start=start, end=start + dt.timedelta(hours=2), **fields)
    Booking.objects.filter(pk=booking.pk).update(
        created_at=clock.now() - age, decision_due_at=clock.now() + due_in
    )
    booking.refresh_from_db()
    return booking


requested_ago.count = 0


def today_at(hour: int) -> dt.datetime:
    return clock.local_datetime(clock.local_now().date(), dt.time(hour))


def test_the_dashboard_counts_what_waits_for_staff(client, staff):
    city = FacilityFactory(name="Balai Rakyat Beji", approval="city")
    community_run = FacilityFactory(name="Taman Lembah Gurame", approval="community")
    # Overdue is by the deadline in working days, not by age: the first two are overdue; the
    # third waited four days over a long weekend and is still on time.
    most_overdue = requested_ago(dt.timedelta(days=3), due_in=-dt.timedelta(days=1), facility=city)
    requested_ago(dt.timedelta(days=1), due_in=-dt.timedelta(minutes=1), facility=community_run)
    requested_ago(dt.timedelta(days=4), due_in=dt.timedelta(hours=5), facility=city)
    requested_ago(dt.timedelta(hours=1), due_in=dt.timedelta(days=2), facility=city)
    BookingFactory(status=BookingStatus.APPROVED)  # decided: waits for nobody

    # Today: two at the hall (one approved, one waiting), one at the park; and what does not
    # take place (rejected, cancelled) or not today.
    BookingFactory(
        facility=city,
        start=today_at(8),
        end=today_at(10),
        status=BookingStatus.APPROVED,
    )
    BookingFactory(facility=city, start=today_at(14), end=today_at(16))
    BookingFactory(facility=community_run, start=today_at(9), end=today_at(10), status="completed")
    BookingFactory(facility=city, start=today_at(11), end=today_at(12), status="rejected")
    BookingFactory(facility=community_run, start=today_at(11), end=today_at(12), status="cancelled")
    BookingFactory(
        facility=city, start=today_at(9) + dt.timedelta(days=1), status=BookingStatus.APPROVED
    )

    waiting = CommunityFactory(name="Karang Taruna Limo", status=Community.Status.PENDING)
    CommunityFactory(status=Community.Status.PENDING)
    CommunityFactory(status=Community.Status.DECLINED)
    Community.objects.filter(pk=waiting.pk).update(created_at=clock.now() - dt.timedelta(days=9))

    response = client.get("/admin/")

    dashboard = response.context["dashboard"]
    # Four requests from before and the one waiting today (14:00).
    assert dashboard.pending == 5
    assert dashboard.pending_overdue == 2
    assert dashboard.pending_city == 4
    assert dashboard.pending_due_first[0] == most_overdue
    assert [
        (row.name, row.total, row.approved, row.requested) for row in dashboard.facilities_today
    ] == [
        ("Balai Rakyat Beji", 2, 1, 1),
        ("Taman Lembah Gurame", 1, 1, 0),
    ]
    assert dashboard.bookings_today == 3
    assert dashboard.communities_waiting == 2
    assert dashboard.oldest_communities[0] == waiting

    html = response.content.decode()
    assert "requests overdue by the service standard" in html
    assert "/admin/bookings/booking/?standard=overdue" in html
    assert "more than two days" not in html
    assert most_overdue.reference in html and "Karang Taruna Limo" in html
    # The list says how late each is, in words and in red.
    assert '<strong class="hd-overdue">overdue by 1\xa0day</strong>' in html
    assert f"/admin/facilities/facility/{city.pk}/calendar/?day=" in html


def test_the_dashboard_of_a_quiet_day(client, staff):
    response = client.get("/admin/")

    dashboard = response.context["dashboard"]
    assert (dashboard.pending, dashboard.pending_overdue, dashboard.bookings_today) == (0, 0, 0)
    assert dashboard.communities_waiting == 0
    html = response.content.decode()
    assert "No request is waiting." in html and "No booking today." in html


def test_the_dashboard_costs_a_fixed_number_of_queries(
    client, staff, django_assert_max_num_queries
):
    resident = UserFactory()
    for hour in range(8, 20):
        BookingFactory(
            user=resident, start=today_at(hour), end=today_at(hour) + dt.timedelta(hours=1)
        )
    for _ in range(10):
        requested_ago(dt.timedelta(days=3), user=resident)
        CommunityFactory(status=Community.Status.PENDING)

    with django_assert_max_num_queries(12):
        response = client.get("/admin/")

    assert response.context["dashboard"].pending == 22


def test_a_staff_member_without_booking_permissions_sees_no_booking_numbers(client):
    user = UserFactory(is_staff=True, pemkot_staff=False)
    client.force_login(user)
    BookingFactory()

    response = client.get("/admin/")

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert not dashboard.show_bookings and not dashboard.show_communities
    assert dashboard.pending == 0


def test_the_dashboard_is_the_bookings_apps_and_the_project_package_imports_no_app():
    """haidepok/ is the project (settings, URLs, the admin site, what every app shares): it
    knows no domain app. The dashboard belongs to bookings, which gives it to the admin site's
    index page (bookings/admin/__init__.py: add_index_context)."""
    from django.contrib import admin

    from bookings.admin import dashboard
    from tests.test_import_graph import imported_names, project_modules

    domain = {"accounts", "bookings", "communities", "facilities"}
    for module, path in project_modules().items():
        if module.split(".")[0] != "haidepok":
            continue
        imported = {name for name in imported_names(module, path) if name.split(".")[0] in domain}
        assert not imported, (module, imported)
    assert dashboard in admin.site._index_context


def test_the_index_links_the_unpaid_invoices_and_the_rekap_for_staff_who_see_invoices(client):
    staff = pemkot_staff()
    client.force_login(staff)

    html = client.get("/admin/").content.decode()

    assert "/admin/payments/invoice/?state__exact=unpaid" in html
    assert "/admin/payments/invoice/rekap/" in html


def test_the_index_has_no_retribusi_links_for_staff_who_cannot_see_invoices(client):
    client.force_login(UserFactory(is_staff=True, pemkot_staff=False))

    html = client.get("/admin/").content.decode()

    assert "/admin/payments/invoice/rekap/" not in html
