"""Staff's view of documents: facilities' requirements (kept as in the workspace), and the
documents residents sent, read-only. A document opens only through the download view, which
asks documents.access like every other door; no storage URL is shown anywhere."""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from documents.forms import RequirementForm
from documents.models import BookingDocument, DocumentRequirement


class RequirementAdminForm(RequirementForm):
    class Meta(RequirementForm.Meta):
        fields = ["facility", *RequirementForm.Meta.fields]


def _may_edit_facilities(request) -> bool:
    # The workspace lets whoever may edit a facility keep its requirements
    # (documents.requirements): the admin lets the same people do the same.
    return request.user.has_perm("facilities.change_facility")


@admin.register(DocumentRequirement)
class DocumentRequirementAdmin(admin.ModelAdmin):
    form = RequirementAdminForm
    list_display = ["name", "facility", "classes", "position"]
    list_select_related = ["facility"]
    search_fields = ["name", "facility__name"]
    autocomplete_fields = ["facility"]
    ordering = ["facility__name", "position", "pk"]

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or _may_edit_facilities(request)

    def has_add_permission(self, request):
        return super().has_add_permission(request) or _may_edit_facilities(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or _may_edit_facilities(request)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) or _may_edit_facilities(request)

    @admin.display(description=_("tariff classes"))
    def classes(self, requirement):
        return ", ".join(requirement.tariff_class_labels) or _("every request")


def download_link(document: BookingDocument) -> str:
    return format_html(
        '<a href="{}">{}</a>',
        reverse("document_download", args=[document.public_id]),
        _("Download"),
    )


class _ReadOnlyDocument:
    """Documents come from residents only: staff see and download them, change nothing.
    Who may view bookings in the admin may see their documents, as documents.access lets
    them download them."""

    def has_view_permission(self, request, obj=None):
        user = request.user
        return (
            super().has_view_permission(request, obj)
            or user.has_perm("bookings.view_booking")
            or user.has_perm("bookings.change_booking")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BookingDocument)
class BookingDocumentAdmin(_ReadOnlyDocument, admin.ModelAdmin):
    list_display = ["name", "booking", "original_name", "content_type", "size_text", "uploaded_at"]
    list_select_related = ["booking"]
    list_filter = ["content_type"]
    search_fields = ["booking__reference", "name", "original_name"]
    fields = [
        "booking",
        "name",
        "original_name",
        "content_type",
        "size_text",
        "pages",
        "uploaded_by",
        "uploaded_at",
        "download",
    ]
    readonly_fields = fields

    @admin.display(description=_("size"))
    def size_text(self, document):
        return filesizeformat(document.size)

    @admin.display(description=_("file"))
    def download(self, document):
        return download_link(document)


class BookingDocumentInline(_ReadOnlyDocument, admin.TabularInline):
    """For the booking's admin page (bookings/admin/bookings.py: BookingAdmin.inlines): its
    documents, each with its download link."""

    model = BookingDocument
    extra = 0
    can_delete = False
    fields = [
        "name",
        "original_name",
        "content_type",
        "size_text",
        "pages",
        "uploaded_at",
        "download",
    ]
    readonly_fields = fields
    verbose_name_plural = _("supporting documents")

    @admin.display(description=_("size"))
    def size_text(self, document):
        return filesizeformat(document.size)

    @admin.display(description=_("file"))
    def download(self, document):
        return download_link(document)
