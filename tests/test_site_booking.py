import datetime as dt

import pytest
from icalendar import Calendar

from bookings import services
from bookings.models import Booking, BookingStatus
from haidepok import clock
from tests.factories import (
    BookingFactory,
    FacilityFactory,
    MembershipFactory,
    OpeningHoursFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def facility():
    facility = FacilityFactory(
        name="Balai Rakyat Beji",
        capacity=50,
        min_slots=1,
        max_slots=4,
        house_rules="Jaga kebersihan.",
    )
    for weekday in range(7):
        OpeningHoursFactory(
            facility=facility, weekday=weekday, opens=dt.time(8), closes=dt.time(20)
        )
    return facility


@pytest.fixture
def day():
    return clock.local_now().date() + dt.timedelta(days=5)


def form_data(day, **overrides):
    data = {
        "date": day.isoformat(),
        "start_time": "10:00",
        "slots": "2",
        "purpose": "Rapat RW 05",
        "attendees": "30",
        "organisation": "RW 05",
        "phone": "0812 3456 7890",
        "agree": "on",
        # The price the check page showed (a free facility's): sent back with "Send".
        "expected_total": "0",
    }
    data.update(overrides)
    return data


def test_booking_asks_anonymous_visitors_to_sign_in_and_brings_them_back(client, facility):
    url = f"/fasilitas/{facility.slug}/pesan/?mulai=2027-03-01T10:00"

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/akun/login/?next=")
    assert "mulai%3D2027-03-01T10%3A00" in response["Location"]


def test_the_picked_slot_prefills_the_form(client, facility, day):
    client.force_login(UserFactory(phone="0812 1111 2222"))

    response = client.get(f"/fasilitas/{facility.slug}/pesan/?mulai={day.isoformat()}T14:00")

    form = response.context["form"]
    assert form.initial["date"] == day and form.initial["start_time"] == "14:00"
    assert form.initial["phone"] == "0812 1111 2222"
    # In the HTML the browser's date input gets an ISO value, whatever the page's language
    # (Indonesian formats dates as 03-12-2026, which <input type="date"> shows as empty).
    assert f'type="date" name="date" value="{day.isoformat()}"' in response.content.decode()


def test_preview_then_confirm_creates_the_booking(client, facility, day):
    resident = UserFactory()
    client.force_login(resident)
    url = f"/fasilitas/{facility.slug}/pesan/"

    preview = client.post(url, form_data(day, action="preview"))
    assert preview.status_code == 200
    assert "bookings/booking_summary.html" in [t.name for t in preview.templates]
    assert not Booking.objects.exists()

    confirm = client.post(url, form_data(day, action="confirm"))
    booking = Booking.objects.get()
    assert confirm.status_code == 302
    assert confirm["Location"] == f"/booking-saya/{booking.reference}/"
    assert booking.user == resident and booking.status == BookingStatus.REQUESTED
    assert clock.to_local(booking.start) == clock.local_datetime(day, dt.time(10))
    assert clock.to_local(booking.end) == clock.local_datetime(day, dt.time(12))

    page = client.get(confirm["Location"]).content.decode()
    assert booking.reference in page
    assert "Menunggu persetujuan" in page
    # Said once, after sending.
    assert f"Permintaan booking {booking.reference} sudah terkirim." in page
    assert "sudah terkirim" not in client.get(confirm["Location"]).content.decode()


def test_rule_failures_are_shown_next_to_their_fields_and_keep_the_input(client, facility, day):
    client.force_login(UserFactory())
    url = f"/fasilitas/{facility.slug}/pesan/"

    response = client.post(
        url, form_data(day, start_time="19:00", attendees="51", action="preview")
    )

    form = response.context["form"]
    assert form.errors["start_time"]  # 19:00 + 2 hours is past closing
    assert form.errors["attendees"]  # over capacity
    assert form["purpose"].value() == "Rapat RW 05"
    assert not Booking.objects.exists()


def test_a_taken_slot_says_so_and_keeps_what_was_typed(client, facility, day):
    BookingFactory(
        facility=facility,
        start=clock.local_datetime(day, dt.time(11)),
        end=clock.local_datetime(day, dt.time(12)),
    )
    client.force_login(UserFactory())

    response = client.post(f"/fasilitas/{facility.slug}/pesan/", form_data(day, action="confirm"))

    assert response.status_code == 200
    assert "sudah dipesan" in " ".join(response.context["form"].errors["start_time"])
    assert response.context["form"]["organisation"].value() == "RW 05"
    assert Booking.objects.count() == 1


def test_shape_errors_never_500(client, facility, day):
    client.force_login(UserFactory())

    response = client.post(
        f"/fasilitas/{facility.slug}/pesan/",
        {"date": "kemarin", "start_time": "99:99", "slots": "100", "attendees": "-1", "phone": "x"},
    )

    assert response.status_code == 200
    assert {"date", "start_time", "slots", "attendees", "phone", "purpose", "agree"} <= set(
        response.context["form"].errors
    )


def test_my_bookings_lists_only_my_own(client, facility):
    mine = BookingFactory(facility=facility, purpose="Milik saya")
    theirs = BookingFactory(
        facility=facility,
        start=mine.start + dt.timedelta(days=1),
        end=mine.end + dt.timedelta(days=1),
        purpose="Milik orang lain",
    )
    client.force_login(mine.user)

    page = client.get("/booking-saya/").content.decode()

    assert mine.reference in page and theirs.reference not in page
    assert client.get(f"/booking-saya/{theirs.reference}/").status_code == 404
    assert client.get(f"/booking-saya/{theirs.reference}/kalender.ics").status_code == 404
    assert client.post(f"/booking-saya/{theirs.reference}/batal/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == BookingStatus.REQUESTED


def test_my_bookings_needs_sign_in(client):
    assert client.get("/booking-saya/").status_code == 302


def test_cancel_with_a_confirmation_step(client, facility):
    booking = BookingFactory(facility=facility)
    client.force_login(booking.user)

    confirm_page = client.get(f"/booking-saya/{booking.reference}/batal/")
    assert confirm_page.status_code == 200
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED

    response = client.post(f"/booking-saya/{booking.reference}/batal/", {"reason": "Acara ditunda"})
    booking.refresh_from_db()
    assert response.status_code == 302
    assert booking.status == BookingStatus.CANCELLED
    assert booking.events.last().reason == "Acara ditunda"


def test_cancel_after_the_deadline_is_refused(client, facility):
    start = clock.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=5)
    booking = BookingFactory(
        facility=facility,
        start=start,
        end=start + dt.timedelta(hours=1),
        status=BookingStatus.APPROVED,
    )
    client.force_login(booking.user)

    page = client.get(f"/booking-saya/{booking.reference}/batal/")
    client.post(f"/booking-saya/{booking.reference}/batal/")

    assert page.context["can_cancel"] is False
    assert f"{facility.cancel_hours} jam" in page.content.decode()  # the service's own words
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED


def test_an_undecided_request_is_withdrawn_after_the_cancel_deadline(client, facility):
    start = clock.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=5)
    booking = BookingFactory(facility=facility, start=start, end=start + dt.timedelta(hours=1))
    assert facility.cancel_hours > 5
    client.force_login(booking.user)

    detail = client.get(f"/booking-saya/{booking.reference}/").content.decode()
    client.post(f"/booking-saya/{booking.reference}/batal/", {"reason": ""})

    assert "Tarik permintaan" in detail
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_ics_download(client, facility):
    booking = BookingFactory(facility=facility, status=BookingStatus.APPROVED)
    client.force_login(booking.user)

    response = client.get(f"/booking-saya/{booking.reference.lower()}/kalender.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["uid"]) == f"{booking.reference}@haidepok"
    assert event.decoded("dtstart") == booking.start
    assert str(event["dtstart"].dt.tzinfo) == "Asia/Jakarta"
    assert str(event["status"]) == "CONFIRMED"
    assert facility.name in str(event["location"])


def test_public_calendar_shows_approved_events_without_personal_data(client, facility):
    day = clock.local_now().date() + dt.timedelta(days=2)
    at = clock.local_datetime
    resident = UserFactory(full_name="Siti Rahmawati")
    BookingFactory(
        facility=facility,
        user=resident,
        start=at(day, dt.time(9)),
        end=at(day, dt.time(11)),
        status=BookingStatus.APPROVED,
        purpose="Posyandu lansia",
        organisation="Posyandu Melati",
        contact_phone="0812 9999 0000",
    )
    BookingFactory(
        facility=facility,
        start=at(day, dt.time(13)),
        end=at(day, dt.time(14)),
        purpose="Belum disetujui",
    )

    page = client.get("/kalender/", {"tanggal": day.isoformat()}).content.decode()
    facility_page = client.get(
        "/kalender/", {"tanggal": day.isoformat(), "fasilitas": facility.slug}
    ).content.decode()

    for content in (page, facility_page):
        assert "Posyandu lansia" in content and "Posyandu Melati" in content
        assert "Belum disetujui" not in content
        assert "Siti Rahmawati" not in content and "0812 9999 0000" not in content
    assert client.get("/kalender/", {"tanggal": "bukan-tanggal"}).status_code == 200
    assert client.get("/kalender/", {"fasilitas": "tidak-ada"}).status_code == 404


def test_public_calendar_queries_do_not_grow(client, facility, django_assert_max_num_queries):
    day = clock.local_now().date() + dt.timedelta(days=2)
    with django_assert_max_num_queries(3) as few:
        client.get("/kalender/", {"tanggal": day.isoformat()})
    for hour in range(8, 18):
        BookingFactory(
            facility=facility,
            start=clock.local_datetime(day, dt.time(hour)),
            end=clock.local_datetime(day, dt.time(hour, 30)),
            status=BookingStatus.APPROVED,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/kalender/", {"tanggal": day.isoformat()})


def test_organizers_and_staff_do_not_see_residents_bookings_on_the_resident_pages(client, facility):
    booking = BookingFactory(facility=facility)
    organizer = MembershipFactory(community=facility.community).user
    client.force_login(organizer)

    assert client.get(f"/booking-saya/{booking.reference}/").status_code == 404


def test_my_bookings_pages_use_a_fixed_number_of_queries(
    client, facility, django_assert_max_num_queries
):
    resident = UserFactory()
    first = BookingFactory(facility=facility, user=resident)
    client.force_login(resident)
    with django_assert_max_num_queries(12) as few_list:
        client.get("/booking-saya/")
    with django_assert_max_num_queries(12) as few_detail:
        client.get(f"/booking-saya/{first.reference}/")

    for day in range(1, 15):
        booking = BookingFactory(
            facility=facility,
            user=resident,
            start=first.start + dt.timedelta(days=day),
            end=first.end + dt.timedelta(days=day),
        )
        services.booking_cancel(booking=booking, actor=resident, reason="Batal")
    with django_assert_max_num_queries(len(few_list.captured_queries)):
        client.get("/booking-saya/")
    with django_assert_max_num_queries(len(few_detail.captured_queries)):
        client.get(f"/booking-saya/{booking.reference}/")
