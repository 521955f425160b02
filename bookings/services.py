"""The use cases that change bookings. Each runs in one transaction and writes a BookingEvent.

Views, the API, the admin and tasks call these; none of them changes a booking's status
itself. A refused change raises BookingError and writes nothing.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, transaction
from django.utils.translation import gettext_lazy as _

from bookings import pricing, rules, service_standard
from bookings.actions import Action, check, transition_refusal
from bookings.errors import BookingError
from bookings.models import (
    SLOT_HOLDING_STATUSES,
    Booking,
    BookingEvent,
    BookingLine,
    BookingStatus,
    KeptConflict,
    RejectionCategory,
)
from bookings.notifications import notify_transition
from bookings.permissions import can_manage_bookings_of
from facilities.models import AddOn, Facility
from facilities.templatetags.rupiah import rupiah
from haidepok import clock
from payments import invoicing

# Why a booking was released by payments.services.invoices_release_overdue: the resident's
# cancellation mail and the audit trail say it (in the site's language at the time).
UNPAID_REASON = _("The invoice was not paid by its deadline; the time is free for others.")

# PostgreSQL's SQLSTATE for an exclusion constraint violation.
EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"


def booking_request(
    *,
    facility: Facility,
    user,
    start: dt.datetime,
    end: dt.datetime,
    purpose: str,
    attendees: int,
    contact_phone: str,
    organisation: str = "",
    tariff_class: str = "",
    addons: dict[int, int] | None = None,
    expected_total: int | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Reserve [start, end) at `facility` for `user`, approved at once where the facility's
    approval is automatic, priced in `tariff_class` with `addons` (add-on id → quantity).
    `expected_total` is the price the resident was shown: if the price is now another, nothing
    is booked (price_changed) and they are shown the new one. Raises BookingError (nothing
    written) when a rule refuses it."""
    now = now or clock.now()
    start, end = clock.as_wib(start), clock.as_wib(end)
    addons = dict(addons or {})
    try:
        with transaction.atomic():
            # One resident's requests queue here, so two at once cannot both pass the
            # per-resident quota. (On SQLite the whole transaction is already serialised.)
            list(get_user_model().objects.select_for_update().filter(pk=user.pk).values("pk"))
            # Requests for the same add-on queue here, in the order of the rows, so two at
            # once (at two halls sharing the sound systems) cannot both take the last items.
            list(
                AddOn.objects.select_for_update()
                .filter(pk__in=[pk for pk in addons if pricing.is_key(pk)])
                .order_by("pk")
                .values("pk")
            )
            facility = Facility.objects.select_related("community").get(pk=facility.pk)
            rules.check_request(
                facility=facility,
                user=user,
                start=start,
                end=end,
                attendees=attendees,
                now=now,
                tariff_class=tariff_class,
                addons=addons,
            )
            price = pricing.quote(
                facility=facility, tariff_class=tariff_class, start=start, end=end, addons=addons
            )
            if expected_total is not None and expected_total != price.total:
                raise BookingError("price_changed", total=rupiah(price.total))
            auto = facility.approval == Facility.Approval.AUTO
            booking = Booking.objects.create(
                facility=facility,
                user=user,
                start=start,
                end=end,
                blocked_until=rules.blocked_until(facility, end),
                purpose=purpose,
                attendees=attendees,
                organisation=organisation,
                contact_phone=contact_phone,
                tariff_class=price.tariff_class,
                price_total=price.total,
                status=BookingStatus.APPROVED if auto else BookingStatus.REQUESTED,
                decided_at=now if auto else None,
                # The service standard's deadline, for a request that waits for a decision.
                decision_due_at=None
                if auto
                else service_standard.decision_due_at(requested_at=now, booking_start=start),
            )
            BookingLine.objects.bulk_create(
                BookingLine(
                    booking=booking,
                    kind=line.kind,
                    unit=line.unit,
                    addon_id=line.addon_id,
                    label=line.label,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    amount=line.amount,
                )
                for line in price.lines
            )
            _record(booking, actor=user, from_status="", to_status=booking.status, now=now)
    except (IntegrityError, OperationalError) as error:
        # Another request took an overlapping slot between our check and our insert; the
        # exclusion constraint refused ours. That is an ordinary "already taken". Two such
        # inserts checking each other at the same moment can also deadlock; PostgreSQL then
        # aborts one of them and lets the other, the slot's holder, go on.
        if getattr(error.__cause__, "pgcode", None) in (EXCLUSION_VIOLATION, DEADLOCK_DETECTED):
            raise BookingError("slot_taken") from None
        raise
    return booking


def booking_approve(*, booking: Booking, actor, now: dt.datetime | None = None) -> Booking:
    now = now or clock.now()
    with transaction.atomic():
        booking = _lock(booking)
        check(actor, booking, Action.APPROVE, now)
        return _change(booking, BookingStatus.APPROVED, actor=actor, now=now, decision=True)


def booking_reject(
    *, booking: Booking, actor, reason: str, category: str, now: dt.datetime | None = None
) -> Booking:
    """Reject a request, saying why twice: a category from RejectionCategory (what the public
    statistics count) and the decider's own words (what the resident reads)."""
    now = now or clock.now()
    with transaction.atomic():
        booking = _lock(booking)
        check(actor, booking, Action.REJECT, now)
        if category not in RejectionCategory.values:
            raise BookingError("rejection_category_required")
        reason = _required(reason)
        booking.rejection_category = category
        return _change(
            booking,
            BookingStatus.REJECTED,
            actor=actor,
            now=now,
            reason=reason,
            decision=True,
            extra_fields=["rejection_category"],
        )


def booking_cancel(
    *, booking: Booking, actor, reason: str = "", now: dt.datetime | None = None
) -> Booking:
    """The resident cancels their own booking (bookings.actions says until when); staff and
    the facility's organizers cancel any time, and must say why (the resident is told)."""
    now = now or clock.now()
    with transaction.atomic():
        booking = _lock(booking)
        check(actor, booking, Action.CANCEL, now)
        if can_manage_bookings_of(actor, booking.facility):
            reason = _required(reason)
        return _change(
            booking, BookingStatus.CANCELLED, actor=actor, now=now, reason=reason.strip()
        )


def booking_keep_despite_policy(*, booking: Booking, actor) -> KeptConflict:
    """Keep a booking that the facility's current settings no longer allow (it stays valid),
    recording which rules it breaks, so that it leaves the list to review. Its organizers and
    Pemkot staff decide; a booking that breaks nothing has nothing to keep."""
    with transaction.atomic():
        booking = _lock(booking)
        if not can_manage_bookings_of(actor, booking.facility):
            raise BookingError("not_allowed")
        if booking.status not in SLOT_HOLDING_STATUSES:
            raise BookingError(
                "invalid_transition",
                status=BookingStatus(booking.status).label,
                action=_("kept"),
            )
        calendar = rules.FacilityCalendar.load(booking.facility, booking.start, booking.end)
        violations = rules.policy_violations(booking.facility, calendar, booking.start, booking.end)
        if not violations:
            raise BookingError("nothing_to_keep")
        kept, _created = KeptConflict.objects.update_or_create(
            booking=booking,
            defaults={
                # The rules with their causes: kept despite this closure, not any closure.
                "rules": ",".join(sorted({violation.key for violation in violations})),
                "decided_by": actor,
            },
        )
        return kept


def booking_mark_no_show(*, booking: Booking, actor, now: dt.datetime | None = None) -> Booking:
    """Nobody came: from the check-in grace after the start until NO_SHOW_GRACE after the end
    (bookings.actions.no_show_window), never once checked in, also once the sweep has
    completed the booking."""
    now = now or clock.now()
    with transaction.atomic():
        booking = _lock(booking)
        check(actor, booking, Action.NO_SHOW, now)
        return _change(booking, BookingStatus.NO_SHOW, actor=actor, now=now)


def bookings_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Complete approved bookings that have ended; expire requests whose start passed
    undecided. Safe to run concurrently: each booking is re-read under a lock."""
    now = now or clock.now()
    counts = {"completed": 0, "expired": 0}
    due = [
        (BookingStatus.APPROVED, {"end__lte": now}, BookingStatus.COMPLETED),
        (BookingStatus.REQUESTED, {"start__lte": now}, BookingStatus.EXPIRED),
    ]
    for from_status, due_filter, to_status in due:
        candidates = Booking.objects.filter(status=from_status, **due_filter).values_list(
            "pk", flat=True
        )
        for pk in list(candidates):
            with transaction.atomic():
                booking = (
                    Booking.objects.select_for_update()
                    .filter(pk=pk, status=from_status, **due_filter)
                    .first()
                )
                if booking is None or transition_refusal(booking, to_status):
                    continue  # changed meanwhile by someone else
                _change(booking, to_status, actor=None, now=now)
                counts[str(to_status)] += 1
    return counts


def booking_release_unpaid(*, booking: Booking, now: dt.datetime | None = None) -> Booking:
    """The booking's invoice was not paid by its deadline: the slot goes back to others. Called
    by payments.services.invoices_release_overdue, which closes the invoice first; the
    resident is told, as for any cancellation, with the reason."""
    now = now or clock.now()
    with transaction.atomic():
        booking = _lock(booking)
        if transition_refusal(booking, BookingStatus.CANCELLED):
            raise BookingError(
                "invalid_transition",
                status=BookingStatus(booking.status).label,
                action=_("released"),
            )
        return _change(
            booking, BookingStatus.CANCELLED, actor=None, now=now, reason=str(UNPAID_REASON)
        )


def bookings_release_for_departing_resident(*, user, now: dt.datetime | None = None) -> int:
    """A resident deletes their account: their pending and upcoming bookings are cancelled
    (whatever the cancel deadline: the slot must not stay held by nobody), and the phone
    numbers they left on bookings are removed. The bookings themselves and their history stay
    for the audit trail, anonymous once the account is gone. Returns how many were cancelled."""
    now = now or clock.now()
    cancelled = 0
    with transaction.atomic():
        upcoming = Booking.objects.select_for_update().filter(
            user=user, status__in=SLOT_HOLDING_STATUSES, end__gt=now
        )
        for booking in upcoming:
            _change(
                booking,
                BookingStatus.CANCELLED,
                actor=user,
                now=now,
                reason=str(_("The resident deleted their account.")),
            )
            cancelled += 1
        Booking.objects.filter(user=user).update(contact_phone="")
    return cancelled


# --- helpers ----------------------------------------------------------------------------------


def _lock(booking: Booking) -> Booking:
    """Re-read the booking under a row lock: two staff members deciding at once see each
    other's decision instead of both writing one."""
    # of=("self",): lock the booking row only. Locking the joined facility too would make
    # every new request at the facility wait for the decision (its foreign-key check).
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("facility__community", "user")  # the user: who is told
        .get(pk=booking.pk)
    )


def _required(reason: str) -> str:
    if not reason or not reason.strip():
        raise BookingError("reason_required")
    return reason.strip()


def _change(
    booking: Booking,
    to_status: str,
    *,
    actor,
    now: dt.datetime,
    reason: str = "",
    decision: bool = False,
    extra_fields: list[str] | None = None,
) -> Booking:
    from_status = booking.status
    booking.status = to_status
    fields = ["status", "updated_at", *(extra_fields or [])]
    if decision:
        booking.decided_by = actor
        booking.decided_at = now
        booking.decision_reason = reason
        # Counted now, with the city-wide closures as they are today: a closure announced
        # later does not rewrite how long a past decision took.
        booking.decision_working_days = service_standard.working_days_between(
            clock.to_local(booking.created_at).date(), clock.to_local(now).date()
        )
        fields += ["decided_by", "decided_at", "decision_reason", "decision_working_days"]
    booking.save(update_fields=fields)
    _record(
        booking, actor=actor, from_status=from_status, to_status=to_status, reason=reason, now=now
    )
    return booking


def _record(
    booking: Booking,
    *,
    actor,
    from_status: str,
    to_status: str,
    now: dt.datetime,
    reason: str = "",
):
    """The audit trail: one BookingEvent per change of status, in the same transaction."""
    event = BookingEvent.objects.create(
        booking=booking, actor=actor, from_status=from_status, to_status=to_status, reason=reason
    )
    # The invoice follows the booking: issued on approval of a priced one, closed when it ends
    # unpaid. Before the notifications, so that the approval mail can carry the invoice.
    invoicing.booking_status_changed(booking, to_status, now=now)
    # Its notifications too (the outbox), sent once the transaction commits.
    notify_transition(booking, event)
    return event
