"""The permit's QR code on the resident's booking page, an image of its own so that the
service worker keeps it with the page (the offline ticket)."""

import io

import segno
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from bookings.models import Booking
from bookings.references import normalise_reference
from permits.letters import verification_url
from permits.selectors import has_letter


def qr_svg(url: str) -> bytes:
    """A QR code of `url` as an SVG document, as the permit letter's (permits/letters.py)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="svg", scale=5, border=4)
    return buffer.getvalue()


@login_required
@require_GET
def permit_qr(request, reference):
    """The permit's QR code on the resident's booking page, as an image of its own: the
    service worker keeps it with the page, so the ticket shows it at the venue offline. The
    resident's own booking with a permit only; anything else answers 404, as the letter does."""
    booking = (
        Booking.objects.select_related("invoice")
        .filter(reference=normalise_reference(reference), user=request.user)
        .first()
    )
    if booking is None or not has_letter(booking):
        raise Http404
    response = HttpResponse(qr_svg(verification_url(booking)), content_type="image/svg+xml")
    # Personal: kept by no shared cache; the service worker keeps the resident's own copy.
    response["Cache-Control"] = "private, no-cache"
    return response
