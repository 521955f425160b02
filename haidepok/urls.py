from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from haidepok import views

urlpatterns = [
    # The app's manifest and service worker, robots.txt: at the root, before the rest.
    path("", include("haidepok.pwa_urls")),
    path("", include("facilities.urls")),
    path("", include("bookings.urls")),
    path("", include("communities.urls")),
    path("", include("payments.urls")),
    path("", include("documents.urls")),
    path("", include("permits.urls")),
    path("healthz", views.healthz, name="healthz"),
    # Ours first: /akun/profil/ and the token pages sit beside allauth's pages.
    path("akun/", include("accounts.urls")),
    path("akun/", include("allauth.urls")),
    path("api/v1/", include("bookings.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.BENCHMARK:
    urlpatterns.insert(0, path("_bench/baseline/", views.bench_baseline, name="bench_baseline"))

if settings.DEBUG and settings.MEDIA_STORAGE == "local":
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
