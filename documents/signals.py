"""What follows a document's row: its file, and the facility page that lists requirements.

A deleted row (one by one, by a replacement, or in a cascade from its booking) removes its file
once the transaction commits: a rollback keeps the row, and so must keep the file. A changed
requirement gives its facility's pages a new version (haidepok/page_cache.py), whoever changes
it (the workspace, the admin, the shell).
"""

import logging

from django.core.files.storage import storages
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from documents.models import BookingDocument, DocumentRequirement
from facilities.pages import facility_changed

logger = logging.getLogger(__name__)


def remove_file(file_name: str) -> None:
    try:
        storages["private"].delete(file_name)
    except Exception:  # the row is gone either way; a file left behind is only logged
        logger.exception("Could not remove the document file %s", file_name)


def document_deleted(sender, instance, **kwargs):
    file_name = instance.file_name
    transaction.on_commit(lambda: remove_file(file_name))


def requirement_saved_or_deleted(sender, instance, **kwargs):
    facility_changed(instance.facility_id)


def connect():
    post_delete.connect(
        document_deleted, sender=BookingDocument, dispatch_uid="documents-remove-file"
    )
    for signal, name in ((post_save, "save"), (post_delete, "delete")):
        signal.connect(
            requirement_saved_or_deleted,
            sender=DocumentRequirement,
            dispatch_uid=f"page-cache-document-requirement-{name}",
        )
