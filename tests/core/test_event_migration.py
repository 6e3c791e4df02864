"""The two status histories became the event record (portal migration 0003): every row of core's
StatusChange and of permits' PermitStatusChange is an event of the type its model records today,
with who, when and why, linked to its record and, for a fee, to its permit. Nothing is lost."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("portal", "0002_audit_log_keeps_a_deleted_actor"),
    ("core", "0003_events"),
    ("permits", "0014_fee_adjustment"),
    # Later than permits 0015 (it reads fees as they are after it).
    ("payments", "0005_constraint_messages"),
]
AFTER = [
    ("portal", "0003_status_histories_become_events"),
    ("core", "0004_status_history_is_events"),
    ("permits", "0015_status_history_is_events"),
    ("payments", "0005_constraint_messages"),
]


def migrate(targets):
    """Migrate these apps to these migrations, every other app to its latest migration that
    needs none of theirs beyond them (a later migration of another app may depend on them)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    graph = executor.loader.graph
    apps = {app for app, _ in targets}
    allowed = {node for target in targets for node in graph.forwards_plan(target)}

    def fits(node) -> bool:
        return all(dep[0] not in apps or dep in allowed for dep in graph.forwards_plan(node))

    plan = list(targets)
    for leaf in graph.leaf_nodes():
        if leaf[0] in apps:
            continue
        own = [node for node in graph.forwards_plan(leaf) if node[0] == leaf[0]]
        latest = next((node for node in reversed(own) if fits(node)), None)
        plan.append(latest or (leaf[0], None))
    executor.migrate(plan)
    return executor.loader.project_state([node for node in plan if node[1]]).apps


@pytest.fixture(autouse=True)
def every_app_at_its_latest_migration_afterwards():
    """The test stops some apps at older migrations; the next test on this database expects
    the schema of today (every app at its latest migration)."""
    yield
    migrate([])


def test_both_histories_become_events_nothing_lost():
    old = migrate(BEFORE)
    try:
        user = old.get_model("accounts", "User").objects.create(username="clerk", is_staff=True)
        kind = old.get_model("permits", "PermitType").objects.create(code="RES", name="Res")
        permit = old.get_model("permits", "Permit").objects.create(
            number="RES24-0001",
            permit_type=kind,
            description="Deck",
            street_number="1",
            street_name="Oak St",
            applied_on=datetime.date(2024, 1, 2),
        )
        fee = old.get_model("permits", "Fee").objects.create(
            permit=permit, description="Plan review", amount="75.00"
        )
        at = datetime.datetime(2024, 2, 3, 10, tzinfo=datetime.UTC)
        old.get_model("permits", "PermitStatusChange").objects.create(
            permit=permit,
            from_status="ready_to_issue",
            to_status="issued",
            changed_by=user,
            changed_at=at,
            note="Fees paid at the counter",
        )
        content_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(
            app_label="permits", model="fee"
        )[0]
        old.get_model("core", "StatusChange").objects.create(
            content_type=content_type,
            object_id=fee.pk,
            from_status="due",
            to_status="waived",
            changed_by=user,
            changed_at=at,
            note="Non-profit",
        )
    finally:
        new = migrate(AFTER)
    Event = new.get_model("core", "Event")
    issued = Event.objects.get(type="permit.issued")
    assert (issued.object_id, issued.actor_id, issued.occurred_at) == (permit.pk, user.pk, at)
    assert issued.payload == {
        "from": "ready_to_issue",
        "to": "issued",
        "note": "Fees paid at the counter",
    }
    waived = Event.objects.get(type="fee.waived")
    assert (waived.object_id, waived.payload["note"]) == (fee.pk, "Non-profit")
    # The fee's move is in its permit's history too.
    links = new.get_model("core", "EventLink").objects.filter(event=waived)
    assert sorted(link.object_id for link in links) == sorted([fee.pk, permit.pk])
    assert Event.objects.count() == 2
