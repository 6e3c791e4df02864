"""Migration steps the apps share."""

from django.db import migrations


def postgresql_only(forward: list[str], backward: list[str] | tuple = ()) -> migrations.RunPython:
    """Raw SQL run on PostgreSQL alone: the search indexes and the triggers that keep the
    records copies and counts. SQLite (the demo) does without them: the portal reads the
    permit's own columns there, and triggers would not survive the table rebuilds Django does
    on SQLite for later migrations."""

    def run(statements):
        def step(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                for statement in statements:
                    schema_editor.execute(statement)

        return step

    return migrations.RunPython(run(list(forward)), run(list(backward)))
