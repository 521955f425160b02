from django.urls import path

from communities import views
from facilities import workspace, workspace_tariffs

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
        workspace.facility_create,
        name="manage_facility_create",
    ),
    path("kelola/fasilitas/<slug:slug>/", workspace.facility_edit, name="manage_facility"),
    path(
        "kelola/fasilitas/<slug:slug>/jam/", workspace.facility_hours, name="manage_facility_hours"
    ),
    path(
        "kelola/fasilitas/<slug:slug>/penutupan/",
        workspace.facility_closures,
        name="manage_facility_closures",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/penutupan/<int:closure_id>/hapus/",
        workspace.closure_delete,
        name="manage_closure_delete",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/foto/",
        workspace.facility_photos,
        name="manage_facility_photos",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/foto/<int:photo_id>/",
        workspace.photo_action,
        name="manage_photo_action",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/terbit/",
        workspace.facility_publish,
        name="manage_facility_publish",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/konflik/",
        workspace.facility_conflicts,
        name="manage_facility_conflicts",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/tarif/",
        workspace_tariffs.facility_tariffs,
        name="manage_facility_tariffs",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/tarif/<int:tariff_id>/",
        workspace_tariffs.tariff_edit,
        name="manage_tariff_edit",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/tarif/<int:tariff_id>/akhiri/",
        workspace_tariffs.tariff_end,
        name="manage_tariff_end",
    ),
    path(
        "kelola/fasilitas/<slug:slug>/tarif/<int:tariff_id>/hapus/",
        workspace_tariffs.tariff_delete,
        name="manage_tariff_delete",
    ),
    path(
        "kelola/komunitas/<slug:slug>/alat-tambahan/",
        workspace_tariffs.community_addons,
        name="manage_community_addons",
    ),
    path(
        "kelola/komunitas/<slug:slug>/alat-tambahan/<int:addon_id>/",
        workspace_tariffs.addon_edit,
        name="manage_addon_edit",
    ),
    path(
        "kelola/komunitas/<slug:slug>/alat-tambahan/<int:addon_id>/tarik/",
        workspace_tariffs.addon_withdraw,
        name="manage_addon_withdraw",
    ),
]
