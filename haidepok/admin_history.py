"""The history of changes (django-simple-history) in the admin: to read, never to restore."""

from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose old versions cannot be brought back.

    SIMPLE_HISTORY_REVERT_DISABLED only hides the "Revert" button: the version's page still
    saves a POST, and saves every field of the old version, read-only ones too. That would
    undo a decision (a community's status) without the service, its record and its mail.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
