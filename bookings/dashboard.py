"""The numbers on the staff dashboard (the admin's index page): what waits for Pemkot staff.

A fixed handful of queries whatever the number of bookings, facilities or communities.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q

from bookings import service_standard
from bookings.models import Booking, BookingStatus
from communities.models import Community
from facilities.models import Facility
from haidepok import clock

# How many pending requests (those due soonest) and communities (the oldest) the dashboard
# lists by name.
LISTED = 5

# Today's bookings: what takes place (or took place) today, not what was refused or called off.
TAKING_PLACE = [
    BookingStatus.REQUESTED,
    BookingStatus.APPROVED,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
]


@dataclass
class FacilityToday:
    facility_id: int
    name: str
    total: int
    approved: int
    requested: int


@dataclass
class Dashboard:
    today: dt.date
    show_bookings: bool = False
    pending: int = 0
    pending_overdue: int = 0
    pending_city: int = 0
    pending_due_first: list[Booking] = field(default_factory=list)
    facilities_today: list[FacilityToday] = field(default_factory=list)
    show_communities: bool = False
    communities_waiting: int = 0
    oldest_communities: list[Community] = field(default_factory=list)

    @property
    def bookings_today(self) -> int:
        return sum(row.total for row in self.facilities_today)


def staff_dashboard(user, *, now: dt.datetime | None = None) -> Dashboard:
    """What waits for staff, limited to what `user` may see in the admin."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    dashboard = Dashboard(today=today)

    if user.has_perm("bookings.view_booking"):
        dashboard.show_bookings = True
        pending = Booking.objects.filter(status=BookingStatus.REQUESTED)
        counts = pending.aggregate(
            total=Count("pk"),
            # Past its deadline in working days (bookings.service_standard), not "old".
            overdue=Count(
                "pk", filter=service_standard.state_filter(service_standard.OVERDUE, now)
            ),
            city=Count("pk", filter=Q(facility__approval=Facility.Approval.CITY)),
        )
        dashboard.pending = counts["total"]
        dashboard.pending_overdue = counts["overdue"]
        dashboard.pending_city = counts["city"]
        dashboard.pending_due_first = list(
            pending.select_related("facility", "user").order_by(
                F("decision_due_at").asc(nulls_last=True), "created_at", "pk"
            )[:LISTED]
        )

        day_start = clock.local_datetime(today, dt.time.min)
        rows = (
            Booking.objects.filter(
                start__gte=day_start,
                start__lt=day_start + dt.timedelta(days=1),
                status__in=TAKING_PLACE,
            )
            .values("facility_id", "facility__name")
            .annotate(
                total=Count("pk"),
                approved=Count(
                    "pk", filter=Q(status__in=[BookingStatus.APPROVED, BookingStatus.COMPLETED])
                ),
                requested=Count("pk", filter=Q(status=BookingStatus.REQUESTED)),
            )
            .order_by("facility__name", "facility_id")
        )
        dashboard.facilities_today = [
            FacilityToday(
                facility_id=row["facility_id"],
                name=row["facility__name"],
                total=row["total"],
                approved=row["approved"],
                requested=row["requested"],
            )
            for row in rows
        ]

    if user.has_perm("communities.view_community"):
        dashboard.show_communities = True
        waiting = Community.objects.filter(status=Community.Status.PENDING)
        dashboard.communities_waiting = waiting.count()
        dashboard.oldest_communities = list(waiting.order_by("created_at", "pk")[:LISTED])

    return dashboard
