from django.contrib.sitemaps.views import sitemap
from django.urls import path

from facilities import views
from facilities.sitemaps import SITEMAPS

urlpatterns = [
    path("", views.home, name="home"),
    path("fasilitas/<slug:slug>/", views.facility_detail, name="facility_detail"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]
