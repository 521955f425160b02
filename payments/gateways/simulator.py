"""A payment gateway that runs here, for tests and the demo: it makes QRIS payloads and
virtual account numbers that no bank knows, and its "pay" page (payments.views) sends the
notification a real gateway would, signed with HMAC-SHA256 over the body.

It signs with PAYMENT_SIMULATOR_SECRET, so a forged notification is refused exactly as a
real gateway's would be."""

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping

from django.conf import settings

from payments.gateways import (
    ChargeDetails,
    ChargeRequest,
    GatewayNotice,
    NotificationError,
    SignatureError,
)

SIGNATURE_HEADER = "X-Simulator-Signature"


def sign(body: bytes) -> str:
    return hmac.new(settings.PAYMENT_SIMULATOR_SECRET.encode(), body, hashlib.sha256).hexdigest()


def notification_body(
    *, order_id: str, transaction_id: str, amount: int, status: str, paid_at: dt.datetime
) -> bytes:
    return json.dumps(
        {
            "order_id": order_id,
            "transaction_id": transaction_id,
            "amount": amount,
            "status": status,
            "paid_at": paid_at.isoformat(),
        },
        sort_keys=True,
    ).encode()


class SimulatorGateway:
    name = "simulator"
    methods = ("qris", "va")

    def create_charge(self, request: ChargeRequest) -> ChargeDetails:
        reference = "SIM-" + secrets.token_hex(8).upper()
        if request.method == "va":
            return ChargeDetails(
                gateway_reference=reference,
                va_number="8808" + "".join(secrets.choice("0123456789") for _ in range(12)),
                va_bank="SIMULATOR",
            )
        # Shaped like a QRIS payload (EMVCo tags), but pointing at no merchant account.
        payload = f"00020101021226SIMULATOR{reference}5204739953033605405{request.amount}5802ID5909HAIDEPOK6005DEPOK62{len(request.order_id):02d}{request.order_id}"
        return ChargeDetails(gateway_reference=reference, qr_string=payload)

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> GatewayNotice:
        signature = headers.get(SIGNATURE_HEADER, "")
        if not signature or not hmac.compare_digest(signature, sign(body)):
            raise SignatureError("the simulator signature does not match")
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise TypeError("not an object")
            paid_at = dt.datetime.fromisoformat(data["paid_at"]) if data.get("paid_at") else None
            amount = data["amount"]
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise TypeError("amount")
            return GatewayNotice(
                order_id=str(data["order_id"]),
                gateway_reference=str(data["transaction_id"]),
                amount=amount,
                paid=data["status"] == "paid",
                paid_at=paid_at,
                status=str(data["status"]),
            )
        except (ValueError, KeyError, TypeError, RecursionError) as error:
            raise NotificationError(f"not a simulator notification: {error}") from None
