"""The service standard's escalation, run by beat (bookings.tasks.escalate_decisions): a
request still undecided at half its time (from its creation to its deadline) reminds its
deciders; one still undecided at its deadline is reported to the supervisors.

Each is sent once per request, even with two sweeps at once: a sweep claims a request with a
conditional UPDATE (... WHERE decision_reminded_at IS NULL) in the transaction that writes its
outbox rows, so a second sweep finds it claimed (on PostgreSQL it waits for the first one's
commit and then updates nothing). A claim that would write no row (nobody decides the
facility, the supervisors' group is empty) is rolled back, so the request is escalated once
there is someone to tell. A request decided after its rows were written has them withdrawn
when their turn comes (bookings.outbox.relevance).
"""

import datetime as dt

from django.db import transaction

from bookings import notifications
from bookings.models import Booking, BookingStatus
from haidepok import clock


def escalate_decisions(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind and report what is due at `now`; answer how many rows each wrote."""
    now = now or clock.now()
    return {"reminded": _remind_deciders(now), "overdue": _report_overdue(now)}


def past_half_time(created_at: dt.datetime, due_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether half of the time from the request to its deadline has passed at `now`."""
    return now >= created_at + (due_at - created_at) / 2


def _remind_deciders(now: dt.datetime) -> int:
    waiting = Booking.objects.filter(
        status=BookingStatus.REQUESTED,
        decision_due_at__isnull=False,
        decision_reminded_at__isnull=True,
    ).values_list("pk", "created_at", "decision_due_at")
    # Half time is a comparison between two columns and "now", kept in Python rather than in
    # date arithmetic that differs between SQLite and PostgreSQL: the requests waiting for a
    # decision are few, and the partial index on decision_due_at finds them.
    due = [pk for pk, created_at, due_at in waiting if past_half_time(created_at, due_at, now)]
    return sum(
        _claim_and_write(pk, "decision_reminded_at", now, notifications.notify_decision_reminder)
        for pk in due
    )


def _report_overdue(now: dt.datetime) -> int:
    overdue = Booking.objects.filter(
        status=BookingStatus.REQUESTED,
        decision_due_at__lte=now,
        decision_escalated_at__isnull=True,
    ).values_list("pk", flat=True)
    return sum(
        _claim_and_write(pk, "decision_escalated_at", now, notifications.notify_decision_overdue)
        for pk in list(overdue)
    )


def _claim_and_write(pk: int, mark: str, now: dt.datetime, write) -> int:
    """Claim booking `pk` by setting its `mark` if it is still unset and the booking still
    waits for a decision, and write its rows in the same transaction; answer how many."""
    with transaction.atomic():
        claimed = Booking.objects.filter(
            pk=pk, status=BookingStatus.REQUESTED, **{f"{mark}__isnull": True}
        ).update(**{mark: now})
        if not claimed:
            return 0  # another sweep took it, or it was decided meanwhile
        booking = Booking.objects.select_related("facility", "user").get(pk=pk)
        written = write(booking)
        if not written:
            transaction.set_rollback(True)
        return len(written)
