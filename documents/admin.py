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


@admin.register(DocumentRequirement)
class DocumentRequirementAdmin(admin.ModelAdmin):
    form = RequirementAdminForm
    list_display = ["name", "facility", "classes", "position"]
    list_select_related = ["facility"]
    search_fields = ["name", "facility__name"]
    autocomplete_fields = ["facility"]
    ordering = ["facility__name", "position", "pk"]

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
    """Documents come from residents only: staff see and download them, change nothing."""

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
