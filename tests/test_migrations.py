import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db


def test_models_and_migrations_agree():
    # Raises SystemExit(1) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_every_migration_applies_from_zero():
    # The test database was built by running every migration from an empty schema;
    # nothing is left to apply.
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())

    assert plan == []


@pytest.mark.django_db(transaction=True)
def test_the_bookings_migrations_reverse_and_reapply():
    # Back to zero takes the apps that depend on bookings (payments) with it; forward again
    # brings back everything.
    call_command("migrate", "bookings", "zero", verbosity=0)
    call_command("migrate", verbosity=0)

    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


def test_a_facility_s_bookings_are_indexed_by_time():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "bookings_booking")

    indexed_columns = [c["columns"] for c in constraints.values() if c["index"]]
    assert ["facility_id", "start"] in indexed_columns
