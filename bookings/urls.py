from django.urls import path

from bookings import feed_views, views, workspace

urlpatterns = [
    path("fasilitas/<slug:slug>/pesan/", views.booking_new, name="booking_new"),
    path("booking-saya/", views.my_bookings, name="my_bookings"),
    path("booking-saya/<str:reference>/", views.booking_detail, name="booking_detail"),
    path("booking-saya/<str:reference>/batal/", views.booking_cancel, name="booking_cancel"),
    path("booking-saya/<str:reference>/kalender.ics", views.booking_ics, name="booking_ics"),
    path("kalender/", views.public_calendar, name="public_calendar"),
]

# Calendar feeds (bookings/feed_views.py). The facility's is not the facility page
# (fasilitas/<slug>/ in facilities/urls.py): a path below it.

urlpatterns += [
    path(
        "fasilitas/<slug:slug>/kalender.ics",
        feed_views.facility_calendar_feed,
        name="facility_calendar_feed",
    ),
    path("kalender.ics", feed_views.city_calendar_feed, name="city_calendar_feed"),
    path(
        "kalender/saya/<str:token>.ics",
        feed_views.resident_calendar_feed,
        name="resident_calendar_feed",
    ),
    path(
        "kalender/pengelola/<str:token>.ics",
        feed_views.organizer_calendar_feed,
        name="organizer_calendar_feed",
    ),
]

# The organizer workspace's booking pages.

urlpatterns += [
    path("kelola/booking/", workspace.booking_list, name="manage_bookings"),
    path("kelola/booking/kalender/", workspace.booking_calendar, name="manage_booking_calendar"),
    path("kelola/booking/<str:reference>/", workspace.booking_manage, name="manage_booking"),
    path(
        "kelola/booking/<str:reference>/putuskan/",
        workspace.booking_decide,
        name="manage_booking_decide",
    ),
]
