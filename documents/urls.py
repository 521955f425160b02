from django.urls import path

from documents import views, workspace

urlpatterns = [
    path("dokumen/<uuid:public_id>/", views.document_download, name="document_download"),
    path(
        "booking-saya/<str:reference>/dokumen/",
        views.document_upload,
        name="booking_document_upload",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/dokumen/",
        workspace.facility_requirements,
        name="manage_facility_documents",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/dokumen/<int:requirement_id>/",
        workspace.requirement_edit,
        name="manage_document_requirement_edit",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/dokumen/<int:requirement_id>/hapus/",
        workspace.requirement_delete,
        name="manage_document_requirement_delete",
    ),
]
