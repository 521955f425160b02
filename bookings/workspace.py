"""Bookings of the organizer's facilities (/kelola/booking/...): follow them, see who booked
(contact details are shown only here, only for one's own facilities), and decide where the
facility delegates approval to its community. Every change goes through bookings.services."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bookings import service_standard, services
from bookings.actions import allowed_actions
from bookings.errors import BookingError
from bookings.models import Booking, BookingEvent, BookingStatus, RejectionCategory
from bookings.references import normalise_reference
from bookings.selectors import managed_bookings
from communities.permissions import is_pemkot_staff, managed_communities
from facilities.models import Facility
from haidepok import clock
from haidepok.fields import BoundedDateField


class BookingFilterForm(forms.Form):
    fasilitas = forms.ChoiceField(label=gettext_lazy("Facility"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All statuses")), *BookingStatus.choices],
    )
    dari = BoundedDateField(label=gettext_lazy("From"), required=False)
    sampai = BoundedDateField(label=gettext_lazy("Until"), required=False)
    urutkan = forms.ChoiceField(
        label=gettext_lazy("Order"),
        required=False,
        choices=[
            ("", gettext_lazy("By start")),
            ("tenggat", gettext_lazy("Requests by decision deadline first")),
        ],
    )

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fasilitas"].choices = [("", _("All my facilities"))] + [
            (facility.slug, facility.name) for facility in facilities
        ]


def _managed_facilities(user):
    return Facility.objects.filter(community__in=managed_communities(user)).order_by("name")


@login_required
def booking_list(request):
    facilities = list(_managed_facilities(request.user))
    if not facilities and not is_pemkot_staff(request.user):
        raise Http404
    form = BookingFilterForm(request.GET or None, facilities=facilities)
    form.is_valid()
    filters = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if v}
    bookings = managed_bookings(request.user).select_related("facility", "user").order_by("start")
    if slug := filters.get("fasilitas"):
        bookings = bookings.filter(facility__slug=slug)
    if status := filters.get("status"):
        bookings = bookings.filter(status=status)
    if day := filters.get("dari"):
        bookings = bookings.filter(end__gt=clock.local_datetime(day, dt.time.min))
    else:
        bookings = bookings.filter(end__gt=clock.now())
    if day := filters.get("sampai"):
        bookings = bookings.filter(
            start__lt=clock.local_datetime(day + dt.timedelta(days=1), dt.time.min)
        )
    if filters.get("urutkan") == "tenggat":
        # The requests to decide soonest on top (the service standard), then the rest by start.
        bookings = bookings.order_by(
            service_standard.PENDING_BY_DEADLINE.asc(nulls_last=True), "start", "pk"
        )
    page = Paginator(bookings, 50).get_page(request.GET.get("halaman"))
    # The other pages of the same filters and order.
    query = request.GET.copy()
    query.pop("halaman", None)
    return render(
        request,
        "kelola/booking_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "now": clock.now()},
    )


@login_required
def booking_calendar(request):
    """A week of one facility's bookings, by day."""
    facilities = list(_managed_facilities(request.user))
    if not facilities:
        raise Http404
    slug = request.GET.get("fasilitas") or facilities[0].slug
    facility = next((f for f in facilities if f.slug == slug), None)
    if facility is None:
        raise Http404
    today = clock.local_now().date()
    week_of = clock.day_from_query(request.GET.get("minggu"), today)
    monday = week_of - dt.timedelta(days=week_of.weekday())
    start = clock.local_datetime(monday, dt.time.min)
    bookings = (
        Booking.objects.filter(
            facility=facility, start__gte=start, start__lt=start + dt.timedelta(days=7)
        )
        .exclude(status__in=[BookingStatus.CANCELLED, BookingStatus.REJECTED])
        .select_related("user")
        .order_by("start")
    )
    days = {monday + dt.timedelta(days=n): [] for n in range(7)}
    for booking in bookings:
        days[clock.to_local(booking.start).date()].append(booking)
    return render(
        request,
        "kelola/booking_calendar.html",
        {
            "facility": facility,
            "facilities": facilities,
            "days": days.items(),
            "today": today,
            "previous_week": monday - dt.timedelta(days=7),
            "next_week": monday + dt.timedelta(days=7),
        },
    )


def _managed_booking(user, reference: str) -> Booking:
    booking = (
        managed_bookings(user)
        .select_related("facility__community", "user")
        .prefetch_related(
            Prefetch("events", queryset=BookingEvent.objects.select_related("actor")), "lines"
        )
        .filter(reference=normalise_reference(reference))
        .first()
    )
    if booking is None:
        raise Http404
    return booking


@login_required
def booking_manage(request, reference):
    booking = _managed_booking(request.user, reference)
    return _booking_page(request, booking)


def _booking_page(request, booking, *, rejection: dict | None = None, status: int = 200):
    return render(
        request,
        "kelola/booking_detail.html",
        {
            "booking": booking,
            # The decisions the services would accept now, and only those.
            "actions": allowed_actions(request.user, booking, clock.now()),
            "rejection_categories": RejectionCategory.choices,
            # A refused rejection comes back with what was typed, and why it was refused.
            "rejection": rejection or {},
        },
        status=status,
    )


@login_required
@require_POST
def booking_decide(request, reference):
    booking = _managed_booking(request.user, reference)
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")
    try:
        if action == "approve":
            services.booking_approve(booking=booking, actor=request.user)
        elif action == "reject":
            services.booking_reject(
                booking=booking,
                actor=request.user,
                reason=reason,
                category=request.POST.get("category", ""),
            )
        elif action == "cancel":
            services.booking_cancel(booking=booking, actor=request.user, reason=reason)
        elif action == "no_show":
            services.booking_mark_no_show(booking=booking, actor=request.user)
        else:
            raise Http404
    except BookingError as error:
        if action == "reject" and error.code in ("reason_required", "rejection_category_required"):
            rejection = {
                "reason": reason,
                "category": request.POST.get("category", ""),
                "error": error.message,
            }
            return _booking_page(request, booking, rejection=rejection, status=400)
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Booking %(reference)s updated.") % {"reference": booking.reference}
        )
    return redirect("manage_booking", reference=booking.reference)
