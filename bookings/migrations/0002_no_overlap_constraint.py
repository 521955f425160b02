"""No double booking, held by PostgreSQL itself.

Two slot-holding bookings (requested or approved) of one facility may not have overlapping
blocked ranges [start, blocked_until). Django's ExclusionConstraint in Meta would break
`migrate` on SQLite, so the constraint is added here, on PostgreSQL only; on SQLite the
booking service serialises the check and the insert in one IMMEDIATE write transaction.
"""

from django.db import migrations

CONSTRAINT = "booking_no_overlapping_slot_holders"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"""
        ALTER TABLE bookings_booking ADD CONSTRAINT {CONSTRAINT}
        EXCLUDE USING gist (
            facility_id WITH =,
            tstzrange(start, blocked_until, '[)') WITH &&
        ) WHERE (status IN ('requested', 'approved'))
        """
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [migrations.RunPython(add_constraint, drop_constraint)]
