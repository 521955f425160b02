from django.urls import path

from facilities import views

urlpatterns = [
    path("", views.home, name="home"),
    path("fasilitas/<slug:slug>/", views.facility_detail, name="facility_detail"),
]
