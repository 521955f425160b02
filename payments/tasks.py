from celery import shared_task

from payments import services


@shared_task
def release_overdue_invoices() -> int:
    """Beat, every few minutes: bookings whose invoice is unpaid at its deadline are released."""
    return services.invoices_release_overdue()
