"""Who may download a booking's documents: the one rule the download view, the pages that
link to documents and the API ask.

The resident who made the booking; whoever may decide or manage the bookings of its facility
(bookings/permissions.py: its organizers, Pemkot staff); and staff whom the admin lets view
bookings. Anyone else, signed in or not, gets the same 404 as for an id that does not exist,
so that an id proves nothing.
"""

from django.http import Http404

from bookings.models import Booking
from bookings.permissions import can_read_papers_of
from documents.models import BookingDocument


def can_download(user, booking: Booking) -> bool:
    return can_read_papers_of(user, booking)


def document_for_downloader(user, public_id) -> BookingDocument:
    """The document with `public_id` if `user` may download it; a 404 for anyone else."""
    if not user.is_authenticated:
        raise Http404  # not even a query: nothing of a document is anyone's without an account
    document = (
        BookingDocument.objects.select_related("booking__facility")
        .filter(public_id=public_id)
        .first()
    )
    if document is None or not can_download(user, document.booking):
        raise Http404
    return document
