"""The terms of the retribusi as organizers and Pemkot staff keep them: a facility's tariffs
and the add-ons its community lends.

The rules are plain functions here, each with its message once (English in the code,
Indonesian by the catalogue): `tariff_errors`, `first_overlap` / `overlap_error` and
`addon_errors`. The workspace's use cases below call them, and so do the admin's forms
(facilities/admin.py), so that a tariff typed in either place passes the same checks.

Why a tariff that already priced bookings may still be corrected, ended or deleted: a
booking is priced once, when it is requested (bookings.pricing.quote), and keeps that price
as its own lines (BookingLine: the unit, the unit price, the amount, an add-on's name as it
was) and its price_total; its invoice copies the total. Nothing reads a tariff again to price
an existing booking, so an edit changes only the price of requests made afterwards; and a
resident who was shown the old price while the edit was made is shown the new one before
anything is booked (booking_request's expected_total, the price_changed refusal). What a
booking cost, and why, stays in its lines.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bookings.models import SLOT_HOLDING_STATUSES, Booking, BookingLine
from communities import permissions
from communities.models import Community
from facilities.models import MAX_PRICE, AddOn, Facility, Tariff, TariffClass, TariffUnit
from facilities.templatetags.rupiah import rupiah
from haidepok import clock, page_cache

# The most items of one add-on a community may have in stock: the column is a small integer,
# and no community lends more.
MAX_STOCK = 10_000

# The longest texts the columns hold (Tariff.legal_basis, AddOn.name, AddOn.description).
TEXT_LIMITS = {"legal_basis": 200, "name": 100, "description": 200}

MESSAGES = {
    "tariff_class_unknown": _("Choose a tariff class: social, commercial or free of charge."),
    "unit_unknown": _("Choose a unit: per hour, per half day or per day."),
    "price_out_of_range": _("Enter a price in whole rupiah, from 0 to %(max)s."),
    "gratis_not_free": _("The free class costs nothing: its price must be 0."),
    "valid_from_required": _("Enter the first day the tariff is in force."),
    "valid_until_before_from": _("The last day cannot be before the first day (%(first)s)."),
    "text_too_long": _("Use at most %(limit)s characters."),
    "tariff_overlap": _(
        "The tariff %(tariff)s is in force on some of these days (%(period)s). A class has one "
        "price per unit on each day: end that tariff first, or choose other days."
    ),
    "name_required": _("Give the add-on a name."),
    "stock_out_of_range": _("Enter the stock as a whole number, from 1 to %(max)s."),
    "addon_foreign_facility": _(
        "An add-on is only offered at facilities of its own community, and %(names)s is not "
        "one of them."
    ),
}

MAY_NOT_EDIT_TARIFFS = _("You may not change the tariffs of this facility.")
MAY_NOT_EDIT_ADDONS = _("You may not change the add-ons of this community.")


def _error(code: str, **params) -> ValidationError:
    message = MESSAGES[code] % params if params else MESSAGES[code]
    return ValidationError(message, code=code)


def _is_whole(number) -> bool:
    return isinstance(number, int) and not isinstance(number, bool)


def _price_errors(price) -> list[ValidationError]:
    if not _is_whole(price) or not 0 <= price <= MAX_PRICE:
        return [_error("price_out_of_range", max=rupiah(MAX_PRICE))]
    return []


def _text_errors(field: str, text: str) -> list[ValidationError]:
    if len(text) > TEXT_LIMITS[field]:
        return [_error("text_too_long", limit=TEXT_LIMITS[field])]
    return []


def _add(errors: dict, field: str, found: list[ValidationError]) -> None:
    if found:
        errors.setdefault(field, []).extend(found)


# --- Tariffs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TariffTerms:
    """A tariff as it is to be: what the rules look at (its facility aside)."""

    tariff_class: str
    unit: str
    price: int
    valid_from: dt.date | None
    valid_until: dt.date | None = None
    legal_basis: str = ""

    @classmethod
    def of(cls, tariff: Tariff) -> "TariffTerms":
        return cls(
            tariff_class=tariff.tariff_class,
            unit=tariff.unit,
            price=tariff.price,
            valid_from=tariff.valid_from,
            valid_until=tariff.valid_until,
            legal_basis=tariff.legal_basis,
        )

    def fields(self) -> dict:
        return {
            "tariff_class": self.tariff_class,
            "unit": self.unit,
            "price": self.price,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "legal_basis": self.legal_basis,
        }


def tariff_errors(terms: TariffTerms) -> dict[str, list[ValidationError]]:
    """Every rule a tariff breaks on its own, by field (empty: none): a known class and unit,
    a price from 0 to MAX_PRICE and none at all in the free class, days within the project's
    date bound (clock.within_bounds), the last day not before the first."""
    errors: dict[str, list[ValidationError]] = {}
    if terms.tariff_class not in TariffClass.values:
        _add(errors, "tariff_class", [_error("tariff_class_unknown")])
    if terms.unit not in TariffUnit.values:
        _add(errors, "unit", [_error("unit_unknown")])
    price_errors = _price_errors(terms.price)
    _add(errors, "price", price_errors)
    if not price_errors and terms.tariff_class == TariffClass.GRATIS and terms.price != 0:
        _add(errors, "price", [_error("gratis_not_free")])
    if terms.valid_from is None:
        _add(errors, "valid_from", [_error("valid_from_required")])
    for field in ("valid_from", "valid_until"):
        day = getattr(terms, field)
        if day is not None and not clock.within_bounds(day):
            errors.setdefault(field, []).append(
                ValidationError(clock.out_of_bounds_message(), code="out_of_bounds")
            )
    if (
        not errors.get("valid_from")
        and not errors.get("valid_until")
        and terms.valid_until is not None
        and terms.valid_until < terms.valid_from
    ):
        _add(
            errors,
            "valid_until",
            [_error("valid_until_before_from", first=date_format(terms.valid_from, "j F Y"))],
        )
    _add(errors, "legal_basis", _text_errors("legal_basis", terms.legal_basis))
    return errors


def in_force_together(first: TariffTerms, second: TariffTerms) -> bool:
    """Whether two tariffs of one facility would price the same class and unit on a common
    day. valid_until is the last day in force (inclusive), None none yet: one ending on the
    31st and one starting on the 1st are not in force together; one ending and one starting
    on the same day are."""
    if (first.tariff_class, first.unit) != (second.tariff_class, second.unit):
        return False
    starts_before_second_ends = second.valid_until is None or first.valid_from <= second.valid_until
    second_starts_before_first_ends = (
        first.valid_until is None or second.valid_from <= first.valid_until
    )
    return starts_before_second_ends and second_starts_before_first_ends


def first_overlap(terms: TariffTerms, others: Iterable[TariffTerms]) -> TariffTerms | None:
    """The first of `others` in force together with `terms` (in_force_together), if any."""
    return next((other for other in others if in_force_together(terms, other)), None)


def overlap_error(other: TariffTerms) -> ValidationError:
    """The refusal of a tariff in force together with `other`, naming it."""
    first = date_format(other.valid_from, "j F Y")
    if other.valid_until is None:
        period = gettext("from %(first)s, no end yet") % {"first": first}
    else:
        period = gettext("%(first)s to %(last)s") % {
            "first": first,
            "last": date_format(other.valid_until, "j F Y"),
        }
    tariff_class, unit = TariffClass(other.tariff_class).label, TariffUnit(other.unit).label
    tariff = f"{tariff_class} {unit} ({rupiah(other.price)})"
    return _error("tariff_overlap", tariff=tariff, period=period)


def lock_facility(facility: Facility) -> None:
    """Take the facility's row until the transaction ends. Whoever changes its tariffs takes
    it first, so two editors at once (the workspace, the admin) cannot both check that no
    tariff overlaps theirs and then both save overlapping ones: the second waits and sees the
    first one's tariff. (On SQLite every write transaction is already serialised.)"""
    list(Facility.objects.select_for_update().filter(pk=facility.pk).values("pk"))


def check_tariff(facility: Facility, terms: TariffTerms, *, exclude_pk: int | None = None):
    """Raise ValidationError with every rule `terms` break at `facility`: its own rules by
    field, else the overlap with another of the facility's tariffs (not `exclude_pk`, the
    tariff being edited). Call it with the facility locked (lock_facility)."""
    if errors := tariff_errors(terms):
        raise ValidationError(errors)
    others = Tariff.objects.filter(
        facility=facility, tariff_class=terms.tariff_class, unit=terms.unit
    ).exclude(pk=exclude_pk)
    if other := first_overlap(terms, map(TariffTerms.of, others)):
        raise overlap_error(other)


def _refuse_unless(allowed: bool, message) -> None:
    if not allowed:
        raise PermissionDenied(str(message))


def tariff_create(
    *,
    facility: Facility,
    actor,
    tariff_class: str,
    unit: str,
    price: int,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    legal_basis: str = "",
) -> Tariff:
    """A new tariff of `facility`, entered ahead of time where valid_from is in the future."""
    _refuse_unless(permissions.can_edit_tariffs(actor, facility), MAY_NOT_EDIT_TARIFFS)
    terms = TariffTerms(
        tariff_class=tariff_class,
        unit=unit,
        price=price,
        valid_from=valid_from,
        valid_until=valid_until,
        legal_basis=legal_basis.strip(),
    )
    with transaction.atomic():
        lock_facility(facility)
        check_tariff(facility, terms)
        tariff = Tariff.objects.create(facility=facility, **terms.fields())
        page_cache.catalog_changed()  # the catalog's cards show "from Rp X"
    return tariff


def tariff_update(
    *,
    tariff: Tariff,
    actor,
    tariff_class: str,
    unit: str,
    price: int,
    valid_from: dt.date,
    valid_until: dt.date | None,
    legal_basis: str,
) -> Tariff:
    """The tariff with these terms (of the same facility). Safe for a tariff that already
    priced bookings: see the module's docstring. Raises Tariff.DoesNotExist if it was
    deleted meanwhile."""
    terms = TariffTerms(
        tariff_class=tariff_class,
        unit=unit,
        price=price,
        valid_from=valid_from,
        valid_until=valid_until,
        legal_basis=legal_basis.strip(),
    )
    return _save_terms(tariff, actor, lambda current: terms)


def tariff_end(*, tariff: Tariff, actor, last_day: dt.date) -> Tariff:
    """End the tariff: `last_day` is the last day it is in force (a new Perda's tariff may
    start the day after). Its other terms are the ones saved, even if another editor changed
    them after `tariff` was read. Raises Tariff.DoesNotExist if it was deleted meanwhile."""
    return _save_terms(tariff, actor, lambda current: replace(current, valid_until=last_day))


def _save_terms(tariff: Tariff, actor, new_terms: Callable[[TariffTerms], TariffTerms]) -> Tariff:
    """Save new_terms(the tariff's terms as saved now). The row is read again under the
    facility's lock (every writer of a facility's tariffs takes it): ending a tariff read
    before another editor's change keeps that change instead of writing back what was read,
    and a tariff deleted meanwhile raises Tariff.DoesNotExist instead of being inserted again
    by save()."""
    facility = tariff.facility
    _refuse_unless(permissions.can_edit_tariffs(actor, facility), MAY_NOT_EDIT_TARIFFS)
    with transaction.atomic():
        lock_facility(facility)
        current = Tariff.objects.get(pk=tariff.pk)
        terms = new_terms(TariffTerms.of(current))
        check_tariff(facility, terms, exclude_pk=tariff.pk)
        for name, value in terms.fields().items():
            setattr(tariff, name, value)
        tariff.save()
        page_cache.catalog_changed()
    return tariff


def tariff_delete(*, tariff: Tariff, actor) -> None:
    """Remove a tariff entered by mistake. Bookings it priced keep their lines."""
    facility = tariff.facility
    _refuse_unless(permissions.can_edit_tariffs(actor, facility), MAY_NOT_EDIT_TARIFFS)
    with transaction.atomic():
        lock_facility(facility)
        tariff.delete()
        page_cache.catalog_changed()


# --- Add-ons -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddOnTerms:
    """An add-on as it is to be: what the rules look at (its community aside)."""

    name: str
    price: int
    stock: int
    description: str = ""
    facilities: tuple[Facility, ...] = ()
    is_active: bool = True


def addon_errors(community_id: int, terms: AddOnTerms) -> dict[str, list[ValidationError]]:
    """Every rule an add-on of the community breaks, by field (empty: none): a name, a price
    from 0 to MAX_PRICE, a stock from 1 to MAX_STOCK, offered only at facilities of its own
    community (whose organizers lend it)."""
    errors: dict[str, list[ValidationError]] = {}
    if not terms.name.strip():
        _add(errors, "name", [_error("name_required")])
    _add(errors, "name", _text_errors("name", terms.name.strip()))
    _add(errors, "description", _text_errors("description", terms.description.strip()))
    _add(errors, "price", _price_errors(terms.price))
    if not _is_whole(terms.stock) or not 1 <= terms.stock <= MAX_STOCK:
        _add(errors, "stock", [_error("stock_out_of_range", max=MAX_STOCK)])
    foreign = [facility for facility in terms.facilities if facility.community_id != community_id]
    if foreign:
        names = ", ".join(sorted(facility.name for facility in foreign))
        _add(errors, "facilities", [_error("addon_foreign_facility", names=names)])
    return errors


def check_addon(community_id: int, terms: AddOnTerms) -> None:
    if errors := addon_errors(community_id, terms):
        raise ValidationError(errors)


def lock_addon(addon: AddOn) -> None:
    """Take the add-on's row until the transaction ends: booking_request takes it too before
    it counts the free items, so a request never counts against a stock being changed, and
    the bookings over the new stock (bookings_over_stock) are all the bookings there are."""
    list(AddOn.objects.select_for_update().filter(pk=addon.pk).values("pk"))


def bookings_over_stock(
    addon: AddOn, *, stock: int | None = None, now: dt.datetime | None = None
) -> list[Booking]:
    """The upcoming bookings (holding their slot, not yet ended) that hold items of `addon`
    at a moment when, together, more are held than `stock` (the add-on's by default): what
    a smaller stock leaves lent twice. The same count as bookings.rules.addons_in_use: at a
    moment where one booking ends and another starts, the first gives its items back before
    the second takes them. One query; in the order of their start."""
    stock = addon.stock if stock is None else stock
    now = now or clock.now()
    lines = (
        BookingLine.objects.filter(
            addon=addon, booking__status__in=SLOT_HOLDING_STATUSES, booking__end__gt=now
        )
        .select_related("booking__facility")
        .order_by()
    )
    held_by: dict[int, int] = {}
    bookings: dict[int, Booking] = {}
    for line in lines:
        held_by[line.booking_id] = held_by.get(line.booking_id, 0) + line.quantity
        bookings[line.booking_id] = line.booking
    # (moment, 0 = gives back before 1 = takes, booking id)
    changes = sorted(
        [(booking.start, 1, pk) for pk, booking in bookings.items()]
        + [(booking.end, 0, pk) for pk, booking in bookings.items()]
    )
    holding: set[int] = set()
    held = 0
    over: set[int] = set()
    for _moment, takes, pk in changes:
        if takes:
            holding.add(pk)
            held += held_by[pk]
            if held > stock:
                over |= holding
        else:
            holding.discard(pk)
            held -= held_by[pk]
    return sorted((bookings[pk] for pk in over), key=lambda booking: (booking.start, booking.pk))


@dataclass(frozen=True)
class AddOnSaved:
    addon: AddOn
    # Upcoming bookings that now hold more items, together, than the stock (bookings_over_stock):
    # they keep them; the organizers decide whether to find more or to talk to the residents.
    over_stock: list[Booking]


def addon_create(
    *,
    community: Community,
    actor,
    name: str,
    price: int,
    stock: int,
    description: str = "",
    facilities: Iterable[Facility] = (),
    is_active: bool = True,
) -> AddOn:
    _refuse_unless(permissions.can_edit_addons(actor, community), MAY_NOT_EDIT_ADDONS)
    terms = AddOnTerms(
        name=name.strip(),
        description=description.strip(),
        price=price,
        stock=stock,
        facilities=tuple(facilities),
        is_active=is_active,
    )
    check_addon(community.pk, terms)
    with transaction.atomic():
        addon = AddOn.objects.create(
            community=community,
            name=terms.name,
            description=terms.description,
            price=terms.price,
            stock=terms.stock,
            is_active=terms.is_active,
        )
        addon.facilities.set(terms.facilities)
        page_cache.catalog_changed()  # a facility's page may list what it lends
    return addon


def addon_update(
    *,
    addon: AddOn,
    actor,
    name: str,
    description: str,
    price: int,
    stock: int,
    facilities: Iterable[Facility],
    is_active: bool,
) -> AddOnSaved:
    """The add-on with these terms. Its price applies to bookings requested from now on (the
    booked ones keep their lines). A stock below what upcoming bookings already hold together
    is allowed (the items may really be fewer now): the answer names those bookings."""
    _refuse_unless(permissions.can_edit_addons(actor, addon.community), MAY_NOT_EDIT_ADDONS)
    terms = AddOnTerms(
        name=name.strip(),
        description=description.strip(),
        price=price,
        stock=stock,
        facilities=tuple(facilities),
        is_active=is_active,
    )
    check_addon(addon.community_id, terms)
    with transaction.atomic():
        lock_addon(addon)
        addon.name, addon.description = terms.name, terms.description
        addon.price, addon.stock, addon.is_active = terms.price, terms.stock, terms.is_active
        addon.save()
        addon.facilities.set(terms.facilities)
        over = bookings_over_stock(addon)
        page_cache.catalog_changed()
    return AddOnSaved(addon=addon, over_stock=over)


def addon_deactivate(*, addon: AddOn, actor) -> AddOn:
    """No longer offered to new requests; the bookings that hold its items keep them."""
    _refuse_unless(permissions.can_edit_addons(actor, addon.community), MAY_NOT_EDIT_ADDONS)
    with transaction.atomic():
        lock_addon(addon)
        addon.is_active = False
        addon.save(update_fields=["is_active"])
        page_cache.catalog_changed()
    return addon
