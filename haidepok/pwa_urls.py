"""The installable app's and the robots' URLs, at the site's root (haidepok/pwa.py)."""

from django.urls import path

from haidepok import pwa

urlpatterns = [
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("robots.txt", pwa.robots_txt, name="robots_txt"),
]
