from django.apps import AppConfig
from django.db.models.signals import post_migrate


class HaiDepokConfig(AppConfig):
    name = "haidepok"
    verbose_name = "Hai Depok"

    def ready(self):
        from haidepok.sites import sync_site

        # Sent for haidepok after django.contrib.sites (earlier in INSTALLED_APPS) has created
        # its default "example.com": this handler then overwrites it.
        post_migrate.connect(sync_site, sender=self, dispatch_uid="haidepok.sync_site")
