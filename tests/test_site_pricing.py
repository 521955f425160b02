"""Retribusi on the booking pages: the form asks the tariff class (with its rules and prices)
and the add-ons only where the facility has them; the check page shows the itemised price
from bookings.pricing and sends it back as the expected total; any tampered input is refused
with a clear message and books nothing. And the facility page and catalog show the tariffs."""

import datetime as dt
import re

import pytest
from django.utils.translation import gettext

from bookings.models import Booking, BookingLine, BookingStatus
from bookings.pricing import MAX_ADDON_QUANTITY
from facilities.models import CLASS_RULES, Tariff, TariffClass
from haidepok import clock
from tests.factories import (
    AddOnFactory,
    BookingFactory,
    FacilityFactory,
    TariffFactory,
    UserFactory,
    open_facility,
    priced_facility,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall():
    """Sosial Rp 50.000 and komersial Rp 150.000 per hour, gratis; decided by the city."""
    return priced_facility(name="Balai Rakyat Sukmajaya", capacity=50, max_slots=8)


@pytest.fixture
def sound(hall):
    return AddOnFactory(
        community=hall.community,
        name="Sound system",
        description="Dua speaker aktif",
        price=75_000,
        stock=3,
        offered_at=[hall],
    )


@pytest.fixture
def resident(client):
    resident = UserFactory()
    client.force_login(resident)
    return resident


@pytest.fixture
def day():
    return clock.local_now().date() + dt.timedelta(days=5)


def url(facility) -> str:
    return f"/fasilitas/{facility.slug}/pesan/"


def form_data(day, **overrides):
    data = {
        "date": day.isoformat(),
        "start_time": "10:00",
        "slots": "3",
        "purpose": "Pelatihan UMKM",
        "attendees": "30",
        "organisation": "",
        "phone": "0812 3456 7890",
        "agree": "on",
    }
    data.update(overrides)
    return data


def hidden_value(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
    assert match, f"no hidden {name}"
    return match.group(1)


def templates(response) -> list[str]:
    return [template.name for template in response.templates]


# --- The form -------------------------------------------------------------------------------


def test_a_free_facility_keeps_the_one_step_form(client, resident, day):
    facility = open_facility()

    form_page = client.get(url(facility))
    preview = client.post(url(facility), form_data(day, slots="2"))
    page = preview.content.decode()

    assert "tariff_class" not in form_page.context["form"].fields
    assert 'name="tariff_class"' not in form_page.content.decode()
    assert "addon_" not in form_page.content.decode()
    assert "bookings/booking_summary.html" in templates(preview)
    assert preview.context["quote"].is_free
    assert gettext("Free of charge: there is nothing to pay.") in page
    assert hidden_value(page, "expected_total") == "0"

    confirm = client.post(
        url(facility), form_data(day, slots="2", action="confirm", expected_total="0")
    )

    booking = Booking.objects.get()
    assert confirm.status_code == 302
    assert booking.price_total == 0 and booking.tariff_class == ""
    assert not booking.lines.exists()


def test_the_form_asks_the_class_with_its_rules_and_its_prices(client, resident, hall, sound):
    today = clock.local_now().date()
    # A new Perda from next month, and a tariff that ended yesterday (not shown).
    TariffFactory(
        facility=hall, price=60_000, valid_from=today + dt.timedelta(days=30), legal_basis="Perda 2"
    )
    TariffFactory(
        facility=hall, unit="day", price=999_000, valid_until=today - dt.timedelta(days=1)
    )

    response = client.get(url(hall))
    page = response.content.decode()

    form = response.context["form"]
    assert [value for value, _ in form.fields["tariff_class"].choices] == [
        "sosial",
        "komersial",
        "gratis",
    ]
    for value in ("sosial", "komersial", "gratis"):
        assert f'type="radio" name="tariff_class" value="{value}"' in page
        assert str(CLASS_RULES[TariffClass(value)]) in page
    assert "Rp 50.000" in page and "Rp 150.000" in page
    assert "Rp 60.000" in page  # the upcoming price, with its date
    assert (today + dt.timedelta(days=30)).strftime("%Y") in page
    assert "Rp 999.000" not in page
    # The add-on as a quantity: 0 = none, bounded.
    field = re.search(rf'<input type="number" name="addon_{sound.pk}"[^>]*>', page).group(0)
    assert 'min="0"' in field and f'max="{MAX_ADDON_QUANTITY}"' in field and 'value="0"' in field
    assert "Sound system" in page and "Rp 75.000" in page


def test_a_class_is_asked_where_only_a_future_tariff_exists_and_one_class_is_preselected(
    client, resident
):
    facility = open_facility()
    TariffFactory(facility=facility, valid_from=clock.local_now().date() + dt.timedelta(days=40))

    form = client.get(url(facility)).context["form"]

    assert [value for value, _ in form.fields["tariff_class"].choices] == ["sosial"]
    assert form["tariff_class"].value() == "sosial"


def test_add_ons_alone_are_asked_without_a_class(client, resident, day):
    facility = open_facility()
    chairs = AddOnFactory(
        community=facility.community, name="Kursi lipat", price=20_000, offered_at=[facility]
    )
    # An add-on no longer offered is not asked.
    AddOnFactory(community=facility.community, is_active=False, offered_at=[facility])

    form = client.get(url(facility)).context["form"]
    preview = client.post(url(facility), form_data(day, slots="2", **{f"addon_{chairs.pk}": "2"}))

    assert "tariff_class" not in form.fields
    assert [field.name for field in form.addon_fields] == [f"addon_{chairs.pk}"]
    quote = preview.context["quote"]
    assert quote.tariff_class == "" and quote.total == 40_000
    assert "Rp 40.000" in preview.content.decode()


# --- The check page -------------------------------------------------------------------------


def test_the_check_page_itemises_the_price_and_books_nothing(client, resident, hall, sound, day):
    response = client.post(
        url(hall), form_data(day, tariff_class="komersial", **{f"addon_{sound.pk}": "2"})
    )
    page = response.content.decode()

    assert "bookings/booking_summary.html" in templates(response)
    quote = response.context["quote"]
    assert [(line.kind, line.quantity, line.unit_price, line.amount) for line in quote.lines] == [
        ("tariff", 3, 150_000, 450_000),
        ("addon", 2, 75_000, 150_000),
    ]
    assert quote.total == 600_000
    for text in ("3 × Rp 150.000", "Rp 450.000", "2 × Rp 75.000", "Rp 600.000", "Sound system"):
        assert text in page, text
    assert str(TariffClass.KOMERSIAL.label) in page
    # Said clearly: paid after approval, not now.
    assert re.search(r"(setelah disetujui|after approval)", page)
    assert hidden_value(page, "expected_total") == "600000"
    assert hidden_value(page, "tariff_class") == "komersial"
    assert hidden_value(page, f"addon_{sound.pk}") == "2"
    assert not Booking.objects.exists()


def test_sending_the_checked_price_books_it_with_its_lines(client, resident, hall, sound, day):
    data = form_data(day, tariff_class="komersial", **{f"addon_{sound.pk}": "2"})
    preview = client.post(url(hall), data)
    expected = hidden_value(preview.content.decode(), "expected_total")

    response = client.post(url(hall), {**data, "action": "confirm", "expected_total": expected})

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert booking.user == resident and booking.status == BookingStatus.REQUESTED
    assert booking.tariff_class == "komersial" and booking.price_total == 600_000
    assert list(booking.lines.values_list("kind", "quantity", "amount")) == [
        (BookingLine.Kind.TARIFF, 3, 450_000),
        (BookingLine.Kind.ADDON, 2, 150_000),
    ]
    detail = client.get(response["Location"]).content.decode()
    assert "Rp 600.000" in detail and "3 × Rp 150.000" in detail
    assert re.search(r"(setelah disetujui|after approval)", detail)


def test_a_changed_expected_total_is_refused_with_the_new_price(client, resident, hall, day):
    data = form_data(day, tariff_class="sosial", action="confirm", expected_total="1")

    response = client.post(url(hall), data)
    page = response.content.decode()

    assert not Booking.objects.exists()
    assert "bookings/booking_summary.html" in templates(response)
    assert response.context["price_changed"].code == "price_changed"
    assert "Rp 150.000" in page  # the price now, in the message and the lines
    assert hidden_value(page, "expected_total") == "150000"


def test_a_tariff_changed_between_check_and_send_shows_the_new_price(client, resident, hall, day):
    data = form_data(day, tariff_class="sosial")
    shown = hidden_value(client.post(url(hall), data).content.decode(), "expected_total")
    assert shown == "150000"
    Tariff.objects.filter(facility=hall, tariff_class="sosial").update(price=70_000)

    response = client.post(url(hall), {**data, "action": "confirm", "expected_total": shown})

    assert not Booking.objects.exists()
    assert "Rp 210.000" in response.context["price_changed"].message
    again = client.post(url(hall), {**data, "action": "confirm", "expected_total": "210000"})
    assert again.status_code == 302
    assert Booking.objects.get().price_total == 210_000


def test_sending_without_the_checked_price_is_refused(client, resident, hall, day):
    response = client.post(url(hall), form_data(day, tariff_class="sosial", action="confirm"))

    assert response.status_code == 200
    assert response.context["form"].errors["expected_total"]
    assert "bookings/booking_form.html" in templates(response)
    assert not Booking.objects.exists()


def test_the_class_is_required_where_the_facility_has_tariffs(client, resident, hall, day):
    response = client.post(url(hall), form_data(day))

    assert "bookings/booking_form.html" in templates(response)
    errors = response.context["form"].errors["tariff_class"]
    assert errors == [gettext("Choose the tariff class that fits your activity.")]
    assert 'id="id_tariff_class_error"' in response.content.decode()


# --- Tampering: every input of the form and of the check page's hidden copy -------------------


TAMPERED = [
    ("tariff_class", "vip"),
    ("tariff_class", "<script>"),
    ("tariff_class", ""),
    ("addon", "-1"),
    ("addon", "1.5"),
    ("addon", "dua"),
    ("addon", str(MAX_ADDON_QUANTITY + 1)),
    ("addon", "9" * 5000),
]
# Only the check page carries the price it showed.
TAMPERED_PRICE = [
    ("expected_total", "abc"),
    ("expected_total", "-5"),
    ("expected_total", "1e9"),
    ("expected_total", str(10**30)),
]


@pytest.mark.parametrize(
    "action, field, value",
    [("preview", *case) for case in TAMPERED]
    + [("confirm", *case) for case in TAMPERED]
    + [("confirm", *case) for case in TAMPERED_PRICE],
)
def test_a_tampered_input_gets_a_clear_error_and_books_nothing(
    client, resident, hall, sound, day, action, field, value
):
    data = form_data(
        day,
        action=action,
        tariff_class="sosial",
        expected_total="150000",
        **{f"addon_{sound.pk}": "0"},
    )
    name = f"addon_{sound.pk}" if field == "addon" else field
    data[name] = value

    response = client.post(url(hall), data)

    assert response.status_code == 200
    assert "bookings/booking_form.html" in templates(response)
    errors = response.context["form"].errors[name]
    assert errors and all(message.strip() for message in errors)
    assert value not in " ".join(errors) or value == ""  # said in words, not echoed raw
    assert not Booking.objects.exists()


@pytest.mark.parametrize("action", ["preview", "confirm"])
def test_an_add_on_of_another_facility_or_unknown_is_refused(
    client, resident, hall, sound, day, action
):
    other = open_facility()
    theirs = AddOnFactory(community=other.community, offered_at=[other])

    for key in (f"addon_{theirs.pk}", "addon_999999", "addon_x"):
        data = form_data(day, action=action, tariff_class="sosial", expected_total="150000")
        response = client.post(url(hall), {**data, key: "1"})

        form = response.context["form"]
        assert "bookings/booking_form.html" in templates(response)
        assert form.non_field_errors(), key
        assert response.content.decode().count('role="alert"') >= 1
    assert not Booking.objects.exists()


def test_a_class_the_facility_does_not_have_is_refused(client, resident, day):
    facility = priced_facility(tariffs=[("sosial", "hour", 50_000)])

    response = client.post(url(facility), form_data(day, tariff_class="komersial"))

    assert response.context["form"].errors["tariff_class"]
    assert not Booking.objects.exists()


def test_a_class_without_a_tariff_on_the_booking_day_is_said_at_the_class(client, resident, day):
    facility = open_facility()
    # Sosial from the day after the booking only, komersial on the booking's day.
    TariffFactory(facility=facility, valid_from=day + dt.timedelta(days=1))
    TariffFactory(facility=facility, tariff_class="komersial", price=100_000)

    response = client.post(url(facility), form_data(day, tariff_class="sosial"))

    assert "bookings/booking_form.html" in templates(response)
    assert response.context["form"].errors["tariff_class"]  # tariff_class_not_offered


def test_more_add_ons_than_the_stock_are_said_at_the_add_on(client, resident, hall, sound, day):
    # A booking at another hall lending the same sound systems holds two of the three then.
    other = priced_facility(community=hall.community)
    sound.facilities.add(other)
    held = BookingFactory(
        facility=other,
        start=clock.local_datetime(day, dt.time(9)),
        end=clock.local_datetime(day, dt.time(11)),
    )
    BookingLine.objects.create(
        booking=held,
        kind="addon",
        addon=sound,
        label="Sound system",
        quantity=2,
        unit_price=75_000,
        amount=150_000,
    )
    field = f"addon_{sound.pk}"

    over_stock = client.post(
        url(hall), form_data(day, tariff_class="sosial", start_time="13:00", **{field: "4"})
    )
    out_of_stock = client.post(
        url(hall),
        form_data(day, tariff_class="sosial", start_time="10:00", slots="1", **{field: "2"}),
    )

    assert over_stock.context["form"].errors[field]  # at most 3 can be lent
    assert out_of_stock.context["form"].errors[field]  # only 1 is free then
    assert list(out_of_stock.context["form"].errors) == [field]
    assert Booking.objects.count() == 1


# --- Queries --------------------------------------------------------------------------------


def test_the_form_and_check_pages_use_a_fixed_number_of_queries(
    client, resident, hall, sound, day, django_assert_max_num_queries
):
    data = form_data(day, tariff_class="sosial", **{f"addon_{sound.pk}": "1"})
    # The session, user, facility, photos, hours; its tariffs and add-ons; the menu's Kelola.
    with django_assert_max_num_queries(8) as few_form:
        client.get(url(hall))
    # The form's, then the rules (verified email, calendar, holders, quota, the add-ons, the
    # day's tariffs, the add-ons' use at that time), the quote (tariffs, add-ons), the menu.
    with django_assert_max_num_queries(19) as few_check:
        client.post(url(hall), data)

    for n in range(6):
        addon = AddOnFactory(community=hall.community, stock=5, offered_at=[hall])
        data[f"addon_{addon.pk}"] = "1"
        TariffFactory(facility=hall, unit="day", price=300_000 + n)
    with django_assert_max_num_queries(len(few_form.captured_queries)):
        client.get(url(hall))
    with django_assert_max_num_queries(len(few_check.captured_queries)):
        response = client.post(url(hall), data)
    assert len(response.context["quote"].lines) == 8


# --- The facility page and the catalog ------------------------------------------------------


def test_the_facility_page_lists_tariffs_in_force_upcoming_ones_and_add_ons(client, hall, sound):
    today = clock.local_now().date()
    Tariff.objects.filter(facility=hall).update(legal_basis="Perda Kota Depok No. 7/2023")
    TariffFactory(
        facility=hall,
        price=65_000,
        valid_from=today + dt.timedelta(days=20),
        legal_basis="Perda Kota Depok No. 2/2027",
    )
    TariffFactory(
        facility=hall, unit="day", price=999_000, valid_until=today - dt.timedelta(days=1)
    )

    response = client.get(f"/fasilitas/{hall.slug}/")
    page = response.content.decode()

    assert "Rp 50.000" in page and "Rp 150.000" in page
    assert "Perda Kota Depok No. 7/2023" in page
    assert "Rp 65.000" in page and "Perda Kota Depok No. 2/2027" in page
    assert re.search(r"(berlaku mulai|valid from)", page)
    assert "Rp 999.000" not in page
    for value in ("sosial", "komersial", "gratis"):
        assert str(CLASS_RULES[TariffClass(value)]) in page
    assert "Sound system" in page and "Rp 75.000" in page and "Dua speaker aktif" in page
    assert re.search(r"(mulai|from) Rp 50.000", page)  # the lowest price in force


def test_a_facility_without_tariffs_says_it_is_free(client):
    facility = open_facility()

    page = client.get(f"/fasilitas/{facility.slug}/").content.decode()

    assert "Gratis" in page and "Fee" not in page


def test_catalog_cards_show_free_or_the_lowest_price_in_force_today(client):
    today = clock.local_now().date()
    free = FacilityFactory(name="Balai Gratis")
    posyandu_only = FacilityFactory(name="Pos Gratis")
    TariffFactory(facility=posyandu_only, tariff_class="gratis", price=0)
    priced = FacilityFactory(name="Gedung Berbayar")
    TariffFactory(facility=priced, tariff_class="komersial", price=150_000)
    TariffFactory(facility=priced, unit="day", price=40_000)
    TariffFactory(facility=priced, price=30_000, valid_from=today + dt.timedelta(days=1))
    later = FacilityFactory(name="Gedung Nanti")
    TariffFactory(facility=later, valid_from=today + dt.timedelta(days=10))

    response = client.get("/")

    cards = {card.name: card for card in response.context["facilities"]}
    lowest = {name: [t.price for t in card.paying_tariffs][:1] for name, card in cards.items()}
    assert lowest == {
        free.name: [],
        posyandu_only.name: [],
        priced.name: [40_000],
        later.name: [],
    }
    page = response.content.decode()
    card = page[page.index("Gedung Berbayar") :][:800]
    assert re.search(r"(mulai|from) Rp 40.000", card)
    assert "Gratis" in page[page.index("Gedung Nanti") :][:800]


def test_the_catalog_changes_its_prices_at_midnight(client, monkeypatch, settings):
    """A cached catalog fragment does not outlive the day whose prices it shows."""
    from haidepok import page_cache

    captured = {}
    real = page_cache.cached

    def spy(name, parts, render, **kwargs):
        captured["valid_until"] = render()[1]
        return real(name, parts, render, **kwargs)

    monkeypatch.setattr(page_cache, "cached", spy)
    client.get("/")

    assert captured["valid_until"] == clock.next_local_midnight(clock.now())
