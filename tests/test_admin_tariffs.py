"""Pemkot staff keep the Perda's tariffs and the add-ons in the admin (facilities/admin.py):
its forms refuse what the workspace's services refuse (facilities/tariffs.py), with the same
messages, on the form and saving nothing; and two staff saving overlapping tariffs at once
save one."""

import datetime as dt
import time

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from facilities import tariffs
from facilities.models import MAX_PRICE, AddOn, Tariff
from facilities.tariffs import MAX_STOCK, MESSAGES
from facilities.templatetags.rupiah import rupiah
from tests.admin_support import messages_of, pemkot_staff
from tests.factories import (
    AddOnFactory,
    BookingFactory,
    FacilityFactory,
    TariffFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    organizer_of,
    staff_with_permissions,
)
from tests.race_support import race

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

TARIFFS = "/admin/facilities/tariff/"
ADDONS = "/admin/facilities/addon/"


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def staff(client):
    user = pemkot_staff(full_name="Dewi Lestari")
    client.force_login(user)
    return user


@pytest.fixture
def facility():
    return FacilityFactory(name="Balai RW 03")


def tariff_data(facility, **changes) -> dict:
    return {
        "facility": str(facility.pk),
        "tariff_class": "sosial",
        "unit": "hour",
        "price": "50000",
        "valid_from": "2027-01-01",
        "valid_until": "",
        "legal_basis": "Perda Kota Depok No. 7 Tahun 2026",
        "_save": "Save",
        **changes,
    }


def addon_data(facilities, community=None, **changes) -> dict:
    community = community or facilities[0].community
    return {
        "community": str(community.pk),
        "name": "Kursi lipat",
        "description": "Kursi plastik",
        "price": "2000",
        "stock": "100",
        "facilities": [str(facility.pk) for facility in facilities],
        "is_active": "on",
        "_save": "Save",
        **changes,
    }


def form_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    return {field: list(errors) for field, errors in form.errors.items()}


def price_message() -> str:
    return MESSAGES["price_out_of_range"] % {"max": rupiah(MAX_PRICE)}


# --- Tariffs ----------------------------------------------------------------------------------


def test_staff_add_a_tariff(client, staff, facility):
    response = client.post(f"{TARIFFS}add/", tariff_data(facility, legal_basis="  Perda 7  "))

    assert response.status_code == 302, form_errors(response)
    tariff = Tariff.objects.get()
    assert (tariff.facility, tariff.tariff_class, tariff.unit, tariff.price) == (
        facility,
        "sosial",
        "hour",
        50_000,
    )
    assert (tariff.valid_from, tariff.valid_until) == (dt.date(2027, 1, 1), None)
    assert tariff.legal_basis == "Perda 7"


def test_staff_end_a_tariff_and_enter_the_next_one(client, staff, facility):
    old = TariffFactory(facility=facility, valid_from=dt.date(2020, 1, 1))

    ended = client.post(
        f"{TARIFFS}{old.pk}/change/",
        tariff_data(facility, valid_from="2020-01-01", valid_until="2027-01-31"),
    )
    new = client.post(
        f"{TARIFFS}add/", tariff_data(facility, valid_from="2027-02-01", price="60000")
    )

    assert ended.status_code == new.status_code == 302
    old.refresh_from_db()
    assert (old.valid_until, old.price) == (dt.date(2027, 1, 31), 50_000)
    assert Tariff.objects.get(valid_from=dt.date(2027, 2, 1)).price == 60_000


def test_a_tariff_s_own_edit_is_no_overlap_with_itself(client, staff, facility):
    tariff = TariffFactory(facility=facility, valid_from=dt.date(2027, 1, 1))

    response = client.post(f"{TARIFFS}{tariff.pk}/change/", tariff_data(facility, price="55000"))

    assert response.status_code == 302
    tariff.refresh_from_db()
    assert tariff.price == 55_000


def test_an_overlap_is_shown_on_the_form_and_nothing_is_saved(client, staff, facility):
    TariffFactory(facility=facility, valid_from=dt.date(2026, 1, 1))

    response = client.post(f"{TARIFFS}add/", tariff_data(facility, price="60000"))

    overlap = tariffs.overlap_error(tariffs.TariffTerms.of(Tariff.objects.get())).message
    assert form_errors(response) == {"__all__": [overlap]}
    assert "from 1 January 2026, no end yet" in overlap
    assert overlap in response.content.decode()
    assert Tariff.objects.count() == 1


def test_an_edit_into_another_tariff_s_days_is_refused(client, staff, facility):
    TariffFactory(facility=facility, valid_from=dt.date(2027, 2, 1), price=60_000)
    old = TariffFactory(
        facility=facility, valid_from=dt.date(2020, 1, 1), valid_until=dt.date(2027, 1, 31)
    )

    response = client.post(
        f"{TARIFFS}{old.pk}/change/",
        tariff_data(facility, valid_from="2020-01-01", valid_until="2027-02-01"),
    )

    assert list(form_errors(response)) == ["__all__"]
    old.refresh_from_db()
    assert old.valid_until == dt.date(2027, 1, 31)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"price": "-1"}, "price", price_message),
        ({"price": str(MAX_PRICE + 1)}, "price", price_message),
        ({"price": "50000.5"}, "price", price_message),
        ({"price": "lima puluh ribu"}, "price", price_message),
        ({"price": ""}, "price", price_message),
        (
            {"tariff_class": "gratis", "price": "1000"},
            "price",
            lambda: str(MESSAGES["gratis_not_free"]),
        ),
        ({"tariff_class": "vip"}, "tariff_class", lambda: str(MESSAGES["tariff_class_unknown"])),
        ({"tariff_class": ""}, "tariff_class", lambda: str(MESSAGES["tariff_class_unknown"])),
        ({"unit": "week"}, "unit", lambda: str(MESSAGES["unit_unknown"])),
        ({"valid_from": ""}, "valid_from", lambda: str(MESSAGES["valid_from_required"])),
        (
            {"valid_from": "2027-03-10", "valid_until": "2027-03-09"},
            "valid_until",
            lambda: MESSAGES["valid_until_before_from"] % {"first": "10 March 2027"},
        ),
        (
            {"legal_basis": "P" * 201},
            "legal_basis",
            lambda: MESSAGES["text_too_long"] % {"limit": 200},
        ),
    ],
)
def test_the_form_refuses_what_the_services_refuse_with_their_message(
    client, staff, facility, changes, field, message
):
    response = client.post(f"{TARIFFS}add/", tariff_data(facility, **changes))

    assert form_errors(response) == {field: [message()]}
    assert not Tariff.objects.exists()


def test_the_rules_messages_are_in_the_staff_member_s_language(client, staff, facility, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"

    response = client.post(f"{TARIFFS}add/", tariff_data(facility, price="-1"))

    with translation.override("id"):
        indonesian = price_message()
    with translation.override("en"):
        english = price_message()
    assert form_errors(response) == {"price": [indonesian]}
    assert indonesian != english


@pytest.mark.parametrize(
    ("field", "day"), [("valid_from", "1999-12-31"), ("valid_until", "2100-01-01")]
)
def test_days_outside_the_project_s_years_are_refused(client, staff, facility, field, day):
    from haidepok import clock

    response = client.post(f"{TARIFFS}add/", tariff_data(facility, **{field: day}))

    assert form_errors(response) == {field: [clock.out_of_bounds_message()]}
    assert not Tariff.objects.exists()


def test_staff_delete_a_tariff_entered_by_mistake_one_or_several_at_once(client, staff, facility):
    from tests.admin_support import run_action

    one = TariffFactory(facility=facility, valid_from=dt.date(2027, 1, 1))
    others = [
        TariffFactory(facility=facility, unit="day", price=300_000),
        TariffFactory(facility=FacilityFactory(), unit="day", price=300_000),
    ]
    kept = TariffFactory(facility=facility, tariff_class="komersial")

    deleted = client.post(f"{TARIFFS}{one.pk}/delete/", {"post": "yes"})
    run_action(client, "delete_selected", others, url=TARIFFS, post="yes")

    assert deleted.status_code == 302
    assert list(Tariff.objects.all()) == [kept]


def test_staff_without_the_permission_are_refused(client, facility):
    tariff = TariffFactory(facility=facility, valid_from=dt.date(2027, 1, 1))
    client.force_login(staff_with_permissions("facilities.view_tariff"))

    added = client.post(f"{TARIFFS}add/", tariff_data(facility, unit="day"))
    changed = client.post(f"{TARIFFS}{tariff.pk}/change/", tariff_data(facility, price="1"))
    deleted = client.post(f"{TARIFFS}{tariff.pk}/delete/", {"post": "yes"})

    assert added.status_code == changed.status_code == deleted.status_code == 403
    tariff.refresh_from_db()
    assert (Tariff.objects.count(), tariff.price) == (1, 50_000)


@pytest.mark.parametrize("who", ["resident", "organizer"])
def test_people_outside_the_admin_are_sent_to_its_login(client, facility, who):
    client.force_login(UserFactory() if who == "resident" else organizer_of(facility))

    response = client.post(f"{TARIFFS}add/", tariff_data(facility))

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
    assert not Tariff.objects.exists()


# --- Add-ons ----------------------------------------------------------------------------------


def test_staff_add_and_change_an_add_on(client, staff, facility):
    other_hall = FacilityFactory(community=facility.community)

    added = client.post(f"{ADDONS}add/", addon_data([facility]))
    addon = AddOn.objects.get()
    changed = client.post(
        f"{ADDONS}{addon.pk}/change/",
        addon_data([facility, other_hall], name="Kursi lipat biru", stock="80", price="2500"),
    )

    assert added.status_code == changed.status_code == 302
    addon.refresh_from_db()
    assert (addon.name, addon.stock, addon.price) == ("Kursi lipat biru", 80, 2_500)
    assert set(addon.facilities.all()) == {facility, other_hall}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", lambda: str(MESSAGES["name_required"])),
        ({"name": "   "}, "name", lambda: str(MESSAGES["name_required"])),
        ({"name": "x" * 101}, "name", lambda: MESSAGES["text_too_long"] % {"limit": 100}),
        (
            {"description": "x" * 201},
            "description",
            lambda: MESSAGES["text_too_long"] % {"limit": 200},
        ),
        ({"stock": "0"}, "stock", lambda: MESSAGES["stock_out_of_range"] % {"max": MAX_STOCK}),
        ({"stock": "-1"}, "stock", lambda: MESSAGES["stock_out_of_range"] % {"max": MAX_STOCK}),
        (
            {"stock": str(MAX_STOCK + 1)},
            "stock",
            lambda: MESSAGES["stock_out_of_range"] % {"max": MAX_STOCK},
        ),
        ({"stock": "40000"}, "stock", lambda: MESSAGES["stock_out_of_range"] % {"max": MAX_STOCK}),
        ({"stock": "banyak"}, "stock", lambda: MESSAGES["stock_out_of_range"] % {"max": MAX_STOCK}),
        ({"price": "-1"}, "price", price_message),
        ({"price": str(MAX_PRICE + 1)}, "price", price_message),
    ],
)
def test_the_add_on_form_refuses_what_the_services_refuse(
    client, staff, facility, changes, field, message
):
    response = client.post(f"{ADDONS}add/", addon_data([facility], **changes))

    assert form_errors(response) == {field: [message()]}
    assert not AddOn.objects.exists()


def test_an_add_on_is_not_offered_at_another_community_s_facility(client, staff, facility):
    foreign = FacilityFactory(name="Lapangan Kukusan")

    response = client.post(
        f"{ADDONS}add/", addon_data([facility, foreign], community=facility.community)
    )

    expected = MESSAGES["addon_foreign_facility"] % {"names": "Lapangan Kukusan"}
    assert form_errors(response) == {"facilities": [expected]}
    assert not AddOn.objects.exists()


def test_a_lowered_stock_is_saved_and_names_the_bookings_it_leaves_lent_twice(
    client, staff, facility
):
    from bookings.models import BookingLine, BookingStatus
    from haidepok import clock

    addon = AddOnFactory(
        community=facility.community, name="Kursi lipat", stock=100, offered_at=[facility]
    )
    other_hall = FacilityFactory(community=facility.community)
    addon.facilities.add(other_hall)
    start = clock.now().replace(microsecond=0) + dt.timedelta(days=5)
    held = []
    for hall in (facility, other_hall):
        booking = BookingFactory(facility=hall, start=start, status=BookingStatus.APPROVED)
        BookingLine.objects.create(
            booking=booking,
            kind="addon",
            addon=addon,
            label=addon.name,
            quantity=45,
            unit_price=0,
            amount=0,
        )
        held.append(booking)

    response = client.post(
        f"{ADDONS}{addon.pk}/change/", addon_data([facility, other_hall], stock="100"), follow=True
    )
    lowered = client.post(
        f"{ADDONS}{addon.pk}/change/", addon_data([facility, other_hall], stock="80"), follow=True
    )

    assert [level for level, _text in messages_of(response)] == ["success"]
    warnings = [text for level, text in messages_of(lowered) if level == "warning"]
    assert len(warnings) == 1
    assert all(booking.reference in warnings[0] for booking in held)
    addon.refresh_from_db()
    assert addon.stock == 80


def test_staff_without_the_add_on_permission_are_refused(client, facility):
    addon = AddOnFactory(community=facility.community, stock=5)
    client.force_login(staff_with_permissions("facilities.view_addon"))

    added = client.post(f"{ADDONS}add/", addon_data([facility]))
    changed = client.post(f"{ADDONS}{addon.pk}/change/", addon_data([facility], stock="1"))

    assert added.status_code == changed.status_code == 403
    addon.refresh_from_db()
    assert (AddOn.objects.count(), addon.stock) == (1, 5)


# --- The race ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises every write transaction anyway (IMMEDIATE)",
)
def test_two_staff_saving_overlapping_tariffs_at_once_save_one(monkeypatch):
    facility = FacilityFactory()
    browsers = []
    for _ in range(2):
        browser = Client()
        browser.cookies["django_language"] = "en"
        browser.force_login(pemkot_staff())
        browsers.append(browser)

    # Hold each save for a moment after its check passed: without the facility's lock both
    # would have checked before either saved.
    check_tariff = tariffs.check_tariff

    def check_then_pause(*args, **kwargs):
        check_tariff(*args, **kwargs)
        time.sleep(0.2)

    monkeypatch.setattr(tariffs, "check_tariff", check_then_pause)

    def save(i):
        data = tariff_data(facility, valid_from=f"2027-01-0{i + 1}", price=str(50_000 + i))
        return browsers[i].post(f"{TARIFFS}add/", data)

    responses = race(save, threads=2)

    assert sorted(getattr(response, "status_code", response) for response in responses) == [
        200,
        302,
    ]
    refused = next(response for response in responses if response.status_code == 200)
    assert list(form_errors(refused)) == ["__all__"]
    assert Tariff.objects.count() == 1
