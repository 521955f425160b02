import datetime as dt
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from bookings.models import Booking, BookingEvent, BookingStatus
from communities.models import Membership
from haidepok import clock
from payments.models import Invoice
from payments.services import payment_record_manual
from tests.api_support import (
    assert_error,
    booking_body,
    booking_day,
    csrf_token_of,
    restore_language,  # noqa: F401 (a fixture)
    session_client,
    token_client,
)
from tests.factories import (
    AddOnFactory,
    BookingFactory,
    FacilityFactory,
    MembershipFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
    priced_facility,
    request_booking,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("fast_password_hashing", "restore_language"),
]

URL = "/api/v1/bookings/"


@pytest.fixture
def facility():
    return open_facility(slug="balai-rakyat-beji", approval="city", cancel_hours=24)


@pytest.fixture
def resident():
    return UserFactory()


@pytest.fixture
def api(resident):
    return token_client(resident)


def upcoming_booking(facility, user, *, days_ahead=5, hour=10, **kwargs):
    start = clock.local_datetime(booking_day(days_ahead), dt.time(hour))
    return BookingFactory(
        facility=facility, user=user, start=start, end=start + dt.timedelta(hours=2), **kwargs
    )


# --- Create -------------------------------------------------------------------------------------


def test_a_resident_requests_a_booking(api, resident, facility):
    day = booking_day()

    response = api.post(URL, booking_body(facility, day))

    assert response.status_code == 201, response.content
    booking = Booking.objects.get()
    assert booking.user == resident
    body = response.json()
    assert body["reference"] == booking.reference
    assert response["Location"].endswith(f"/api/v1/bookings/{booking.reference}/")
    assert body["status"] == "requested"
    assert body["facility"] == "balai-rakyat-beji"
    assert body["start"] == f"{day.isoformat()}T10:00:00+07:00"
    assert body["end"] == f"{day.isoformat()}T12:00:00+07:00"
    assert body["purpose"] == "Rapat karang taruna"
    assert body["attendees"] == 25
    assert body["organisation"] == "Karang Taruna RW 07"
    assert body["phone"] == "+62 812 3456 7890"
    assert booking.contact_phone == "+62 812 3456 7890"
    assert [(e["from_status"], e["to_status"]) for e in body["events"]] == [("", "requested")]
    assert body["events"][0]["at"].endswith("+07:00")
    # A facility without tariffs costs nothing and asks no class.
    assert (body["tariff_class"], body["lines"], body["price_total"]) == ("", [], 0)
    assert (body["currency"], body["invoice"]) == ("IDR", None)


@pytest.mark.parametrize("role", ["organizer", "staff"])
def test_organizers_and_staff_book_like_any_resident(facility, role):
    user = organizer_of(facility) if role == "organizer" else UserFactory(is_staff=True)

    response = token_client(user).post(URL, booking_body(facility, booking_day()))

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "requested"  # no shortcut past the approval
    assert Booking.objects.get().user == user


def test_an_automatic_facility_approves_at_once(api):
    facility = open_facility(approval="auto")

    response = api.post(URL, booking_body(facility, booking_day()))

    assert response.status_code == 201
    assert response.json()["status"] == "approved"


def test_a_time_without_offset_means_wib(api, facility):
    day = booking_day()
    body = booking_body(
        facility, day, start=f"{day.isoformat()}T10:00:00", end=f"{day.isoformat()}T12:00"
    )

    response = api.post(URL, body)

    assert response.status_code == 201, response.content
    booking = Booking.objects.get()
    assert booking.start == clock.local_datetime(day, dt.time(10))
    assert response.json()["start"] == f"{day.isoformat()}T10:00:00+07:00"


def test_a_time_with_another_offset_is_the_same_moment_shown_in_wib(api, facility):
    day = booking_day()
    # 03:00 UTC is 10:00 WIB; 14:00 in Japan (+09:00) is 12:00 WIB.
    body = booking_body(facility, day, start=f"{day}T03:00:00Z", end=f"{day}T14:00:00+09:00")

    response = api.post(URL, body)

    assert response.status_code == 201, response.content
    assert response.json()["start"] == f"{day.isoformat()}T10:00:00+07:00"
    assert response.json()["end"] == f"{day.isoformat()}T12:00:00+07:00"
    assert Booking.objects.get().start == clock.local_datetime(day, dt.time(10))


def test_organisation_may_be_left_out(api, facility):
    body = booking_body(facility, booking_day())
    del body["organisation"]

    response = api.post(URL, body)

    assert response.status_code == 201
    assert response.json()["organisation"] == ""


def test_anonymous_requests_are_401_with_a_challenge(facility):
    response = APIClient().post(URL, booking_body(facility, booking_day()), format="json")

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Booking.objects.exists()


def test_a_session_write_needs_the_csrf_token(resident, facility):
    browser = session_client(resident)
    body = booking_body(facility, booking_day())

    refused = browser.post(URL, body, content_type="application/json")
    assert_error(refused, 403, "csrf_failed")
    assert not Booking.objects.exists()

    accepted = browser.post(
        URL, body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf_token_of(browser)
    )
    assert accepted.status_code == 201, accepted.content
    assert Booking.objects.get().user == resident


def test_a_session_read_needs_no_csrf_token(resident, facility):
    upcoming_booking(facility, resident)

    response = session_client(resident).get(URL)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_a_taken_slot_is_409(api, facility):
    day = booking_day()
    upcoming_booking(facility, UserFactory(), hour=11)

    response = api.post(URL, booking_body(facility, day, 10))

    error = assert_error(response, 409, "slot_taken")
    assert error["fields"] == {"start": [error["message"]]}
    assert Booking.objects.count() == 1


def test_a_refused_rule_is_400_with_every_reason_by_field(api, facility):
    day = booking_day()
    body = booking_body(facility, day, 6, attendees=500)  # before 08:00, over capacity

    response = api.post(URL, body)

    error = assert_error(response, 400, "outside_opening_hours")
    assert set(error["fields"]) == {"start", "attendees"}
    assert error["fields"]["attendees"] == ["Fasilitas ini menampung paling banyak 100 orang."]
    assert not Booking.objects.exists()


def test_rule_messages_follow_the_request_language(api, facility):
    body = booking_body(facility, booking_day(), attendees=500)

    indonesian = assert_error(api.post(URL, body), 400, "over_capacity")
    english = assert_error(api.post(URL, body, HTTP_ACCEPT_LANGUAGE="en"), 400, "over_capacity")

    assert english["message"] == "This facility holds at most 100 people."
    assert indonesian["message"] == "Fasilitas ini menampung paling banyak 100 orang."


def test_field_messages_follow_the_request_language(api, facility):
    body = booking_body(facility, booking_day())
    del body["purpose"]

    indonesian = assert_error(api.post(URL, body), 400, "invalid")
    english = assert_error(api.post(URL, body, HTTP_ACCEPT_LANGUAGE="en"), 400, "invalid")

    assert indonesian["fields"] == {"purpose": ["Bidang ini harus diisi."]}
    assert english["fields"] == {"purpose": ["This field is required."]}
    assert indonesian["message"] != english["message"]


def test_an_unverified_email_is_403(facility):
    api = token_client(UserFactory(verified=False))

    response = api.post(URL, booking_body(facility, booking_day()))

    assert_error(response, 403, "email_not_verified")
    assert not Booking.objects.exists()


def test_an_unknown_facility_is_a_bad_field(api):
    response = api.post(URL, booking_body(FacilityFactory.build(slug="tidak-ada"), booking_day()))

    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["facility"]


def test_an_unpublished_facility_is_refused_by_the_rules(api):
    draft = open_facility(is_published=False)

    response = api.post(URL, booking_body(draft, booking_day()))

    assert_error(response, 400, "not_bookable")
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"attendees": 0}, "attendees"),
        ({"attendees": -3}, "attendees"),
        ({"attendees": 100_001}, "attendees"),
        ({"attendees": 10**30}, "attendees"),
        ({"attendees": 2.5}, "attendees"),
        ({"attendees": "dua puluh"}, "attendees"),
        ({"attendees": True}, "attendees"),
        ({"attendees": None}, "attendees"),
        ({"purpose": ""}, "purpose"),
        ({"purpose": "x" * 201}, "purpose"),
        ({"purpose": ["Rapat"]}, "purpose"),
        ({"purpose": "Rapat\x00"}, "purpose"),
        ({"purpose": 12345}, "purpose"),
        ({"purpose": False}, "purpose"),
        ({"organisation": "x" * 151}, "organisation"),
        ({"phone": "x" * 33}, "phone"),
        ({"phone": "bukan nomor"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"facility": 12}, "facility"),
        ({"facility": {"slug": "x"}}, "facility"),
        ({"start": "besok pagi"}, "start"),
        ({"start": "0000-01-01T10:00:00"}, "start"),
        ({"start": "0001-01-01T00:00:00"}, "start"),
        ({"start": "0001-01-01T00:00:00+14:00"}, "start"),
        ({"start": "9999-12-31T23:00:00"}, "start"),
        ({"start": "9999-12-31T23:00:00-12:00"}, "start"),
        ({"end": "1970-01-01T00:00:00Z"}, "end"),
        ({"start": 1767225600}, "start"),
        ({"start": "2027-02-30T10:00:00"}, "start"),
        ({"start": "2027-01-01T25:00:00"}, "start"),
    ],
)
def test_bad_fields_are_400_and_write_nothing(api, facility, change, field):
    response = api.post(URL, booking_body(facility, booking_day(), **change))

    error = assert_error(response, 400, "invalid")
    assert field in error["fields"], error
    assert not Booking.objects.exists()


def test_end_before_start_is_400(api, facility):
    day = booking_day()
    body = booking_body(facility, day, 12, end=f"{day}T10:00:00")

    response = api.post(URL, body)

    assert_error(response, 400, "too_short")
    assert not Booking.objects.exists()


def test_missing_fields_are_listed_together(api):
    error = assert_error(api.post(URL, {}), 400, "invalid")

    assert set(error["fields"]) == {"facility", "start", "end", "purpose", "attendees", "phone"}


@pytest.mark.parametrize(
    "raw",
    [b"{", b"{'facility': 'x'}", b"NaN", b'{"attendees": NaN}', b"\xff\xfe", b'{"a": 1}}'],
)
def test_malformed_json_is_400(api, raw):
    response = api.generic("POST", URL, raw, content_type="application/json")

    assert_error(response, 400, "malformed_json")


@pytest.mark.parametrize("raw", [b"[]", b'"booking"', b"42", b"null", b"[{}]"])
def test_json_that_is_not_an_object_is_400(api, raw):
    response = api.generic("POST", URL, raw, content_type="application/json")

    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["__all__"]


def test_a_form_encoded_body_is_415(api, facility):
    # Multipart is taken (a file per supporting document); a plain form body is not.
    response = api.post(
        URL,
        urlencode(booking_body(facility, booking_day())),
        content_type="application/x-www-form-urlencoded",
    )

    assert_error(response, 415, "unsupported_media_type")


# --- List ---------------------------------------------------------------------------------------


def test_the_list_has_the_caller_s_own_bookings_only(facility, resident):
    mine = upcoming_booking(facility, resident, days_ahead=3)
    later = upcoming_booking(facility, resident, days_ahead=6)
    upcoming_booking(facility, UserFactory(), days_ahead=4)

    response = token_client(resident).get(URL)

    assert response.status_code == 200
    assert [b["reference"] for b in response.json()["results"]] == [
        later.reference,
        mine.reference,
    ]


@pytest.mark.parametrize("role", ["organizer", "staff", "another resident"])
def test_the_list_never_shows_other_people_s_bookings(facility, resident, role):
    upcoming_booking(facility, resident)
    if role == "organizer":
        user = organizer_of(facility)
    else:
        user = UserFactory(is_staff=role == "staff")

    response = token_client(user).get(URL)

    assert response.json()["results"] == []


def test_the_list_needs_authentication():
    response = APIClient().get(URL)

    assert_error(response, 401, "not_authenticated")
    assert "WWW-Authenticate" in response


@pytest.mark.parametrize("bookings", [3, 30])
def test_the_list_takes_a_fixed_number_of_queries(
    bookings, facility, resident, django_assert_max_num_queries
):
    for number in range(bookings):
        start = clock.local_datetime(booking_day(1 + number // 10), dt.time(8 + number % 10))
        BookingFactory(
            facility=facility, user=resident, start=start, end=start + dt.timedelta(hours=1)
        )
    api = token_client(resident)
    api.get(URL)  # the token's first use is recorded once

    # The token, the count, the page (with the invoices), its events, its price lines (the
    # payments of its invoices when there are any: tests/test_api_pricing.py).
    with django_assert_max_num_queries(6):
        response = api.get(URL)

    assert len(response.json()["results"]) == min(bookings, 20)


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_booking_is_shown_as_its_declared_fields_say(facility, resident, language):
    from django.utils import translation
    from rest_framework import serializers

    from bookings import services
    from bookings.api.serializers import BookingSerializer

    booking = upcoming_booking(facility, resident, organisation="Karang Taruna")
    services.booking_approve(booking=booking, actor=UserFactory(is_staff=True))
    services.booking_cancel(booking=booking, actor=resident, reason="Hujan")
    booking = Booking.objects.select_related("facility").get(pk=booking.pk)

    with translation.override(language):
        serializer = BookingSerializer(booking)
        direct = serializer.to_representation(booking)
        by_fields = serializers.ModelSerializer.to_representation(serializer, booking)

    assert direct == by_fields
    assert [event["to_status"] for event in direct["events"]] == ["approved", "cancelled"]


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_priced_paid_booking_is_shown_as_its_declared_fields_say(resident, language):
    from django.utils import translation
    from rest_framework import serializers

    from bookings.api.serializers import BookingSerializer

    facility = priced_facility(approval="auto", lead_hours=0)
    sound = AddOnFactory(community=facility.community, offered_at=[facility])
    start = clock.local_datetime(booking_day(), dt.time(10))
    booking = request_booking(
        facility,
        start,
        start + dt.timedelta(hours=2),
        now=clock.now(),
        user=resident,
        tariff_class="sosial",
        addons={sound.pk: 2},
    )
    invoice = Invoice.objects.get(booking=booking)
    payment_record_manual(
        invoice=invoice,
        actor=UserFactory(is_staff=True),
        method="transfer",
        amount=invoice.amount,
        external_reference="TRF-1",
        paid_at=clock.now(),
    )
    booking = Booking.objects.select_related("facility").get(pk=booking.pk)

    with translation.override(language):
        serializer = BookingSerializer(booking)
        direct = serializer.to_representation(booking)
        by_fields = serializers.ModelSerializer.to_representation(serializer, booking)

    assert direct == by_fields
    assert [line["kind"] for line in direct["lines"]] == ["tariff", "addon"]
    assert direct["invoice"]["state"] == "paid"
    assert direct["invoice"]["receipt_number"].startswith("BB-")


# --- Detail -------------------------------------------------------------------------------------


def test_the_owner_sees_a_booking_by_its_reference_however_typed(facility, resident):
    booking = upcoming_booking(facility, resident)
    BookingEvent.objects.create(booking=booking, actor=resident, to_status="requested")
    api = token_client(resident)
    sloppy = booking.reference.lower().replace("-", "")

    for reference in (booking.reference, sloppy, f" {booking.reference.lower()}"):
        response = api.get(f"{URL}{reference}/")
        assert response.status_code == 200, reference
        assert response.json()["reference"] == booking.reference
        assert len(response.json()["events"]) == 1


def test_another_resident_cannot_tell_a_booking_exists(facility, resident):
    booking = upcoming_booking(facility, resident)
    other = token_client(UserFactory())

    theirs = other.get(f"{URL}{booking.reference}/")
    missing = other.get(f"{URL}HD-XXXXXX/")

    assert_error(theirs, 404, "not_found")
    assert theirs.json() == missing.json()


@pytest.mark.parametrize("role", ["organizer", "staff"])
def test_who_manages_the_facility_sees_its_bookings(facility, resident, role):
    booking = upcoming_booking(facility, resident)
    user = organizer_of(facility) if role == "organizer" else UserFactory(is_staff=True)

    response = token_client(user).get(f"{URL}{booking.reference}/")

    assert response.status_code == 200
    assert response.json()["phone"] == booking.contact_phone


def test_an_organizer_of_another_community_or_a_plain_member_gets_404(facility, resident):
    booking = upcoming_booking(facility, resident)
    elsewhere = organizer_of(FacilityFactory())
    member = MembershipFactory(community=facility.community, role=Membership.Role.MEMBER).user

    for user in (elsewhere, member):
        assert_error(token_client(user).get(f"{URL}{booking.reference}/"), 404, "not_found")


def test_the_detail_needs_authentication(facility, resident):
    booking = upcoming_booking(facility, resident)

    assert_error(APIClient().get(f"{URL}{booking.reference}/"), 401, "not_authenticated")


# --- Cancel -------------------------------------------------------------------------------------


def cancel_url(booking) -> str:
    return f"{URL}{booking.reference}/cancel/"


def test_the_owner_cancels_with_an_optional_reason(facility, resident):
    booking = upcoming_booking(facility, resident)

    response = token_client(resident).post(cancel_url(booking), {"reason": "Acara diundur"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["events"][-1]["to_status"] == "cancelled"
    assert response.json()["events"][-1]["reason"] == "Acara diundur"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_the_owner_may_cancel_with_no_body_at_all(facility, resident):
    booking = upcoming_booking(facility, resident)

    response = token_client(resident).post(cancel_url(booking))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"


def test_cancelling_too_late_is_400(facility, resident):
    start = clock.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=5)
    booking = BookingFactory(
        facility=facility,
        user=resident,
        start=start,
        end=start + dt.timedelta(hours=1),
        status=BookingStatus.APPROVED,
    )

    response = token_client(resident).post(cancel_url(booking))

    assert_error(response, 400, "cancel_too_late")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED


def test_an_undecided_request_is_withdrawn_after_the_cancel_deadline(facility, resident):
    start = clock.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=5)
    booking = BookingFactory(
        facility=facility, user=resident, start=start, end=start + dt.timedelta(hours=1)
    )
    assert facility.cancel_hours > 5

    response = token_client(resident).post(cancel_url(booking))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"


def test_cancelling_twice_is_400(facility, resident):
    booking = upcoming_booking(facility, resident, status=BookingStatus.CANCELLED)

    assert_error(token_client(resident).post(cancel_url(booking)), 400, "invalid_transition")


def test_another_resident_cannot_cancel_and_learns_nothing(facility, resident):
    booking = upcoming_booking(facility, resident)

    response = token_client(UserFactory()).post(cancel_url(booking), {"reason": "iseng"})

    assert_error(response, 404, "not_found")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_anonymous_cannot_cancel(facility, resident):
    booking = upcoming_booking(facility, resident)

    assert_error(APIClient().post(cancel_url(booking)), 401, "not_authenticated")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


@pytest.mark.parametrize("role", ["organizer", "staff"])
def test_who_manages_the_facility_cancels_with_a_reason(facility, resident, role):
    booking = upcoming_booking(facility, resident)
    user = organizer_of(facility) if role == "organizer" else UserFactory(is_staff=True)
    api = token_client(user)

    assert_error(api.post(cancel_url(booking)), 400, "reason_required")
    response = api.post(cancel_url(booking), {"reason": "Gedung dipakai acara kota"})

    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.events.get().actor == user


def test_a_session_cancel_needs_the_csrf_token(facility, resident):
    booking = upcoming_booking(facility, resident)
    browser = session_client(resident)

    refused = browser.post(cancel_url(booking), {}, content_type="application/json")
    assert_error(refused, 403, "csrf_failed")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED

    response = browser.post(
        cancel_url(booking),
        {},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_token_of(browser),
    )
    assert response.status_code == 200


def test_a_bad_cancel_body_is_400(facility, resident):
    booking = upcoming_booking(facility, resident)
    api = token_client(resident)

    assert_error(api.post(cancel_url(booking), {"reason": "x" * 1001}), 400, "invalid")
    assert_error(api.post(cancel_url(booking), {"reason": 12.5e300}), 400, "invalid")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_cancel_is_post_only(facility, resident):
    booking = upcoming_booking(facility, resident)

    response = token_client(resident).get(cancel_url(booking))

    assert_error(response, 405, "method_not_allowed")


# --- Anything else ------------------------------------------------------------------------------


def test_an_unknown_api_path_is_a_json_404():
    assert_error(APIClient().get("/api/v1/nothing-here/"), 404, "not_found")
    assert_error(APIClient().post("/api/v1/bookings/a/b/c/"), 404, "not_found")
