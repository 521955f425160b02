from django.urls import path

from permits import qr, views

urlpatterns = [
    path("booking-saya/<str:reference>/surat-izin.pdf", views.own_letter, name="permit_letter"),
    path(
        "kelola/booking/<str:reference>/surat-izin.pdf",
        views.managed_letter,
        name="manage_permit_letter",
    ),
    path("booking-saya/<str:reference>/qr.svg", qr.permit_qr, name="permit_qr"),
    path("verifikasi/<str:code>/", views.verify, name="permit_verify"),
    path("verifikasi/<str:code>/check-in/", views.check_in, name="permit_check_in"),
]
