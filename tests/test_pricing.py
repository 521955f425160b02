"""The price arithmetic of bookings.pricing: units, the day's tariffs, classes, add-ons,
the bounds, and a property test of the cheapest combination of units.

`quote` is the one price function (the check page, the API's quote, booking_request); the
request path through booking_request is tested here too where it must store what quote says
and write nothing when it refuses."""

import datetime as dt
import itertools
import math

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings import pricing, services
from bookings.errors import BookingError
from bookings.models import Booking, BookingLine
from facilities.models import MAX_PRICE, UNIT_MINUTES, Tariff, TariffClass
from payments.models import Invoice
from tests.factories import (
    AddOnFactory,
    FacilityFactory,
    TariffFactory,
    UserFactory,
    priced_facility,
    request_booking,
    wib,
)

pytestmark = pytest.mark.django_db

NOW = wib(2027, 3, 1, 9)
DAY = dt.date(2027, 3, 10)


def at(hour, minute=0, day=DAY):
    return wib(day.year, day.month, day.day, hour, minute)


def hall(tariffs, **policy):
    """A hall open all day on a 30-minute grid, bookable up to 24 hours, with `tariffs`."""
    policy = {"slot_minutes": 30, "max_slots": 48, "lead_hours": 0, **policy}
    return priced_facility(tariffs=tariffs, hours=((dt.time(0), dt.time(23, 59)),), **policy)


def price(facility, start, end, tariff_class="sosial", addons=None):
    return pricing.quote(
        facility=facility, tariff_class=tariff_class, start=start, end=end, addons=addons
    )


def units(quote):
    return {line.unit: line.quantity for line in quote.lines if line.kind == "tariff"}


def refused(code, **quote_args):
    with pytest.raises(BookingError) as error:
        price(**quote_args)
    # First among the reasons, with a message (its Indonesian text: tests/test_rules.py).
    assert error.value.code == code, error.value.codes
    assert error.value.message.strip()
    return error.value


# --- Units ------------------------------------------------------------------------------------


def test_a_started_hour_is_a_whole_hour_on_a_30_minute_grid():
    facility = hall([("sosial", "hour", 50_000)])

    ninety_minutes = price(facility, at(10), at(11, 30))
    half_an_hour = price(facility, at(10), at(10, 30))

    assert (units(ninety_minutes), ninety_minutes.total) == ({"hour": 2}, 100_000)
    assert (units(half_an_hour), half_an_hour.total) == ({"hour": 1}, 50_000)


def test_six_hours_exactly_is_one_half_day():
    facility = hall([("sosial", "hour", 50_000), ("sosial", "half_day", 250_000)])

    assert units(price(facility, at(8), at(14))) == {"half_day": 1}
    # A half day alone: 6 h 30 min is a started second half day.
    only_half_days = hall([("sosial", "half_day", 250_000)])
    assert units(price(only_half_days, at(8), at(14))) == {"half_day": 1}
    assert units(price(only_half_days, at(8), at(14, 30))) == {"half_day": 2}


def test_seven_hours_is_a_half_day_and_an_hour_when_that_is_cheaper():
    facility = hall([("sosial", "hour", 50_000), ("sosial", "half_day", 250_000)])

    seven = price(facility, at(8), at(15))

    assert (units(seven), seven.total) == ({"hour": 1, "half_day": 1}, 300_000)
    # The lines read hour before half day (the order of TariffUnit), each with its amount.
    assert [(line.unit, line.quantity, line.amount) for line in seven.lines] == [
        ("hour", 1, 50_000),
        ("half_day", 1, 250_000),
    ]
    # Where hours are cheap, seven hours stay seven hours.
    cheap_hours = hall([("sosial", "hour", 20_000), ("sosial", "half_day", 250_000)])
    assert units(price(cheap_hours, at(8), at(15))) == {"hour": 7}


def test_twenty_hours_is_one_day_when_that_is_cheaper():
    facility = hall(
        [("sosial", "hour", 50_000), ("sosial", "half_day", 250_000), ("sosial", "day", 600_000)]
    )

    twenty = price(facility, at(2), at(22))

    assert (units(twenty), twenty.total) == ({"day": 1}, 600_000)
    # Without the day tariff: three half days and two hours (850.000), not twenty hours.
    no_day = hall([("sosial", "hour", 50_000), ("sosial", "half_day", 250_000)])
    assert price(no_day, at(2), at(22)).total == 850_000


def test_of_two_combinations_that_cost_the_same_the_one_with_fewer_units():
    facility = hall(
        [("sosial", "hour", 50_000), ("sosial", "half_day", 300_000), ("sosial", "day", 600_000)]
    )

    assert units(price(facility, at(8), at(14))) == {"half_day": 1}  # not six hours
    assert units(price(facility, at(1), at(13))) == {"day": 1}  # not two half days


def test_a_day_tariff_alone_prices_one_hour_as_a_day():
    facility = hall([("sosial", "day", 400_000)])

    assert price(facility, at(10), at(11)).total == 400_000


@pytest.mark.parametrize(
    ("minutes", "prices", "expected"),
    [
        (1, {"hour": 10}, {"hour": 1}),
        (60, {"hour": 10}, {"hour": 1}),
        (61, {"hour": 10}, {"hour": 2}),
        (360, {"hour": 10, "half_day": 60}, {"half_day": 1}),
        (420, {"hour": 10, "half_day": 55}, {"hour": 1, "half_day": 1}),
        (1200, {"hour": 10, "half_day": 55, "day": 150}, {"day": 1}),
        (1500, {"hour": 10, "half_day": 55, "day": 150}, {"hour": 1, "day": 1}),
        (600, {"hour": 0, "half_day": 0}, {"half_day": 2}),  # free: the fewest units
    ],
)
def test_cheapest_units(minutes, prices, expected):
    assert pricing.cheapest_units(minutes, prices) == expected


def test_cheapest_units_without_a_price_is_a_programming_error():
    with pytest.raises(ValueError):
        pricing.cheapest_units(60, {})


# --- The day whose tariffs apply --------------------------------------------------------------


def perda_change(facility_policy=None):
    """Rp 50.000 an hour until DAY, Rp 80.000 from the day after (a new Perda)."""
    facility = hall([], **(facility_policy or {}))
    TariffFactory(facility=facility, price=50_000, valid_until=DAY)
    TariffFactory(facility=facility, price=80_000, valid_from=DAY + dt.timedelta(days=1))
    return facility


def test_a_booking_at_23_on_the_last_day_of_a_tariff_uses_that_tariff():
    facility = perda_change()
    next_day = DAY + dt.timedelta(days=1)

    # 23.00 WIB is 16.00 UTC: the WIB date decides, and valid_until is the last day in force.
    assert price(facility, at(23), at(23, 30)).total == 50_000
    # Across midnight it is still priced by the day it starts.
    assert price(facility, at(23), at(1, day=next_day)).total == 100_000
    # 00.00 the next day: the new tariff.
    assert price(facility, at(0, day=next_day), at(1, day=next_day)).total == 80_000
    # 06.00 WIB the next day is 23.00 UTC the day before: still the new tariff.
    assert price(facility, at(6, day=next_day), at(7, day=next_day)).total == 80_000


def test_a_new_perda_entered_ahead_prices_only_bookings_from_its_first_day():
    facility = hall([])
    TariffFactory(facility=facility, price=50_000)  # no end yet
    first_day = DAY + dt.timedelta(days=30)
    # The organizer enters the new Perda ahead of time and ends the old tariff the day before.
    Tariff.objects.filter(facility=facility).update(valid_until=first_day - dt.timedelta(days=1))
    TariffFactory(facility=facility, price=75_000, valid_from=first_day, legal_basis="Perda 2/2027")

    assert price(facility, at(10), at(12)).total == 100_000
    assert price(facility, at(10, day=first_day), at(12, day=first_day)).total == 150_000


def test_of_two_tariffs_in_force_for_one_class_and_unit_the_newer_applies():
    facility = hall([])
    TariffFactory(facility=facility, price=50_000)
    TariffFactory(facility=facility, price=70_000, valid_from=DAY)  # the old one was not ended

    assert price(facility, at(10), at(11)).total == 70_000
    assert (
        price(
            facility, at(10, day=DAY - dt.timedelta(days=1)), at(11, day=DAY - dt.timedelta(days=1))
        ).total
        == 50_000
    )


def test_a_booking_keeps_its_stored_lines_when_the_tariff_changes_later():
    facility = hall([("sosial", "hour", 50_000)], approval="city")
    sound = AddOnFactory(community=facility.community, price=75_000, stock=3, offered_at=[facility])
    name_then = sound.name
    booking = request_booking(
        facility, at(10), at(12), now=NOW, tariff_class="sosial", addons={sound.pk: 1}
    )

    Tariff.objects.filter(facility=facility).update(price=90_000)
    TariffFactory(facility=facility, unit="day", price=10_000)
    sound.price = 1_000
    sound.name = "Pengeras suara"
    sound.save()

    booking.refresh_from_db()
    assert booking.price_total == 175_000
    assert list(booking.lines.values_list("unit", "label", "quantity", "unit_price")) == [
        ("hour", "", 2, 50_000),
        ("", name_then, 1, 75_000),
    ]
    # A quote now says the new price; the invoice on approval bills the stored one.
    assert price(facility, at(10), at(12), addons={sound.pk: 1}).total == 11_000
    services.booking_approve(booking=booking, actor=UserFactory(is_staff=True), now=NOW)
    assert Invoice.objects.get(booking=booking).amount == 175_000


# --- Classes ----------------------------------------------------------------------------------


def test_the_free_class_costs_nothing_and_gets_no_invoice():
    facility = hall(
        [("sosial", "hour", 50_000), ("gratis", "hour", 0), ("gratis", "day", 0)],
        approval="auto",
    )

    free = price(facility, at(8), at(15), tariff_class="gratis")
    booking = request_booking(facility, at(8), at(15), now=NOW, tariff_class="gratis")

    assert (free.total, free.is_free, free.tariff_class) == (0, True, "gratis")
    assert (booking.status, booking.price_total, booking.tariff_class) == ("approved", 0, "gratis")
    assert not Invoice.objects.exists()


def test_an_unknown_class_is_refused_by_its_name():
    facility = hall([("sosial", "hour", 50_000)])

    error = refused(
        "tariff_class_unknown", facility=facility, start=at(10), end=at(11), tariff_class="vip"
    )

    assert "vip" in error.message
    assert error.by_field() == {"tariff_class": [error.message]}


@pytest.mark.parametrize("strange", [["sosial"], 5, {"a": 1}, "x" * 500])
def test_a_class_of_the_wrong_shape_is_unknown_not_a_crash(strange):
    facility = hall([("sosial", "hour", 50_000)])

    error = refused(
        "tariff_class_unknown", facility=facility, start=at(10), end=at(11), tariff_class=strange
    )

    assert len(error.violations[0].params["value"]) <= 40


def test_a_class_is_asked_only_on_a_day_with_tariffs():
    facility = hall([])
    TariffFactory(facility=facility, price=50_000, valid_from=DAY)
    before = DAY - dt.timedelta(days=1)

    untariffed = price(facility, at(10, day=before), at(11, day=before), tariff_class="")
    # A class given for a day without tariffs is not kept: the booking has no class.
    with_class = price(facility, at(10, day=before), at(11, day=before), tariff_class="sosial")

    assert (untariffed.total, untariffed.tariff_class, untariffed.lines) == (0, "", ())
    assert (with_class.total, with_class.tariff_class) == (0, "")
    refused("tariff_class_required", facility=facility, start=at(10), end=at(11), tariff_class="")


def test_a_class_the_facility_does_not_offer_that_day_is_refused():
    facility = hall([("sosial", "hour", 50_000)])
    TariffFactory(
        facility=facility,
        tariff_class="komersial",
        price=150_000,
        valid_from=DAY + dt.timedelta(days=1),
    )

    error = refused(
        "tariff_class_not_offered",
        facility=facility,
        start=at(10),
        end=at(11),
        tariff_class="komersial",
    )

    assert error.violations[0].params == {"tariff_class": TariffClass.KOMERSIAL.label}


def test_a_refused_class_through_booking_request_writes_nothing():
    facility = hall([("sosial", "hour", 50_000)], approval="auto")

    with pytest.raises(BookingError) as error:
        request_booking(facility, at(10), at(11), now=NOW, tariff_class="komersial")

    assert error.value.code == "tariff_class_not_offered"
    assert not Booking.objects.exists()
    assert not BookingLine.objects.exists()


# --- Add-ons ----------------------------------------------------------------------------------


@pytest.fixture
def equipped():
    facility = hall([("sosial", "hour", 50_000)], approval="auto")
    facility.chairs = AddOnFactory(
        community=facility.community,
        name="Kursi lipat",
        price=5_000,
        stock=100,
        offered_at=[facility],
    )
    return facility


def test_an_add_on_costs_its_price_times_the_quantity(equipped):
    quote = price(equipped, at(10), at(12), addons={equipped.chairs.pk: 40})

    addon_line = quote.lines[-1]
    assert (addon_line.kind, addon_line.quantity, addon_line.unit_price, addon_line.amount) == (
        "addon",
        40,
        5_000,
        200_000,
    )
    assert (addon_line.description, quote.total) == ("Kursi lipat", 300_000)


@pytest.mark.parametrize("quantity", [0, -3, True, False, 1.5, 2.0, "2", None, [1]])
def test_a_quantity_that_is_not_a_whole_number_of_at_least_one_is_refused(equipped, quantity):
    error = refused(
        "addon_quantity",
        facility=equipped,
        start=at(10),
        end=at(12),
        addons={equipped.chairs.pk: quantity},
    )

    assert "Kursi lipat" in error.message


def test_more_items_than_the_stock_are_refused(equipped):
    refused(
        "addon_over_stock",
        facility=equipped,
        start=at(10),
        end=at(12),
        addons={equipped.chairs.pk: 101},
    )
    assert price(equipped, at(10), at(12), addons={equipped.chairs.pk: 100}).total == 600_000


def test_an_add_on_of_another_facility_or_no_longer_offered_is_refused(equipped):
    elsewhere = AddOnFactory(offered_at=[FacilityFactory()])
    retired = AddOnFactory(community=equipped.community, offered_at=[equipped], is_active=False)

    for addon in (elsewhere, retired):
        refused(
            "addon_unavailable", facility=equipped, start=at(10), end=at(12), addons={addon.pk: 1}
        )


@pytest.mark.parametrize("strange_id", ["abc", "7", True, -1, 10**30, None, 1.0])
def test_an_add_on_id_of_the_wrong_shape_is_unavailable_not_a_crash(equipped, strange_id):
    refused(
        "addon_unavailable", facility=equipped, start=at(10), end=at(12), addons={strange_id: 1}
    )


def test_a_bad_add_on_through_booking_request_writes_nothing(equipped):
    for addons in ({equipped.chairs.pk: -1}, {"abc": 1}, {equipped.chairs.pk: 101}):
        with pytest.raises(BookingError):
            request_booking(equipped, at(10), at(12), now=NOW, tariff_class="sosial", addons=addons)

    assert not Booking.objects.exists()


def test_every_reason_is_given_at_once(equipped):
    error = refused(
        "tariff_class_unknown",
        facility=equipped,
        start=at(10),
        end=at(12),
        tariff_class="vip",
        addons={equipped.chairs.pk: 0, 999_999: 1},
    )

    assert sorted(error.codes) == ["addon_quantity", "addon_unavailable", "tariff_class_unknown"]


# --- Bounds -----------------------------------------------------------------------------------


def test_a_price_beyond_what_a_column_holds_is_refused_with_a_clear_message():
    # MAX_PRICE an hour for 24 hours is Rp 2,4 miliar: more than an integer column holds.
    facility = hall([("komersial", "hour", MAX_PRICE)], approval="auto")
    generators = AddOnFactory(
        community=facility.community, price=MAX_PRICE, stock=30_000, offered_at=[facility]
    )

    error = refused(
        "price_too_high", facility=facility, start=at(0), end=at(23, 30), tariff_class="komersial"
    )
    refused(
        "price_too_high",
        facility=facility,
        start=at(10),
        end=at(11),
        tariff_class="komersial",
        addons={generators.pk: 30_000},
    )
    assert "2.000.000.000" in error.message

    with pytest.raises(BookingError) as through_request:
        request_booking(facility, at(0), at(23, 30), now=NOW, tariff_class="komersial")
    assert through_request.value.code == "price_too_high"
    assert not Booking.objects.exists()


def test_the_largest_price_a_booking_may_have_is_stored_and_invoiced():
    # 20 hours at Rp 100.000.000: Rp 2.000.000.000, the most, stored in full.
    facility = hall([("komersial", "hour", MAX_PRICE)], approval="auto")

    booking = request_booking(facility, at(2), at(22), now=NOW, tariff_class="komersial")

    assert booking.price_total == pricing.MAX_BOOKING_TOTAL == 2_000_000_000
    assert Invoice.objects.get(booking=booking).amount == 2_000_000_000


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.datetime(1, 1, 1, 2, tzinfo=dt.UTC)),
        (
            dt.datetime(9999, 12, 31, 20, tzinfo=dt.UTC),
            dt.datetime(9999, 12, 31, 22, tzinfo=dt.UTC),
        ),
        (wib(1999, 12, 31, 23), wib(2000, 1, 1, 1)),
        (wib(2099, 12, 31, 22), wib(2100, 1, 1, 0)),
    ],
    ids=["year-1", "year-9999", "before-2000", "after-2099"],
)
def test_a_moment_outside_the_project_s_date_bound_is_refused_not_a_crash(start, end):
    facility = hall([("sosial", "hour", 50_000)])

    refused("out_of_bounds", facility=facility, start=start, end=end)


def test_a_length_no_booking_of_the_facility_has_is_refused():
    # Also what keeps the count of units small: no quote is ever years long.
    facility = hall([("sosial", "hour", 50_000)], max_slots=8)  # four hours at most

    refused("too_long", facility=facility, start=at(10), end=wib(2098, 1, 1, 10))
    refused("too_long", facility=facility, start=at(10), end=at(14, 30))
    refused("too_short", facility=facility, start=at(10), end=at(10))
    assert price(facility, at(10), at(14)).total == 200_000


def test_a_naive_moment_is_read_as_wib():
    facility = perda_change()
    next_day = DAY + dt.timedelta(days=1)

    naive = price(
        facility,
        dt.datetime(next_day.year, next_day.month, next_day.day, 6),
        dt.datetime(next_day.year, next_day.month, next_day.day, 7),
    )

    assert naive.total == 80_000


# --- The property -----------------------------------------------------------------------------


def brute_force(minutes: int, prices: dict[str, int]) -> tuple[int, int, int]:
    """The lowest (total, number of units, minutes covered) over every combination that
    covers `minutes`."""
    ranges = [range(math.ceil(minutes / UNIT_MINUTES[unit]) + 1) for unit in prices]
    best = None
    for counts in itertools.product(*ranges):
        covered = sum(
            count * UNIT_MINUTES[unit] for count, unit in zip(counts, prices, strict=True)
        )
        if covered < minutes:
            continue
        total = sum(c * p for c, p in zip(counts, prices.values(), strict=True))
        option = (total, sum(counts), covered)
        best = option if best is None or option < best else best
    return best


PRICES = st.dictionaries(
    st.sampled_from(["hour", "half_day", "day"]),
    st.integers(0, 2_000_000) | st.sampled_from([0, 1, 50_000, 300_000, MAX_PRICE // 100]),
    min_size=1,
)


def test_the_cheapest_units_cover_the_length_and_no_combination_is_cheaper():
    facility = hall([])

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(prices=PRICES, half_hours=st.integers(1, 48))
    def cheapest(prices, half_hours):
        minutes = 30 * half_hours
        counts = pricing.cheapest_units(minutes, prices)
        total = sum(prices[unit] * count for unit, count in counts.items())
        used = sum(counts.values())
        covered = sum(UNIT_MINUTES[unit] * count for unit, count in counts.items())

        assert all(count >= 1 for count in counts.values())
        assert covered >= minutes
        for unit, unit_price in prices.items():  # no dearer than one unit repeated
            assert total <= math.ceil(minutes / UNIT_MINUTES[unit]) * unit_price
        # No combination is cheaper; of those as cheap none has fewer units (nor covers less).
        assert (total, used, covered) == brute_force(minutes, prices)

        # quote, through the database, says the same.
        with transaction.atomic():
            for unit, unit_price in prices.items():
                TariffFactory(facility=facility, unit=unit, price=unit_price)
            start = at(0)
            quote = price(facility, start, start + dt.timedelta(minutes=minutes))
            assert (quote.total, units(quote)) == (total, counts)
            transaction.set_rollback(True)

    cheapest()
