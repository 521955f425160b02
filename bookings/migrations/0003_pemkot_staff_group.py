"""The "Pemkot staff" group: the least that city staff need in the admin.

They decide bookings (through the admin actions, which call the booking services), verify
communities, see everything else, and close facilities (one, or the whole city for a public
event). They never delete bookings, edit the audit trail (BookingEvent), or manage users,
groups or passwords: only superusers do.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Pemkot staff"

# Frozen here, as a migration must be; tests/test_admin_permissions.py pins the same set.
PERMISSIONS = {
    "accounts": ["view_user"],
    "communities": ["view_community", "change_community", "view_membership"],
    "facilities": [
        "view_facility",
        "view_facilityphoto",
        "view_openinghours",
        "view_closure",
        "add_closure",
        "change_closure",
        "delete_closure",
    ],
    "bookings": ["view_booking", "change_booking", "view_bookingevent"],
}


def create_group(apps, schema_editor):
    # Django creates permissions after the whole migrate run (post_migrate); a fresh
    # database has none yet at this point, so create those of our apps now.
    for label in PERMISSIONS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    permissions = []
    for label, codenames in PERMISSIONS.items():
        found = list(
            Permission.objects.filter(content_type__app_label=label, codename__in=codenames)
        )
        missing = set(codenames) - {permission.codename for permission in found}
        if missing:
            raise RuntimeError(f"permissions missing for {GROUP!r}: {label} {sorted(missing)}")
        permissions += found
    group.permissions.set(permissions)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0001_initial"),
        ("communities", "0002_invitation"),
        ("facilities", "0002_buffer_at_most_12h"),
        ("bookings", "0002_no_overlap_constraint"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
