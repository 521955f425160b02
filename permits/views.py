"""The permit's pages: the letter's downloads (its resident; the facility's organizers and
staff), its public verification (/verifikasi/<code>/, what the QR code opens) and the check-in
button there for who manages the facility."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from bookings.models import Booking
from bookings.permissions import can_manage_bookings_of
from bookings.references import normalise_reference
from haidepok import clock
from permits import letters
from permits.errors import CheckInError
from permits.selectors import can_download_letter, has_letter, permit_state
from permits.services import booking_check_in, check_in_refusal

LETTER_RELATED = ("facility__community", "user", "decided_by")


@login_required
@require_GET
def own_letter(request, reference):
    """The resident's own letter; anyone else's booking answers 404, as if it did not exist."""
    booking = get_object_or_404(
        Booking.objects.select_related(*LETTER_RELATED),
        reference=normalise_reference(reference),
        user=request.user,
    )
    return _letter_response(request, booking)


@login_required
@require_GET
def managed_letter(request, reference):
    """The letter for the facility's organizers and staff (also staff who may only view
    bookings in the admin); a 404 for anyone else."""
    booking = (
        Booking.objects.select_related(*LETTER_RELATED)
        .filter(reference=normalise_reference(reference))
        .first()
    )
    if booking is None or not can_download_letter(request.user, booking):
        raise Http404
    return _letter_response(request, booking)


def _letter_response(request, booking: Booking) -> HttpResponse:
    if not has_letter(booking):
        return render(request, "permits/no_letter.html", {"booking": booking}, status=404)
    try:
        pdf = letters.letter_pdf(booking)
    except letters.LetterUnavailable:
        return render(request, "permits/letter_unavailable.html", {"booking": booking}, status=503)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="surat-izin-{booking.reference}.pdf"'
    # Personal data: kept by no shared cache, and made anew each time (it shows the booking now).
    response["Cache-Control"] = "private, no-store"
    return response


def _by_code(code: str):
    # An equality lookup on the unique, indexed column: the code is 128 random bits, so
    # timing tells nothing worth guessing for.
    return (
        Booking.objects.select_related("facility__community", "checked_in_by")
        .filter(permit_code=code)
        .first()
    )


@require_GET
@never_cache
def verify(request, code):
    """What a permit letter's QR code opens: public, and with no personal data."""
    booking = _by_code(code)
    if booking is None:
        response = render(request, "permits/unknown_code.html", status=404)
    else:
        now = clock.now()
        managing = can_manage_bookings_of(request.user, booking.facility)
        context = {
            "booking": booking,
            "facility": booking.facility,
            "state": permit_state(booking, now),
            "managing": managing,
            # The button is shown exactly when the service would accept the click.
            "check_in_refusal": check_in_refusal(request.user, booking, now) if managing else None,
        }
        response = render(request, "permits/verify.html", context)
    # Search engines must not list permits, whatever the page says.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_POST
def check_in(request, code):
    booking = _by_code(code)
    if booking is None or not request.user.is_authenticated:
        raise Http404
    if not can_manage_bookings_of(request.user, booking.facility):
        return render(request, "permits/check_in_forbidden.html", {"booking": booking}, status=403)
    try:
        booking = booking_check_in(booking=booking, actor=request.user)
    except CheckInError as error:
        # A second tap (or a colleague's at the same moment) is news, not a failure.
        level = messages.INFO if error.code == "already_checked_in" else messages.ERROR
        messages.add_message(request, level, error.message)
    else:
        messages.success(
            request,
            _("Checked in at %(time)s WIB.")
            % {"time": clock.to_local(booking.checked_in_at).strftime("%H.%M")},
        )
    return redirect("permit_verify", code=booking.permit_code)
