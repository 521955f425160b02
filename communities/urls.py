from django.urls import path

from communities import views
from facilities import manage

urlpatterns = [
    path("kelola/", views.workspace, name="workspace"),
    path("kelola/komunitas/daftar/", views.community_register, name="community_register"),
    path("kelola/komunitas/<slug:slug>/", views.community_detail, name="manage_community"),
    path(
        "kelola/komunitas/<slug:slug>/pengelola/<int:user_id>/hapus/",
        views.organizer_remove,
        name="organizer_remove",
    ),
    path("kelola/undangan/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path(
        "kelola/komunitas/<slug:community_slug>/fasilitas-baru/",
        manage.facility_create,
        name="manage_facility_create",
    ),
    path("kelola/fasilitas/<slug:slug>/", manage.facility_edit, name="manage_facility"),
    path("kelola/fasilitas/<slug:slug>/jam/", manage.facility_hours, name="manage_facility_hours"),
    path(
        "kelola/fasilitas/<slug:slug>/penutupan/",
        manage.facility_closures,
        name="manage_facility_closures",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/penutupan/<int:closure_id>/hapus/",
        manage.closure_delete,
        name="manage_closure_delete",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/foto/", manage.facility_photos, name="manage_facility_photos"
    ),
    path(
        "kelola/fasilitas/<slug:slug>/foto/<int:photo_id>/",
        manage.photo_action,
        name="manage_photo_action",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/terbit/",
        manage.facility_publish,
        name="manage_facility_publish",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/konflik/",
        manage.facility_conflicts,
        name="manage_facility_conflicts",
    ),
]
