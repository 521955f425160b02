"""The usage permit letter (Surat Izin Pemakaian) of an approved booking: HTML rendered to a
PDF by WeasyPrint, with a QR code (segno) of its public verification URL.

The letter is made on demand and never stored, so it always shows the booking as it is now
(a later change of house rules or a cancellation shows on the next download; an old printout
is checked at its verification URL). WeasyPrint is imported only here, when a letter is asked
for: a machine without Pango still starts the site, and the download answers 503 there.
"""

import datetime as dt
import logging
from dataclasses import dataclass

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import ImageFile

from bookings.models import Booking, BookingEvent, BookingStatus
from communities.permissions import is_pemkot_staff
from haidepok import clock
from haidepok.links import absolute_url

logger = logging.getLogger(__name__)

ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


class LetterUnavailable(Exception):
    """PDFs cannot be made on this machine (WeasyPrint or its Pango libraries are missing)."""


@dataclass(frozen=True)
class Decision:
    automatic: bool
    at: dt.datetime | None
    by: str  # the decider's name, "" when automatic
    role: str  # "Pemkot Depok staff", "organizer of <community>", or ""


def verification_url(booking: Booking) -> str:
    """The absolute URL the letter's QR code encodes (SITE_URL, as in the mails)."""
    return absolute_url("permit_verify", code=booking.permit_code)


def letter_language(booking: Booking) -> str:
    """The booking owner's preferred language, else the site's (Indonesian): the letter is
    theirs, whoever downloads it."""
    language = booking.user.language if booking.user is not None else ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def letter_number(booking: Booking) -> str:
    """e.g. SIP/HD-7K3Q9P/XII/2026: the reference (unique) and the month and year of the
    decision, as Indonesian official letters are numbered."""
    decided = clock.to_local(booking.decided_at or booking.created_at or clock.now())
    return f"SIP/{booking.reference}/{ROMAN_MONTHS[decided.month - 1]}/{decided.year}"


def decision_of(booking: Booking) -> Decision:
    """Who approved the booking and when. An approval with no earlier state (the event from
    "" to approved) was automatic: the facility's bookings need no decision."""
    approval = (
        booking.events.filter(kind=BookingEvent.Kind.STATUS, to_status=BookingStatus.APPROVED)
        .select_related("actor")
        .order_by("created_at", "pk")
        .first()
    )
    automatic = approval.from_status == "" if approval else booking.decided_by_id is None
    if automatic:
        return Decision(automatic=True, at=booking.decided_at, by="", role="")
    decider = booking.decided_by or (approval.actor if approval else None)
    if decider is None:
        return Decision(automatic=False, at=booking.decided_at, by=_("a deleted account"), role="")
    if is_pemkot_staff(decider):
        role = _("Pemkot Depok staff")
    else:
        role = _("organizer of %(community)s") % {"community": booking.facility.community.name}
    return Decision(automatic=False, at=booking.decided_at, by=str(decider), role=role)


def qr_data_uri(url: str) -> str:
    """The QR code of `url` as a PNG data URI: a raster, so that the PDF embeds it as an image
    (scale 8 and the standard 4-module quiet zone: sharp when printed at 4 cm)."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=8, border=4)


def letter_html(booking: Booking, *, now: dt.datetime | None = None) -> str:
    """The letter as HTML, in its owner's language, times in WIB."""
    now = now or clock.now()
    url = verification_url(booking)
    with translation.override(letter_language(booking)), timezone.override(clock.WIB):
        context = {
            "booking": booking,
            "facility": booking.facility,
            "community": booking.facility.community,
            "resident": booking.user,
            "number": letter_number(booking),
            "decision": decision_of(booking),
            "verification_url": url,
            "qr": qr_data_uri(url),
            "same_day": clock.to_local(booking.start).date() == clock.to_local(booking.end).date(),
            "made_at": now,
        }
        return render_to_string("permits/letter.html", context)


def _weasyprint():
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        # OSError: the package is there but Debian's Pango (libpango-1.0) is not.
        logger.error("permit letters are unavailable: WeasyPrint cannot load (%s)", error)
        raise LetterUnavailable(str(error)) from error
    finally:
        # Importing WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process,
        # after which the photo and document checks would take half a JPEG as a whole one.
        # The letter embeds only its own QR code, which is never truncated.
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated
    return weasyprint


def _fetcher(weasyprint):
    """Fetch nothing but data: URIs. The letter embeds all it shows; refusing the rest keeps
    any URL in the booking's text from ever making the server open a connection or a file."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint before 68: a fetcher is a function
        default = weasyprint.default_url_fetcher

        def fetch(url, *args, **kwargs):
            if not url.startswith("data:"):
                raise ValueError(f"the permit letter fetches no {url!r}")
            return default(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols=("data",))


def letter_pdf(booking: Booking, *, now: dt.datetime | None = None) -> bytes:
    """The letter as a PDF. Raises LetterUnavailable where WeasyPrint cannot run."""
    weasyprint = _weasyprint()
    html = letter_html(booking, now=now)
    return weasyprint.HTML(
        string=html, base_url=settings.SITE_URL, url_fetcher=_fetcher(weasyprint)
    ).write_pdf()
