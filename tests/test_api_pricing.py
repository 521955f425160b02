"""Retribusi through the API: the price quote (POST /api/v1/facilities/<slug>/quote/), a
booking requested with a tariff class and add-ons (and the total the resident was shown), the
price and the invoice in booking answers, and the tariffs and add-ons of a facility.

The arithmetic itself is bookings.pricing's (tests/test_pricing.py); here the API answers what
it computes, refuses bad input with a clear 400 and writes nothing."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from bookings import pricing, services
from bookings.api.serializers import MAX_ADDONS
from bookings.models import Booking, BookingLine
from facilities.models import TariffClass
from haidepok import clock
from payments.models import Invoice, InvoiceState
from payments.services import payment_record_manual
from tests.api_support import (
    assert_error,
    booking_body,
    booking_day,
    restore_language,  # noqa: F401 (a fixture)
    token_client,
)
from tests.factories import (
    AddOnFactory,
    FacilityFactory,
    TariffFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
    priced_facility,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("fast_password_hashing", "restore_language"),
]

BOOKINGS = "/api/v1/bookings/"


def quote_url(facility) -> str:
    return f"/api/v1/facilities/{facility.slug}/quote/"


def times(day: dt.date, start_hour: int = 10, hours: int = 2) -> dict:
    start = clock.local_datetime(day, dt.time(start_hour))
    return {"start": start.isoformat(), "end": (start + dt.timedelta(hours=hours)).isoformat()}


def quote(facility, *, day=None, start_hour=10, hours=2, client=None, **body):
    client = client or APIClient()
    # HTTP_* keywords are request headers (the language), the rest the body.
    headers = {key: body.pop(key) for key in list(body) if key.startswith("HTTP_")}
    request = {**times(day or booking_day(), start_hour, hours), **body}
    return client.post(quote_url(facility), request, format="json", **headers)


@pytest.fixture
def facility():
    """Sosial Rp 50.000 and komersial Rp 150.000 per hour, gratis; a sound system (Rp 75.000,
    two of them) and chairs (Rp 5.000, a hundred) to borrow."""
    facility = priced_facility(slug="balai-rakyat-beji", approval="city", max_slots=24)
    facility.sound = AddOnFactory(
        community=facility.community, name="Sound system", price=75_000, stock=2,
        offered_at=[facility],
    )  # fmt: skip
    facility.chairs = AddOnFactory(
        community=facility.community, name="Kursi lipat", price=5_000, stock=100,
        offered_at=[facility],
    )  # fmt: skip
    return facility


# --- The quote ------------------------------------------------------------------------------


def test_a_quote_is_itemised_in_whole_rupiah(facility):
    response = quote(
        facility,
        hours=3,
        tariff_class="komersial",
        addons=[
            {"addon": facility.chairs.pk, "quantity": 40},
            {"addon": facility.sound.pk, "quantity": 2},
        ],
    )

    assert response.status_code == 200, response.content
    answer = response.json()
    by_addon = sorted([facility.sound, facility.chairs], key=lambda addon: addon.pk)
    assert answer["tariff_class"] == "komersial"
    assert answer["lines"][0] == {
        "kind": "tariff",
        "description": answer["lines"][0]["description"],
        "unit": "hour",
        "addon": None,
        "quantity": 3,
        "unit_price": 150_000,
        "amount": 450_000,
    }
    quantities = {facility.sound.pk: 2, facility.chairs.pk: 40}
    assert [
        (line["kind"], line["addon"], line["description"], line["quantity"], line["amount"])
        for line in answer["lines"][1:]
    ] == [
        ("addon", addon.pk, addon.name, quantities[addon.pk], quantities[addon.pk] * addon.price)
        for addon in by_addon
    ]
    assert answer["total"] == 450_000 + 150_000 + 200_000
    assert answer["currency"] == "IDR"


def test_the_quote_is_what_the_one_price_function_says(facility):
    day = booking_day()
    start = clock.local_datetime(day, dt.time(9))
    expected = pricing.quote(
        facility=facility,
        tariff_class="sosial",
        start=start,
        end=start + dt.timedelta(hours=4),
        addons={facility.sound.pk: 1},
    )

    answer = quote(
        facility,
        day=day,
        start_hour=9,
        hours=4,
        tariff_class="sosial",
        addons=[{"addon": facility.sound.pk, "quantity": 1}],
    ).json()

    assert answer["total"] == expected.total == 4 * 50_000 + 75_000
    assert [(line["quantity"], line["unit_price"]) for line in answer["lines"]] == [
        (line.quantity, line.unit_price) for line in expected.lines
    ]


def test_the_cheapest_whole_units_cover_the_length():
    facility = priced_facility(
        tariffs=[("sosial", "hour", 50_000), ("sosial", "half_day", 200_000)], max_slots=24
    )

    seven_hours = quote(facility, start_hour=8, hours=7, tariff_class="sosial").json()

    assert [(line["unit"], line["quantity"]) for line in seven_hours["lines"]] == [
        ("hour", 1),
        ("half_day", 1),
    ]
    assert seven_hours["total"] == 250_000


def test_labels_follow_the_request_language(facility):
    body = {**times(booking_day()), "tariff_class": "sosial"}

    english = APIClient().post(quote_url(facility), body, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert english.json()["tariff_class_label"] == "Social"
    assert english.json()["lines"][0]["description"] == "per hour"


def test_the_free_class_costs_nothing(facility):
    answer = quote(facility, hours=3, tariff_class="gratis").json()

    assert answer["tariff_class"] == "gratis"
    assert answer["total"] == 0
    assert [line["amount"] for line in answer["lines"]] == [0]


def test_a_facility_without_tariffs_asks_no_class_and_prices_its_add_ons_only():
    facility = open_facility()
    projector = AddOnFactory(community=facility.community, price=100_000, offered_at=[facility])

    bare = quote(facility).json()
    with_projector = quote(facility, addons=[{"addon": projector.pk, "quantity": 1}]).json()

    assert bare == {
        "tariff_class": "",
        "tariff_class_label": "",
        "lines": [],
        "total": 0,
        "currency": "IDR",
    }
    assert with_projector["total"] == 100_000


def test_the_tariffs_of_the_booking_s_first_day_apply():
    """A new Perda entered ahead of time prices the bookings from its first day."""
    day = booking_day(10)
    facility = open_facility(max_slots=24)
    TariffFactory(facility=facility, price=50_000, valid_until=day - dt.timedelta(days=1))
    TariffFactory(facility=facility, price=60_000, valid_from=day)

    before = quote(facility, day=day - dt.timedelta(days=1), tariff_class="sosial").json()
    after = quote(facility, day=day, tariff_class="sosial").json()
    # Starting the evening before, across midnight: the day it starts decides.
    overnight = quote(
        facility, day=day - dt.timedelta(days=1), start_hour=22, hours=4, tariff_class="sosial"
    ).json()

    assert (before["total"], after["total"], overnight["total"]) == (100_000, 120_000, 200_000)


def test_anyone_may_ask_a_price_in_three_queries(facility, django_assert_num_queries):
    body = {**times(booking_day()), "tariff_class": "sosial"}
    body["addons"] = [{"addon": facility.sound.pk, "quantity": 1}]

    # The facility, the day's tariffs, the add-ons.
    with django_assert_num_queries(3):
        response = APIClient().post(quote_url(facility), body, format="json")

    assert response.status_code == 200
    signed_in = token_client(UserFactory()).post(quote_url(facility), body, format="json")
    assert signed_in.json() == response.json()


def test_a_quote_reserves_nothing(facility):
    for _ in range(3):
        response = quote(
            facility, tariff_class="sosial", addons=[{"addon": facility.sound.pk, "quantity": 2}]
        )
        assert response.status_code == 200
    assert not Booking.objects.exists()
    assert not BookingLine.objects.exists()


@pytest.mark.parametrize(
    "hidden",
    [
        lambda: FacilityFactory(slug="hidden", is_published=False),
        lambda: FacilityFactory.build(slug="hidden"),
    ],
    ids=["unpublished", "missing"],
)
def test_no_quote_for_a_facility_that_cannot_be_booked(hidden):
    response = quote(hidden(), tariff_class="sosial")

    assert_error(response, 404, "not_found")


def test_the_quote_is_post_only(facility):
    assert_error(APIClient().get(quote_url(facility)), 405, "method_not_allowed")


# --- Bad input, refused with a clear message -------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"tariff_class": "vip"}, "tariff_class_unknown", "tariff_class"),
        ({"tariff_class": "SOSIAL"}, "tariff_class_unknown", "tariff_class"),
        ({"tariff_class": ""}, "tariff_class_required", "tariff_class"),
        ({"tariff_class": "x" * 41}, "invalid", "tariff_class"),
        ({"tariff_class": 1}, "invalid", "tariff_class"),
        ({"tariff_class": ["sosial"]}, "invalid", "tariff_class"),
        ({"tariff_class": None}, "invalid", "tariff_class"),
        ({"tariff_class": True}, "invalid", "tariff_class"),
        ({"start": "besok pagi"}, "invalid", "start"),
        ({"start": "9999-12-31T10:00:00"}, "invalid", "start"),
        ({"end": None}, "invalid", "end"),
        ({"addons": None}, "invalid", "addons"),
        ({"addons": "sound system"}, "invalid", "addons"),
        ({"addons": {"1": 2}}, "invalid", "addons"),
        ({"addons": 3}, "invalid", "addons"),
        ({"addons": [1, 2]}, "invalid", "addons.0.__all__"),
        ({"addons": [[1, 2]]}, "invalid", "addons.0.__all__"),
        ({"addons": [{"quantity": 1}]}, "invalid", "addons.0.addon"),
        ({"addons": [{"addon": "SOUND", "quantity": 1}]}, "invalid", "addons.0.addon"),
        ({"addons": [{"addon": 0, "quantity": 1}]}, "invalid", "addons.0.addon"),
        ({"addons": [{"addon": -4, "quantity": 1}]}, "invalid", "addons.0.addon"),
        ({"addons": [{"addon": 2**63, "quantity": 1}]}, "invalid", "addons.0.addon"),
        ({"addons": [{"addon": 10**40, "quantity": 1}]}, "invalid", "addons.0.addon"),
        ({"addons": [{"addon": 999_999_999, "quantity": 1}]}, "addon_unavailable", "addons"),
    ],
)
def test_a_bad_quote_request_is_a_400_that_names_its_field(facility, change, code, field):
    body = {**times(booking_day()), "tariff_class": "sosial", **change}

    response = APIClient().post(quote_url(facility), body, format="json")

    error = assert_error(response, 400, code)
    assert field in error["fields"], error


@pytest.mark.parametrize(
    "quantity", [0, -1, -(10**30), 1001, 10**30, 2.5, "dua", "", True, None, [2], {"n": 2}]
)
def test_a_bad_add_on_quantity_is_a_400(facility, quantity):
    addons = [{"addon": facility.sound.pk, "quantity": quantity}]

    response = quote(facility, tariff_class="sosial", addons=addons)

    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["addons.0.quantity"], error


def test_an_add_on_listed_twice_is_refused_not_added_up(facility):
    twice = [
        {"addon": facility.sound.pk, "quantity": 1},
        {"addon": facility.sound.pk, "quantity": 1},
    ]

    response = quote(facility, tariff_class="sosial", addons=twice, HTTP_ACCEPT_LANGUAGE="en")

    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {
        "addons": ["Each add-on may be listed once, with the quantity you need."]
    }


def test_a_list_of_add_ons_is_bounded(facility):
    many = [{"addon": number, "quantity": 1} for number in range(1, MAX_ADDONS + 2)]

    error = assert_error(quote(facility, tariff_class="sosial", addons=many), 400, "invalid")

    assert list(error["fields"]) == ["addons"]


def test_add_ons_this_facility_does_not_lend_are_unavailable(facility):
    elsewhere = AddOnFactory(offered_at=[open_facility()])
    withdrawn = AddOnFactory(community=facility.community, offered_at=[facility], is_active=False)

    for addon in (elsewhere, withdrawn):
        response = quote(
            facility, tariff_class="sosial", addons=[{"addon": addon.pk, "quantity": 1}]
        )
        assert_error(response, 400, "addon_unavailable")


def test_more_items_than_the_stock_are_refused(facility):
    response = quote(
        facility,
        tariff_class="sosial",
        addons=[{"addon": facility.sound.pk, "quantity": 3}],
        HTTP_ACCEPT_LANGUAGE="en",
    )

    error = assert_error(response, 400, "addon_over_stock")
    assert error["message"] == "At most 2 × Sound system can be lent."


def test_every_reason_at_once_by_field(facility):
    response = quote(facility, tariff_class="vip", addons=[{"addon": 999_999, "quantity": 1}])

    error = assert_error(response, 400, "tariff_class_unknown")
    assert set(error["fields"]) == {"tariff_class", "addons"}


def test_a_class_the_facility_has_not_that_day(facility):
    facility.tariffs.filter(tariff_class="komersial").delete()

    response = quote(facility, tariff_class="komersial", HTTP_ACCEPT_LANGUAGE="en")

    error = assert_error(response, 400, "tariff_class_not_offered")
    assert "Commercial" in error["message"]


@pytest.mark.parametrize(
    ("start_hour", "hours", "code"),
    [(12, -2, "too_short"), (12, 0, "too_short"), (8, 25, "too_long")],
)
def test_a_length_no_booking_can_have_is_refused(facility, start_hour, hours, code):
    response = quote(facility, start_hour=start_hour, hours=hours, tariff_class="sosial")

    assert_error(response, 400, code)


def test_a_longest_stay_within_the_bound_is_priced_at_once():
    """The longest booking a facility may allow is priced without counting for long."""
    facility = priced_facility(
        tariffs=[("sosial", "hour", 10_000)], slot_minutes=120, max_slots=32_767
    )
    start = clock.local_datetime(booking_day(), dt.time(8))
    end = start + dt.timedelta(minutes=120 * 32_767)
    body = {"start": start.isoformat(), "end": end.isoformat(), "tariff_class": "sosial"}

    response = APIClient().post(quote_url(facility), body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["total"] == 2 * 32_767 * 10_000


def test_a_price_above_what_one_booking_may_cost_is_refused(resident):
    """Two hours at Rp 100 juta and 19 stages at Rp 100 juta: more than the Rp 2 miliar one
    booking may cost (its columns are integers)."""
    facility = priced_facility(tariffs=[("komersial", "hour", 100_000_000)])
    stage = AddOnFactory(
        community=facility.community, price=100_000_000, stock=50, offered_at=[facility]
    )
    priced = {"tariff_class": "komersial", "addons": [{"addon": stage.pk, "quantity": 19}]}

    quoted = APIClient().post(
        quote_url(facility), {**times(booking_day()), **priced}, format="json"
    )
    requested = token_client(resident).post(
        BOOKINGS, booking_body(facility, booking_day(), **priced)
    )

    assert_error(quoted, 400, "price_too_high")
    assert_error(requested, 400, "price_too_high")
    assert not Booking.objects.exists()


@pytest.mark.parametrize("raw", [b"{", b"[]", b'"sosial"', b"null"])
def test_a_body_that_is_not_an_object_is_refused(facility, raw):
    response = APIClient().generic(
        "POST", quote_url(facility), raw, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] in {"malformed_json", "invalid"}


# --- A booking with a class and add-ons -------------------------------------------------------


@pytest.fixture
def resident():
    return UserFactory()


@pytest.fixture
def api(resident):
    return token_client(resident)


def priced_body(facility, **overrides):
    """10:00–13:00 in the commercial class with one sound system: Rp 525.000."""
    priced = {
        "tariff_class": "komersial",
        "addons": [{"addon": facility.sound.pk, "quantity": 1}],
        **overrides,
    }
    return booking_body(facility, booking_day(), 10, 3, **priced)


def test_a_booking_is_priced_and_stored_as_its_lines(api, facility):
    response = api.post(BOOKINGS, priced_body(facility))

    assert response.status_code == 201, response.content
    booking = Booking.objects.get()
    answer = response.json()
    assert answer["tariff_class"] == booking.tariff_class == "komersial"
    assert answer["price_total"] == booking.price_total == 3 * 150_000 + 75_000
    assert answer["currency"] == "IDR"
    assert [(line["kind"], line["quantity"], line["amount"]) for line in answer["lines"]] == [
        ("tariff", 3, 450_000),
        ("addon", 1, 75_000),
    ]
    assert list(booking.lines.values_list("kind", "quantity", "amount")) == [
        ("tariff", 3, 450_000),
        ("addon", 1, 75_000),
    ]
    # Waiting for the city's decision: no invoice yet.
    assert answer["status"] == "requested"
    assert answer["invoice"] is None


def test_the_booking_costs_what_its_quote_said(api, facility):
    body = priced_body(facility)
    quoted = (
        APIClient()
        .post(
            quote_url(facility),
            {key: body[key] for key in ("start", "end", "tariff_class", "addons")},
            format="json",
        )
        .json()
    )

    response = api.post(BOOKINGS, {**body, "expected_total": quoted["total"]})

    assert response.status_code == 201, response.content
    assert response.json()["lines"] == quoted["lines"]
    assert response.json()["price_total"] == quoted["total"]


def test_a_changed_price_books_nothing_and_answers_the_new_quote(api, facility):
    response = api.post(
        BOOKINGS, priced_body(facility, expected_total=450_000), HTTP_ACCEPT_LANGUAGE="en"
    )

    error = response.json()
    assert response.status_code == 409, error
    assert error["code"] == "price_changed"
    assert "Rp 525.000" in error["message"]
    assert error["quote"]["total"] == 525_000
    assert [line["amount"] for line in error["quote"]["lines"]] == [450_000, 75_000]
    assert not Booking.objects.exists()

    again = api.post(BOOKINGS, priced_body(facility, expected_total=error["quote"]["total"]))
    assert again.status_code == 201, again.content


def test_a_price_sent_by_the_client_is_not_the_price(api, facility):
    """Tampering: the body's totals, lines and unit prices are not read; the price is the
    pricing's."""
    body = priced_body(
        facility,
        price_total=1,
        total=1,
        lines=[{"kind": "tariff", "quantity": 1, "unit_price": 1, "amount": 1}],
    )
    body["addons"][0]["unit_price"] = 1

    response = api.post(BOOKINGS, body)

    assert response.status_code == 201, response.content
    assert Booking.objects.get().price_total == 525_000
    assert response.json()["price_total"] == 525_000


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"tariff_class": ""}, "tariff_class_required", "tariff_class"),
        ({"tariff_class": "vip"}, "tariff_class_unknown", "tariff_class"),
        ({"addons": [{"addon": 1, "quantity": -1}]}, "invalid", "addons.0.quantity"),
        ({"addons": [{"addon": 999_999, "quantity": 1}]}, "addon_unavailable", "addons"),
        ({"expected_total": -1}, "invalid", "expected_total"),
        ({"expected_total": "525000 rupiah"}, "invalid", "expected_total"),
        ({"expected_total": 10**30}, "invalid", "expected_total"),
        ({"expected_total": 525_000.5}, "invalid", "expected_total"),
    ],
)
def test_a_bad_priced_request_writes_nothing(api, facility, change, code, field):
    response = api.post(BOOKINGS, priced_body(facility, **change))

    error = assert_error(response, 400, code)
    assert field in error["fields"], error
    assert not Booking.objects.exists()


def test_add_ons_held_by_others_at_that_time_are_a_conflict(api, facility):
    other = token_client(UserFactory())
    body = priced_body(facility, addons=[{"addon": facility.sound.pk, "quantity": 2}])
    assert other.post(BOOKINGS, body).status_code == 201
    # Another hall of the community lends the same two sound systems, at the same time.
    hall = priced_facility(approval="city", community=facility.community)
    facility.sound.facilities.add(hall)

    response = api.post(BOOKINGS, {**priced_body(facility), "facility": hall.slug})

    assert_error(response, 409, "addon_out_of_stock")
    assert Booking.objects.count() == 1


# --- The invoice in booking answers ------------------------------------------------------------


def paid(booking) -> Invoice:
    invoice = Invoice.objects.get(booking=booking)
    payment_record_manual(
        invoice=invoice,
        actor=UserFactory(is_staff=True),
        method="transfer",
        amount=invoice.amount,
        external_reference="TRF 0042",
        paid_at=clock.now(),
    )
    return invoice


@pytest.fixture
def approved(resident, facility):
    facility.approval = "auto"
    facility.save()
    response = token_client(resident).post(BOOKINGS, priced_body(facility))
    assert response.status_code == 201, response.content
    return Booking.objects.get(reference=response.json()["reference"])


def test_an_approved_booking_with_a_price_shows_its_invoice(api, approved):
    answer = api.get(f"{BOOKINGS}{approved.reference}/").json()

    invoice = Invoice.objects.get(booking=approved)
    assert answer["status"] == "approved"
    assert answer["invoice"] == {
        "number": invoice.number,
        "amount": 525_000,
        "state": "unpaid",
        "state_label": answer["invoice"]["state_label"],
        "issued_at": clock.to_local(invoice.issued_at).isoformat(),
        "due_at": clock.to_local(invoice.due_at).isoformat(),
        "paid_at": None,
        "receipt_number": None,
    }
    assert invoice.number.startswith("TGH-")
    assert answer["invoice"]["due_at"].endswith("+07:00")


def test_the_answer_to_the_request_itself_carries_the_invoice(api, facility):
    facility.approval = "auto"
    facility.save()

    response = api.post(BOOKINGS, priced_body(facility))

    assert response.json()["invoice"]["number"] == Invoice.objects.get().number
    assert response.json()["invoice"]["state"] == "unpaid"


def test_a_paid_invoice_shows_its_receipt(api, approved):
    invoice = paid(approved)
    payment = invoice.payments.get()

    answer = api.get(f"{BOOKINGS}{approved.reference}/").json()
    listed = api.get(BOOKINGS).json()["results"][0]

    assert answer["invoice"]["state"] == "paid"
    assert answer["invoice"]["receipt_number"] == payment.receipt_number
    assert payment.receipt_number.startswith("BB-")
    assert answer["invoice"]["paid_at"] == clock.to_local(payment.paid_at).isoformat()
    assert listed["invoice"] == answer["invoice"]


def test_a_cancelled_booking_shows_its_invoice_cancelled(api, resident, approved):
    response = api.post(f"{BOOKINGS}{approved.reference}/cancel/", {})

    assert response.status_code == 200, response.content
    assert response.json()["invoice"]["state"] == InvoiceState.CANCELLED


def test_another_resident_sees_neither_the_booking_nor_its_invoice(approved):
    paid(approved)
    stranger = token_client(UserFactory())
    elsewhere = token_client(organizer_of(FacilityFactory()))

    for client in (stranger, elsewhere):
        assert_error(client.get(f"{BOOKINGS}{approved.reference}/"), 404, "not_found")
        assert client.get(BOOKINGS).json()["results"] == []


def test_the_facility_s_organizers_see_the_invoice_as_they_see_the_booking(approved):
    organizer = token_client(organizer_of(approved.facility))

    answer = organizer.get(f"{BOOKINGS}{approved.reference}/").json()

    assert answer["invoice"]["number"] == Invoice.objects.get().number


@pytest.mark.parametrize("bookings", [3, 30])
def test_the_list_with_prices_and_invoices_takes_a_fixed_number_of_queries(
    bookings, resident, facility, django_assert_max_num_queries
):
    facility.approval = "auto"
    facility.max_active_per_user = 100
    facility.lead_hours = 0
    facility.save()
    staff = UserFactory(is_staff=True)
    for number in range(bookings):
        start = clock.local_datetime(booking_day(1 + number // 10), dt.time(8 + number % 10))
        booking = services.booking_request(
            facility=facility,
            user=resident,
            start=start,
            end=start + dt.timedelta(hours=1),
            purpose="Latihan",
            attendees=10,
            contact_phone="+62 812 5555 6666",
            tariff_class="sosial",
            addons={facility.chairs.pk: 10},
        )
        if number % 2:
            invoice = Invoice.objects.get(booking=booking)
            payment_record_manual(
                invoice=invoice,
                actor=staff,
                method="cash",
                amount=invoice.amount,
                external_reference=f"K-{number}",
                paid_at=clock.now(),
            )
    api = token_client(resident)
    api.get(BOOKINGS)  # the token's first use is recorded once

    # The token, the count, the page (with the invoices), events, lines, payments.
    with django_assert_max_num_queries(7):
        response = api.get(BOOKINGS)

    results = response.json()["results"]
    assert len(results) == min(bookings, 20)
    assert all(len(result["lines"]) == 2 for result in results)
    assert {result["invoice"]["state"] for result in results} == {"paid", "unpaid"}


# --- Tariffs and add-ons of a facility --------------------------------------------------------


def test_the_detail_lists_the_tariffs_in_force_and_to_come_and_the_add_ons(facility):
    today = clock.local_now().date()
    facility.tariffs.filter(tariff_class="komersial").update(
        valid_until=today + dt.timedelta(days=30)
    )
    TariffFactory(
        facility=facility,
        tariff_class="komersial",
        price=175_000,
        valid_from=today + dt.timedelta(days=31),
        legal_basis="Perda Kota Depok No. 3 Tahun 2027",
    )
    TariffFactory(facility=facility, price=40_000, valid_until=today - dt.timedelta(days=1))
    AddOnFactory(community=facility.community, offered_at=[facility], is_active=False)
    AddOnFactory(offered_at=[open_facility()])

    detail = APIClient().get(f"/api/v1/facilities/{facility.slug}/").json()

    assert [
        (t["tariff_class"], t["unit"], t["price"], t["valid_from"], t["valid_until"])
        for t in detail["tariffs"]
    ] == [
        ("sosial", "hour", 50_000, "2000-01-01", None),
        ("komersial", "hour", 150_000, "2000-01-01", (today + dt.timedelta(days=30)).isoformat()),
        ("gratis", "hour", 0, "2000-01-01", None),
        ("komersial", "hour", 175_000, (today + dt.timedelta(days=31)).isoformat(), None),
    ]
    assert [c["tariff_class"] for c in detail["tariff_classes"]] == list(TariffClass.values)
    assert all(c["label"] and c["rules"] for c in detail["tariff_classes"])
    assert detail["addons"] == [
        {
            "id": addon.pk,
            "name": addon.name,
            "description": addon.description,
            "price": addon.price,
            "stock": addon.stock,
        }
        for addon in (facility.chairs, facility.sound)  # by name
    ]
    assert "fee" not in detail
    assert detail["price_from"]["price"] == 50_000


def test_the_detail_explains_the_classes_in_the_request_language(facility):
    detail = (
        APIClient().get(f"/api/v1/facilities/{facility.slug}/", HTTP_ACCEPT_LANGUAGE="en").json()
    )

    gratis = next(c for c in detail["tariff_classes"] if c["tariff_class"] == "gratis")
    assert gratis["label"] == "Free of charge"
    assert "Posyandu" in gratis["rules"]


@pytest.mark.parametrize("tariffs", [1, 12])
def test_the_detail_takes_a_fixed_number_of_queries(
    tariffs, facility, django_assert_max_num_queries
):
    for number in range(tariffs):
        TariffFactory(facility=facility, price=1_000 + number, valid_from=dt.date(2001, 1, 1))
        AddOnFactory(community=facility.community, offered_at=[facility])

    # The facility, photos, today's paying tariffs, hours, current tariffs, add-ons.
    with django_assert_max_num_queries(7):
        response = APIClient().get(f"/api/v1/facilities/{facility.slug}/")

    assert len(response.json()["tariffs"]) == 3 + tariffs


def test_a_card_says_from_what_price_in_force_today(facility):
    today = clock.local_now().date()
    free = open_facility(slug="free")
    only_gratis = priced_facility(slug="only-gratis", tariffs=[("gratis", "hour", 0)])
    # Cheaper, but only from next month: not today's price.
    TariffFactory(facility=facility, price=10_000, valid_from=today + dt.timedelta(days=30))
    daily = priced_facility(slug="daily", tariffs=[("komersial", "day", 900_000)])

    cards = {
        card["slug"]: card["price_from"]
        for card in APIClient()
        .get("/api/v1/facilities/", HTTP_ACCEPT_LANGUAGE="en")
        .json()["results"]
    }

    assert cards[facility.slug] == {
        "price": 50_000,
        "unit": "hour",
        "unit_label": "per hour",
        "tariff_class": "sosial",
        "tariff_class_label": "Social",
    }
    assert cards[daily.slug]["price"] == 900_000
    assert cards[daily.slug]["unit"] == "day"
    assert cards[free.slug] is None
    assert cards[only_gratis.slug] is None
