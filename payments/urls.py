from django.urls import path

from payments import views, webhooks

urlpatterns = [
    path("pembayaran/notifikasi/<slug:gateway>/", webhooks.webhook, name="payment_webhook"),
    path("booking-saya/<str:reference>/bayar/", views.pay, name="booking_pay"),
    path("booking-saya/<str:reference>/bukti-bayar/", views.receipt, name="booking_receipt"),
    path("simulator-bayar/<str:order_id>/", views.simulator, name="payment_simulator"),
]
