"""The permit's public verification (/verifikasi/<code>/, what the letter's QR code opens) and
the check-in there."""

import datetime as dt

import pytest
from django.db import connection

from bookings import services
from bookings.models import Booking, BookingEvent, BookingStatus
from facilities.models import Facility
from haidepok import clock
from permits.errors import CheckInError
from permits.services import booking_check_in
from tests.factories import (
    fast_password_hashing,  # noqa: F401 (a fixture)
)
from tests.permits_support import CONTACT_PHONE, END, NOW, RESIDENT, START, approve, permit_cast
from tests.race_support import race

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

S = BookingStatus
DURING = START + dt.timedelta(minutes=15)


@pytest.fixture
def cast():
    return permit_cast(approval=Facility.Approval.COMMUNITY)


@pytest.fixture
def at(monkeypatch):
    """at(moment): the pages' clock reads `moment`."""

    def set_clock(moment):
        monkeypatch.setattr(clock, "now", lambda: moment)

    return set_clock


def url(booking):
    return f"/verifikasi/{booking.permit_code}/"


def check_in_url(booking):
    return f"/verifikasi/{booking.permit_code}/check-in/"


def page(client, booking):
    response = client.get(url(booking))
    assert response.status_code == 200
    return response.content.decode()


def check_in_events(booking):
    return list(BookingEvent.objects.filter(booking=booking, kind=BookingEvent.Kind.CHECK_IN))


# --- What it says -----------------------------------------------------------------------------


def test_an_approved_booking_verifies_as_valid_with_its_facility_and_time(client, cast, at):
    booking = approve(cast)
    at(DURING)

    response = client.get(url(booking))

    html = response.content.decode()
    assert response.status_code == 200
    assert "verification-valid" in html
    assert "Balai Rakyat Kukusan" in html
    assert "Senin, 1 Maret 2027, 09.00–12.00 WIB" in html
    assert "Karang Taruna Kukusan" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "noindex" in response["X-Robots-Tag"]
    assert "no-store" in response["Cache-Control"]


def test_no_personal_data_is_shown(client, cast, at):
    booking = approve(cast)
    at(DURING)

    html = page(client, booking)

    for personal in (RESIDENT["full_name"], RESIDENT["email"], RESIDENT["phone"], CONTACT_PHONE):
        assert personal not in html
    # The purpose may name people (a wedding); the keeper reads it on the letter itself.
    assert "Pelatihan UMKM Kukusan" not in html
    # Nor who decided.
    assert "Dewi Petugas" not in html


@pytest.mark.parametrize(
    ("change", "moment", "state"),
    [
        ("approve", START - dt.timedelta(days=1), "valid"),
        ("approve", END, "expired"),  # approved, its end passed, not yet swept
        ("complete", END + dt.timedelta(hours=1), "expired"),
        ("cancel", NOW, "cancelled"),
        ("reject", NOW, "rejected"),
        ("no_show", START + dt.timedelta(hours=1), "no_show"),
        ("none", NOW, "not_yet"),
        ("expire", START + dt.timedelta(minutes=1), "request_expired"),
    ],
)
def test_each_state_verifies_as_what_it_is(client, cast, at, change, moment, state):
    booking = cast.booking
    if change in ("approve", "complete", "cancel", "no_show"):
        approve(cast)
    if change == "complete":
        services.bookings_sweep(now=END)
    elif change == "cancel":
        services.booking_cancel(booking=booking, actor=cast.resident, now=NOW)
    elif change == "reject":
        services.booking_reject(
            category="other", booking=booking, actor=cast.organizer, reason="Penuh", now=NOW
        )
    elif change == "no_show":
        services.booking_mark_no_show(booking=booking, actor=cast.organizer, now=moment)
    elif change == "expire":
        services.bookings_sweep(now=moment)
    at(moment)

    html = page(client, booking)

    assert f"verification-{state}" in html
    assert html.count('class="panel verification') == 1


def test_a_cancelled_letter_says_so_in_indonesian(client, cast, at):
    booking = approve(cast)
    services.booking_cancel(booking=booking, actor=cast.resident, now=NOW)
    at(NOW)

    assert "dibatalkan" in page(client, booking).lower()


def test_an_unknown_code_is_a_404_that_says_so(client):
    response = client.get("/verifikasi/kode-yang-tidak-ada/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "permits/unknown_code.html" in [t.name for t in response.templates]
    assert 'class="site-header"' in html
    assert "noindex" in html


def test_a_code_differing_only_in_case_is_unknown(client, cast):
    booking = approve(cast)
    other = booking.permit_code.swapcase()
    if other == booking.permit_code:  # all digits and dashes: vanishingly rare
        pytest.skip("no letters in the code")

    assert client.get(f"/verifikasi/{other}/").status_code == 404


def test_the_page_costs_a_bounded_number_of_queries(
    client, cast, at, django_assert_max_num_queries
):
    booking = approve(cast)
    at(DURING)
    client.force_login(cast.organizer)
    client.get(url(booking))  # sessions, permissions: warmed

    with django_assert_max_num_queries(8):
        client.get(url(booking))
    client.logout()
    with django_assert_max_num_queries(2):
        client.get(url(booking))


# --- Check-in: who sees the button, who may press it ------------------------------------------


BUTTON = 'action="/verifikasi/'


@pytest.mark.parametrize(
    ("who", "button"),
    [
        ("anonymous", False),
        ("resident", False),
        ("stranger", False),
        ("other_organizer", False),
        ("viewer", False),  # may view bookings in the admin, does not manage them
        ("organizer", True),
        ("staff", True),
    ],
)
def test_only_who_manages_the_facility_sees_the_check_in_button(client, cast, at, who, button):
    booking = approve(cast)
    at(DURING)
    if who != "anonymous":
        client.force_login(getattr(cast, who))

    assert (BUTTON in page(client, booking)) is button


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 404),
        ("resident", 403),
        ("stranger", 403),
        ("other_organizer", 403),
        ("viewer", 403),
    ],
)
def test_a_check_in_by_anyone_else_writes_nothing(client, cast, at, who, status):
    booking = approve(cast)
    at(DURING)
    if who != "anonymous":
        client.force_login(getattr(cast, who))

    response = client.post(check_in_url(booking))

    assert response.status_code == status
    booking.refresh_from_db()
    assert booking.checked_in_at is None and booking.checked_in_by is None
    assert check_in_events(booking) == []


def test_a_check_in_of_an_unknown_code_is_a_404(client, cast):
    client.force_login(cast.organizer)

    assert client.post("/verifikasi/tidak-ada/check-in/").status_code == 404


def test_a_get_of_the_check_in_url_changes_nothing(client, cast, at):
    booking = approve(cast)
    at(DURING)
    client.force_login(cast.organizer)

    assert client.get(check_in_url(booking)).status_code == 405
    assert check_in_events(booking) == []


def test_the_check_in_needs_the_csrf_token(cast, at):
    from django.test import Client

    booking = approve(cast)
    at(DURING)
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.organizer)

    assert client.post(check_in_url(booking)).status_code == 403
    assert check_in_events(booking) == []


@pytest.mark.parametrize("who", ["organizer", "staff"])
def test_an_organizer_or_staff_checks_in_once_and_the_trail_says_so(client, cast, at, who):
    booking = approve(cast)
    at(DURING)
    actor = getattr(cast, who)
    client.force_login(actor)

    first = client.post(check_in_url(booking), follow=True)
    second = client.post(check_in_url(booking), follow=True)

    booking.refresh_from_db()
    assert booking.checked_in_at == DURING
    assert booking.checked_in_by == actor
    assert booking.status == S.APPROVED
    [event] = check_in_events(booking)
    assert (event.actor, event.from_status, event.to_status) == (actor, S.APPROVED, S.APPROVED)
    assert "09.15" in first.content.decode()
    # The second tap is told who did it and when; the button is gone.
    [message] = [str(m) for m in second.context["messages"]]
    assert "09.15" in message and str(actor) in message
    assert BUTTON not in second.content.decode()
    assert f"{actor}" in second.content.decode()


def test_the_audit_trail_shows_the_check_in_not_an_approval(client, cast, at):
    booking = approve(cast, actor=cast.organizer)
    booking_check_in(booking=booking, actor=cast.organizer, now=DURING)

    client.force_login(cast.organizer)
    organizers = client.get(f"/kelola/booking/{booking.reference}/").content.decode()
    client.force_login(cast.resident)
    residents = client.get(f"/booking-saya/{booking.reference}/").content.decode()

    for html in (organizers, residents):
        history = html[html.index('class="history"') :]
        assert history.count("Check-in di lokasi") == 1
        assert history.count("Disetujui") == 1  # the approval only
    assert "Check-in di lokasi (Pak Joko Pengurus)" in organizers
    # The organizers' page tells the state of the check-in.
    assert "Pak Joko Pengurus" in organizers[: organizers.index('class="history"')]


# --- Check-in: the rule -------------------------------------------------------------------------


def refused(booking, actor, now) -> str:
    with pytest.raises(CheckInError) as error:
        booking_check_in(booking=booking, actor=actor, now=now)
    booking.refresh_from_db()
    assert booking.checked_in_at is None
    assert check_in_events(booking) == []
    return error.value.code


@pytest.mark.parametrize(
    ("moment", "accepted"),
    [
        (START - dt.timedelta(minutes=61), False),
        (START - dt.timedelta(minutes=60), True),
        (START + dt.timedelta(hours=2), True),
        (END - dt.timedelta(seconds=1), True),
        (END, False),
    ],
)
def test_check_in_is_open_from_an_hour_before_the_start_until_the_end(cast, moment, accepted):
    booking = approve(cast)

    if accepted:
        booking_check_in(booking=booking, actor=cast.organizer, now=moment)
        assert len(check_in_events(booking)) == 1
    else:
        assert refused(booking, cast.organizer, moment) in ("too_early", "ended")


def test_too_early_says_when_it_opens(client, cast, at):
    booking = approve(cast)
    at(START - dt.timedelta(hours=3))
    client.force_login(cast.organizer)

    html = page(client, booking)

    assert BUTTON not in html
    assert "08.00" in html  # an hour before the 09.00 start


@pytest.mark.parametrize("status", ["requested", "cancelled", "rejected"])
def test_only_an_approved_booking_is_checked_in(cast, status):
    booking = cast.booking
    if status == "cancelled":
        approve(cast)
        services.booking_cancel(booking=booking, actor=cast.resident, now=NOW)
    elif status == "rejected":
        services.booking_reject(
            category="other", booking=booking, actor=cast.organizer, reason="Penuh", now=NOW
        )

    assert refused(booking, cast.organizer, DURING) == "not_approved"


def test_a_no_show_cannot_be_checked_in(cast):
    booking = approve(cast)
    services.booking_mark_no_show(
        booking=booking, actor=cast.organizer, now=START + dt.timedelta(minutes=45)
    )

    assert refused(booking, cast.organizer, START + dt.timedelta(minutes=50)) == "not_approved"


def test_the_service_refuses_who_may_not(cast):
    booking = approve(cast)

    for who in (cast.resident, cast.other_organizer, cast.viewer, cast.stranger):
        assert refused(booking, who, DURING) == "not_allowed"


def test_twice_is_once(cast):
    booking = approve(cast)
    booking_check_in(booking=booking, actor=cast.organizer, now=DURING)

    with pytest.raises(CheckInError) as again:
        booking_check_in(booking=booking, actor=cast.staff, now=DURING + dt.timedelta(minutes=5))

    assert again.value.code == "already_checked_in"
    assert "09.15" in again.value.message and "Pak Joko Pengurus" in again.value.message
    assert len(check_in_events(booking)) == 1
    booking.refresh_from_db()
    assert booking.checked_in_by == cast.organizer


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises every write transaction anyway"
)
def test_concurrent_check_ins_write_one_event():
    cast = permit_cast(approval=Facility.Approval.COMMUNITY)
    booking = approve(cast)
    actors = [cast.organizer, cast.staff] * 4

    def attempt(i):
        try:
            booking_check_in(booking=Booking(pk=booking.pk), actor=actors[i], now=DURING)
        except CheckInError as error:
            return error.code
        return "checked in"

    outcomes = race(attempt, threads=len(actors))

    assert sorted(outcomes) == ["already_checked_in"] * (len(actors) - 1) + ["checked in"]
    assert len(check_in_events(booking)) == 1


# --- A priced booking is a permit once its retribusi is paid -----------------------------------


def test_a_priced_booking_is_a_permit_only_once_its_invoice_is_paid(client, at):
    from payments import services as payment_services
    from payments.models import Invoice
    from tests.factories import UserFactory, priced_facility, request_booking, wib

    facility = priced_facility(approval="auto", lead_hours=0)
    resident = UserFactory()
    booking = request_booking(
        facility,
        wib(2027, 3, 5, 9),
        wib(2027, 3, 5, 11),
        now=wib(2027, 3, 1, 9),
        user=resident,
        tariff_class="sosial",
    )
    at(wib(2027, 3, 1, 10))
    client.force_login(resident)

    assert "verification-awaiting_payment" in page(client, booking)
    assert client.get(f"/booking-saya/{booking.reference}/surat-izin.pdf").status_code == 404
    mine = client.get(f"/booking-saya/{booking.reference}/").content.decode()
    assert "surat-izin.pdf" not in mine

    payment_services.payment_record_manual(
        invoice=Invoice.objects.get(booking=booking),
        actor=UserFactory(is_staff=True),
        method="cash",
        amount=booking.price_total,
        external_reference="KW-001",
        paid_at=wib(2027, 3, 1, 9, 30),
        now=wib(2027, 3, 1, 10),
    )

    assert "verification-valid" in page(client, booking)
    letter = client.get(f"/booking-saya/{booking.reference}/surat-izin.pdf")
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"
