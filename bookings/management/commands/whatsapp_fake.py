"""`manage.py whatsapp_fake`: the local fake WhatsApp Cloud API of tests/whatsapp_fake.py, for
the demo. It prints every message the site sends; point the site at it with the settings it
prints."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run a fake WhatsApp Business Cloud API on 127.0.0.1 that prints what it receives."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--token", default="fake-token")

    def handle(self, *args, port, token, **options):
        try:
            # The fake lives with the tests, which use it too; an image without tests/ has none.
            from tests.whatsapp_fake import serve
        except ImportError as error:
            raise CommandError(f"The fake gateway needs the tests folder: {error}") from None
        serve(port, token)
