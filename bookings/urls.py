from django.urls import path

from bookings import views

urlpatterns = [
    path("fasilitas/<slug:slug>/pesan/", views.booking_new, name="booking_new"),
    path("booking-saya/", views.my_bookings, name="my_bookings"),
    path("booking-saya/<str:reference>/", views.booking_detail, name="booking_detail"),
    path("booking-saya/<str:reference>/batal/", views.booking_cancel, name="booking_cancel"),
    path("booking-saya/<str:reference>/kalender.ics", views.booking_ics, name="booking_ics"),
    path("kalender/", views.public_calendar, name="public_calendar"),
]
