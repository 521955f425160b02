"""Pemkot staff keep the Perda's tariffs and the add-ons, see the invoices and what the
gateways said, and record payments made by transfer or at the counter. They never change or
delete an invoice or a payment: those follow from bookings and money received."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Pemkot staff"

PERMISSIONS = {
    "facilities": [
        "view_tariff",
        "add_tariff",
        "change_tariff",
        "delete_tariff",
        "view_addon",
        "add_addon",
        "change_addon",
        "delete_addon",
    ],
    "payments": [
        "view_invoice",
        "view_payment",
        "add_payment",
        "view_charge",
        "view_webhooklog",
    ],
}


def grant(apps, schema_editor):
    for label in PERMISSIONS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    for label, codenames in PERMISSIONS.items():
        found = list(
            Permission.objects.filter(content_type__app_label=label, codename__in=codenames)
        )
        missing = set(codenames) - {permission.codename for permission in found}
        if missing:
            raise RuntimeError(f"permissions missing for {GROUP!r}: {label} {sorted(missing)}")
        group.permissions.add(*found)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is None:
        return
    for label, codenames in PERMISSIONS.items():
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label=label, codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("facilities", "0005_tariffs_and_addons"),
        ("bookings", "0010_price_lines"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
