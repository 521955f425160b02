from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class HaiDepokConfig(AppConfig):
    name = "haidepok"
    verbose_name = "Hai Depok"

    def ready(self):
        from haidepok.sites import sync_site

        # post_migrate is sent per app with models (haidepok has none): listen for the sites
        # app's own, after its handler that creates the default "example.com" (connected
        # first, in SitesConfig.ready), and overwrite that.
        post_migrate.connect(
            sync_site, sender=apps.get_app_config("sites"), dispatch_uid="haidepok.sync_site"
        )
