"""What a booking costs: the one function that prices a request, in whole rupiah.

The booking form's check page, the API's quote endpoint, the admin and `booking_request`
(which stores the result as the booking's lines) all call `quote`; nothing else adds prices.

The tariffs that apply are those in force on the booking's first day (WIB): a new Perda
entered ahead of time prices the bookings that start on or after its valid_from. A class's
tariffs may have several units (per hour, per half day, per day); the booking pays the
cheapest combination of whole units that covers its length, so 7 hours may be one half day
and one hour, and 20 hours one day. A part of a unit counts as a whole unit.

A facility with no tariff in force on a day costs nothing that day (no class is asked), so
that a facility the grid shows free can always be requested. Add-ons have their own price,
per item per booking; their stock is a rule about time (bookings.rules.addon_violations).
"""

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

from bookings.errors import BookingError, Violation
from facilities.models import UNIT_MINUTES, AddOn, Facility, Tariff, TariffClass, TariffUnit
from facilities.templatetags.rupiah import rupiah
from haidepok import clock

# The most items of one add-on one booking may ask for, whatever the stock: a bound for
# forms and the API (the stock itself is checked against the time by the rules).
MAX_ADDON_QUANTITY = 1000

# The most one booking may cost, Rp 2 miliar: its lines, its total and its invoice are
# integer columns (at most 2 147 483 647 on PostgreSQL), and MAX_PRICE for 24 hours, or for
# thousands of items, is more than that. A request above it is refused, never truncated.
MAX_BOOKING_TOTAL = 2_000_000_000

# The ids a database key may have: anything else (text, a bool, a huge number) names no
# add-on, and must not reach a query, where it would be an error instead of an answer.
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class PriceLine:
    kind: str  # bookings.models.BookingLine.Kind
    quantity: int
    unit_price: int
    unit: str = ""  # a tariff line's TariffUnit
    addon_id: int | None = None
    label: str = ""  # an add-on's name

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price

    @property
    def description(self) -> str:
        return self.label if self.addon_id else str(TariffUnit(self.unit).label)


@dataclass(frozen=True)
class Quote:
    # "" where the facility has no tariff in force on the day (it costs nothing to use).
    tariff_class: str
    lines: tuple[PriceLine, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def is_free(self) -> bool:
        return self.total == 0

    @property
    def tariff_class_label(self) -> str:
        return str(TariffClass(self.tariff_class).label) if self.tariff_class else ""


def booking_day(start: dt.datetime) -> dt.date:
    """The day whose tariffs price a booking: its first day, in WIB."""
    return clock.to_local(start).date()


def tariffs_on(facility: Facility, day: dt.date) -> list[Tariff]:
    """The tariffs in force on `day`, oldest first: where two of one class and unit are in
    force at once (the old Perda was not ended), the newer one is the price."""
    return list(Tariff.objects.filter(facility=facility).valid_on(day).order_by("valid_from", "pk"))


def classes_offered(tariffs: list[Tariff]) -> list[str]:
    """The classes these tariffs price, in the order of TariffClass."""
    present = {tariff.tariff_class for tariff in tariffs}
    return [value for value in TariffClass.values if value in present]


def cheapest_units(minutes: int, prices: Mapping[str, int]) -> dict[str, int]:
    """How many of each unit (TariffUnit → price) cover `minutes` at the lowest total; of two
    combinations that cost the same, the one with fewer units (one day, not four half days),
    and of those the one covering less (one hour, not a free half day, for 30 minutes).

    Every unit is a whole number of hours, so this counts in started hours: `best[h]` is the
    cheapest combination covering at least h hours, built from the cheapest for fewer. (The
    order compared, total then units then hours, adds up unit by unit, so the best for h
    hours is the best for fewer plus one unit.) Callers bound the length (quote refuses one
    longer than the facility takes), which bounds the loop."""
    if not prices:
        raise ValueError("no unit to price with")
    hours = max(1, math.ceil(minutes / 60))
    unit_hours = {unit: UNIT_MINUTES[unit] // 60 for unit in prices}
    # (total, units used, hours covered, counts per unit) for each number of hours covered.
    best: list[tuple[int, int, int, tuple[tuple[str, int], ...]]] = [(0, 0, 0, ())]
    for covered in range(1, hours + 1):
        options = []
        for unit, price in prices.items():
            total, used, spanned, counts = best[max(0, covered - unit_hours[unit])]
            options.append(
                (total + price, used + 1, spanned + unit_hours[unit], _add(counts, unit))
            )
        best.append(min(options, key=lambda option: option[:3]))
    return dict(best[hours][3])


def _add(counts: tuple[tuple[str, int], ...], unit: str) -> tuple[tuple[str, int], ...]:
    merged = dict(counts)
    merged[unit] = merged.get(unit, 0) + 1
    # In the order of TariffUnit, so that lines read hour, half day, day.
    return tuple((value, merged[value]) for value in TariffUnit.values if value in merged)


def is_key(value) -> bool:
    """Whether `value` can be a database id: a whole number (not a bool) in range."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def offered_addons(facility: Facility, addon_ids) -> dict[int, AddOn]:
    """The add-ons among `addon_ids` that `facility` offers now (active, linked to it). An id
    that cannot be one ("abc", True) is simply not among them."""
    keys = [addon_id for addon_id in addon_ids if is_key(addon_id)]
    if not keys:
        return {}
    return {
        addon.pk: addon
        for addon in AddOn.objects.filter(pk__in=keys, facilities=facility, is_active=True)
    }


def quote_violations(
    facility: Facility,
    tariff_class: str,
    start: dt.datetime,
    addons: Mapping[int, int],
    *,
    tariffs: list[Tariff] | None = None,
    offered: Mapping[int, AddOn] | None = None,
) -> list[Violation]:
    """Every reason why a request cannot be priced: an unknown or missing class, a class the
    facility does not have on that day, an add-on it does not offer, a quantity out of range."""
    violations = []
    if tariff_class and (
        not isinstance(tariff_class, str) or tariff_class not in TariffClass.values
    ):
        violations.append(Violation("tariff_class_unknown", {"value": str(tariff_class)[:40]}))
    else:
        if tariffs is None:
            tariffs = tariffs_on(facility, booking_day(start))
        classes = classes_offered(tariffs)
        if classes and not tariff_class:
            violations.append(Violation("tariff_class_required"))
        elif classes and tariff_class not in classes:
            violations.append(
                Violation(
                    "tariff_class_not_offered",
                    {"tariff_class": TariffClass(tariff_class).label},
                )
            )
    if offered is None:
        offered = offered_addons(facility, addons.keys())
    for addon_id, quantity in addons.items():
        addon = offered.get(addon_id) if is_key(addon_id) else None
        if addon is None:
            violations.append(Violation("addon_unavailable", {"addon": str(addon_id)[:40]}))
        elif not is_quantity(quantity):
            violations.append(Violation("addon_quantity", {"name": addon.name}))
        elif quantity > addon.stock:
            violations.append(
                Violation("addon_over_stock", {"name": addon.name, "stock": addon.stock})
            )
    return violations


def is_quantity(value) -> bool:
    """A number of items: a whole number of at least one (not a bool, not 2.0)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def length_violations(facility: Facility, start: dt.datetime, end: dt.datetime) -> list[Violation]:
    """No booking of the facility is that short or that long: the rules' own codes. (This
    also bounds the units quote counts: no quote is ever years long.)"""
    if end <= start:
        return [Violation("too_short", {"minutes": facility.minimum_minutes})]
    longest = facility.max_slots * facility.slot_minutes
    if end - start > dt.timedelta(minutes=longest):
        return [Violation("too_long", {"minutes": longest})]
    return []


def quote(
    *,
    facility: Facility,
    tariff_class: str,
    start: dt.datetime,
    end: dt.datetime,
    addons: Mapping[int, int] | None = None,
) -> Quote:
    """The itemised price of [start, end) at `facility` in `tariff_class` with `addons`
    (add-on id → quantity). Raises BookingError, with every reason, when it cannot be priced.
    Two queries: the day's tariffs and the add-ons. (A naive moment is WIB.)"""
    addons = dict(addons or {})
    start, end = clock.as_wib(start), clock.as_wib(end)
    # Near the ends of the calendar the day of the booking cannot even be computed.
    if not (clock.within_bounds(start) and clock.within_bounds(end)):
        raise BookingError("out_of_bounds", first=clock.EARLIEST_YEAR, last=clock.LATEST_YEAR)
    tariffs = tariffs_on(facility, booking_day(start))
    offered = offered_addons(facility, addons.keys())
    violations = quote_violations(
        facility, tariff_class, start, addons, tariffs=tariffs, offered=offered
    )
    violations += length_violations(facility, start, end)
    if violations:
        raise BookingError.of(violations)

    lines: list[PriceLine] = []
    if classes_offered(tariffs):
        prices = {t.unit: t.price for t in tariffs if t.tariff_class == tariff_class}
        # A started minute is a started unit too (60 min 30 s is two hours).
        minutes = math.ceil((end - start).total_seconds() / 60)
        for unit, count in cheapest_units(minutes, prices).items():
            lines.append(PriceLine("tariff", quantity=count, unit_price=prices[unit], unit=unit))
    else:
        tariff_class = ""
    for addon_id, quantity in sorted(addons.items()):
        addon = offered[addon_id]
        lines.append(
            PriceLine(
                "addon",
                quantity=quantity,
                unit_price=addon.price,
                addon_id=addon.pk,
                label=addon.name,
            )
        )
    price = Quote(tariff_class=tariff_class, lines=tuple(lines))
    if price.total > MAX_BOOKING_TOTAL:
        raise BookingError("price_too_high", limit=rupiah(MAX_BOOKING_TOTAL))
    return price
