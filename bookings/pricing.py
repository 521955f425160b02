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
from haidepok import clock

# The most items of one add-on one booking may ask for, whatever the stock: a bound for
# forms and the API (the stock itself is checked against the time by the rules).
MAX_ADDON_QUANTITY = 1000


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
    return list(Tariff.objects.filter(facility=facility).valid_on(day))


def classes_offered(tariffs: list[Tariff]) -> list[str]:
    """The classes these tariffs price, in the order of TariffClass."""
    present = {tariff.tariff_class for tariff in tariffs}
    return [value for value in TariffClass.values if value in present]


def cheapest_units(minutes: int, prices: Mapping[str, int]) -> dict[str, int]:
    """How many of each unit (TariffUnit → price) cover `minutes` at the lowest total; of two
    combinations that cost the same, the one with fewer units (one day, not four half days).

    Every unit is a whole number of hours, so this counts in started hours: `best[h]` is the
    cheapest combination covering at least h hours, built from the cheapest for fewer."""
    if not prices:
        raise ValueError("no unit to price with")
    hours = max(1, math.ceil(minutes / 60))
    unit_hours = {unit: UNIT_MINUTES[unit] // 60 for unit in prices}
    # (total, units used, counts per unit) for each number of hours covered.
    best: list[tuple[int, int, tuple[tuple[str, int], ...]]] = [(0, 0, ())]
    for covered in range(1, hours + 1):
        options = []
        for unit, price in prices.items():
            total, used, counts = best[max(0, covered - unit_hours[unit])]
            options.append((total + price, used + 1, _add(counts, unit)))
        best.append(min(options, key=lambda option: (option[0], option[1])))
    return dict(best[hours][2])


def _add(counts: tuple[tuple[str, int], ...], unit: str) -> tuple[tuple[str, int], ...]:
    merged = dict(counts)
    merged[unit] = merged.get(unit, 0) + 1
    # In the order of TariffUnit, so that lines read hour, half day, day.
    return tuple((value, merged[value]) for value in TariffUnit.values if value in merged)


def offered_addons(facility: Facility, addon_ids) -> dict[int, AddOn]:
    """The add-ons among `addon_ids` that `facility` offers now (active, linked to it)."""
    if not addon_ids:
        return {}
    return {
        addon.pk: addon
        for addon in AddOn.objects.filter(
            pk__in=list(addon_ids), facilities=facility, is_active=True
        )
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
    if tariff_class and tariff_class not in TariffClass.values:
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
        addon = offered.get(addon_id)
        if addon is None:
            violations.append(Violation("addon_unavailable", {"addon": addon_id}))
        elif not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            violations.append(Violation("addon_quantity", {"name": addon.name}))
        elif quantity > addon.stock:
            violations.append(
                Violation("addon_over_stock", {"name": addon.name, "stock": addon.stock})
            )
    return violations


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
    Two queries: the day's tariffs and the add-ons."""
    addons = dict(addons or {})
    tariffs = tariffs_on(facility, booking_day(start))
    offered = offered_addons(facility, addons.keys())
    violations = quote_violations(
        facility, tariff_class, start, addons, tariffs=tariffs, offered=offered
    )
    if violations:
        raise BookingError.of(violations)
    if end <= start:
        raise BookingError("too_short", minutes=facility.minimum_minutes)

    lines: list[PriceLine] = []
    if classes_offered(tariffs):
        prices = {t.unit: t.price for t in tariffs if t.tariff_class == tariff_class}
        minutes = int((end - start).total_seconds() // 60)
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
    return Quote(tariff_class=tariff_class, lines=tuple(lines))
