"""A local stand-in for the WhatsApp Business Cloud API, for the tests and the demo.

A real HTTP server on 127.0.0.1 (a free port), taking what the site POSTs to
{WHATSAPP_API_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages: it checks the Bearer token and the
shape of a template message as the Cloud API does, records each one and answers as the API
would ({"messages": [{"id": "wamid...."}]}). It can be told to answer 500 (`fail_with`), to
refuse a number as undeliverable (`undeliverable`), or to be down (`down`: the port is
closed, a connection is refused) and back (`up`, on the same port).

    python manage.py whatsapp_fake            # the demo: prints each message it receives
    python -m tests.whatsapp_fake --port 8765

then run the site with WHATSAPP_API_URL=http://127.0.0.1:8765 WHATSAPP_TOKEN=fake-token
WHATSAPP_PHONE_NUMBER_ID=1234567890.
"""

import argparse
import itertools
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "fake-token"
PHONE_NUMBER_ID = "1234567890"
LANGUAGES = {"id", "en_US"}
_NUMBER = re.compile(r"^\+?[1-9][0-9]{7,14}$")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    """One accepted message, as the site sent it."""

    to: str
    template: str
    language: str
    parameters: list[str]
    reference: str
    body: dict = field(repr=False)


def shape_error(body) -> str:
    """Why `body` is not a template message the Cloud API would take; "" when it is."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    if body.get("type") != "template":
        return "type must be template"
    if not isinstance(body.get("to"), str) or not _NUMBER.match(body["to"]):
        return "to must be a phone number"
    template = body.get("template")
    if not isinstance(template, dict) or not isinstance(template.get("name"), str):
        return "template.name is required"
    language = template.get("language")
    if not isinstance(language, dict) or language.get("code") not in LANGUAGES:
        return "template.language.code must be id or en_US"
    for component in template.get("components", []):
        if not isinstance(component, dict) or component.get("type") not in ("body", "button"):
            return "a component must be a body or a button"
        for parameter in component.get("parameters", []):
            text = parameter.get("text") if isinstance(parameter, dict) else None
            if parameter.get("type") != "text" or not isinstance(text, str) or not text:
                return "a parameter must be a non-empty text"
            if "\n" in text or "\t" in text or "     " in text:
                return "a parameter may not have a newline, a tab or five spaces in a row"
    return ""


class FakeWhatsApp:
    def __init__(self, *, port: int | None = None, token: str = TOKEN, echo=None):
        self.port = port or _free_port()
        self.token = token
        self.phone_number_id = PHONE_NUMBER_ID
        self.received: list[Received] = []
        self.requests = 0  # every POST that reached the server, accepted or not
        self.status = 200  # answer this instead of accepting, when not 200
        self.undeliverable: set[str] = set()
        self.echo = echo  # called with each Received (the demo prints them)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> dict:
        """The site's settings that point at this server."""
        return {
            "WHATSAPP_API_URL": self.url,
            "WHATSAPP_TOKEN": self.token,
            "WHATSAPP_PHONE_NUMBER_ID": self.phone_number_id,
        }

    # --- Control ------------------------------------------------------------------------------

    def start(self) -> "FakeWhatsApp":
        return self.up()

    def up(self) -> "FakeWhatsApp":
        if self._server is None:
            server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
            server.daemon_threads = True
            self._server = server
            self._thread = threading.Thread(target=server.serve_forever, daemon=True)
            self._thread.start()
        return self

    def down(self) -> None:
        """Close the port: the site's connection is refused, as with the API unreachable."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = self._thread = None

    stop = down

    def fail_with(self, status: int) -> None:
        self.status = status

    def heal(self) -> None:
        self.status = 200

    def to(self, number: str) -> list[Received]:
        return [message for message in self.received if message.to == number.lstrip("+")]

    # --- Serving -----------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # quiet: the tests read `received`
                pass

            def do_POST(self):
                with fake._lock:
                    fake.requests += 1
                    status, answer = fake._answer(self)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _answer(self, request) -> tuple[int, dict]:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length)
        if request.path != f"/{self.phone_number_id}/messages":
            return 404, _error(100, f"Unknown path {request.path}")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, _error(190, "Invalid OAuth access token")
        if self.status != 200:
            return self.status, _error(131000, "Something went wrong (fake)")
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, _error(100, "The body is not JSON")
        problem = shape_error(body)
        if problem:
            return 400, _error(100, f"Invalid parameter: {problem}")
        if body["to"].lstrip("+") in {number.lstrip("+") for number in self.undeliverable}:
            return 400, _error(131026, "Message undeliverable", "The number is not on WhatsApp")
        template = body["template"]
        parameters = [
            parameter["text"]
            for component in template.get("components", [])
            if component["type"] == "body"
            for parameter in component.get("parameters", [])
        ]
        message = Received(
            to=body["to"].lstrip("+"),
            template=template["name"],
            language=template["language"]["code"],
            parameters=parameters,
            reference=str(body.get("biz_opaque_callback_data", "")),
            body=body,
        )
        self.received.append(message)
        if self.echo is not None:
            self.echo(message)
        wamid = f"wamid.fake{next(self._ids)}"
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"].lstrip("+")}],
            "messages": [{"id": wamid}],
        }


def _error(code: int, message: str, details: str = "") -> dict:
    error = {"message": message, "type": "OAuthException", "code": code}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


def print_message(message: Received) -> None:
    print(
        f"→ +{message.to} [{message.template}/{message.language}] "
        f"{' | '.join(message.parameters)}  ({message.reference or '-'})",
        flush=True,
    )


def serve(port: int, token: str = TOKEN) -> None:
    """Run until interrupted, printing each message received."""
    fake = FakeWhatsApp(port=port, token=token, echo=print_message).start()
    print(f"Fake WhatsApp Cloud API on {fake.url}; run the site with:", flush=True)
    for name, value in fake.settings().items():
        print(f"  {name}={value}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.down()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=TOKEN)
    arguments = parser.parse_args()
    serve(arguments.port, arguments.token)
