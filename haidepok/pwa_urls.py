"""The installable app's and the robots' URLs, at the site's root (haidepok/pwa.py)."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from haidepok import pwa

urlpatterns = [
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("booking-saya/<str:reference>/qr.svg", pwa.permit_qr, name="permit_qr"),
    path("robots.txt", pwa.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": pwa.SITEMAPS}, name="sitemap"),
]
