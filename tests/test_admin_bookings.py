"""Pemkot staff decide bookings in the admin: the actions (through the booking services), the
reason page, per-booking reports, the booking's page, the change list's filters and order."""

import datetime as dt

import pytest
from django.utils import translation

from bookings import services
from bookings.models import Booking, BookingEvent, BookingStatus
from haidepok import clock
from tests.admin_support import (
    BOOKINGS,
    messages_of,
    pemkot_staff,
    run_action,
    send_reason,
    texts_of,
)
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    CommunityFactory,
    FacilityFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


@pytest.fixture
def staff(client):
    user = pemkot_staff(full_name="Dewi Lestari")
    client.force_login(user)
    return user


@pytest.fixture(autouse=True)
def english(client, settings):
    """Pages and messages in English: the Indonesian catalogue gets the admin's texts later."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def decided(booking, status, actor=None):
    """A booking that someone already moved to `status` (through the services)."""
    actor = actor or pemkot_staff()
    if status == BookingStatus.APPROVED:
        return services.booking_approve(booking=booking, actor=actor)
    if status == BookingStatus.REJECTED:
        return services.booking_reject(
            category="other", booking=booking, actor=actor, reason="Sudah penuh"
        )
    if status == BookingStatus.CANCELLED:
        return services.booking_cancel(booking=booking, actor=actor, reason="Ditunda")
    raise ValueError(status)


def statuses(*bookings):
    return [Booking.objects.get(pk=booking.pk).status for booking in bookings]


def last_event(booking) -> BookingEvent:
    return BookingEvent.objects.filter(booking=booking).latest("created_at", "id")


# --- approve -----------------------------------------------------------------------------------


def test_staff_approve_the_selected_requests(client, staff):
    first, second = BookingFactory(), BookingFactory()

    response = run_action(client, "approve", [first, second])

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == BOOKINGS
    assert statuses(first, second) == [BookingStatus.APPROVED, BookingStatus.APPROVED]
    for booking in (first, second):
        event = last_event(booking)
        assert (event.from_status, event.to_status, event.actor) == ("requested", "approved", staff)
        booking.refresh_from_db()
        assert booking.decided_by == staff
    assert messages_of(response) == [
        ("success", f"2 bookings approved: {first.reference}, {second.reference}.")
    ]


def test_approving_a_mixed_selection_reports_each_refusal_and_does_the_rest(client, staff):
    pending = BookingFactory(start=clock.now().replace(microsecond=0) + dt.timedelta(days=2))
    rejected = decided(BookingFactory(), BookingStatus.REJECTED)
    closed = BookingFactory()
    ClosureFactory(facility=closed.facility, start=closed.start, end=closed.end, reason="Banjir")
    events_before = BookingEvent.objects.count()

    response = run_action(client, "approve", [pending, rejected, closed])

    assert statuses(pending, rejected, closed) == [
        BookingStatus.APPROVED,
        BookingStatus.REJECTED,
        BookingStatus.REQUESTED,
    ]
    assert BookingEvent.objects.count() == events_before + 1
    assert messages_of(response) == [
        ("success", f"1 booking approved: {pending.reference}."),
        (
            "error",
            f"{rejected.reference} was not approved: "
            "A booking that is Rejected cannot be approved.",
        ),
        (
            "error",
            f"{closed.reference} was not approved: The facility is closed at that time: Banjir.",
        ),
    ]


def test_a_request_whose_time_has_passed_is_not_approved(client, staff):
    past = BookingFactory(start=clock.now() - dt.timedelta(hours=1))

    response = run_action(client, "approve", [past])

    assert statuses(past) == [BookingStatus.REQUESTED]
    assert texts_of(response) == [
        f"{past.reference} was not approved: That time has already passed."
    ]


# --- reject ------------------------------------------------------------------------------------


def test_reject_first_asks_for_the_reason_on_a_page_of_its_own(client, staff):
    pending, approved = BookingFactory(purpose="Arisan"), BookingFactory()
    decided(approved, BookingStatus.APPROVED)

    response = run_action(client, "reject", [pending, approved])

    assert response.status_code == 200
    assert response.templates[0].name == "admin/reason_action.html"
    page = response.content.decode()
    assert 'name="reason"' in page
    assert pending.reference in page and approved.reference in page
    # The page says beforehand which bookings the action will skip.
    assert "Skipped: A booking that is Approved cannot be rejected." in page
    assert page.count('name="_selected_action"') == 2
    assert statuses(pending, approved) == [BookingStatus.REQUESTED, BookingStatus.APPROVED]


def test_reject_without_a_reason_is_refused(client, staff):
    booking = BookingFactory()

    for reason in ["", "   "]:
        response = send_reason(client, "reject", [booking], reason)

        assert response.status_code == 200
        assert response.templates[0].name == "admin/reason_action.html"
        assert response.context["form"].errors == {"reason": ["Please give a reason."]}
    assert statuses(booking) == [BookingStatus.REQUESTED]
    assert BookingEvent.objects.filter(booking=booking, to_status="rejected").count() == 0


def test_reject_without_a_category_is_refused_and_keeps_the_reason(client, staff):
    booking = BookingFactory()

    for category in ["", "weather"]:
        response = send_reason(client, "reject", [booking], "Dipakai acara RW", category=category)

        assert response.status_code == 200
        assert response.context["form"].errors == {
            "category": [
                "Choose why the request is rejected from the list."
                if not category
                else "Select a valid choice. weather is not one of the available choices."
            ]
        }
        assert "Dipakai acara RW" in response.content.decode()
    assert statuses(booking) == [BookingStatus.REQUESTED]


def test_reject_records_the_category_chosen(client, staff):
    booking = BookingFactory()

    send_reason(client, "reject", [booking], "Ada acara pemkot", category="city_event")

    booking.refresh_from_db()
    assert (booking.status, booking.rejection_category) == ("rejected", "city_event")
    assert booking.decision_reason == "Ada acara pemkot"


def test_reject_with_a_reason_rejects_each_request_and_reports_the_rest(client, staff):
    first, second = BookingFactory(), BookingFactory()
    cancelled = decided(BookingFactory(), BookingStatus.CANCELLED)

    response = send_reason(
        client, "reject", [first, second, cancelled], "  Gedung dipakai acara kelurahan.  "
    )

    assert response.redirect_chain[-1][0] == BOOKINGS
    assert statuses(first, second, cancelled) == [
        BookingStatus.REJECTED,
        BookingStatus.REJECTED,
        BookingStatus.CANCELLED,
    ]
    for booking in (first, second):
        booking.refresh_from_db()
        assert booking.decision_reason == "Gedung dipakai acara kelurahan."
        event = last_event(booking)
        assert (event.to_status, event.reason, event.actor) == (
            "rejected",
            "Gedung dipakai acara kelurahan.",
            staff,
        )
    assert messages_of(response) == [
        (
            "success",
            f"2 bookings rejected: {first.reference}, {second.reference}. "
            "The reason is mailed to each resident.",
        ),
        (
            "error",
            f"{cancelled.reference} was not rejected: "
            "A booking that is Cancelled cannot be rejected.",
        ),
    ]


def test_the_reason_page_keeps_the_change_list_filters(client, staff):
    booking = BookingFactory()
    url = f"{BOOKINGS}?status__exact=requested"

    page = run_action(client, "reject", [booking], url=url)
    assert page.request["QUERY_STRING"] == "status__exact=requested"
    response = send_reason(client, "reject", [booking], "Penuh", url=url)

    assert response.redirect_chain[-1][0] == url
    assert statuses(booking) == [BookingStatus.REJECTED]


def test_rejections_queue_a_mail_to_each_resident(client, staff):
    """The reason reaches the resident through the notification outbox, once it exists."""
    from bookings import models

    notification = getattr(models, "Notification", None)
    if notification is None:
        pytest.skip("the notification outbox is not built yet")
    first, second = BookingFactory(), BookingFactory()
    notification.objects.all().delete()

    send_reason(client, "reject", [first, second], "Penuh")

    rows = notification.objects.filter(kind="rejected")
    if not rows.exists():
        pytest.skip("the booking services do not write notifications yet")
    assert sorted((row.booking_id, row.recipient_id) for row in rows) == sorted(
        [(first.pk, first.user_id), (second.pk, second.user_id)]
    )


# --- cancel and no-show ------------------------------------------------------------------------


def test_cancel_asks_for_a_reason_then_cancels_pending_and_approved_bookings(client, staff):
    pending = BookingFactory()
    approved = decided(BookingFactory(), BookingStatus.APPROVED)
    rejected = decided(BookingFactory(), BookingStatus.REJECTED)

    page = run_action(client, "cancel", [pending, approved, rejected])
    assert page.templates[0].name == "admin/reason_action.html"
    refused = send_reason(client, "cancel", [pending], "")
    assert refused.context["form"].errors == {"reason": ["Please give a reason."]}

    response = send_reason(client, "cancel", [pending, approved, rejected], "Listrik padam")

    assert statuses(pending, approved, rejected) == [
        BookingStatus.CANCELLED,
        BookingStatus.CANCELLED,
        BookingStatus.REJECTED,
    ]
    assert last_event(approved).reason == "Listrik padam"
    assert [level for level, _text in messages_of(response)] == ["success", "error"]
    assert texts_of(response)[1] == (
        f"{rejected.reference} was not cancelled: A booking that is Rejected cannot be cancelled."
    )


def test_mark_no_show_applies_to_approved_bookings_that_have_started(client, staff):
    started = BookingFactory(
        start=clock.now().replace(microsecond=0) - dt.timedelta(hours=1),
        status=BookingStatus.APPROVED,
    )
    upcoming = decided(BookingFactory(), BookingStatus.APPROVED)
    pending = BookingFactory()

    response = run_action(client, "mark_no_show", [started, upcoming, pending])

    assert statuses(started, upcoming, pending) == [
        BookingStatus.NO_SHOW,
        BookingStatus.APPROVED,
        BookingStatus.REQUESTED,
    ]
    assert last_event(started).actor == staff
    assert messages_of(response) == [
        ("success", f"1 booking marked as a no-show: {started.reference}."),
        (
            "error",
            f"{upcoming.reference} was not marked as a no-show: "
            "A no-show can only be recorded once the booking has started.",
        ),
        (
            "error",
            f"{pending.reference} was not marked as a no-show: "
            "A booking that is Waiting for approval cannot be marked as a no-show.",
        ),
    ]


# --- the booking's page ------------------------------------------------------------------------


def test_a_booking_s_page_decides_it_and_comes_back_to_it(client, staff):
    booking = BookingFactory()
    page_url = f"{BOOKINGS}{booking.pk}/change/"

    page = client.get(page_url)
    assert [name for name, _label in page.context["decisions"]] == ["approve", "reject", "cancel"]
    html = page.content.decode()
    assert 'value="approve"' in html and 'name="_from_object"' in html
    # No save button: nothing here is edited by hand.
    assert 'name="_save"' not in html

    form = send_reason(client, "reject", [booking], "Penuh", _from_object="1")

    assert form.redirect_chain[-1][0] == page_url
    assert statuses(booking) == [BookingStatus.REJECTED]
    assert client.get(page_url).context["decisions"] == []


def test_a_booking_s_page_offers_only_the_decisions_its_status_allows(client, staff):
    started = BookingFactory(
        start=clock.now().replace(microsecond=0) - dt.timedelta(hours=1),
        status=BookingStatus.APPROVED,
    )
    upcoming = decided(BookingFactory(), BookingStatus.APPROVED)
    rejected = decided(BookingFactory(), BookingStatus.REJECTED)

    def offered(booking):
        page = client.get(f"{BOOKINGS}{booking.pk}/change/")
        return [name for name, _label in page.context["decisions"]]

    assert offered(started) == ["cancel", "mark_no_show"]
    assert offered(upcoming) == ["cancel"]
    assert offered(rejected) == []


def test_the_status_is_never_edited_by_hand(client, staff):
    booking = BookingFactory()

    response = client.post(
        f"{BOOKINGS}{booking.pk}/change/", {"status": "approved", "purpose": "Lain", "_save": "1"}
    )

    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.purpose) == (BookingStatus.REQUESTED, "Rapat warga")
    page = client.get(f"{BOOKINGS}{booking.pk}/change/")
    assert page.context["adminform"].form.fields == {}


def test_a_booking_s_page_shows_its_events_and_its_neighbours(client, staff):
    facility = FacilityFactory(buffer_minutes=30)
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=4), dt.time(10))
    booking = BookingFactory(facility=facility, start=start, end=start + dt.timedelta(hours=2))
    decided(booking, BookingStatus.APPROVED, actor=staff)
    # Right after it, within the buffer: it would overlap, had it been allowed in.
    BookingFactory(
        facility=facility,
        user=UserFactory(full_name="Rina"),
        start=start + dt.timedelta(hours=2),
        end=start + dt.timedelta(hours=3),
        status=BookingStatus.CANCELLED,
        purpose="Senam pagi",
    )
    later = BookingFactory(
        facility=facility,
        start=start + dt.timedelta(hours=5),
        end=start + dt.timedelta(hours=6),
        purpose="Latihan tari",
    )
    BookingFactory(start=start)  # the same time at another facility: not shown
    ClosureFactory(facility=None, start=start, end=start + dt.timedelta(hours=1), reason="HUT Kota")

    page = client.get(f"{BOOKINGS}{booking.pk}/change/")

    html = page.content.decode()
    assert page.context["inline_admin_formsets"][0].formset.queryset.count() == 1
    assert "Latihan tari" in html and "Senam pagi" in html and later.reference in html
    assert "HUT Kota" in html and "Closed (city-wide)" in html
    assert (
        html.count("overlaps this booking") == 1
    )  # the closure; a cancelled booking holds nothing
    assert f"/admin/facilities/facility/{facility.pk}/calendar/?day={start.date()}" in html
    assert "10:00–11:00 WIB" in html  # the closure, in hours of the booking's day


def test_the_audit_trail_on_a_booking_s_page_is_read_only(client, staff):
    booking = BookingFactory()
    decided(booking, BookingStatus.APPROVED, actor=staff)

    page = client.get(f"{BOOKINGS}{booking.pk}/change/")

    formset = page.context["inline_admin_formsets"][0]
    assert formset.has_add_permission is False
    assert formset.has_change_permission is False
    assert formset.has_delete_permission is False


def test_no_booking_is_added_in_the_admin(admin_client):
    assert admin_client.get(f"{BOOKINGS}add/").status_code == 403


# --- the change list ---------------------------------------------------------------------------


def test_the_change_list_shows_the_oldest_pending_requests_first(client, staff):
    now = clock.now()
    newer = BookingFactory()
    older = BookingFactory()
    approved = decided(BookingFactory(), BookingStatus.APPROVED)
    Booking.objects.filter(pk=older.pk).update(created_at=now - dt.timedelta(days=3))
    Booking.objects.filter(pk=newer.pk).update(created_at=now - dt.timedelta(hours=1))

    response = client.get(BOOKINGS)

    shown = [booking.reference for booking in response.context["cl"].result_list]
    assert shown == [older.reference, newer.reference, approved.reference]
    html = response.content.decode()
    # How long it waited, in plain text: overdue is the service standard's (its own tests).
    assert '<td class="field-waiting">3\xa0days</td>' in html


def test_the_change_list_shows_times_in_wib(client, staff):
    start = clock.local_datetime(dt.date(2031, 3, 3), dt.time(9))
    BookingFactory(start=start, end=start + dt.timedelta(hours=2))

    html = client.get(BOOKINGS).content.decode()

    assert "Start (WIB)" in html and "End (WIB)" in html
    assert "Mon 03 Mar 2031, 09:00" in html
    assert ">11:00<" in html


@pytest.fixture
def three_bookings():
    """An approved booking at a hall in Beji (Pemkot decides), a request at a hall in Tapos
    (its community decides), and a past one in Beji."""
    beji = FacilityFactory(kecamatan="beji", approval="city")
    tapos = FacilityFactory(kecamatan="tapos", approval="community")
    bookings = {
        "approved-beji": BookingFactory(
            facility=beji, purpose="Posyandu balita", status=BookingStatus.APPROVED
        ),
        "requested-tapos": BookingFactory(
            facility=tapos, user=UserFactory(full_name="Siti Aminah", email="siti@example.test")
        ),
        "past-beji": BookingFactory(
            facility=beji, start=clock.now() - dt.timedelta(days=2), status="completed"
        ),
    }
    Booking.objects.filter(pk=bookings["approved-beji"].pk).update(reference="HD-SRCH01")
    return bookings


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"approved-beji", "requested-tapos", "past-beji"}),
        ("status__exact=approved", {"approved-beji"}),
        ("facility__kecamatan__exact=tapos", {"requested-tapos"}),
        ("facility__approval__exact=community", {"requested-tapos"}),
        ("q=HD-SRCH01", {"approved-beji"}),
        ("q=Siti", {"requested-tapos"}),
        ("q=siti@example.test", {"requested-tapos"}),
        ("q=posyandu", {"approved-beji"}),
        ("when=past", {"past-beji"}),
        ("when=upcoming", {"approved-beji", "requested-tapos"}),
    ],
)
def test_the_change_list_filters_and_searches(client, staff, three_bookings, query, expected):
    names = {booking.pk: name for name, booking in three_bookings.items()}

    response = client.get(f"{BOOKINGS}?{query}")

    assert response.status_code == 200
    assert {names[booking.pk] for booking in response.context["cl"].result_list} == expected


def test_the_change_list_filters_by_community(client, staff):
    community = CommunityFactory(name="Karang Taruna Beji")
    ours = BookingFactory(facility=FacilityFactory(community=community))
    BookingFactory()

    response = client.get(f"{BOOKINGS}?facility__community__id__exact={community.pk}")

    assert [b.pk for b in response.context["cl"].result_list] == [ours.pk]
    filters = [spec.title for spec in response.context["cl"].filter_specs]
    assert len(filters) == 9


@pytest.mark.parametrize("count", [5, 60])
def test_the_change_list_costs_the_same_queries_for_any_number_of_bookings(
    client, staff, django_assert_max_num_queries, count
):
    resident = UserFactory()
    facilities = [FacilityFactory() for _ in range(3)]
    for number in range(count):
        BookingFactory(
            user=resident,
            facility=facilities[number % 3],
            start=clock.now().replace(microsecond=0) + dt.timedelta(days=2, hours=3 * number),
        )

    # Session, user, permissions, counts, the page, and one query per filter that lists
    # objects (facilities, communities) and for the date hierarchy: none per booking.
    with django_assert_max_num_queries(11):
        response = client.get(BOOKINGS)

    assert len(response.context["cl"].result_list) == count


def test_a_booking_s_page_costs_a_fixed_number_of_queries(
    client, staff, django_assert_max_num_queries
):
    booking = BookingFactory()
    for number in range(5):
        BookingFactory(
            facility=booking.facility, start=booking.start + dt.timedelta(hours=3 + 2 * number)
        )
        BookingFactory(facility=booking.facility, status=BookingStatus.CANCELLED)

    with django_assert_max_num_queries(12):
        response = client.get(f"{BOOKINGS}{booking.pk}/change/")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "hierarchy",
    [
        {"start__year": "9999"},
        {"start__year": "9999", "start__month": "12"},
        {"start__year": "9999", "start__month": "12", "start__day": "31"},
        {"start__year": "1", "start__month": "1", "start__day": "1"},
        {"start__year": "2100"},
        {"start__year": "x"},
    ],
)
def test_a_date_hierarchy_outside_the_bound_is_a_bad_lookup_not_a_500(client, staff, hierarchy):
    BookingFactory()

    changelist = client.get(BOOKINGS, hierarchy)
    export = client.get(f"{BOOKINGS}export/", hierarchy)

    assert changelist.status_code == 302 and changelist.url.endswith("?e=1")
    assert export.status_code == 302


def test_a_date_hierarchy_within_the_bound_still_filters(client, staff):
    booking = BookingFactory()
    year = clock.to_local(booking.start).year

    shown = client.get(BOOKINGS, {"start__year": str(year)})
    none = client.get(BOOKINGS, {"start__year": "2099", "start__month": "12", "start__day": "31"})

    assert list(shown.context["cl"].result_list) == [booking]
    assert list(none.context["cl"].result_list) == []


# --- retribusi on the booking's page and in the list -----------------------------------------


def test_a_booking_s_page_shows_its_tariff_class_price_lines_total_and_invoice(client, staff):
    from tests.admin_support import invoiced_booking
    from tests.factories import AddOnFactory, priced_facility

    facility = priced_facility(approval="auto", lead_hours=0)
    chairs = AddOnFactory(
        community=facility.community,
        name="Kursi lipat",
        price=2_000,
        stock=100,
        offered_at=[facility],
    )
    booking = invoiced_booking(facility, addons={chairs.pk: 50})
    invoice = booking.invoice

    response = client.get(f"{BOOKINGS}{booking.pk}/change/")

    html = response.content.decode()
    price = html[html.index('class="hd-price"') :]
    price = price[: price.index("</table>")]
    for text in ["per hour", "Rp 50.000", "Rp 100.000", "Kursi lipat", "Rp 2.000", "Total"]:
        assert text in price, text
    assert "Rp 200.000" in price  # 100.000 for two hours, 50 chairs at 2.000
    assert "Social" in html
    assert f'<a href="/admin/payments/invoice/{invoice.pk}/change/">{invoice.number}</a>' in html
    assert "Unpaid, pay by" in html


def test_a_free_booking_s_page_says_it_has_no_invoice(client, staff):
    booking = BookingFactory()

    html = client.get(f"{BOOKINGS}{booking.pk}/change/").content.decode()

    assert "No invoice (free, or not approved yet)." in html


def test_the_change_list_filters_the_bookings_by_their_invoice(client, staff):
    from payments.services import payment_record_manual
    from tests.admin_support import invoiced_booking
    from tests.factories import priced_facility

    facility = priced_facility(approval="auto", lead_hours=0)
    start = clock.now() + dt.timedelta(days=3)
    day = clock.local_datetime(clock.to_local(start).date(), dt.time(9))
    unpaid = invoiced_booking(facility, start=day)
    settled = invoiced_booking(facility, start=day + dt.timedelta(hours=3))
    payment_record_manual(
        invoice=settled.invoice,
        actor=staff,
        method="cash",
        amount=settled.invoice.amount,
        external_reference="KW-3",
        paid_at=clock.now(),
    )
    free = BookingFactory()

    def listed(value):
        response = client.get(BOOKINGS, {"invoice": value})
        return {booking.pk for booking in response.context["cl"].result_list}

    assert listed("unpaid") == {unpaid.pk}
    assert listed("paid") == {settled.pk}
    assert listed("none") == {free.pk}


def test_a_priced_booking_s_page_costs_a_fixed_number_of_queries(
    client, staff, django_assert_max_num_queries
):
    from tests.admin_support import invoiced_booking
    from tests.factories import AddOnFactory, priced_facility

    facility = priced_facility(approval="auto", lead_hours=0)
    addons = [
        AddOnFactory(community=facility.community, stock=10, offered_at=[facility])
        for _ in range(4)
    ]
    booking = invoiced_booking(facility, addons={addon.pk: 1 for addon in addons})

    # As many as a free booking's page (above): the lines in one query, whatever their
    # number, the invoice in the booking's own.
    with django_assert_max_num_queries(12):
        response = client.get(f"{BOOKINGS}{booking.pk}/change/")

    assert response.status_code == 200
