from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from bookings.api import views

app_name = "api"

urlpatterns = [
    path("facilities/", views.FacilityList.as_view(), name="facility-list"),
    path("facilities/<slug:slug>/", views.FacilityDetail.as_view(), name="facility-detail"),
    path(
        "facilities/<slug:slug>/availability/",
        views.FacilityAvailability.as_view(),
        name="facility-availability",
    ),
    path("facilities/<slug:slug>/quote/", views.FacilityQuote.as_view(), name="facility-quote"),
    path("bookings/", views.BookingListCreate.as_view(), name="booking-list"),
    path("bookings/<str:reference>/", views.BookingDetail.as_view(), name="booking-detail"),
    path("bookings/<str:reference>/cancel/", views.BookingCancel.as_view(), name="booking-cancel"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI only: drf-spectacular's Redoc page loads its fonts from Google, and the site
    # uses no third-party host.
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^", views.NotFoundView.as_view()),
]
