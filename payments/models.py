"""Invoices (tagihan) for priced bookings, the payments that settle them, and what payment
gateways said. The booking's price itself lives on the booking (bookings.BookingLine)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class InvoiceState(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PAID = "paid", _("Paid")
    # The booking was cancelled or rejected before it was paid.
    CANCELLED = "cancelled", _("Cancelled")
    # Not paid by its deadline: the booking was released.
    EXPIRED = "expired", _("Expired unpaid")


class Invoice(models.Model):
    """The bill for one approved booking with a price: issued on approval, due by a deadline
    (payments.services.invoice_due_at), paid once."""

    State = InvoiceState

    booking = models.OneToOneField(
        "bookings.Booking",
        verbose_name=_("booking"),
        on_delete=models.PROTECT,
        related_name="invoice",
    )
    number = models.CharField(_("invoice number"), max_length=20, unique=True, editable=False)
    amount = models.PositiveIntegerField(_("amount (rupiah)"))
    state = models.CharField(
        _("state"), max_length=10, choices=InvoiceState.choices, default=InvoiceState.UNPAID
    )
    issued_at = models.DateTimeField(_("issued at"))
    due_at = models.DateTimeField(_("pay by"))
    # When it was paid, cancelled or expired.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=InvoiceState.values), name="invoice_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=1), name="invoice_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(state="unpaid", closed_at__isnull=True)
                | (~models.Q(state="unpaid") & models.Q(closed_at__isnull=False)),
                name="invoice_closed_when_not_unpaid",
            ),
        ]
        indexes = [
            # The release sweep's question: which unpaid invoices are due.
            models.Index(fields=["state", "due_at"], name="invoice_state_due_idx"),
        ]

    def __str__(self):
        return self.number


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Bank transfer")
    CASH = "cash", _("Cash at the counter")
    QRIS = "qris", _("QRIS")
    VIRTUAL_ACCOUNT = "va", _("Virtual account")


MANUAL_METHODS = (PaymentMethod.TRANSFER, PaymentMethod.CASH)
GATEWAY_METHODS = (PaymentMethod.QRIS, PaymentMethod.VIRTUAL_ACCOUNT)


class Payment(models.Model):
    """Money received for an invoice: recorded by staff (transfer or cash) or reported by a
    gateway. Its receipt number is the resident's bukti bayar."""

    Method = PaymentMethod

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="payments"
    )
    receipt_number = models.CharField(
        _("receipt number"), max_length=24, unique=True, editable=False
    )
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices)
    amount = models.PositiveIntegerField(_("amount (rupiah)"))
    paid_at = models.DateTimeField(_("paid at"))
    # The bank's transfer reference or the counter's kuitansi number; a gateway's transaction.
    external_reference = models.CharField(_("reference"), max_length=100, blank=True)
    gateway = models.CharField(_("gateway"), max_length=20, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Money that came in for an invoice already paid, cancelled or expired: to be refunded.
    needs_refund = models.BooleanField(_("to be refunded"), default=False)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method__in=PaymentMethod.values), name="payment_method_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=1), name="payment_amount_positive"
            ),
            # A gateway's notification of one transaction, however often it comes, is one
            # payment (payments.webhooks): the database holds that, not only a check.
            models.UniqueConstraint(
                fields=["gateway", "external_reference"],
                condition=~models.Q(gateway=""),
                name="payment_one_per_gateway_transaction",
            ),
            # One payment settles an invoice; any other is marked to be refunded.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=models.Q(needs_refund=False),
                name="payment_one_settles_invoice",
            ),
        ]

    def __str__(self):
        return self.receipt_number


class ChargeState(models.TextChoices):
    PENDING = "pending", _("Waiting for payment")
    PAID = "paid", _("Paid")
    EXPIRED = "expired", _("Expired")


class Charge(models.Model):
    """One attempt to pay an invoice through a gateway: a dynamic QRIS code or a virtual
    account number that the gateway made for this invoice and amount."""

    State = ChargeState

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="charges"
    )
    gateway = models.CharField(_("gateway"), max_length=20)
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices)
    # Our order id as sent to the gateway (unique per attempt), and the gateway's own id.
    order_id = models.CharField(_("order id"), max_length=50, unique=True)
    gateway_reference = models.CharField(_("gateway reference"), max_length=100, blank=True)
    amount = models.PositiveIntegerField(_("amount (rupiah)"))
    # What the resident pays with: the QRIS payload to show as a QR code, or a VA number.
    qr_string = models.TextField(_("QRIS payload"), blank=True)
    va_number = models.CharField(_("virtual account"), max_length=40, blank=True)
    va_bank = models.CharField(_("bank"), max_length=20, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ChargeState.choices, default=ChargeState.PENDING
    )
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gateway charge")
        verbose_name_plural = _("gateway charges")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.order_id


class WebhookOutcome(models.TextChoices):
    PAID = "paid", _("Payment recorded")
    # Money for an invoice no longer payable (expired, cancelled, paid already).
    REFUND = "refund", _("Payment recorded, to be refunded")
    DUPLICATE = "duplicate", _("Already recorded")
    IGNORED = "ignored", _("Nothing to record (not a payment)")
    BAD_SIGNATURE = "bad_signature", _("Refused: bad signature")
    MALFORMED = "malformed", _("Refused: not understood")
    UNKNOWN_CHARGE = "unknown_charge", _("Refused: unknown charge")
    WRONG_AMOUNT = "wrong_amount", _("Refused: amount differs")


class WebhookLog(models.Model):
    """Every notification a gateway sent us, with what we made of it: the audit of the
    payments that came in, and of the forged ones that were refused."""

    Outcome = WebhookOutcome

    gateway = models.CharField(_("gateway"), max_length=20)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    remote_address = models.GenericIPAddressField(_("from"), null=True, blank=True)
    order_id = models.CharField(_("order id"), max_length=50, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=WebhookOutcome.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    # The body as received (cut at 10 000 characters).
    body = models.TextField(_("body"), blank=True)
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = _("gateway notification")
        verbose_name_plural = _("gateway notifications")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.gateway} {self.order_id or '—'}: {self.outcome}"
