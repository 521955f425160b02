"""The resident's booking pages: request a slot, follow it, cancel it, take it to a calendar."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bookings import actions, availability, pricing, rules, services
from bookings.errors import BookingError
from bookings.forms import BookingRequestForm, CancelForm
from bookings.ics import booking_calendar
from bookings.models import Booking, BookingEvent, BookingStatus
from bookings.references import normalise_reference
from bookings.selectors import public_events
from documents import services as document_services
from documents.forms import RequestDocumentsForm
from documents.services import DocumentsRefused
from facilities.models import Facility, OpeningHours
from facilities.selectors import facility_addons, published_facilities, tariff_classes
from haidepok import clock
from haidepok.pwa import absolute
from payments.models import Invoice, InvoiceState, Payment
from payments.services import payable_invoice


def _own_booking(user, reference: str) -> Booking:
    """The signed-in resident's booking; anyone else's answers 404, as if it did not exist."""
    return get_object_or_404(
        Booking.objects.select_related("facility__community", "invoice").prefetch_related(
            Prefetch("events", queryset=BookingEvent.objects.select_related("actor")),
            "lines",
            # The payment that settled the invoice: the bukti bayar (a refunded one is not).
            Prefetch(
                "invoice__payments",
                queryset=Payment.objects.filter(needs_refund=False),
                to_attr="settling_payments",
            ),
        ),
        reference=normalise_reference(reference),
        user=user,
    )


def invoice_of(booking: Booking) -> Invoice | None:
    """The booking's invoice (loaded with it by _own_booking), or None before approval and
    for a free booking."""
    try:
        return booking.invoice
    except Invoice.DoesNotExist:
        return None


def receipt_of(invoice: Invoice | None) -> Payment | None:
    """The payment that settled `invoice` (prefetched by _own_booking): its bukti bayar."""
    if invoice is None or invoice.state != InvoiceState.PAID:
        return None
    return next(iter(invoice.settling_payments), None)


def _initial_from_query(request, facility: Facility) -> tuple[dict, list[int] | None]:
    """Prefill the form from the time the resident picked on the facility page (?mulai=...),
    with the facility's minimum length; and the lengths that fit from then (None: offer every
    length, the rules answer on "Check")."""
    initial = {"phone": getattr(request.user, "phone", ""), "slots": facility.min_slots}
    # A start outside the bound (or not a moment) prefills nothing.
    start = clock.moment_from_query(request.GET.get("mulai"))
    if start is None:
        return initial, None
    local = clock.to_local(start)
    initial.update(date=local.date(), start_time=local.strftime("%H:%M"))
    # A time no booking may start at (taken meanwhile, off the grid) keeps every length: the
    # check names what is wrong.
    lengths = availability.lengths_that_fit(facility, start) or None
    if lengths:
        initial["slots"] = lengths[0]
    return initial, lengths


@login_required
@require_http_methods(["GET", "POST"])
def booking_new(request, slug):
    """The booking form, then the check page (every rule passed, the itemised price shown),
    then "Send": the price is computed again by booking_request and compared with the one
    shown, never taken from the form."""
    facility = get_object_or_404(published_facilities(), slug=slug)
    hours = list(OpeningHours.objects.filter(facility=facility).values_list("opens", "closes"))
    action = request.POST.get("action", "preview")
    initial, lengths = _initial_from_query(request, facility)
    form = BookingRequestForm(
        request.POST or None,
        facility=facility,
        opening_hours=hours,
        tariff_classes=tariff_classes(facility, clock.local_now().date()),
        addons=facility_addons(facility),
        confirming=action == "confirm",
        initial=initial,
        lengths=None if request.method == "POST" else lengths,
    )
    context = {"facility": facility, "form": form}
    if request.method == "POST" and action != "edit" and form.is_valid():
        request_fields = {
            "facility": facility,
            "user": request.user,
            "start": form.start,
            "end": form.end,
            "attendees": form.cleaned_data["attendees"],
            "tariff_class": form.tariff_class,
            "addons": form.addons,
        }
        try:
            if action != "confirm":
                # First step: check every rule, write nothing, show the summary and its price.
                rules.check_request(**request_fields, now=clock.now())
                return _summary(request, context, _quote(request_fields))
            # "Send": the documents come with it, checked before anything is booked.
            documents = _documents_form(request, facility, form.tariff_class)
            booking = document_services.booking_request_with_documents(
                **request_fields,
                documents=documents.uploads(),
                purpose=form.cleaned_data["purpose"],
                organisation=form.cleaned_data["organisation"],
                contact_phone=form.cleaned_data["phone"],
                expected_total=form.expected_total,
            )
        except DocumentsRefused as refusal:
            # The check page again, each refusal next to its file input; nothing is booked.
            quote = _quote(request_fields)
            documents = _documents_form(request, facility, quote.tariff_class, files=False)
            documents.show_refusal(refusal)
            return _summary(request, context, quote, documents=documents)
        except BookingError as error:
            if error.codes == ["price_changed"]:
                # Everything else holds: show the new price to check again; nothing is booked.
                return _summary(request, context, _quote(request_fields), price_changed=error)
            form.add_rule_errors(error)
        else:
            if booking.status == BookingStatus.APPROVED:
                sent = _("Your booking %(reference)s is approved.")
            else:
                sent = _("Your booking request %(reference)s has been sent.")
            messages.success(request, sent % {"reference": booking.reference})
            return redirect("booking_detail", reference=booking.reference)
    return render(request, "bookings/booking_form.html", context, status=200)


def _quote(request_fields: dict) -> pricing.Quote:
    return pricing.quote(
        facility=request_fields["facility"],
        tariff_class=request_fields["tariff_class"],
        start=request_fields["start"],
        end=request_fields["end"],
        addons=request_fields["addons"],
    )


def _documents_form(
    request, facility: Facility, tariff_class: str, *, files: bool = True
) -> RequestDocumentsForm:
    """The file inputs of the documents a request of `tariff_class` needs (with the files
    sent, when `files`)."""
    requirements = document_services.required_documents(
        facility=facility, tariff_class=tariff_class
    )
    return RequestDocumentsForm(files=request.FILES if files else None, requirements=requirements)


def _summary(request, context: dict, quote: pricing.Quote, price_changed=None, documents=None):
    if documents is None:
        documents = _documents_form(request, context["facility"], quote.tariff_class, files=False)
    return render(
        request,
        "bookings/booking_summary.html",
        {
            **context,
            "quote": quote,
            "price_changed": price_changed,
            "payment_due_hours": settings.PAYMENT_DUE_HOURS,
            "documents": documents,
        },
    )


@login_required
def my_bookings(request):
    now = clock.now()
    bookings = Booking.objects.filter(user=request.user).select_related("facility", "invoice")
    return render(
        request,
        "bookings/my_bookings.html",
        {
            "upcoming": bookings.filter(end__gt=now).order_by("start"),
            "past": bookings.filter(end__lte=now).order_by("-start")[:50],
        },
    )


@login_required
def booking_detail(request, reference):
    booking = _own_booking(request.user, reference)
    invoice = invoice_of(booking)
    return render(
        request,
        "bookings/booking_detail.html",
        {
            "booking": booking,
            "can_cancel": _cancel_refusal(request.user, booking) is None,
            "invoice": invoice,
            "payable": invoice is not None and payable_invoice(booking) is not None,
            "receipt": receipt_of(invoice),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_cancel(request, reference):
    booking = _own_booking(request.user, reference)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_cancel(
                booking=booking, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except BookingError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Your booking %(reference)s is cancelled.") % {"reference": booking.reference},
            )
        return redirect("booking_detail", reference=booking.reference)
    return render(
        request,
        "bookings/booking_cancel.html",
        {
            "booking": booking,
            "form": form,
            "can_cancel": (refused := _cancel_refusal(request.user, booking)) is None,
            "cancel_refused": refused.message if refused else "",
        },
    )


@login_required
def booking_ics(request, reference):
    booking = _own_booking(request.user, reference)
    response = HttpResponse(booking_calendar(booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{booking.reference}.ics"'
    return response


def _cancel_refusal(user, booking: Booking):
    # The page offers the cancel button exactly when the service would accept it, and says
    # why not in the service's own words.
    return actions.refusal(user, booking, actions.Action.CANCEL, clock.now())


def public_calendar(request):
    """Transparency: the approved events of a day, city-wide or for one facility, with their
    purpose and organisation and never a resident's name or phone."""
    today = clock.local_now().date()
    day = clock.day_from_query(request.GET.get("tanggal"), today)
    facilities = published_facilities()
    facility = None
    if slug := request.GET.get("fasilitas"):
        facility = facilities.filter(slug=slug).first()
        if facility is None:
            raise Http404
    day_start = clock.local_datetime(day, dt.time.min)
    events = (
        public_events(facilities if facility is None else [facility])
        .filter(
            start__gte=day_start - rules.MAX_BLOCKED_SPAN,
            start__lt=day_start + dt.timedelta(days=1),
            end__gt=day_start,
        )
        .select_related("facility")
        .only(
            "start",
            "end",
            "purpose",
            "organisation",
            "facility__name",
            "facility__slug",
            "facility__kecamatan",
        )
        .order_by("start", "facility__name")
    )
    return render(
        request,
        "bookings/public_calendar.html",
        {
            "day": day,
            "today": today,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "facility": facility,
            "events": events,
            "feed_url": absolute(
                reverse("facility_calendar_feed", args=[facility.slug])
                if facility
                else reverse("city_calendar_feed")
            ),
        },
    )
