from django.core.management.base import BaseCommand

from haidepok.translations import compile_catalogues


class Command(BaseCommand):
    help = "Compile the project's .po catalogues to .mo (no GNU gettext needed)."

    def handle(self, *args, **options):
        for path in compile_catalogues():
            self.stdout.write(f"compiled {path}")
