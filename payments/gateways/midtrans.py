"""Midtrans (Core API): dynamic QRIS and bank virtual accounts, and its signed notifications.

A charge is POST {MIDTRANS_API_URL}/v2/charge with HTTP Basic auth (the server key as the
user name, no password), payment_type "qris" or "bank_transfer" (bank MIDTRANS_VA_BANK), and
a custom_expiry that ends the code no later than our Charge does. Midtrans answers with the
QRIS payload (qr_string) or the VA number (va_numbers), and later POSTs a notification to
/pembayaran/notifikasi/midtrans/ whose signature_key is
SHA512(order_id + status_code + gross_amount + server key): only Midtrans and we know the key.

Only the standard library speaks HTTP here (urllib, with a timeout), outside any
transaction (payments.charges). No key lives in the repository: MIDTRANS_SERVER_KEY comes
from the environment, and without one every notification is refused.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.conf import settings

from haidepok import clock
from payments.gateways import (
    ChargeDetails,
    ChargeRequest,
    GatewayNotice,
    GatewayUnavailable,
    NotificationError,
    SignatureError,
)

# Seconds to wait for Midtrans before telling the resident to try again or pay at the counter.
TIMEOUT = 10
# Midtrans reads times as WIB (GMT+7).
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# transaction_status values that mean the money is ours. A card "capture" counts only when the
# fraud check accepted it (QRIS and VA settle directly).
SETTLED = "settlement"
CAPTURED = "capture"
# No notification is for more than this (an invoice is at most Rp 2 miliar).
MAX_AMOUNT = 10**12


class MidtransGateway:
    name = "midtrans"
    methods = ("qris", "va")

    def __init__(
        self,
        *,
        server_key: str | None = None,
        api_url: str | None = None,
        va_bank: str | None = None,
        timeout: float = TIMEOUT,
    ):
        self.server_key = settings.MIDTRANS_SERVER_KEY if server_key is None else server_key
        self.api_url = (api_url or settings.MIDTRANS_API_URL).rstrip("/")
        self.va_bank = va_bank or settings.MIDTRANS_VA_BANK
        self.timeout = timeout

    # --- Charges ------------------------------------------------------------------------------

    def create_charge(self, request: ChargeRequest) -> ChargeDetails:
        answer = self._post("/v2/charge", self.charge_body(request))
        reference = answer.get("transaction_id")
        if not isinstance(reference, str) or not reference:
            raise GatewayUnavailable("Midtrans answered without a transaction id")
        if request.method == "qris":
            qr_string = answer.get("qr_string")
            if not isinstance(qr_string, str) or not qr_string:
                raise GatewayUnavailable("Midtrans answered without a QRIS payload")
            return ChargeDetails(gateway_reference=reference, qr_string=qr_string)
        bank, number = self._virtual_account(answer)
        return ChargeDetails(gateway_reference=reference, va_number=number, va_bank=bank)

    def charge_body(self, request: ChargeRequest, now: dt.datetime | None = None) -> dict:
        """What /v2/charge is sent for `request`."""
        now = clock.to_local(now or clock.now())
        # Whole minutes, rounded down: Midtrans closes the code no later than we do.
        minutes = max(1, int((request.expires_at - now).total_seconds() // 60))
        body = {
            "payment_type": "qris" if request.method == "qris" else "bank_transfer",
            "transaction_details": {"order_id": request.order_id, "gross_amount": request.amount},
            "item_details": [
                {
                    "id": request.order_id[:50],
                    "price": request.amount,
                    "quantity": 1,
                    "name": request.description[:50],
                }
            ],
            "custom_expiry": {
                "order_time": f"{now:{TIME_FORMAT}} +0700",
                "expiry_duration": minutes,
                "unit": "minute",
            },
        }
        if request.method != "qris":
            body["bank_transfer"] = {"bank": self.va_bank}
        return body

    def _virtual_account(self, answer: dict) -> tuple[str, str]:
        for account in answer.get("va_numbers") or []:
            if isinstance(account, dict) and account.get("va_number"):
                return str(account.get("bank") or self.va_bank), str(account["va_number"])
        if answer.get("permata_va_number"):  # Permata answers in a field of its own
            return "permata", str(answer["permata_va_number"])
        raise GatewayUnavailable("Midtrans answered without a virtual account number")

    def _post(self, path: str, payload: dict) -> dict:
        if not self.server_key:
            raise GatewayUnavailable("MIDTRANS_SERVER_KEY is not set")
        credentials = base64.b64encode(f"{self.server_key}:".encode()).decode()
        request = urllib.request.Request(
            self.api_url + path,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                "Authorization": f"Basic {credentials}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - our configured https URL
                raw = response.read(1_000_000)
        except (urllib.error.URLError, OSError, ValueError) as error:
            # HTTPError (a non-2xx answer) is a URLError; a timeout is an OSError.
            raise GatewayUnavailable(f"Midtrans could not be reached: {error}") from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise GatewayUnavailable("Midtrans answered something other than JSON") from None
        if not isinstance(answer, dict):
            raise GatewayUnavailable("Midtrans answered something other than an object")
        # Midtrans reports a refused charge (a reused order id, a bank not enabled) in the
        # body's status_code, sometimes with HTTP 200.
        if not str(answer.get("status_code", "")).startswith("2"):
            raise GatewayUnavailable(
                f"Midtrans refused the charge: {answer.get('status_code')} "
                f"{str(answer.get('status_message', ''))[:200]}"
            )
        return answer

    # --- Notifications ------------------------------------------------------------------------

    def signature(self, order_id: str, status_code: str, gross_amount: str) -> str:
        text = f"{order_id}{status_code}{gross_amount}{self.server_key}"
        return hashlib.sha512(text.encode()).hexdigest()

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> GatewayNotice:
        """A notification is Midtrans's only if its signature_key is right: anything that
        cannot be checked (no key configured, not JSON, fields missing) is refused as
        unsigned. Once verified, values that make no sense are "not understood"."""
        if not self.server_key:
            raise SignatureError("no MIDTRANS_SERVER_KEY to verify with")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise SignatureError("not a JSON notification") from None
        if not isinstance(data, dict):
            raise SignatureError("not a JSON object")
        signed = [data.get(field) for field in ("order_id", "status_code", "gross_amount")]
        given = data.get("signature_key")
        if not all(isinstance(value, str) for value in [*signed, given]):
            raise SignatureError("signature fields missing")
        if not hmac.compare_digest(given.encode(), self.signature(*signed).encode()):
            raise SignatureError("the Midtrans signature does not match")

        order_id, _status_code, gross_amount = signed
        status = data.get("transaction_status")
        if not isinstance(status, str):
            raise NotificationError("no transaction_status")
        try:
            amount = Decimal(gross_amount)
        except InvalidOperation:
            raise NotificationError(f"gross_amount {gross_amount!r} is not a number") from None
        # Bounded before int(): "1E+999999999" is a valid Decimal and a very long int.
        if not (amount.is_finite() and 0 <= amount < MAX_AMOUNT) or amount % 1:
            raise NotificationError(f"gross_amount {gross_amount!r} is not whole rupiah")
        fraud = data.get("fraud_status") or "accept"
        paid = status == SETTLED or (status == CAPTURED and fraud == "accept")
        return GatewayNotice(
            order_id=order_id,
            gateway_reference=str(data.get("transaction_id") or ""),
            amount=int(amount),
            paid=paid,
            paid_at=_wib_time(data.get("settlement_time") or data.get("transaction_time")),
            status=status,
        )


def _wib_time(text) -> dt.datetime | None:
    """Midtrans's "2027-03-01 10:15:00", in WIB; None when absent or not a time."""
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=clock.WIB)
    except ValueError:
        return None
