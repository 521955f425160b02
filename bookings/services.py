"""The use cases that change bookings. Each runs in one transaction and writes a BookingEvent.

Views, the API, the admin and tasks call these; none of them changes a booking's status
itself. A refused change raises BookingError and writes nothing.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, transaction
from django.utils.translation import gettext_lazy as _

from bookings import rules
from bookings.errors import BookingError
from bookings.models import (
    SLOT_HOLDING_STATUSES,
    Booking,
    BookingEvent,
    BookingStatus,
    KeptConflict,
)
from bookings.notifications import notify_transition
from bookings.permissions import can_decide, can_manage_bookings_of
from facilities.models import Facility
from haidepok import clock

# PostgreSQL's SQLSTATE for an exclusion constraint violation.
EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"

ACTIONS = {
    BookingStatus.APPROVED: _("approved"),
    BookingStatus.REJECTED: _("rejected"),
    BookingStatus.CANCELLED: _("cancelled"),
    BookingStatus.NO_SHOW: _("marked as a no-show"),
    BookingStatus.COMPLETED: _("completed"),
    BookingStatus.EXPIRED: _("expired"),
}

# The state machine: which status each transition may start from.
ALLOWED_FROM = {
    BookingStatus.APPROVED: {BookingStatus.REQUESTED},
    BookingStatus.REJECTED: {BookingStatus.REQUESTED},
    BookingStatus.CANCELLED: {BookingStatus.REQUESTED, BookingStatus.APPROVED},
    BookingStatus.NO_SHOW: {BookingStatus.APPROVED},
    BookingStatus.COMPLETED: {BookingStatus.APPROVED},
    BookingStatus.EXPIRED: {BookingStatus.REQUESTED},
}


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
    now: dt.datetime | None = None,
) -> Booking:
    """Reserve [start, end) at `facility` for `user`, approved at once where the facility's
    approval is automatic. Raises BookingError (nothing written) when a rule refuses it."""
    now = now or clock.now()
    start, end = clock.as_wib(start), clock.as_wib(end)
    try:
        with transaction.atomic():
            # One resident's requests queue here, so two at once cannot both pass the
            # per-resident quota. (On SQLite the whole transaction is already serialised.)
            list(get_user_model().objects.select_for_update().filter(pk=user.pk).values("pk"))
            facility = Facility.objects.select_related("community").get(pk=facility.pk)
            rules.check_request(
                facility=facility, user=user, start=start, end=end, attendees=attendees, now=now
            )
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
                status=BookingStatus.APPROVED if auto else BookingStatus.REQUESTED,
                decided_at=now if auto else None,
            )
            _record(booking, actor=user, from_status="", to_status=booking.status)
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
        if not can_decide(actor, booking.facility):
            raise BookingError("not_allowed")
        _check_transition(booking, BookingStatus.APPROVED)
        _check_still_possible(booking, now)
        return _change(booking, BookingStatus.APPROVED, actor=actor, now=now, decision=True)


def booking_reject(
    *, booking: Booking, actor, reason: str, now: dt.datetime | None = None
) -> Booking:
    now = now or clock.now()
    with transaction.atomic():
        booking = _lock(booking)
        if not can_decide(actor, booking.facility):
            raise BookingError("not_allowed")
        _check_transition(booking, BookingStatus.REJECTED)
        reason = _required(reason)
        return _change(
            booking, BookingStatus.REJECTED, actor=actor, now=now, reason=reason, decision=True
        )


def booking_cancel(
    *, booking: Booking, actor, reason: str = "", now: dt.datetime | None = None
) -> Booking:
    """The resident cancels their own booking until `cancel_hours` before the start; staff and
    the facility's organizers cancel any time, and must say why (the resident is told)."""
    now = now or clock.now()
    with transaction.atomic():
        booking = _lock(booking)
        managing = can_manage_bookings_of(actor, booking.facility)
        owner = actor.is_authenticated and booking.user_id == actor.pk
        if not (managing or owner):
            raise BookingError("not_allowed")
        _check_transition(booking, BookingStatus.CANCELLED)
        if managing:
            reason = _required(reason)
        else:
            if now > resident_cancel_deadline(booking):
                raise BookingError("cancel_too_late", hours=booking.facility.cancel_hours)
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
                "rules": ",".join(sorted({v.code for v in violations})),
                "decided_by": actor,
            },
        )
        return kept


def resident_cancel_deadline(booking: Booking) -> dt.datetime:
    """The last moment a resident may cancel their own booking (staff and organizers may
    cancel any time)."""
    return booking.start - dt.timedelta(hours=booking.facility.cancel_hours)


def booking_mark_no_show(*, booking: Booking, actor, now: dt.datetime | None = None) -> Booking:
    now = now or clock.now()
    with transaction.atomic():
        booking = _lock(booking)
        if not can_manage_bookings_of(actor, booking.facility):
            raise BookingError("not_allowed")
        _check_transition(booking, BookingStatus.NO_SHOW)
        if booking.start > now:
            raise BookingError("not_started")
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
                if booking is None:  # changed meanwhile by someone else
                    continue
                _change(booking, to_status, actor=None, now=now)
                counts[str(to_status)] += 1
    return counts


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


def _check_transition(booking: Booking, to_status: str) -> None:
    if booking.status not in ALLOWED_FROM[to_status]:
        raise BookingError(
            "invalid_transition",
            status=BookingStatus(booking.status).label,
            action=ACTIONS[to_status],
        )


def _check_still_possible(booking: Booking, now: dt.datetime) -> None:
    """What may have changed since the request: the time passed, the facility closed or was
    unpublished. (The slot itself is still held by the request.)"""
    facility = booking.facility
    if not (facility.is_published and facility.community.is_verified):
        raise BookingError("not_bookable")
    if booking.start <= now:
        raise BookingError("in_past")
    calendar = rules.FacilityCalendar.load(facility, booking.start, booking.end)
    if reason := calendar.closure_reason(booking.start, booking.end):
        raise BookingError("closed", reason=reason)


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
) -> Booking:
    from_status = booking.status
    booking.status = to_status
    fields = ["status", "updated_at"]
    if decision:
        booking.decided_by = actor
        booking.decided_at = now
        booking.decision_reason = reason
        fields += ["decided_by", "decided_at", "decision_reason"]
    booking.save(update_fields=fields)
    _record(booking, actor=actor, from_status=from_status, to_status=to_status, reason=reason)
    return booking


def _record(booking: Booking, *, actor, from_status: str, to_status: str, reason: str = ""):
    """The audit trail: one BookingEvent per change of status, in the same transaction."""
    event = BookingEvent.objects.create(
        booking=booking, actor=actor, from_status=from_status, to_status=to_status, reason=reason
    )
    # Its notifications too (the outbox), sent once the transaction commits.
    notify_transition(booking, event)
    return event
