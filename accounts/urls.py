from django.urls import path

from accounts import views

urlpatterns = [
    path("profil/", views.profile, name="profile"),
    path("profil/hapus/", views.account_delete, name="account_delete"),
    path("profil/token/", views.api_token_new, name="api_token_new"),
    path("profil/token/<int:token_id>/cabut/", views.api_token_revoke, name="api_token_revoke"),
    path("profil/whatsapp/", views.whatsapp_request_code, name="whatsapp_request_code"),
    path("profil/whatsapp/kode/", views.whatsapp_confirm, name="whatsapp_confirm"),
    path("profil/whatsapp/berhenti/", views.whatsapp_opt_out, name="whatsapp_opt_out"),
    path("profil/kalender/baru/", views.calendar_feed_reset, name="calendar_feed_reset"),
]
