"""The document pages of the site: the download of one document, and the resident's form to
add or replace a document while their request waits (on their booking page)."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bookings.models import Booking
from bookings.references import normalise_reference
from documents import services
from documents.access import document_for_downloader

logger = logging.getLogger(__name__)


@require_GET
def document_download(request, public_id):
    """The file, as an attachment of the type its content was found to be, never kept by a
    shared cache. No login redirect: a stranger learns nothing, not even that it exists."""
    document = document_for_downloader(request.user, public_id)
    try:
        handle = storages["private"].open(document.file_name, "rb")
    except FileNotFoundError:
        logger.error("The file of document %s is missing", document.public_id)
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.download_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Opened in a browser after all, it runs nothing and reaches nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def document_upload(request, reference):
    """Add or replace the document for one requirement of the resident's own booking; the
    answer is their booking page, with what happened."""
    booking = get_object_or_404(
        Booking.objects.select_related("facility"),
        reference=normalise_reference(reference),
        user=request.user,
    )
    try:
        requirement_id = int(request.POST.get("requirement", ""))
    except ValueError:
        requirement_id = None
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise services.DocumentsRefused({None: _("Choose a file to send.")})
        document = services.document_attach(
            booking=booking, requirement_id=requirement_id, upload=upload, actor=request.user
        )
    except services.DocumentsRefused as refusal:
        messages.error(request, refusal.message)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Document “%(name)s” received.") % {"name": document.name})
    return redirect(reverse("booking_detail", args=[booking.reference]) + "#dokumen")
