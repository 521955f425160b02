"""Payment gateways behind one interface: a dynamic QRIS code or a virtual account for one
invoice, and the signed notification the gateway sends when it is paid.

`PAYMENT_GATEWAY` names the one in use: "simulator" (payments.gateways.simulator, which runs
here: tests and the demo pay through it) or "midtrans" (payments.gateways.midtrans, configured
by MIDTRANS_* variables; no credentials live in the repository).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SignatureError(Exception):
    """The notification does not carry a valid signature: it did not come from the gateway."""


class NotificationError(Exception):
    """The notification is signed but not understood (missing fields, bad values)."""


@dataclass(frozen=True)
class ChargeRequest:
    order_id: str
    amount: int
    method: str  # payments.models.PaymentMethod: "qris" or "va"
    expires_at: dt.datetime
    description: str


@dataclass(frozen=True)
class ChargeDetails:
    gateway_reference: str
    qr_string: str = ""
    va_number: str = ""
    va_bank: str = ""


@dataclass(frozen=True)
class GatewayNotice:
    """What a verified notification says about one charge."""

    order_id: str
    gateway_reference: str
    amount: int
    paid: bool  # settled; anything else (pending, expired, denied) records nothing
    paid_at: dt.datetime | None
    status: str  # the gateway's own word, for the log


class Gateway(Protocol):
    name: str
    methods: tuple[str, ...]

    def create_charge(self, request: ChargeRequest) -> ChargeDetails:
        """Ask the gateway for a QRIS code or a virtual account; raise GatewayUnavailable."""

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> GatewayNotice:
        """Verify and read a notification; raise SignatureError or NotificationError."""


class GatewayUnavailable(Exception):
    """The gateway could not be reached or refused the charge."""


GATEWAYS = {
    "simulator": "payments.gateways.simulator.SimulatorGateway",
    "midtrans": "payments.gateways.midtrans.MidtransGateway",
}


def get_gateway(name: str | None = None) -> Gateway:
    name = name or settings.PAYMENT_GATEWAY
    if name not in GATEWAYS:
        raise LookupError(f"unknown payment gateway {name!r}")
    return import_string(GATEWAYS[name])()
