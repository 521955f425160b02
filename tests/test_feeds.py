"""The calendar feeds (bookings/feeds.py, bookings/feed_views.py): every one is iCalendar that
the icalendar package reads, with WIB's VTIMEZONE; the public ones show what /kalender/ shows
and nothing personal; the private ones answer only to the current token of an active account;
all of them answer If-None-Match with a 304, for a fixed number of queries."""

import datetime as dt
import re

import icalendar
import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import services as account_services
from accounts.models import CalendarFeedToken
from bookings import feeds, services
from bookings.ics import booking_calendar, booking_uid
from bookings.models import BookingStatus
from communities.models import Community
from facilities.models import Facility
from haidepok import clock
from tests.api_support import restore_language  # noqa: F401 (a fixture)
from tests.factories import (
    BookingFactory,
    CommunityFactory,
    FacilityFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
    request_booking,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("fast_password_hashing", "restore_language"),
]

SITE_URL = "https://haidepok.example"
CITY_FEED = "/kalender.ics"
RESET = "/akun/profil/kalender/baru/"
PROFILE = "/akun/profil/"

# Personal values no public feed may carry, distinctive enough to search the bytes for.
RESIDENT_NAME = "Zubaidah Kusumawardhani"
RESIDENT_EMAIL = "zubaidah.rahasia@example.test"
RESIDENT_PHONE = "+62 811 9876 5432"
CONTACT_PHONE = "+62 813 2468 1357"
CONTACT_NAME = "Sutrisno Wibisono"
COMMUNITY_PHONE = "+62 812 7777 8888"
COMMUNITY_EMAIL = "pengurus.melati@example.test"
PERSONAL = [
    RESIDENT_NAME,
    RESIDENT_EMAIL,
    RESIDENT_PHONE,
    CONTACT_PHONE,
    CONTACT_NAME,
    COMMUNITY_PHONE,
    COMMUNITY_EMAIL,
]


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


def at(days: int, hour: int) -> dt.datetime:
    """`hour` o'clock WIB, `days` from today."""
    return clock.local_datetime(clock.local_now().date() + dt.timedelta(days=days), dt.time(hour))


def booked(facility, days, hour, status=BookingStatus.APPROVED, **fields):
    """A booking of `facility` from `hour` to two hours later, `days` from today."""
    if status == BookingStatus.REJECTED:
        fields.setdefault("rejection_category", "other")
    return BookingFactory(
        facility=facility,
        start=at(days, hour),
        end=at(days, hour + 2),
        status=status,
        **fields,
    )


@pytest.fixture
def resident():
    return UserFactory(full_name=RESIDENT_NAME, email=RESIDENT_EMAIL, phone=RESIDENT_PHONE)


@pytest.fixture
def facility():
    community = CommunityFactory(
        name="Komunitas Melati",
        contact_name=CONTACT_NAME,
        phone=COMMUNITY_PHONE,
        email=COMMUNITY_EMAIL,
    )
    return FacilityFactory(
        community=community, name="Balai Warga Melati", slug="balai-melati", address="Jl. Melati 5"
    )


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def unfolded(content: bytes) -> str:
    return re.sub(r"\r\n[ \t]", "", content.decode())


def assert_a_feed(calendar: icalendar.Calendar, name_part: str) -> None:
    """The calendar's own properties, and the time zone its events name."""
    assert calendar["version"] == "2.0"
    assert calendar["prodid"] == "-//Hai Depok//Calendar feed//ID"
    assert calendar["calscale"] == "GREGORIAN"
    assert calendar["method"] == "PUBLISH"
    assert name_part in calendar["x-wr-calname"]
    assert calendar["x-wr-timezone"] == "Asia/Jakarta"
    [timezone] = calendar.walk("VTIMEZONE")
    assert timezone["tzid"] == "Asia/Jakarta"
    for event in calendar.walk("VEVENT"):
        assert event["dtstart"].params["TZID"] == "Asia/Jakarta"
        assert event["dtend"].params["TZID"] == "Asia/Jakarta"


def token_of(user) -> str:
    return account_services.calendar_feed_token(user=user).token


def resident_feed_url(user) -> str:
    return f"/kalender/saya/{token_of(user)}.ics"


def organizer_feed_url(user) -> str:
    return f"/kalender/pengelola/{token_of(user)}.ics"


# --- The public feed of a facility -------------------------------------------------------------


def test_a_facility_s_feed_has_its_approved_events_in_wib(client, facility, resident):
    approved = booked(facility, 3, 10, user=resident, purpose="Latihan paduan suara")
    completed = booked(facility, -2, 9, BookingStatus.COMPLETED, organisation="PKK RW 03")
    elsewhere = booked(FacilityFactory(), 3, 10)

    calendar = parse(client.get("/fasilitas/balai-melati/kalender.ics"))

    assert_a_feed(calendar, "Balai Warga Melati")
    found = events(calendar)
    assert set(found) == {booking_uid(approved), booking_uid(completed)}
    assert booking_uid(elsewhere) not in found
    event = found[booking_uid(approved)]
    # 10:00 WIB is 03:00 UTC, and reads 10:00 in Asia/Jakarta.
    start = event.decoded("dtstart")
    assert start == approved.start and start.utcoffset() == dt.timedelta(hours=7)
    assert (start.hour, event.decoded("dtend").hour) == (10, 12)
    assert str(event["summary"]) == "Latihan paduan suara — Balai Warga Melati"
    assert str(event["location"]) == "Balai Warga Melati, Jl. Melati 5"
    assert event["status"] == "CONFIRMED"
    assert event["transp"] == "TRANSPARENT"  # someone else's event: the subscriber is free
    assert event.decoded("dtstamp") == approved.updated_at.replace(microsecond=0)
    assert str(event["url"]) == f"{SITE_URL}/fasilitas/balai-melati/"
    # The organisation, as /kalender/ shows it.
    assert "PKK RW 03" in str(found[booking_uid(completed)]["description"])
    assert found[booking_uid(completed)]["status"] == "CONFIRMED"


@pytest.mark.parametrize(
    "status",
    [
        BookingStatus.REQUESTED,
        BookingStatus.REJECTED,
        BookingStatus.CANCELLED,
        BookingStatus.EXPIRED,
        BookingStatus.NO_SHOW,
    ],
)
def test_public_feeds_show_no_booking_that_is_not_public(client, facility, status):
    hidden = booked(facility, 4, 8, status, purpose="Acara yang tidak terjadi")

    for url in ("/fasilitas/balai-melati/kalender.ics", CITY_FEED):
        response = client.get(url)
        assert booking_uid(hidden) not in events(parse(response))
        assert b"Acara yang tidak terjadi" not in response.content


def test_public_feeds_carry_nothing_personal(client, facility, resident):
    booked(
        facility,
        3,
        10,
        user=resident,
        contact_phone=CONTACT_PHONE,
        organisation="Karang Taruna Melati",
        decision_reason=f"Disetujui untuk {RESIDENT_NAME}",
    )
    booked(facility, -1, 10, BookingStatus.COMPLETED, user=resident, contact_phone=CONTACT_PHONE)

    for url in ("/fasilitas/balai-melati/kalender.ics", CITY_FEED):
        response = client.get(url)
        assert len(events(parse(response))) == 2
        # On the bytes as sent, and unfolded (a folded line could split a name in two).
        for text in (response.content.decode(), unfolded(response.content)):
            for value in PERSONAL:
                assert value not in text, (url, value)
            assert not re.search(r"\+62|08\d{8}", text)
            # The reference only in the UID.
            assert "HD-" not in re.sub(r"UID:HD-\w+@haidepok", "", text)
        assert "Karang Taruna Melati" in unfolded(response.content)


def test_an_unknown_or_unpublished_facility_has_no_feed(client):
    FacilityFactory(slug="draft", is_published=False)
    FacilityFactory(slug="unverified", community=CommunityFactory(status=Community.Status.PENDING))

    for slug in ("draft", "unverified", "nowhere"):
        assert client.get(f"/fasilitas/{slug}/kalender.ics").status_code == 404


def test_a_feed_is_a_window_of_days(client, facility):
    kept = [
        booked(facility, -feeds.FEED_DAYS_BEHIND, 8, BookingStatus.COMPLETED),
        booked(facility, 200, 8),
        booked(facility, feeds.FEED_DAYS_AHEAD, 8),
    ]
    left_out = [
        booked(facility, -feeds.FEED_DAYS_BEHIND - 1, 8, BookingStatus.COMPLETED),
        booked(facility, feeds.FEED_DAYS_AHEAD + 1, 8),
    ]

    found = events(parse(client.get("/fasilitas/balai-melati/kalender.ics")))

    assert set(found) == {booking_uid(booking) for booking in kept}
    assert not {booking_uid(booking) for booking in left_out} & set(found)


def test_only_safe_methods():
    facility = FacilityFactory(slug="balai")

    response = Client().post(f"/fasilitas/{facility.slug}/kalender.ics")

    assert response.status_code == 405
    assert Client().head(f"/fasilitas/{facility.slug}/kalender.ics").status_code == 200


# --- The city's feed ---------------------------------------------------------------------------


def test_the_city_feed_has_every_published_facility_s_events(client, facility):
    other = FacilityFactory(name="Lapangan Beji")
    draft = FacilityFactory(is_published=False)
    shown = [booked(facility, 1, 8), booked(other, 2, 14), booked(facility, -3, 8, "completed")]
    hidden = booked(draft, 1, 8)

    calendar = parse(client.get(CITY_FEED))

    assert_a_feed(calendar, "Depok")
    found = events(calendar)
    assert set(found) == {booking_uid(booking) for booking in shown}
    assert booking_uid(hidden) not in found
    assert str(found[booking_uid(shown[1])]["location"]).startswith("Lapangan Beji, ")


def test_the_city_feed_is_a_shorter_window(client, facility):
    kept = [
        booked(facility, -feeds.CITY_FEED_DAYS_BEHIND, 8, BookingStatus.COMPLETED),
        booked(facility, feeds.CITY_FEED_DAYS_AHEAD, 8),
    ]
    booked(facility, -feeds.CITY_FEED_DAYS_BEHIND - 1, 8, BookingStatus.COMPLETED)
    booked(facility, feeds.CITY_FEED_DAYS_AHEAD + 1, 8)

    found = events(parse(client.get(CITY_FEED)))

    assert set(found) == {booking_uid(booking) for booking in kept}


# --- Conditional GET and the page cache ------------------------------------------------------


@pytest.mark.parametrize("url", ["/fasilitas/balai-melati/kalender.ics", CITY_FEED])
def test_a_public_feed_answers_304_until_a_booking_changes(client, facility, url):
    booking = booked(facility, 3, 10)
    first = client.get(url)
    etag = first["ETag"]
    assert first["Cache-Control"] == "public, max-age=300"
    assert first["Content-Disposition"].startswith("inline; filename=")
    assert first["Content-Disposition"].endswith('.ics"')
    assert "X-Robots-Tag" not in first

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag

    services.booking_cancel(booking=booking, actor=UserFactory(is_staff=True), reason="Banjir")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert booking_uid(booking) not in events(parse(changed))


def test_a_new_booking_of_another_facility_changes_the_city_feed_only(client, facility):
    booked(facility, 3, 10)
    facility_etag = client.get("/fasilitas/balai-melati/kalender.ics")["ETag"]
    city_etag = client.get(CITY_FEED)["ETag"]

    booked(FacilityFactory(), 3, 10)

    assert client.get("/fasilitas/balai-melati/kalender.ics")["ETag"] == facility_etag
    assert client.get(CITY_FEED)["ETag"] != city_etag


def test_a_renamed_facility_shows_in_its_feeds_at_once(client, facility):
    booked(facility, 3, 10)
    client.get("/fasilitas/balai-melati/kalender.ics")
    client.get(CITY_FEED)

    facility.name = "Balai Warga Melati Indah"
    facility.save()

    for url in ("/fasilitas/balai-melati/kalender.ics", CITY_FEED):
        assert "Balai Warga Melati Indah" in unfolded(client.get(url).content)


def test_an_unchanged_feed_is_the_same_bytes_without_the_cache(client, facility, settings):
    """Its ETag is the same too: DTSTAMP is the booking's last change, not the clock's."""
    settings.PAGE_CACHE = False
    booked(facility, 3, 10)

    first = client.get("/fasilitas/balai-melati/kalender.ics")
    second = client.get("/fasilitas/balai-melati/kalender.ics", HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 304


def many_bookings(facilities, count):
    for number in range(count):
        booked(facilities[number % len(facilities)], 1 + number // 4, 8 + 3 * (number % 4 // 2))


@pytest.mark.parametrize("count", [2, 20])
def test_public_feeds_cost_a_fixed_number_of_queries(
    client, facility, count, django_assert_num_queries
):
    many_bookings([facility, FacilityFactory()], count)
    url = "/fasilitas/balai-melati/kalender.ics"

    # Rendered: the facility, then its events with what they show (one query).
    with django_assert_num_queries(2):
        response = client.get(url)
    assert len(events(parse(response))) == count // 2
    # From the cache, and a 304: only the facility.
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304

    # The city's: one query rendered, none from the cache.
    with django_assert_num_queries(1):
        response = client.get(CITY_FEED)
    assert len(events(parse(response))) == count
    with django_assert_num_queries(0):
        assert client.get(CITY_FEED).status_code == 200
    with django_assert_num_queries(0):
        assert client.get(CITY_FEED, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


# --- The resident's private feed -------------------------------------------------------------


def test_my_feed_has_my_bookings_only_with_their_status(client, resident, facility):
    mine = {
        status: booked(facility, 2 + number, 10, status, user=resident)
        for number, status in enumerate(BookingStatus.values)
    }
    someone_else_s = booked(facility, 2, 14, user=UserFactory())

    response = client.get(resident_feed_url(resident))

    calendar = parse(response)
    assert_a_feed(calendar, "Hai Depok")
    found = events(calendar)
    assert set(found) == {booking_uid(booking) for booking in mine.values()}
    assert booking_uid(someone_else_s) not in found
    statuses = {status: found[booking_uid(booking)]["status"] for status, booking in mine.items()}
    assert statuses == {
        "requested": "TENTATIVE",
        "approved": "CONFIRMED",
        "completed": "CONFIRMED",
        "no_show": "CONFIRMED",
        # Cancelled for calendar programs: they drop the event they had.
        "cancelled": "CANCELLED",
        "rejected": "CANCELLED",
        "expired": "CANCELLED",
    }
    approved = mine["approved"]
    event = found[booking_uid(approved)]
    assert approved.reference in str(event["description"])
    assert str(event["location"]) == "Balai Warga Melati, Jl. Melati 5"
    assert str(event["url"]) == f"{SITE_URL}/booking-saya/{approved.reference}/"
    assert event["transp"] == "OPAQUE"
    assert event.decoded("dtstart") == approved.start
    assert response["Cache-Control"] == "private, max-age=0, must-revalidate"
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Content-Disposition"] == 'inline; filename="hai-depok-saya.ics"'


def test_my_feed_s_events_match_my_invitation_mails(client, resident):
    """The same UID and SEQUENCE as the booking's own .ics: a calendar with both sees one
    event, at the same revision."""
    facility = open_facility(approval=Facility.Approval.COMMUNITY)
    booking = request_booking(facility, at(5, 10), at(5, 12), user=resident, now=clock.now())
    services.booking_approve(booking=booking, actor=organizer_of(facility))
    booking.refresh_from_db()

    [event] = parse(client.get(resident_feed_url(resident))).walk("VEVENT")
    [own] = icalendar.Calendar.from_ical(booking_calendar(booking)).walk("VEVENT")

    assert event["uid"] == own["uid"]
    assert event["sequence"] == own["sequence"] == 2  # requested, then approved


def test_my_feed_answers_304_and_a_change_is_a_new_etag(client, resident, facility):
    booking = booked(facility, 3, 10, BookingStatus.REQUESTED, user=resident)
    url = resident_feed_url(resident)
    etag = client.get(url)["ETag"]

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["X-Robots-Tag"] == "noindex"
    assert again["Cache-Control"] == "private, max-age=0, must-revalidate"

    services.booking_cancel(booking=booking, actor=resident)
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert events(parse(changed))[booking_uid(booking)]["status"] == "CANCELLED"


def test_a_wrong_token_is_a_404(client, resident):
    token = token_of(resident)

    for wrong in ("x", "a" * 22, token[:-1], token + "a", token.swapcase()):
        assert client.get(f"/kalender/saya/{wrong}.ics").status_code == 404
        assert client.get(f"/kalender/pengelola/{wrong}.ics").status_code == 404
    assert client.get(f"/kalender/saya/{token}").status_code == 404  # without .ics


def test_after_a_reset_the_old_link_is_a_404_and_the_new_one_works(client, resident):
    old_url = resident_feed_url(resident)
    assert client.get(old_url).status_code == 200
    signed_in = Client()
    signed_in.force_login(resident)

    response = signed_in.post(RESET, follow=True)

    assert response.redirect_chain == [(f"{PROFILE}#calendar", 302)]
    assert client.get(old_url).status_code == 404
    new_url = resident_feed_url(resident)
    assert new_url != old_url
    assert client.get(new_url).status_code == 200
    assert f"{SITE_URL}{new_url}" in response.content.decode()


def test_the_feed_of_an_inactive_or_deleted_account_is_a_404(client, resident):
    url = resident_feed_url(resident)
    resident.is_active = False
    resident.save()
    assert client.get(url).status_code == 404

    resident.delete()
    assert client.get(url).status_code == 404
    assert not CalendarFeedToken.objects.exists()


def test_my_feed_is_in_my_language(client, resident):
    resident.language = "en"
    resident.save()

    calendar = parse(client.get(resident_feed_url(resident), HTTP_ACCEPT_LANGUAGE="id"))

    assert calendar["x-wr-calname"] == "Hai Depok: my bookings"


@pytest.mark.parametrize("count", [2, 20])
def test_my_feed_costs_two_queries(client, resident, facility, count, django_assert_num_queries):
    for number in range(count):
        booked(facility, 1 + number // 4, 8 + 3 * (number % 4), user=resident)
    url = resident_feed_url(resident)

    # The token with its user, the bookings with what they show.
    with django_assert_num_queries(2):
        response = client.get(url)
    assert len(events(parse(response))) == count


# --- The organizer's feed --------------------------------------------------------------------


def test_an_organizer_s_feed_has_the_requests_of_their_facilities_only(client, facility, resident):
    organizer = organizer_of(facility)
    second = FacilityFactory(community=facility.community, name="Aula Melati")
    requested = booked(facility, 2, 10, BookingStatus.REQUESTED, user=resident, attendees=40)
    approved = booked(second, 3, 10, contact_phone=CONTACT_PHONE, organisation="PKK RW 03")
    left_out = [
        booked(facility, 4, 10, status, user=resident)
        for status in ("rejected", "cancelled", "expired")
    ]
    another_community_s = booked(FacilityFactory(), 2, 10, BookingStatus.REQUESTED)

    response = client.get(organizer_feed_url(organizer))

    calendar = parse(response)
    assert_a_feed(calendar, "Hai Depok")
    found = events(calendar)
    assert set(found) == {booking_uid(requested), booking_uid(approved)}
    assert booking_uid(another_community_s) not in found
    assert not {booking_uid(booking) for booking in left_out} & set(found)
    assert found[booking_uid(requested)]["status"] == "TENTATIVE"
    assert found[booking_uid(approved)]["status"] == "CONFIRMED"
    event = found[booking_uid(requested)]
    assert str(event["url"]) == f"{SITE_URL}/kelola/booking/{requested.reference}/"
    assert requested.reference in str(event["description"])
    assert "40" in str(event["description"])
    assert "PKK RW 03" in str(found[booking_uid(approved)]["description"])
    text = unfolded(response.content)
    for value in (RESIDENT_NAME, RESIDENT_EMAIL, RESIDENT_PHONE, CONTACT_PHONE, "+62"):
        assert value not in text
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Content-Disposition"] == 'inline; filename="hai-depok-pengelola.ics"'


def test_who_manages_nothing_has_no_organizer_feed(client, resident, facility):
    booked(facility, 2, 10, user=resident)

    assert client.get(organizer_feed_url(resident)).status_code == 404
    assert client.get(resident_feed_url(resident)).status_code == 200


def test_pemkot_staff_manage_every_facility(client, facility):
    """The workspace's rule (communities.permissions.managed_communities): staff see every
    community's bookings."""
    staff = UserFactory(is_staff=True)
    bookings = [booked(facility, 2, 10, "requested"), booked(FacilityFactory(), 2, 10)]

    found = events(parse(client.get(organizer_feed_url(staff))))

    assert set(found) == {booking_uid(booking) for booking in bookings}


def test_a_reset_ends_the_old_organizer_link_too(client, facility):
    organizer = organizer_of(facility)
    old_url = organizer_feed_url(organizer)
    assert client.get(old_url).status_code == 200

    account_services.calendar_feed_token_reset(user=organizer)

    assert client.get(old_url).status_code == 404
    assert client.get(organizer_feed_url(organizer)).status_code == 200


@pytest.mark.parametrize("count", [2, 20])
def test_the_organizer_feed_costs_a_fixed_number_of_queries(
    client, facility, count, django_assert_num_queries
):
    organizer = organizer_of(facility)
    staff = UserFactory(is_staff=True)
    for number in range(count):
        booked(facility, 1 + number // 4, 8 + 3 * (number % 4), BookingStatus.REQUESTED)

    url = organizer_feed_url(organizer)

    # The token with its user, whether they manage anything, the bookings.
    with django_assert_num_queries(3):
        response = client.get(url)
    assert len(events(parse(response))) == count
    # A 304 is written first, to compare: the same queries.
    with django_assert_num_queries(3):
        assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    # Staff: and their permissions (two queries, as on every staff page).
    url = organizer_feed_url(staff)
    with django_assert_num_queries(5):
        assert len(events(parse(client.get(url)))) == count


# --- The profile and the reset ---------------------------------------------------------------


def test_the_profile_shows_my_feed_link_made_once(resident):
    client = Client()
    client.force_login(resident)

    page = client.get(PROFILE).content.decode()

    token = CalendarFeedToken.objects.get(user=resident)
    assert len(token.token) >= 22  # 128 random bits
    assert f'value="{SITE_URL}/kalender/saya/{token.token}.ics"' in page
    assert 'action="/akun/profil/kalender/baru/"' in page
    assert "/kalender/pengelola/" not in page  # they manage nothing
    client.get(PROFILE)
    assert CalendarFeedToken.objects.get(user=resident).token == token.token


def test_an_organizer_s_profile_shows_both_links(facility):
    organizer = organizer_of(facility)
    client = Client()
    client.force_login(organizer)

    page = client.get(PROFILE).content.decode()

    token = token_of(organizer)
    assert f'value="{SITE_URL}/kalender/saya/{token}.ics"' in page
    assert f'value="{SITE_URL}/kalender/pengelola/{token}.ics"' in page


def test_the_reset_needs_a_post_a_sign_in_and_the_csrf_token(resident):
    old = token_of(resident)
    anonymous = Client()
    response = anonymous.post(RESET)
    assert response.status_code == 302
    assert response["Location"].startswith("/akun/login/")

    signed_in = Client()
    signed_in.force_login(resident)
    assert signed_in.get(RESET).status_code == 405

    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(resident)
    assert guarded.post(RESET).status_code == 403
    assert token_of(resident) == old

    assert signed_in.post(RESET).status_code == 302
    assert token_of(resident) != old


def test_someone_s_reset_leaves_my_link_alone(client, resident):
    url = resident_feed_url(resident)
    other = UserFactory()
    signed_in = Client()
    signed_in.force_login(other)

    signed_in.post(RESET)

    assert client.get(url).status_code == 200


# --- The links to the feeds ------------------------------------------------------------------


def test_the_public_calendar_links_to_the_feeds(client, facility):
    page = client.get("/kalender/").content.decode()
    assert f'href="{SITE_URL}/kalender.ics"' in page
    assert '<link rel="alternate" type="text/calendar"' in page

    page = client.get("/kalender/?fasilitas=balai-melati").content.decode()
    assert f'href="{SITE_URL}/fasilitas/balai-melati/kalender.ics"' in page


def test_the_facility_page_links_to_its_feed(client, facility):
    feed = f"{SITE_URL}/fasilitas/balai-melati/kalender.ics"

    page = client.get("/fasilitas/balai-melati/").content.decode()

    assert f'<a href="{feed}" type="text/calendar">' in page
    assert re.search(
        rf'<link rel="alternate" type="text/calendar"[^>]*href="{re.escape(feed)}"', page
    )


# --- Writing iCalendar ---------------------------------------------------------------------


def test_text_is_escaped_and_long_lines_folded(client, facility, resident):
    purpose = "Rapat; arisan, dan \\ syukuran\nRT 05 — " + "ąčęėį 😀 " * 12
    booking = booked(facility, 3, 10, user=resident, purpose=purpose[:200])

    response = client.get(resident_feed_url(resident))

    lines = response.content.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    [event] = parse(response).walk("VEVENT")
    assert str(event["summary"]) == f"{booking.purpose} — Balai Warga Melati"


# A pure function: the suite's function-scoped fixtures (autouse) change nothing it reads.
@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text_reads_back_the_same(text):
    line = feeds._property("SUMMARY", feeds._text(text))

    assert all(len(part.encode()) <= 75 for part in line.split("\r\n"))
    calendar = icalendar.Calendar.from_ical(
        f"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n{line}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    [event] = calendar.walk("VEVENT")
    expected = re.sub(r"\r\n|\r", "\n", text)
    expected = "".join(c for c in expected if c in "\t\n" or (c >= " " and c != "\x7f"))
    assert str(event.get("summary", "")) == expected
