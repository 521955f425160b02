"""Why a payment cannot be recorded: a stable code and a translated message."""

from django.utils.translation import gettext_lazy as _

from haidepok.errors import CodedError

MESSAGES = {
    "not_allowed": _("You are not allowed to record payments."),
    "already_paid": _("This invoice is already paid."),
    "invoice_closed": _("This invoice is closed: its booking was cancelled or released."),
    "wrong_amount": _("The amount must be exactly the invoice's %(amount)s."),
    "method_not_manual": _(
        "Staff record bank transfers and cash; QRIS and virtual accounts are recorded by the gateway."
    ),
    "reference_required": _("Give the transfer reference or the counter receipt number."),
    "paid_in_future": _("The payment cannot be dated in the future."),
    "paid_before_invoice": _("The payment cannot be dated before the invoice's day, %(issued)s."),
    "gateway_unavailable": _(
        "Online payment is not available right now. Please try again later or pay at the counter."
    ),
    "not_payable": _("This invoice cannot be paid online any more."),
}


class PaymentError(CodedError):
    MESSAGES = MESSAGES
    subject = "payment"
