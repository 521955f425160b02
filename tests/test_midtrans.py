"""The Midtrans adapter (payments.gateways.midtrans) against a local HTTP server that answers
as Midtrans's Core API does and checks what it is sent; and its notifications' signatures.
No real key: the tests' server key is made up, and nothing leaves 127.0.0.1."""

import base64
import datetime as dt
import hashlib
import http.server
import json
import threading
import time

import pytest
from django.test import Client

from bookings.models import Notification
from haidepok import clock
from payments import charges
from payments.gateways import (
    GATEWAYS,
    ChargeRequest,
    GatewayUnavailable,
    NotificationError,
    SignatureError,
    get_gateway,
)
from payments.gateways.midtrans import MidtransGateway
from payments.models import Invoice, InvoiceState, Payment, WebhookLog
from tests.factories import priced_facility, request_booking

SERVER_KEY = "SB-Mid-server-TESTS-ONLY-not-a-real-key"
BASIC_AUTH = "Basic " + base64.b64encode(f"{SERVER_KEY}:".encode()).decode()
QRIS_PAYLOAD = "00020101021226620014COM.GO-JEK.WWW01189360091434506469550210G5064695500303UMI51440014ID.CO.QRIS.WWW0215ID10243341364120303UMI5204739953033605405500005802ID6304ABCD"


class FakeMidtrans(http.server.BaseHTTPRequestHandler):
    """Answers POST /v2/charge like Midtrans's sandbox; records each request it got."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        self.server.received.append(
            {"path": self.path, "headers": dict(self.headers), "body": json.loads(raw)}
        )
        behaviour = self.server.behaviour
        if self.headers.get("Authorization") != BASIC_AUTH:  # as Midtrans does
            self._answer(401, {"status_code": "401", "status_message": "Unknown Merchant"})
            return
        if behaviour == "slow":
            time.sleep(2)
        if behaviour == "error":
            self._answer(500, {"status_code": "500", "status_message": "Sorry"})
        elif behaviour == "refused":  # a reused order id: HTTP 200, refused in the body
            self._answer(200, {"status_code": "406", "status_message": "order_id used"})
        elif behaviour == "not-json":
            self._answer(200, b"<html>maintenance</html>")
        else:
            self._answer(200, self._charge_answer(json.loads(raw)))

    def _charge_answer(self, body):
        answer = {
            "status_code": "201",
            "status_message": "Success, transaction is created",
            "transaction_id": "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab",
            "order_id": body["transaction_details"]["order_id"],
            "gross_amount": f"{body['transaction_details']['gross_amount']}.00",
            "currency": "IDR",
            "payment_type": body["payment_type"],
            "transaction_time": "2027-03-01 10:00:00",
            "transaction_status": "pending",
            "fraud_status": "accept",
        }
        if body["payment_type"] == "qris":
            answer["actions"] = [
                {
                    "name": "generate-qr-code",
                    "method": "GET",
                    "url": "https://api.sandbox.midtrans.com/v2/qris/0f1e2d3c/qr-code",
                }
            ]
            answer["qr_string"] = QRIS_PAYLOAD
        else:
            bank = body["bank_transfer"]["bank"]
            answer["va_numbers"] = [{"bank": bank, "va_number": "9881234567890123"}]
        return answer

    def _answer(self, status, payload):
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def midtrans(settings):
    """A local "Midtrans", and the settings that point the adapter at it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeMidtrans)
    server.received, server.behaviour = [], "ok"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MIDTRANS_SERVER_KEY = SERVER_KEY
    settings.MIDTRANS_API_URL = f"http://127.0.0.1:{server.server_port}"
    settings.MIDTRANS_VA_BANK = "bni"
    yield server
    server.shutdown()
    server.server_close()


def charge_request(method="qris", minutes=30, now=None):
    now = now or clock.now()
    return ChargeRequest(
        order_id="TGH-2027-000042-A1B2C3",
        amount=150_000,
        method=method,
        expires_at=now + dt.timedelta(minutes=minutes),
        description="Retribusi TGH-2027-000042",
    )


# --- Charges ----------------------------------------------------------------------------------


def test_the_gateway_is_registered():
    assert GATEWAYS["midtrans"] == "payments.gateways.midtrans.MidtransGateway"
    assert isinstance(get_gateway("midtrans"), MidtransGateway)


def test_a_qris_charge_is_posted_as_midtrans_expects_and_its_payload_read(midtrans):
    details = MidtransGateway().create_charge(charge_request("qris"))

    assert details.qr_string == QRIS_PAYLOAD
    assert details.gateway_reference == "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"
    assert (details.va_number, details.va_bank) == ("", "")
    (sent,) = midtrans.received
    assert sent["path"] == "/v2/charge"
    assert sent["headers"]["Authorization"] == BASIC_AUTH
    assert sent["headers"]["Content-Type"] == "application/json"
    assert sent["headers"]["Accept"] == "application/json"
    body = sent["body"]
    assert body["payment_type"] == "qris"
    assert body["transaction_details"] == {
        "order_id": "TGH-2027-000042-A1B2C3",
        "gross_amount": 150_000,
    }
    assert body["item_details"] == [
        {
            "id": "TGH-2027-000042-A1B2C3",
            "price": 150_000,
            "quantity": 1,
            "name": "Retribusi TGH-2027-000042",
        }
    ]
    assert "bank_transfer" not in body


def test_a_virtual_account_charge_asks_the_configured_bank(midtrans, settings):
    settings.MIDTRANS_VA_BANK = "bri"

    details = MidtransGateway().create_charge(charge_request("va"))

    assert (details.va_number, details.va_bank) == ("9881234567890123", "bri")
    assert midtrans.received[0]["body"]["payment_type"] == "bank_transfer"
    assert midtrans.received[0]["body"]["bank_transfer"] == {"bank": "bri"}


def test_the_code_expires_no_later_than_the_charge():
    now = clock.local_datetime(dt.date(2027, 3, 1), dt.time(10, 0, 30))
    gateway = MidtransGateway(server_key=SERVER_KEY, api_url="http://127.0.0.1:9", va_bank="bni")

    body = gateway.charge_body(charge_request(minutes=30, now=now), now=now)
    almost = charge_request(now=now - dt.timedelta(seconds=59), minutes=30)
    short = gateway.charge_body(almost, now=now)

    assert body["custom_expiry"] == {
        "order_time": "2027-03-01 10:00:30 +0700",
        "expiry_duration": 30,
        "unit": "minute",
    }
    assert short["custom_expiry"]["expiry_duration"] == 29  # rounded down, never past ours
    # Given in UTC, the order time is still told in WIB.
    utc = gateway.charge_body(charge_request(now=now), now=now.astimezone(dt.UTC))
    assert utc["custom_expiry"]["order_time"] == "2027-03-01 10:00:30 +0700"


@pytest.mark.parametrize("behaviour", ["error", "refused", "not-json", "slow"])
def test_a_refusal_or_an_unreachable_midtrans_is_gateway_unavailable(midtrans, behaviour):
    midtrans.behaviour = behaviour
    gateway = MidtransGateway(timeout=0.5)

    with pytest.raises(GatewayUnavailable):
        gateway.create_charge(charge_request())


def test_a_wrong_server_key_is_refused_by_midtrans(midtrans, settings):
    settings.MIDTRANS_SERVER_KEY = "SB-Mid-server-a-wrong-one"

    with pytest.raises(GatewayUnavailable):
        MidtransGateway().create_charge(charge_request())
    assert len(midtrans.received) == 1


def test_no_server_listening_is_gateway_unavailable(settings):
    settings.MIDTRANS_SERVER_KEY = SERVER_KEY
    with pytest.raises(GatewayUnavailable):
        MidtransGateway(api_url="http://127.0.0.1:9", timeout=1).create_charge(charge_request())


def test_without_a_server_key_nothing_is_sent(midtrans, settings):
    settings.MIDTRANS_SERVER_KEY = ""

    with pytest.raises(GatewayUnavailable):
        MidtransGateway().create_charge(charge_request())
    assert midtrans.received == []


@pytest.fixture
def invoice(db):
    facility = priced_facility(approval="auto", lead_hours=0)
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=5), dt.time(10))
    booking = request_booking(
        facility, start, start + dt.timedelta(hours=3), now=clock.now(), tariff_class="sosial"
    )
    return Invoice.objects.get(booking=booking)


def test_a_charge_for_an_invoice_goes_through_midtrans_when_it_is_the_gateway(
    midtrans, settings, invoice
):
    settings.PAYMENT_GATEWAY = "midtrans"

    charge = charges.charge_for(invoice, "qris")
    again = charges.charge_for(invoice, "qris")

    assert (charge.gateway, charge.qr_string, charge.amount) == ("midtrans", QRIS_PAYLOAD, 150_000)
    assert charge.gateway_reference == "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"
    assert again == charge  # the pending one, not a second request
    assert len(midtrans.received) == 1
    assert midtrans.received[0]["body"]["transaction_details"]["order_id"] == charge.order_id


def test_midtrans_unreachable_is_the_resident_s_clear_message(settings, invoice):
    from payments.errors import PaymentError

    settings.PAYMENT_GATEWAY = "midtrans"
    settings.MIDTRANS_SERVER_KEY = SERVER_KEY
    settings.MIDTRANS_API_URL = "http://127.0.0.1:9"

    with pytest.raises(PaymentError) as refused:
        charges.charge_for(invoice, "va")

    assert refused.value.code == "gateway_unavailable"
    assert not invoice.charges.exists()


# --- Notifications ----------------------------------------------------------------------------


def sign(order_id, status_code, gross_amount, key=SERVER_KEY):
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{key}".encode()).hexdigest()


def notification(status="settlement", status_code="200", key=SERVER_KEY, **fields) -> dict:
    data = {
        "transaction_time": "2027-03-01 10:00:00",
        "transaction_status": status,
        "transaction_id": "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab",
        "status_message": "midtrans payment notification",
        "status_code": status_code,
        "payment_type": "qris",
        "order_id": "TGH-2027-000042-A1B2C3",
        "gross_amount": "150000.00",
        "fraud_status": "accept",
        "currency": "IDR",
        "settlement_time": "2027-03-01 10:05:12",
        **fields,
    }
    data.setdefault(
        "signature_key", sign(data["order_id"], data["status_code"], data["gross_amount"], key)
    )
    return data


def parse(data, **gateway):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return MidtransGateway(server_key=gateway.get("key", SERVER_KEY)).parse_notification(body, {})


def test_a_settlement_is_a_payment_of_whole_rupiah_at_its_settlement_time():
    notice = parse(notification())

    assert notice.paid
    assert (notice.order_id, notice.amount, notice.status) == (
        "TGH-2027-000042-A1B2C3",
        150_000,
        "settlement",
    )
    assert notice.gateway_reference == "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"
    assert notice.paid_at == clock.local_datetime(dt.date(2027, 3, 1), dt.time(10, 5, 12))


@pytest.mark.parametrize(
    ("status", "status_code", "fraud", "paid"),
    [
        ("settlement", "200", "accept", True),
        ("capture", "200", "accept", True),
        ("capture", "201", "challenge", False),
        ("pending", "201", "accept", False),
        ("expire", "407", "accept", False),
        ("deny", "202", "deny", False),
        ("cancel", "202", "accept", False),
    ],
)
def test_only_settlement_or_an_accepted_capture_is_paid(status, status_code, fraud, paid):
    notice = parse(notification(status=status, status_code=status_code, fraud_status=fraud))

    assert (notice.paid, notice.status) == (paid, status)


@pytest.mark.parametrize(
    "forgery",
    [
        {"signature_key": "0" * 128},
        {"signature_key": ""},
        {"signature_key": "ü" * 128},
        {"key": "SB-Mid-server-someone-else"},
    ],
    ids=["zeros", "empty", "not-ascii", "other-key"],
)
def test_a_forged_signature_is_refused(forgery):
    key = forgery.pop("key", SERVER_KEY)

    with pytest.raises(SignatureError):
        parse(notification(key=key, **forgery))


def test_a_field_changed_after_signing_is_refused():
    for field, value in [
        ("gross_amount", "1500000.00"),
        ("order_id", "TGH-2027-000043-A1B2C3"),
        ("status_code", "201"),
    ]:
        data = notification()
        data[field] = value
        with pytest.raises(SignatureError):
            parse(data)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'"x"', json.dumps({"order_id": "x"}).encode(), b"[" * 100_000],
    ids=["not-json", "list", "string", "unsigned", "deep"],
)
def test_what_cannot_be_verified_is_refused_as_unsigned(body):
    with pytest.raises(SignatureError):
        parse(body)


def test_without_a_server_key_every_notification_is_refused():
    # Else anyone could sign with the empty key.
    data = notification(key="")

    with pytest.raises(SignatureError):
        parse(data, key="")


@pytest.mark.parametrize("amount", ["150000.50", "abc", "NaN", "Infinity", "1E+999999999", "-5"])
def test_a_signed_amount_that_is_not_whole_rupiah_is_not_understood(amount):
    with pytest.raises(NotificationError):
        parse(notification(gross_amount=amount))


@pytest.mark.django_db
def test_a_midtrans_notification_pays_through_the_webhook(midtrans, settings, invoice):
    settings.PAYMENT_GATEWAY = "midtrans"
    charge = charges.charge_for(invoice, "va")
    data = notification(
        order_id=charge.order_id,
        gross_amount=f"{charge.amount}.00",
        transaction_id=charge.gateway_reference,
        payment_type="bank_transfer",
        settlement_time=f"{clock.local_now():%Y-%m-%d %H:%M:%S}",
    )
    body = json.dumps(data).encode()
    url = "/pembayaran/notifikasi/midtrans/"

    first = Client().post(url, body, content_type="application/json")
    again = Client().post(url, body, content_type="application/json")
    forged = dict(data, signature_key="f" * 128)
    refused = Client().post(url, json.dumps(forged), content_type="application/json")

    assert (first.status_code, again.status_code, refused.status_code) == (200, 200, 403)
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.PAID
    payment = Payment.objects.get()
    assert (payment.gateway, payment.method, payment.amount) == ("midtrans", "va", 150_000)
    assert Notification.objects.filter(kind="payment_received").count() == 1
    assert list(WebhookLog.objects.order_by("id").values_list("outcome", flat=True)) == [
        "paid",
        "duplicate",
        "bad_signature",
    ]


@pytest.mark.django_db
def test_the_midtrans_webhook_refuses_everything_when_midtrans_is_not_configured(settings, invoice):
    settings.MIDTRANS_SERVER_KEY = ""
    data = notification(key="")

    response = Client().post(
        "/pembayaran/notifikasi/midtrans/", json.dumps(data), content_type="application/json"
    )

    assert response.status_code == 403
    assert not Payment.objects.exists()
